//! `anshin`: the command line. `serve` (default) runs the server until
//! SIGTERM or Ctrl-C; `migrate` brings the database schema up to date.
//! Every failure ends in one line on stderr and exit status 1.

use clap::Parser;
use server::{
    config::{Bench, Cli, Command},
    error::StartupError,
    startup, telemetry,
};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Migrate(db)) => migrate(&db.database_url).await,
        Some(Command::CheckLedger(db)) => match check_ledger(&db.database_url).await {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Some(Command::CreateStaff(args)) => create_staff(args).await,
        Some(Command::VerifyAudit(db)) => match verify_audit(&db.database_url).await {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Some(Command::Openapi) => match serde_json::to_string_pretty(&server::machine::openapi()) {
            Ok(doc) => {
                println!("{doc}");
                Ok(())
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        },
        Some(Command::Bench {
            what: Bench::Ledger(args),
        }) => match server::bench::ledger(args).await {
            Ok(line) => {
                println!("{line}");
                Ok(())
            }
            Err(e) => Err(e),
        },
        Some(Command::Bench {
            what: Bench::Risk(args),
        }) => match server::transfers::bench::risk(args).await {
            Ok(line) => {
                println!("{line}");
                Ok(())
            }
            Err(e) => Err(e),
        },
        Some(Command::Serve(args)) => serve(*args).await,
        Some(Command::Mcp(args)) => match server::mcp::stdio(args).await {
            Ok(()) => Ok(()),
            Err(e) => Err(StartupError::Serve(e)),
        },
        None => serve(cli.serve).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("anshin: error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(url: &str) -> Result<(), StartupError> {
    let db = startup::open_database(url).await?;
    println!("database at {} is up to date", server::db::redact(url));
    db.close().await;
    Ok(())
}

/// Prints the checker's report; `Ok(false)` when the ledger is broken.
async fn check_ledger(url: &str) -> Result<bool, StartupError> {
    let db = startup::open_database(url).await?;
    let report =
        server::ledger::check::check(db.pool())
            .await
            .map_err(|e| StartupError::Database {
                url: server::db::redact(url),
                cause: e.to_string(),
            })?;
    println!("{report}");
    db.close().await;
    Ok(report.is_ok())
}

async fn create_staff(args: server::config::CreateStaffArgs) -> Result<(), StartupError> {
    let name = args.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(StartupError::Serve(
            "--name must be 1 to 50 characters".into(),
        ));
    }
    let url = &args.database.database_url;
    let db = startup::open_database(url).await?;
    let token = server::identity::create_staff_enrollment(&db, name)
        .await
        .map_err(|e| StartupError::Database {
            url: server::db::redact(url),
            cause: e.to_string(),
        })?;
    println!(
        "Enrollment link for {name} (one use, valid 24 hours):\n{}/signin?enroll={token}",
        args.origin.trim_end_matches('/')
    );
    db.close().await;
    Ok(())
}

/// Prints the audit chain's verdict; `Ok(false)` when it is broken.
async fn verify_audit(url: &str) -> Result<bool, StartupError> {
    let db = startup::open_database(url).await?;
    let verdict = server::audit::verify(db.pool())
        .await
        .map_err(|e| StartupError::Database {
            url: server::db::redact(url),
            cause: e.to_string(),
        })?;
    println!("{verdict}");
    db.close().await;
    Ok(matches!(verdict, server::audit::Verdict::Ok { .. }))
}

async fn serve(args: server::config::ServeArgs) -> Result<(), StartupError> {
    let mut running = startup::start(args).await?;
    // The handlers are in place before the URL is printed: whoever reads that
    // line (a supervisor, a test) may send SIGTERM at once.
    let shutdown = shutdown_signal()?;
    let url = format!("http://localhost:{}", running.addr.port());
    println!("Anshin is running at {url}  (Ctrl-C to stop)");
    if let Some(stop) = running.take_stop() {
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stop.send(());
        });
    }
    running.wait().await
}

/// Installs the Ctrl-C and SIGTERM handlers now and returns the wait for either.
#[cfg(unix)]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, StartupError> {
    use tokio::signal::unix::{signal, SignalKind};
    let listen = |kind: SignalKind, name: &str| {
        signal(kind).map_err(|e| StartupError::Serve(format!("cannot listen for {name}: {e}")))
    };
    let mut int = listen(SignalKind::interrupt(), "SIGINT")?;
    let mut term = listen(SignalKind::terminate(), "SIGTERM")?;
    Ok(async move {
        tokio::select! { _ = int.recv() => {}, _ = term.recv() => {} }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, StartupError> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

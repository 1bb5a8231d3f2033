//! `anshin`: the command line. `serve` (default) runs the server until
//! SIGTERM or Ctrl-C; `migrate` brings the database schema up to date.
//! Every failure ends in one line on stderr and exit status 1.

use clap::Parser;
use server::{
    config::{Cli, Command},
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
        Some(Command::Serve(args)) => serve(args).await,
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

async fn serve(args: server::config::ServeArgs) -> Result<(), StartupError> {
    let mut running = startup::start(args).await?;
    let url = format!("http://localhost:{}", running.addr.port());
    println!("Anshin is running at {url}  (Ctrl-C to stop)");
    if let Some(stop) = running.take_stop() {
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            let _ = stop.send(());
        });
    }
    running.wait().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

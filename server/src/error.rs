//! Error policy of the server.
//!
//! - Start-up problems are [`StartupError`]: one line each, printed by `main`
//!   before it exits with status 1 — never a panic.
//! - Failures while answering a request become a [`shared::AppError`]. An
//!   unexpected cause goes through [`internal`], which logs it with a fresh
//!   reference and returns only that reference, so no SQL text, path or
//!   stack reaches a browser.

use shared::AppError;
use std::{fmt::Display, net::SocketAddr, path::PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("DATABASE_URL {url:?} is not supported: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedDatabaseUrl { url: String },
    #[error("cannot open the database at {url}: {cause}")]
    Database { url: String, cause: String },
    #[error("cannot migrate the database at {url}: {cause}")]
    Migrate { url: String, cause: String },
    #[error("cannot listen on {addr}: {cause}")]
    Listen { addr: SocketAddr, cause: String },
    #[error("no built app at {path}: run `trunk build` first or pass --dist DIR (expected every bundle's page, index.html and the rest, in {path})")]
    MissingDist { path: PathBuf },
    #[error("demo mode cannot be turned on in production (--demo together with --production)")]
    DemoInProduction,
    #[error("passkey settings: {0}")]
    Passkeys(String),
    #[error("--ice-servers must be a JSON array of {{\"urls\": [...], \"username\"?, \"credential\"?}}: {0}")]
    IceServers(String),
    #[error("server failed: {0}")]
    Serve(String),
}

/// What a domain service fails with: a refusal the caller may see as it is,
/// a ledger refusal, or a database failure whose cause only the log sees.
/// `?` turns sqlx and ledger errors into it; the port turns it into an
/// [`AppError`] (a database cause through [`internal`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A value we wrote could not be read back (or written) as JSON: a bug.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        match e {
            Error::App(e) => e,
            Error::Ledger(e) => e.into(),
            Error::Db(e) => database("database", e),
            Error::Json(e) => internal("json", e),
        }
    }
}

impl Error {
    /// A conflict with the current state, by its stable reason code.
    pub fn conflict(reason: shared::Reason) -> Error {
        Error::App(AppError::Conflict { reason })
    }
}

/// Logs an unexpected failure with a reference and returns the safe error for the caller.
pub fn internal(context: &'static str, cause: impl Display) -> AppError {
    let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    tracing::error!(%reference, context, error = %cause, "internal error");
    AppError::Internal { reference }
}

/// A database failure as the caller sees it: [`AppError::Unavailable`]
/// (503, worth retrying) when the database was only busy, else [`internal`].
pub fn database(context: &'static str, cause: sqlx::Error) -> AppError {
    if busy(&cause) {
        tracing::warn!(context, error = %cause, "database busy; the caller may retry");
        return AppError::Unavailable;
    }
    internal(context, cause)
}

/// Whether the database was busy rather than broken: no pooled connection
/// came free in time, a lock or statement time limit ran out, PostgreSQL
/// picked this transaction to lose a deadlock or serialization conflict, or
/// SQLite's write lock stayed taken past `busy_timeout`.
pub fn busy(e: &sqlx::Error) -> bool {
    const CODES: [&str; 5] = ["55P03", "57014", "5", "6", "517"];
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => {
            lost_a_conflict(e) || d.code().is_some_and(|c| CODES.contains(&c.as_ref()))
        }
        _ => false,
    }
}

/// PostgreSQL picked this transaction to lose a deadlock or a
/// serialization conflict: nothing of it was committed, and running it
/// again may work.
pub fn lost_a_conflict(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "40P01" || c == "40001")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_the_cause_out_of_the_answer() {
        let err = internal("test", "syntax error at or near \"SELEC\"");
        let json = serde_json::to_string(&err).unwrap();
        assert!(!json.contains("SELEC"), "{json}");
        assert!(matches!(err, AppError::Internal { reference } if reference.len() == 12));
    }

    #[test]
    fn a_busy_database_is_worth_retrying_and_a_broken_one_is_not() {
        assert_eq!(
            database("t", sqlx::Error::PoolTimedOut),
            AppError::Unavailable
        );
        assert!(matches!(
            database("t", sqlx::Error::RowNotFound),
            AppError::Internal { .. }
        ));
    }
}

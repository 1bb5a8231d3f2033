//! The database: one pool for SQLite or PostgreSQL, chosen by `DATABASE_URL`.
//!
//! Domain code is written once against sqlx's `Any` driver with `$1`-style
//! placeholders, which both engines accept; each engine keeps its own
//! migrations because their DDL differs. SQLite runs in WAL mode with
//! `synchronous=FULL`, so a commit the server has acknowledged is on disk.

use shared::system::DbEngine;
use sqlx::{
    any::{install_default_drivers, AnyPoolOptions},
    migrate::Migrator,
    AnyPool, Executor,
};
use std::time::Duration;

use crate::error::StartupError;

pub mod shapes;
mod unit;
mod url;

pub use unit::Unit;
pub use url::redact;

/// A stored code no variant knows (the schema's CHECK should make it
/// impossible): a decode error, so the read fails instead of guessing.
pub fn unknown_code(what: &str, code: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {code:?}").into())
}

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Per-connection SQLite settings; `busy_timeout` lets writers queue rather
/// than fail. For the ledger's batches (measured with `anshin bench ledger`):
/// a 64 MiB page cache keeps the indexes' pages in memory; statement journals
/// (a multi-row statement's undo) stay in memory instead of a temporary
/// file; and the WAL is checkpointed every 10,000 pages rather than 1,000, so
/// a page written by many commits is copied to the database file once.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
     PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; \
     PRAGMA wal_autocheckpoint = 10000;";

/// PostgreSQL's time limits for each connection: no statement runs longer
/// than a request may (30 s), no lock is waited on for long, and a
/// transaction left idle (its task gone) is ended rather than holding its
/// locks; the SQLite counterpart is `busy_timeout` above.
const POSTGRES_LIMITS: &str = "SET statement_timeout = '20s'; SET lock_timeout = '10s'; \
     SET idle_in_transaction_session_timeout = '30s';";

/// A connection pool plus the engine behind it.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    engine: DbEngine,
}

impl Db {
    /// Opens the pool (creating a SQLite file and its directory if needed).
    pub async fn connect(url: &str) -> Result<Db, StartupError> {
        let engine = url::engine_of(url)?;
        if engine == DbEngine::Sqlite {
            url::ensure_sqlite_dir(url).map_err(|e| StartupError::Database {
                url: redact(url),
                cause: e.to_string(),
            })?;
        }
        install_default_drivers();
        let mut options = AnyPoolOptions::new()
            .max_connections(match engine {
                DbEngine::Sqlite => 8,
                DbEngine::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(5));
        let setup = match engine {
            DbEngine::Sqlite => SQLITE_PRAGMAS,
            DbEngine::Postgres => POSTGRES_LIMITS,
        };
        options = options.after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute(setup).await?;
                Ok(())
            })
        });
        let pool = options
            .connect(url)
            .await
            .map_err(|e| StartupError::Database {
                url: redact(url),
                cause: e.to_string(),
            })?;
        Ok(Db { pool, engine })
    }

    /// Applies the engine's pending migrations; a no-op when up to date.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        let migrator = match self.engine {
            DbEngine::Sqlite => &SQLITE_MIGRATIONS,
            DbEngine::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction; `?` turns its failure into the services' error.
    ///
    /// On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`): a
    /// transaction that reads first and writes later could not upgrade its
    /// read once another writer had committed, and would fail at once with
    /// "database is locked" rather than wait its turn (seen under the crash
    /// harness's load).
    pub async fn begin(&self) -> crate::error::Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.engine {
            DbEngine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            DbEngine::Postgres => self.pool.begin().await?,
        })
    }

    /// Commits `tx`; `?` turns a failure into the services' error.
    pub async fn commit(tx: sqlx::Transaction<'static, sqlx::Any>) -> crate::error::Result<()> {
        Ok(tx.commit().await?)
    }

    /// A connection from the pool, for reads.
    pub async fn conn(&self) -> crate::error::Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    pub fn engine(&self) -> DbEngine {
        self.engine
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

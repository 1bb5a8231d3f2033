//! The system service: what the service says about itself, and the facts it
//! records about its installation.

use async_trait::async_trait;
use shared::{ports::SystemPort, system::ServiceStatus, AppError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::db::Db;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone)]
pub struct SystemService {
    db: Db,
    demo: bool,
}

impl SystemService {
    pub fn new(db: Db, demo: bool) -> Self {
        Self { db, demo }
    }

    /// Notes when this database was first served; later starts leave it unchanged.
    pub async fn record_installation(&self) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind("installed_at_ms")
        .bind(now_ms().to_string())
        .bind(now_ms())
        .execute(self.db.pool())
        .await
        .map(|_| ())
    }

    pub fn engine(&self) -> shared::system::DbEngine {
        self.db.engine()
    }

    /// Database reachable? Logged when not, so the cause is kept.
    pub async fn database_ok(&self) -> bool {
        match self.db.ping().await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "database ping failed");
                false
            }
        }
    }
}

#[async_trait]
impl SystemPort for SystemService {
    async fn service_status(&self) -> Result<ServiceStatus, AppError> {
        Ok(ServiceStatus {
            version: VERSION.to_string(),
            engine: self.db.engine(),
            database_ok: self.database_ok().await,
            demo: self.demo,
        })
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

//! Models describing the running service itself (version, database, mode).

use serde::{Deserialize, Serialize};

/// Which database engine a deployment runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbEngine {
    Sqlite,
    Postgres,
}

impl DbEngine {
    pub const fn name(self) -> &'static str {
        match self {
            DbEngine::Sqlite => "sqlite",
            DbEngine::Postgres => "postgres",
        }
    }
}

/// What the landing page shows about the service it talks to (version, database health, mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub version: String,
    pub engine: DbEngine,
    pub database_ok: bool,
    /// Demo mode seeds personas and one-click sign-ins; never on in production.
    pub demo: bool,
}

//! Housekeeping: rows that only ever grow are cut back once they are of no
//! more use, so the database stays bounded however long the server runs:
//! passkey ceremonies past their deadline (begun, never finished), sessions
//! past their expiry, and machine API answers older than the time they are
//! kept for replays. Deleted in chunks, each its own short statement, so a
//! backlog never holds SQLite's write lock for long; several instances may
//! run it, and a row is deleted once.

use async_trait::async_trait;

use crate::{db::Db, due::DueWork, error::Error, system::now_ms};

/// How long a machine API answer is replayed for its `Idempotency-Key`.
pub const ANSWERS_KEPT_MS: i64 = 7 * 24 * 3600 * 1000;
/// Rows deleted by one statement.
const CHUNK: i64 = 500;
/// Statements per table per run: a larger backlog is finished next run.
const MAX_CHUNKS: usize = 200;

/// Each table, the statement that deletes a chunk of its rows older than
/// `$1`, and how far back from now that limit is.
const PURGES: [(&str, &str, i64); 3] = [
    (
        "webauthn_ceremonies",
        "DELETE FROM webauthn_ceremonies WHERE id IN \
         (SELECT id FROM webauthn_ceremonies WHERE expires_at_ms < $1 LIMIT $2)",
        0,
    ),
    (
        "sessions",
        "DELETE FROM sessions WHERE token_hash IN \
         (SELECT token_hash FROM sessions WHERE expires_at_ms < $1 LIMIT $2)",
        0,
    ),
    (
        "api_requests",
        "DELETE FROM api_requests WHERE (client_id, request_key) IN \
         (SELECT client_id, request_key FROM api_requests WHERE created_at_ms < $1 LIMIT $2)",
        ANSWERS_KEPT_MS,
    ),
];

#[derive(Debug, Clone)]
pub struct Housekeeping {
    db: Db,
}

impl Housekeeping {
    pub fn new(db: Db) -> Self {
        Housekeeping { db }
    }
}

#[async_trait]
impl DueWork for Housekeeping {
    fn what(&self) -> &'static str {
        "housekeeping"
    }

    async fn run_due(&self) -> Result<usize, Error> {
        let now = now_ms();
        let mut removed = 0;
        for (table, sql, kept_ms) in PURGES {
            for _ in 0..MAX_CHUNKS {
                let done = sqlx::query(sql)
                    .bind(now - kept_ms)
                    .bind(CHUNK)
                    .execute(self.db.pool())
                    .await?
                    .rows_affected();
                removed += done as usize;
                if done < CHUNK as u64 {
                    break;
                }
            }
            tracing::debug!(table, "housekeeping pass done");
        }
        Ok(removed)
    }
}

//! A unit of work: one open transaction together with what it will tell
//! people once it commits. Domain code that changes rows, records events and
//! appends audit entries takes a `&mut Unit`, so the same function runs in a
//! ledger job (where the money moves in the same transaction) or in a
//! transaction of its own.
//!
//! Inside the ledger's writer the people a job may notify are declared up
//! front, because on PostgreSQL the writer locks their event counters in id
//! order before any job runs (so two writers never wait on each other in a
//! cycle); recording for anyone else is refused as a programming error.

use shared::{events::Event, ids::UserId, system::DbEngine};
use sqlx::AnyConnection;
use std::collections::BTreeSet;

use crate::{audit, error::Result, notify};

pub struct Unit<'c> {
    conn: &'c mut AnyConnection,
    engine: DbEngine,
    now_ms: i64,
    /// In the writer: whose events this job may record.
    declared: Option<&'c BTreeSet<UserId>>,
    deliveries: Vec<notify::Delivery>,
    /// Appended together when the unit finishes, so the audit chain's head
    /// row is taken once, last, and held only until commit.
    audited: Vec<audit::Event>,
}

impl std::fmt::Debug for Unit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unit")
            .field("engine", &self.engine)
            .field("now_ms", &self.now_ms)
            .field("events", &self.deliveries.len())
            .field("audit_entries", &self.audited.len())
            .finish()
    }
}

impl<'c> Unit<'c> {
    /// A unit over an ordinary transaction.
    pub fn new(conn: &'c mut AnyConnection, engine: DbEngine, now_ms: i64) -> Self {
        Unit {
            conn,
            engine,
            now_ms,
            declared: None,
            deliveries: Vec::new(),
            audited: Vec::new(),
        }
    }

    /// A unit inside the writer, which may notify only `declared`.
    pub(crate) fn in_writer(
        conn: &'c mut AnyConnection,
        engine: DbEngine,
        now_ms: i64,
        declared: &'c BTreeSet<UserId>,
    ) -> Self {
        Unit {
            declared: Some(declared),
            ..Unit::new(conn, engine, now_ms)
        }
    }

    pub fn conn(&mut self) -> &mut AnyConnection {
        self.conn
    }

    /// The moment this unit acts at: one clock reading for all its writes.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Holds `user`'s row until commit, so two transactions that each read
    /// what the person may still spend, then promise some of it, take turns
    /// (on PostgreSQL; SQLite's single writer already makes them).
    pub async fn lock_user(&mut self, user: UserId) -> Result<()> {
        if self.engine == DbEngine::Postgres {
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                .bind(user.0)
                .fetch_optional(&mut *self.conn)
                .await?;
        }
        Ok(())
    }

    /// Records `event` for `user`; it reaches their open pages after commit.
    pub async fn notify(&mut self, user: UserId, event: &Event) -> Result<()> {
        if self.declared.is_some_and(|d| !d.contains(&user)) {
            return Err(sqlx::Error::Protocol(format!(
                "a ledger job recorded an event for undeclared user {user}"
            ))
            .into());
        }
        let delivery = notify::record(self.conn, self.engine, user, event).await?;
        self.deliveries.push(delivery);
        Ok(())
    }

    /// Adds an entry for the audit chain; it is appended in this transaction.
    pub fn audit(
        &mut self,
        actor: impl Into<String>,
        action: impl Into<String>,
        subject: impl Into<String>,
        detail: serde_json::Value,
    ) {
        self.audited.push(audit::Event {
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            detail: detail.to_string(),
        });
    }

    pub(crate) fn audit_event(&mut self, event: audit::Event) {
        self.audited.push(event);
    }

    /// What the unit leaves for commit: its audit entries and its events.
    pub(crate) fn into_parts(self) -> (Vec<audit::Event>, Vec<notify::Delivery>) {
        (self.audited, self.deliveries)
    }

    /// Appends the audit entries; then commit the transaction and publish
    /// the events returned.
    pub async fn finish(self) -> Result<Vec<notify::Delivery>> {
        audit::append(self.conn, &self.audited, self.now_ms).await?;
        Ok(self.deliveries)
    }
}

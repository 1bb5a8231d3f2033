//! The audit trail: an append-only, hash-chained log of sign-ins, staff
//! actions, approval decisions and every money movement.
//!
//! Each entry carries the SHA-256 of the one before it (see [`chain`]), so
//! changing, removing or reordering any entry breaks every hash after it;
//! `anshin verify-audit` walks the chain. Appending takes the chain's head
//! row first (`UPDATE audit_head … RETURNING`), which serialises appenders
//! across connections and servers until their transaction commits, and
//! happens in the same transaction as the change it records.

pub mod chain;

use serde::Serialize;
use sqlx::{AnyConnection, AnyPool, Row};

use crate::db::shapes;

/// Something that happened, before it is given its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Who did it: `user:42`, `staff:7`, a ledger caller's scope, `system`.
    pub actor: String,
    /// What happened, dotted: `ledger.transfer.single`, `auth.sign_in`.
    pub action: String,
    /// What it happened to: `transfer:17`, `approval:3`.
    pub subject: String,
    /// The particulars, as JSON.
    pub detail: String,
}

/// An entry as stored: the same shape staff see.
pub use shared::audit::AuditEntry as Entry;

/// Appends `events` in order, inside the caller's transaction.
pub async fn append(
    conn: &mut AnyConnection,
    events: &[Event],
    now_ms: i64,
) -> crate::error::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let n = events.len() as i64;
    let head = sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
        .bind(n)
        .fetch_one(&mut *conn)
        .await?;
    let last_seq: i64 = head.try_get("seq")?;
    let mut prev: String = head.try_get("hash")?;
    let mut links = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        let seq = last_seq - n + 1 + i as i64;
        let fields = chain::Fields {
            seq,
            at_ms: now_ms,
            actor: &e.actor,
            action: &e.action,
            subject: &e.subject,
            detail: &e.detail,
        };
        let hash = chain::hash(&prev, &fields);
        links.push((seq, std::mem::replace(&mut prev, hash.clone()), hash));
    }
    for piece in shapes::pieces(events.len()) {
        let sql = format!(
            "INSERT INTO audit_log (seq, at_ms, actor, action, subject, detail, prev_hash, hash) \
             VALUES {}",
            shapes::Marks::of(conn).tuples(piece.len(), 8)
        );
        let mut query = sqlx::query(&sql);
        for (e, (seq, prev_hash, hash)) in events[piece.clone()].iter().zip(&links[piece]) {
            query = query
                .bind(*seq)
                .bind(now_ms)
                .bind(&e.actor)
                .bind(&e.action)
                .bind(&e.subject)
                .bind(&e.detail)
                .bind(prev_hash)
                .bind(hash);
        }
        query.execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What walking the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok {
        entries: i64,
    },
    /// The first entry whose link or hash does not hold, and why.
    Broken {
        seq: i64,
        reason: String,
    },
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Ok { entries } => write!(f, "audit ok entries={entries}"),
            Verdict::Broken { seq, reason } => write!(f, "audit BROKEN at entry {seq}: {reason}"),
        }
    }
}

/// Rows read per round trip while verifying.
const VERIFY_PAGE: i64 = 5_000;

/// Walks the whole chain from the first entry, then checks the head.
pub async fn verify(pool: &AnyPool) -> Result<Verdict, sqlx::Error> {
    let mut prev = chain::GENESIS.to_string();
    let mut expected_seq = 1;
    loop {
        let rows = sqlx::query(
            "SELECT seq, at_ms, actor, action, subject, detail, prev_hash, hash FROM audit_log \
             WHERE seq >= $1 ORDER BY seq LIMIT $2",
        )
        .bind(expected_seq)
        .bind(VERIFY_PAGE)
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let e = entry(r)?;
            let broken = |reason: String| Ok(Verdict::Broken { seq: e.seq, reason });
            if e.seq != expected_seq {
                return Ok(Verdict::Broken {
                    seq: expected_seq,
                    reason: format!("missing; next is {}", e.seq),
                });
            }
            if e.prev_hash != prev {
                return broken("its previous-hash does not match the entry before it".into());
            }
            let fields = chain::Fields {
                seq: e.seq,
                at_ms: e.at_ms,
                actor: &e.actor,
                action: &e.action,
                subject: &e.subject,
                detail: &e.detail,
            };
            if chain::hash(&prev, &fields) != e.hash {
                return broken("its content does not match its hash".into());
            }
            prev = e.hash;
            expected_seq += 1;
        }
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(pool)
        .await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    if head_seq != expected_seq - 1 || head_hash != prev {
        return Ok(Verdict::Broken {
            seq: expected_seq,
            reason: format!(
                "entries after {} are missing (the head says {head_seq})",
                expected_seq - 1
            ),
        });
    }
    Ok(Verdict::Ok {
        entries: expected_seq - 1,
    })
}

fn entry(r: &sqlx::any::AnyRow) -> Result<Entry, sqlx::Error> {
    Ok(Entry {
        seq: r.try_get("seq")?,
        at_ms: r.try_get("at_ms")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        detail: r.try_get("detail")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// Newest first, older than `before`, for staff to browse.
pub async fn page(
    pool: &AnyPool,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT seq, at_ms, actor, action, subject, detail, prev_hash, hash FROM audit_log \
         WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit.clamp(1, 200))
    .fetch_all(pool)
    .await?;
    rows.iter().map(entry).collect()
}

/// Entries per page in the staff view.
pub const PAGE: i64 = 50;

/// The staff view of the trail.
#[derive(Debug, Clone)]
pub struct AuditService {
    db: crate::db::Db,
}

impl AuditService {
    pub fn new(db: crate::db::Db) -> Self {
        Self { db }
    }

    /// Appends one entry in a transaction of its own: for something that
    /// changes nothing else (a call of the machine API that only reads).
    pub async fn record(&self, event: Event) -> crate::error::Result<()> {
        let mut tx = self.db.begin().await?;
        append(&mut tx, &[event], crate::system::now_ms()).await?;
        crate::db::Db::commit(tx).await
    }
}

#[async_trait::async_trait]
impl shared::ports::AuditPort for AuditService {
    async fn audit_page(
        &self,
        caller: &shared::ports::Caller,
        before: Option<i64>,
    ) -> Result<shared::audit::AuditPage, shared::AppError> {
        caller.require_staff()?;
        let mut entries = page(self.db.pool(), before, PAGE + 1)
            .await
            .map_err(|e| crate::error::internal("audit page", e))?;
        let next = if entries.len() as i64 > PAGE {
            entries.truncate(PAGE as usize);
            entries.last().map(|e| e.seq)
        } else {
            None
        };

        Ok(shared::audit::AuditPage { entries, next })
    }
}

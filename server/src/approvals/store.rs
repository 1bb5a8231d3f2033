//! Approval rows. The one state change a request ever makes is a
//! conditional `UPDATE … WHERE state = 'pending' AND deadline_ms > now`:
//! of any number of concurrent deciders, sweepers and cancellers, exactly
//! one matches the row.

use shared::{
    approval::{Approval, ApprovalKind, ApprovalState, NearRule, Outcome},
    ids::{ApprovalId, UserId},
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::db::Db;
use crate::error::Result;

const COLUMNS: &str = "id, kind, decider, requester, context_json, within_m, state, outcome, \
                       created_at_ms, deadline_ms, decided_at_ms";

/// A request together with whom it is for.
#[derive(Debug, Clone)]
pub struct Stored {
    pub decider: UserId,
    pub approval: Approval,
}

fn decode(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?}").into())
}

fn stored(row: &AnyRow) -> Result<Stored> {
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    let outcome: Option<String> = row.try_get("outcome")?;
    let context: String = row.try_get("context_json")?;
    Ok(Stored {
        decider: UserId(row.try_get("decider")?),
        approval: Approval {
            id: ApprovalId(row.try_get("id")?),
            kind: ApprovalKind::parse(&kind).ok_or_else(|| decode("kind", &kind))?,
            state: ApprovalState::parse(&state).ok_or_else(|| decode("state", &state))?,
            outcome: outcome
                .map(|o| Outcome::parse(&o).ok_or_else(|| decode("outcome", &o)))
                .transpose()?,
            requester: row.try_get("requester")?,
            context: serde_json::from_str(&context).map_err(|e| sqlx::Error::Decode(e.into()))?,
            near: row.try_get::<Option<i64>, _>(5)?.map(|m| NearRule {
                within_m: u32::try_from(m).unwrap_or(u32::MAX),
            }),
            created_at_ms: row.try_get("created_at_ms")?,
            deadline_ms: row.try_get("deadline_ms")?,
            decided_at_ms: row.try_get("decided_at_ms")?,
        },
    })
}

/// Inserts a pending request and returns its id.
pub async fn insert(conn: &mut AnyConnection, decider: UserId, a: &Approval) -> Result<ApprovalId> {
    let context = serde_json::to_string(&a.context).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let id: i64 = sqlx::query(
        "INSERT INTO approvals (kind, decider, requester, context_json, within_m, state, \
         created_at_ms, deadline_ms) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) RETURNING id",
    )
    .bind(a.kind.as_str())
    .bind(decider.0)
    .bind(&a.requester)
    .bind(context)
    .bind(a.near.map(|n| i64::from(n.within_m)))
    .bind(a.created_at_ms)
    .bind(a.deadline_ms)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(ApprovalId(id))
}

pub async fn get(conn: &mut AnyConnection, id: ApprovalId) -> Result<Option<Stored>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM approvals WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(stored)
        .transpose()
}

/// The one transition out of `pending`. `true` when this call made it.
/// Expiry may happen at or after the deadline; every other outcome only before it.
pub async fn conclude(
    conn: &mut AnyConnection,
    id: ApprovalId,
    outcome: Outcome,
    proof_json: Option<&str>,
    now_ms: i64,
) -> Result<bool> {
    let deadline_rule = if outcome == Outcome::Expired {
        "deadline_ms <= $5"
    } else {
        "deadline_ms > $5"
    };
    let done = sqlx::query(&format!(
        "UPDATE approvals SET state = $2, outcome = $3, proof_json = $4, decided_at_ms = $5 \
         WHERE id = $1 AND state = 'pending' AND {deadline_rule}"
    ))
    .bind(id.0)
    .bind(outcome.state().as_str())
    .bind(outcome.as_str())
    .bind(proof_json)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Pending requests whose deadline has passed, oldest first.
pub async fn overdue(db: &Db, now_ms: i64, limit: i64) -> Result<Vec<ApprovalId>> {
    sqlx::query(
        "SELECT id FROM approvals WHERE state = 'pending' AND deadline_ms <= $1 \
         ORDER BY deadline_ms LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok(ApprovalId(r.try_get(0)?)))
    .collect()
}

/// The person's pending requests (soonest deadline first), then their latest decided ones.
pub async fn of_decider(db: &Db, decider: UserId, decided_limit: i64) -> Result<Vec<Approval>> {
    let pending = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM approvals WHERE decider = $1 AND state = 'pending' ORDER BY deadline_ms"
    ))
    .bind(decider.0)
    .fetch_all(db.pool())
    .await?;
    let decided = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM approvals WHERE decider = $1 AND state <> 'pending' \
         ORDER BY id DESC LIMIT $2"
    ))
    .bind(decider.0)
    .bind(decided_limit)
    .fetch_all(db.pool())
    .await?;
    pending
        .iter()
        .chain(decided.iter())
        .map(|r| stored(r).map(|s| s.approval))
        .collect()
}

//! Rows of transfers to other people, and the counterparty graph kept with
//! them. Written only inside the flow's ledger jobs.

use shared::{
    ids::{AccountId, SendId, TransferId, UserId},
    money::Money,
    transfer::{
        name_check::NameCheck,
        risk::{Assessment, Decision, Facts},
        send::{account_number, Acknowledged, SendState, Sent},
    },
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::error::Result;

const COLUMNS: &str = "t.id AS id, t.sender_id AS sender_id, t.recipient_id AS recipient_id, \
     t.from_account AS from_account, t.to_account AS to_account, t.amount AS amount, \
     t.state AS state, t.request_digest AS request_digest, t.assessment_json AS assessment_json, \
     t.name_check_json AS name_check_json, t.ack_json AS ack_json, t.hold_transfer AS hold_transfer, \
     t.proof_message AS proof_message, t.proof_at_ms AS proof_at_ms, t.created_at_ms AS created_at_ms, \
     t.deadline_ms AS deadline_ms, t.ended_at_ms AS ended_at_ms, u.nickname AS to_nickname, \
     s.nickname AS from_nickname";
const FROM: &str =
    "p2p_transfers t JOIN users u ON u.id = t.recipient_id JOIN users s ON s.id = t.sender_id";

/// A row with what only the server needs.
#[derive(Debug, Clone)]
pub struct Stored {
    pub sender: UserId,
    pub recipient: UserId,
    pub to_account: AccountId,
    pub from_nickname: String,
    pub digest: String,
    pub hold: Option<TransferId>,
    pub sent: Sent,
}

fn decode<T: serde::de::DeserializeOwned>(json: Option<String>) -> Result<Option<T>> {
    Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
}

fn stored(r: &AnyRow) -> Result<Stored> {
    let state: String = r.try_get("state")?;
    let to_account = AccountId(r.try_get("to_account")?);
    let assessment: Assessment = serde_json::from_str(&r.try_get::<String, _>("assessment_json")?)?;
    Ok(Stored {
        sender: UserId(r.try_get("sender_id")?),
        recipient: UserId(r.try_get("recipient_id")?),
        to_account,
        from_nickname: r.try_get("from_nickname")?,
        digest: r.try_get("request_digest")?,
        hold: r
            .try_get::<Option<i64>, _>("hold_transfer")?
            .map(TransferId),
        sent: Sent {
            id: SendId(r.try_get("id")?),
            from: AccountId(r.try_get("from_account")?),
            to_account_number: account_number(to_account),
            to_nickname: r.try_get("to_nickname")?,
            amount: Money::jpy(r.try_get("amount")?),
            state: SendState::parse(&state)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown state {state:?}").into()))?,
            assessment,
            name_check: decode::<NameCheck>(r.try_get("name_check_json")?)?,
            acknowledged: decode::<Acknowledged>(r.try_get("ack_json")?)?,
            proof_message: r.try_get("proof_message")?,
            proof_at_ms: r.try_get("proof_at_ms")?,
            created_at_ms: r.try_get("created_at_ms")?,
            deadline_ms: r.try_get("deadline_ms")?,
            ended_at_ms: r.try_get("ended_at_ms")?,
        },
    })
}

#[derive(Debug)]
pub struct Insert<'a> {
    pub sender: UserId,
    pub recipient: UserId,
    pub from: AccountId,
    pub to: AccountId,
    pub amount: Money,
    pub state: SendState,
    pub key: &'a str,
    pub digest: &'a str,
    pub assessment: &'a Assessment,
    /// What the assessment read, for dry runs of later rules.
    pub facts: Option<&'a Facts>,
    pub name_check: Option<&'a NameCheck>,
    pub acknowledged: Option<&'a Acknowledged>,
    pub hold: Option<TransferId>,
    pub now_ms: i64,
    pub deadline_ms: Option<i64>,
}

pub async fn insert(conn: &mut AnyConnection, i: Insert<'_>) -> Result<SendId> {
    let decision: Decision = i.assessment.decision;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO p2p_transfers (sender_id, recipient_id, from_account, to_account, amount, state, \
         request_key, request_digest, score, decision, assessment_json, name_check_json, ack_json, \
         hold_transfer, created_at_ms, deadline_ms, ended_at_ms, facts_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         RETURNING id",
    )
    .bind(i.sender.0)
    .bind(i.recipient.0)
    .bind(i.from.0)
    .bind(i.to.0)
    .bind(i.amount.amount_minor)
    .bind(i.state.as_str())
    .bind(i.key)
    .bind(i.digest)
    .bind(i64::from(i.assessment.score))
    .bind(decision.as_str())
    .bind(serde_json::to_string(i.assessment)?)
    .bind(i.name_check.map(serde_json::to_string).transpose()?)
    .bind(i.acknowledged.map(serde_json::to_string).transpose()?)
    .bind(i.hold.map(|h| h.0))
    .bind(i.now_ms)
    .bind(i.deadline_ms)
    .bind((!i.state.is_open()).then_some(i.now_ms))
    .bind(i.facts.map(serde_json::to_string).transpose()?)
    .fetch_one(conn)
    .await?;
    Ok(SendId(id))
}

pub async fn get<'e, E>(ex: E, id: SendId) -> Result<Option<Stored>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE t.id = $1"))
        .bind(id.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(stored)
        .transpose()
}

pub async fn by_request(
    conn: &mut AnyConnection,
    sender: UserId,
    key: &str,
) -> Result<Option<Stored>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE t.sender_id = $1 AND t.request_key = $2"
    ))
    .bind(sender.0)
    .bind(key)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(stored)
    .transpose()
}

/// Rows by a condition on `t`, newest first.
pub async fn list<'e, E>(ex: E, condition: &str, bind: i64, limit: i64) -> Result<Vec<Stored>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE {condition} ORDER BY t.id DESC LIMIT $2"
    ))
    .bind(bind)
    .bind(limit)
    .fetch_all(ex)
    .await?
    .iter()
    .map(stored)
    .collect()
}

/// Held for staff, oldest first.
pub async fn in_review<'e, E>(ex: E, limit: i64) -> Result<Vec<Stored>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE t.state = 'in_review' ORDER BY t.id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(ex)
    .await?
    .iter()
    .map(stored)
    .collect()
}

/// Waiting transfers past their deadline.
pub async fn overdue<'e, E>(ex: E, now_ms: i64, limit: i64) -> Result<Vec<SendId>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM p2p_transfers WHERE state IN ('awaiting_recipient', 'awaiting_sender', 'in_review') \
         AND deadline_ms <= $1 ORDER BY deadline_ms LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    Ok(ids.into_iter().map(SendId).collect())
}

/// Moves a row from `from` to `to`; `false` when it was not in `from`.
pub async fn change(
    conn: &mut AnyConnection,
    id: SendId,
    from: SendState,
    to: SendState,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE p2p_transfers SET state = $3, ended_at_ms = $4 WHERE id = $1 AND state = $2",
    )
    .bind(id.0)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind((!to.is_open()).then_some(now_ms))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The recipient's proof: the row then waits for the sender.
pub async fn prove(
    conn: &mut AnyConnection,
    id: SendId,
    message: &str,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE p2p_transfers SET state = 'awaiting_sender', proof_message = $2, proof_at_ms = $3 \
         WHERE id = $1 AND state = 'awaiting_recipient'",
    )
    .bind(id.0)
    .bind(message)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Yen sent to others since `since_ms`, counting what is still reserved.
pub async fn sent_since(conn: &mut AnyConnection, sender: UserId, since_ms: i64) -> Result<i64> {
    let total: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount) AS BIGINT) FROM p2p_transfers WHERE sender_id = $1 AND created_at_ms >= $2 \
         AND state IN ('awaiting_recipient', 'awaiting_sender', 'in_review', 'settled')",
    )
    .bind(sender.0)
    .bind(since_ms)
    .fetch_one(conn)
    .await?;
    Ok(total.unwrap_or(0))
}

/// Records a completed transfer in the counterparty graph.
pub async fn add_to_pair(
    conn: &mut AnyConnection,
    from: AccountId,
    to: AccountId,
    amount: Money,
    now_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO p2p_pairs (from_account, to_account, transfers, total, first_at_ms, last_at_ms) \
         VALUES ($1, $2, 1, $3, $4, $4) ON CONFLICT (from_account, to_account) DO UPDATE SET \
         transfers = p2p_pairs.transfers + 1, total = p2p_pairs.total + excluded.total, \
         last_at_ms = excluded.last_at_ms",
    )
    .bind(from.0)
    .bind(to.0)
    .bind(amount.amount_minor)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The payee's "last paid", if the sender saved the recipient.
pub async fn paid_payee(
    conn: &mut AnyConnection,
    sender: UserId,
    to: AccountId,
    now_ms: i64,
) -> Result<()> {
    sqlx::query("UPDATE payees SET last_paid_at_ms = $3 WHERE user_id = $1 AND account = $2")
        .bind(sender.0)
        .bind(to.0)
        .bind(now_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// A completed transfer from before (demo data, benchmark populations):
/// its row, dated `at_ms`, and its place in the counterparty graph. The
/// money itself must have moved through the ledger.
#[derive(Debug, Clone, Copy)]
pub struct Past {
    pub sender: UserId,
    pub recipient: UserId,
    pub from: AccountId,
    pub to: AccountId,
    pub amount: Money,
    pub at_ms: i64,
}

/// A completed transfer from before the demo started; `facts`, where given,
/// are what an assessment would have read then.
pub async fn record_past(
    conn: &mut AnyConnection,
    p: Past,
    key: &str,
    facts: Option<&Facts>,
) -> Result<()> {
    let assessment = Assessment {
        score: 0,
        reasons: Vec::new(),
        decision: Decision::Proceed,
        rules_version: 0,
    };
    insert(
        &mut *conn,
        Insert {
            sender: p.sender,
            recipient: p.recipient,
            from: p.from,
            to: p.to,
            amount: p.amount,
            state: SendState::Settled,
            key,
            digest: "",
            assessment: &assessment,
            facts,
            name_check: None,
            acknowledged: None,
            hold: None,
            now_ms: p.at_ms,
            deadline_ms: None,
        },
    )
    .await?;
    add_to_pair(conn, p.from, p.to, p.amount, p.at_ms).await
}

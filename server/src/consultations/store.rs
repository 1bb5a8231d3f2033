//! Consultation and chat rows.

use shared::{
    consultation::{ChatMessage, Consultation, ConsultationState, Side},
    ids::{ConsultationId, MessageId, UserId},
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::db::Db;
use crate::error::Result;

const COLUMNS: &str = "c.id AS id, c.state AS state, cu.display_name AS customer_name, \
                       c.topic AS topic, cl.display_name AS clerk_name, c.asked_at_ms AS asked_at_ms, \
                       c.taken_at_ms AS taken_at_ms, c.ended_at_ms AS ended_at_ms, \
                       c.ended_by AS ended_by, c.customer_id AS customer_id, c.clerk_id AS clerk_id";
const FROM: &str = "consultations c JOIN users cu ON cu.id = c.customer_id \
                    LEFT JOIN users cl ON cl.id = c.clerk_id";

/// A row with who is in it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub consultation: Consultation,
    pub customer: UserId,
    pub clerk: Option<UserId>,
}

impl Stored {
    /// Which side `user` is on, if either.
    pub fn side_of(&self, user: UserId) -> Option<Side> {
        if user == self.customer {
            Some(Side::Customer)
        } else if Some(user) == self.clerk {
            Some(Side::Clerk)
        } else {
            None
        }
    }
}

fn decode<T>(what: &str, value: Option<T>) -> Result<T, sqlx::Error> {
    value.ok_or_else(|| sqlx::Error::Decode(format!("unknown {what}").into()))
}

fn stored(r: &AnyRow) -> Result<Stored> {
    let state: String = r.try_get("state")?;
    let ended_by: Option<String> = r.try_get("ended_by")?;
    Ok(Stored {
        customer: UserId(r.try_get("customer_id")?),
        clerk: r.try_get::<Option<i64>, _>(10)?.map(UserId),
        consultation: Consultation {
            id: ConsultationId(r.try_get("id")?),
            state: decode("state", ConsultationState::parse(&state))?,
            customer_name: r.try_get("customer_name")?,
            topic: r.try_get("topic")?,
            clerk_name: r.try_get("clerk_name")?,
            asked_at_ms: r.try_get("asked_at_ms")?,
            taken_at_ms: r.try_get("taken_at_ms")?,
            ended_at_ms: r.try_get("ended_at_ms")?,
            ended_by: match ended_by {
                Some(s) => Some(decode("side", Side::parse(&s))?),
                None => None,
            },
        },
    })
}

/// Inserts a waiting consultation; `None` when the customer already has an open one.
pub async fn insert(
    conn: &mut AnyConnection,
    customer: UserId,
    topic: &str,
    now_ms: i64,
) -> Result<Option<ConsultationId>> {
    let row = sqlx::query(
        "INSERT INTO consultations (customer_id, topic, state, asked_at_ms) \
         VALUES ($1, $2, 'waiting', $3) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(customer.0)
    .bind(topic)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.try_get(0).map(ConsultationId)).transpose()?)
}

pub async fn get(conn: &mut AnyConnection, id: ConsultationId) -> Result<Option<Stored>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1"))
        .bind(id.0)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(stored)
        .transpose()
}

/// The customer's open consultation, if any.
pub async fn open_of(db: &Db, customer: UserId) -> Result<Option<Stored>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE c.customer_id = $1 AND c.state IN ('waiting', 'active')"
    ))
    .bind(customer.0)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(stored)
    .transpose()
}

/// Waiting consultations, oldest first, then the active ones `clerk` has taken.
pub async fn queue(db: &Db, clerk: UserId, limit: i64) -> Result<Vec<Consultation>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE c.state = 'waiting' \
            OR (c.state = 'active' AND c.clerk_id = $1) \
         ORDER BY CASE c.state WHEN 'waiting' THEN 0 ELSE 1 END, c.id LIMIT $2"
    ))
    .bind(clerk.0)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| stored(r).map(|s| s.consultation))
    .collect()
}

/// Takes a waiting consultation for `clerk`; `true` when this call did.
pub async fn take(
    conn: &mut AnyConnection,
    id: ConsultationId,
    clerk: UserId,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE consultations SET state = 'active', clerk_id = $2, taken_at_ms = $3 \
         WHERE id = $1 AND state = 'waiting'",
    )
    .bind(id.0)
    .bind(clerk.0)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Holds an active consultation until the transaction ends, so it cannot
/// end meanwhile; `false` when it is not active. The no-op update takes
/// PostgreSQL's row lock, which a plain read would not; SQLite has one
/// writer anyway.
pub async fn hold_active(conn: &mut AnyConnection, id: ConsultationId) -> Result<bool> {
    let done =
        sqlx::query("UPDATE consultations SET state = state WHERE id = $1 AND state = 'active'")
            .bind(id.0)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends an open consultation; `true` when this call did.
pub async fn end(
    conn: &mut AnyConnection,
    id: ConsultationId,
    by: Side,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE consultations SET state = 'ended', ended_at_ms = $2, ended_by = $3 \
         WHERE id = $1 AND state IN ('waiting', 'active')",
    )
    .bind(id.0)
    .bind(now_ms)
    .bind(by.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    // A form not yet confirmed goes with the consultation: nothing has moved.
    sqlx::query(
        "UPDATE sub_withdrawals SET state = 'withdrawn', ended_at_ms = $2 \
         WHERE consultation_id = $1 AND state IN ('pushed', 'opened', 'submitted')",
    )
    .bind(id.0)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(true)
}

pub async fn add_message(
    conn: &mut AnyConnection,
    id: ConsultationId,
    from: Side,
    author: UserId,
    text: &str,
    now_ms: i64,
) -> Result<MessageId> {
    let row = sqlx::query(
        "INSERT INTO consultation_messages (consultation_id, side, author_id, body, at_ms) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(id.0)
    .bind(from.as_str())
    .bind(author.0)
    .bind(text)
    .bind(now_ms)
    .fetch_one(conn)
    .await?;
    Ok(MessageId(row.try_get(0)?))
}

/// The chat after `after`, oldest first.
pub async fn messages(
    db: &Db,
    id: ConsultationId,
    after: MessageId,
    limit: i64,
) -> Result<Vec<ChatMessage>> {
    sqlx::query(
        "SELECT m.id AS id, m.side AS side, u.display_name AS author, m.body AS body, \
         m.at_ms AS at_ms FROM consultation_messages m \
         JOIN users u ON u.id = m.author_id \
         WHERE m.consultation_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3",
    )
    .bind(id.0)
    .bind(after.0)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        let side: String = r.try_get("side")?;
        Ok(ChatMessage {
            id: MessageId(r.try_get("id")?),
            consultation: id,
            from: decode("side", Side::parse(&side))?,
            author: r.try_get("author")?,
            text: r.try_get("body")?,
            at_ms: r.try_get("at_ms")?,
        })
    })
    .collect()
}

/// Consultations that ended, newest first, with how many chat lines each had.
pub async fn ended(conn: &mut AnyConnection, limit: i64) -> Result<Vec<(ConsultationId, i64)>> {
    sqlx::query(
        "SELECT c.id, (SELECT COUNT(*) FROM consultation_messages m WHERE m.consultation_id = c.id) AS messages \
         FROM consultations c WHERE c.state = 'ended' ORDER BY c.ended_at_ms DESC, c.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((ConsultationId(r.try_get("id")?), r.try_get::<i64, _>("messages")?)))
    .collect()
}

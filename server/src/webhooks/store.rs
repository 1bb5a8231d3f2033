//! Rows of webhook endpoints, the outbox's messages and their attempts.

use shared::{
    ids::{ApiClientId, WebhookMessageId},
    webhook::{AttemptView, DeliveryState, DeliveryView},
};
use sqlx::{AnyConnection, Row};

use crate::{
    db::{unknown_code, Db},
    error::Result,
};

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
    pub secret: String,
    pub old_secret: Option<String>,
    pub old_secret_until_ms: Option<i64>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
}

pub async fn endpoint(db: &Db, client: ApiClientId) -> Result<Option<Endpoint>> {
    let row = sqlx::query(
        "SELECT url, secret, old_secret, old_secret_until_ms, enabled, disabled_reason \
         FROM webhook_endpoints WHERE client_id = $1",
    )
    .bind(client.0)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(Endpoint {
            url: r.try_get(0)?,
            secret: r.try_get(1)?,
            old_secret: r.try_get(2)?,
            old_secret_until_ms: r.try_get(3)?,
            enabled: r.try_get::<i64, _>(4)? != 0,
            disabled_reason: r.try_get(5)?,
        })
    })
    .transpose()
}

/// Sets the URL (turning the endpoint on again); a new endpoint gets `secret`.
pub async fn set_endpoint(
    db: &Db,
    client: ApiClientId,
    url: &str,
    secret: &str,
    now_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (client_id, url, secret, enabled, updated_at_ms) \
         VALUES ($1, $2, $3, 1, $4) ON CONFLICT (client_id) DO UPDATE SET url = excluded.url, \
         enabled = 1, disabled_reason = NULL, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(client.0)
    .bind(url)
    .bind(secret)
    .bind(now_ms)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A new secret; the one before is also signed with until `old_until_ms`.
pub async fn rotate(
    db: &Db,
    client: ApiClientId,
    secret: &str,
    old_until_ms: i64,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET old_secret = secret, old_secret_until_ms = $3, secret = $2, \
         updated_at_ms = $4 WHERE client_id = $1",
    )
    .bind(client.0)
    .bind(secret)
    .bind(old_until_ms)
    .bind(now_ms)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The endpoint answered 410 Gone: nothing more is sent until it is set again.
pub async fn disable(db: &Db, client: ApiClientId, reason: &str, now_ms: i64) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $2, updated_at_ms = $3 \
         WHERE client_id = $1",
    )
    .bind(client.0)
    .bind(reason)
    .bind(now_ms)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A message due now, with where it goes.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: WebhookMessageId,
    pub msg_id: String,
    pub client: ApiClientId,
    pub payload: String,
    pub attempts: i64,
    pub next_at_ms: i64,
    pub created_at_ms: i64,
    pub endpoint: Endpoint,
}

/// Up to `limit` due messages, oldest first, at most `per_client` of any
/// one client's: a client with a long queue cannot fill the whole batch.
pub async fn due(db: &Db, now_ms: i64, limit: i64, per_client: i64) -> Result<Vec<Due>> {
    let rows = sqlx::query(
        "SELECT m.id, m.msg_id, m.client_id, m.payload, m.attempts, m.next_at_ms, m.created_at_ms, \
         e.url, e.secret, e.old_secret, e.old_secret_until_ms FROM \
         (SELECT id, msg_id, client_id, payload, attempts, next_at_ms, created_at_ms, \
          ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY next_at_ms, id) AS nth \
          FROM webhook_messages WHERE state = 'pending' AND next_at_ms <= $1) m \
         JOIN webhook_endpoints e ON e.client_id = m.client_id \
         WHERE m.nth <= $3 AND e.enabled = 1 \
         ORDER BY m.next_at_ms, m.id LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .bind(per_client)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Due {
                id: WebhookMessageId(r.try_get(0)?),
                msg_id: r.try_get(1)?,
                client: ApiClientId(r.try_get(2)?),
                payload: r.try_get(3)?,
                attempts: r.try_get(4)?,
                next_at_ms: r.try_get(5)?,
                created_at_ms: r.try_get(6)?,
                endpoint: Endpoint {
                    url: r.try_get(7)?,
                    secret: r.try_get(8)?,
                    old_secret: r.try_get(9)?,
                    old_secret_until_ms: r.try_get(10)?,
                    enabled: true,
                    disabled_reason: None,
                },
            })
        })
        .collect()
}

/// Takes a due message for one attempt (another instance may race for it):
/// its next attempt moves to `lease_until_ms`, so a crash mid-attempt only
/// delays it. `false` when someone else took it first.
pub async fn claim(db: &Db, m: &Due, lease_until_ms: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_messages SET next_at_ms = $3 WHERE id = $1 AND state = 'pending' AND next_at_ms = $2",
    )
    .bind(m.id.0)
    .bind(m.next_at_ms)
    .bind(lease_until_ms)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How one attempt went, and what the message does next.
#[derive(Debug)]
pub struct Attempted<'a> {
    pub status: Option<u16>,
    pub error: Option<&'a str>,
    pub duration_ms: i64,
    /// `pending` (with `next_at_ms`), `delivered` or `failed`.
    pub state: &'a str,
    pub next_at_ms: i64,
}

pub async fn record(db: &Db, id: WebhookMessageId, a: Attempted<'_>, now_ms: i64) -> Result<()> {
    let mut tx = db.pool().begin().await?;
    let conn: &mut AnyConnection = &mut tx;
    sqlx::query(
        "INSERT INTO webhook_attempts (message_id, at_ms, status, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.0)
    .bind(now_ms)
    .bind(a.status.map(i64::from))
    .bind(a.error)
    .bind(a.duration_ms)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE webhook_messages SET attempts = attempts + 1, state = $2, next_at_ms = $3, \
         delivered_at_ms = CASE WHEN $2 = 'delivered' THEN $4 ELSE delivered_at_ms END WHERE id = $1",
    )
    .bind(id.0)
    .bind(a.state)
    .bind(a.next_at_ms)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The client's messages, newest first, each with its attempts, as both
/// the merchant's and the staff's log show them.
pub async fn log(db: &Db, client: ApiClientId, limit: i64) -> Result<Vec<DeliveryView>> {
    let rows = sqlx::query(
        "SELECT id, msg_id, event_type, state, next_at_ms, created_at_ms, delivered_at_ms \
         FROM webhook_messages WHERE client_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(client.0)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id = WebhookMessageId(r.try_get(0)?);
        let attempts = sqlx::query(
            "SELECT at_ms, status, error, duration_ms FROM webhook_attempts WHERE message_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|a| {
            Ok(AttemptView {
                at_ms: a.try_get(0)?,
                status: a.try_get(1)?,
                error: a.try_get(2)?,
                duration_ms: a.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let code: String = r.try_get(3)?;
        let state =
            DeliveryState::parse(&code).ok_or_else(|| unknown_code("delivery state", &code))?;
        out.push(DeliveryView {
            msg_id: r.try_get(1)?,
            event_type: r.try_get(2)?,
            state,
            next_at_ms: (state == DeliveryState::Pending)
                .then(|| r.try_get(4))
                .transpose()?,
            created_at_ms: r.try_get(5)?,
            delivered_at_ms: r.try_get(6)?,
            attempts,
        });
    }
    Ok(out)
}

/// Sends a message of the client's again, now, under its own id.
pub async fn resend(
    conn: &mut sqlx::AnyConnection,
    client: ApiClientId,
    msg_id: &str,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_messages SET state = 'pending', next_at_ms = $3 WHERE client_id = $1 AND msg_id = $2",
    )
    .bind(client.0)
    .bind(msg_id)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

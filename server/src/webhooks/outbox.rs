//! Writing a webhook message: in the unit of work of the event it tells of,
//! so the message exists exactly when the event committed. The payload has
//! the Standard Webhooks shape (`type`, `timestamp`, `data`); its id
//! (`msg_…`) is fixed here and sent unchanged with every attempt, so a
//! receiver can drop a repeat.

use rand::RngCore;
use shared::ids::ApiClientId;

use crate::{db::Unit, error::Result, identity::clock::rfc3339_utc_ms};

/// A new message id: `msg_` and 128 random bits in hex.
fn message_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!("msg_{}", crate::identity::session::hex(&bytes))
}

/// Queues `event_type` with `data` for `client`'s endpoint; answers its id.
pub async fn enqueue(
    unit: &mut Unit<'_>,
    client: ApiClientId,
    event_type: &str,
    data: serde_json::Value,
) -> Result<String> {
    let now = unit.now_ms();
    let msg_id = message_id();
    let payload = serde_json::json!({
        "type": event_type,
        "timestamp": rfc3339_utc_ms(now),
        "data": data,
    });
    sqlx::query(
        "INSERT INTO webhook_messages (msg_id, client_id, event_type, payload, state, attempts, \
         next_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
    )
    .bind(&msg_id)
    .bind(client.0)
    .bind(event_type)
    .bind(payload.to_string())
    .bind(now)
    .execute(unit.conn())
    .await?;
    Ok(msg_id)
}

//! Webhook deliveries as staff read them: each message sent (or still to be
//! sent) to an API client's endpoint, with every attempt, and the staff's
//! port to read a client's log and send a message again.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ids::ApiClientId, ports::Caller, AppError};

/// Longest `msg_…` id a resend accepts.
pub const MAX_MESSAGE_ID_CHARS: usize = 64;

codes! {
    /// Where a message stands.
    DeliveryState {
        /// Not yet delivered: waiting for its next attempt.
        Pending = "pending",
        Delivered = "delivered",
        /// Given up after three days of failures.
        Failed = "failed",
    }
}

/// One try at delivering a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub at_ms: i64,
    /// The HTTP status the endpoint answered, if it answered.
    pub status: Option<i64>,
    /// `connect`, `timeout`, `request` or `gone` when it did not succeed.
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A message of the outbox, as its log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    /// The `webhook-id` every attempt carried.
    pub msg_id: String,
    /// Such as `purchase.cancelled`.
    pub event_type: String,
    pub state: DeliveryState,
    pub created_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
    /// While pending: when it is tried next.
    pub next_at_ms: Option<i64>,
    /// Oldest first.
    pub attempts: Vec<AttemptView>,
}

/// What staff may do with a client's webhooks.
#[async_trait]
pub trait WebhookLogPort: Send + Sync {
    /// The client's newest messages, newest first.
    async fn webhook_deliveries(
        &self,
        caller: &Caller,
        client: ApiClientId,
    ) -> Result<Vec<DeliveryView>, AppError>;
    /// Sends a message again now, under its own id (audited).
    async fn resend_webhook(
        &self,
        caller: &Caller,
        client: ApiClientId,
        msg_id: String,
    ) -> Result<(), AppError>;
}

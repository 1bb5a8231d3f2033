//! Staff's door to a client's webhooks: its delivery log, and a message
//! sent again (audited, since it makes the merchant act twice on one event
//! if it does not deduplicate by `webhook-id`).

use async_trait::async_trait;
use shared::{
    ids::ApiClientId,
    ports::Caller,
    webhook::{DeliveryView, WebhookLogPort, MAX_MESSAGE_ID_CHARS},
    AppError,
};

use super::{store, Webhooks};
use crate::{audit, db::Db, identity::holder, system::now_ms};

/// Messages the staff's log shows.
const LOG_LIMIT: i64 = 50;

impl Webhooks {
    async fn client_exists(&self, client: ApiClientId) -> Result<(), AppError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM api_clients WHERE id = $1")
            .bind(client.0)
            .fetch_optional(self.db.pool())
            .await
            .map_err(crate::error::Error::from)?;
        found.map(|_| ()).ok_or(AppError::NotFound)
    }
}

#[async_trait]
impl WebhookLogPort for Webhooks {
    async fn webhook_deliveries(
        &self,
        caller: &Caller,
        client: ApiClientId,
    ) -> Result<Vec<DeliveryView>, AppError> {
        caller.require_staff()?;
        self.client_exists(client).await?;
        self.log(client, LOG_LIMIT).await
    }

    async fn resend_webhook(
        &self,
        caller: &Caller,
        client: ApiClientId,
        msg_id: String,
    ) -> Result<(), AppError> {
        let staff = caller.require_staff()?;
        if msg_id.is_empty() || msg_id.len() > MAX_MESSAGE_ID_CHARS {
            return Err(AppError::NotFound);
        }
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        if !store::resend(&mut tx, client, &msg_id, now).await? {
            return Err(AppError::NotFound);
        }
        let event = audit::Event {
            actor: holder(staff),
            action: "webhook.resent".into(),
            subject: format!("api_client:{client}"),
            detail: serde_json::json!({ "msg_id": msg_id }).to_string(),
        };
        audit::append(&mut tx, &[event], now).await?;
        Db::commit(tx).await?;
        self.wake();
        Ok(())
    }
}

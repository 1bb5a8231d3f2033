//! Server functions for the staff's API clients of the machine API:
//! register (the key is shown once), rotate a key, revoke a client, read a
//! client's webhook deliveries and send one again.

use leptos::prelude::*;
use shared::{
    ids::ApiClientId,
    machine::{ApiClientView, IssuedKey, NewApiClient},
    webhook::DeliveryView,
    AppError,
};

#[cfg(feature = "ssr")]
use super::{caller, port};
#[cfg(feature = "ssr")]
use shared::{machine::ApiClientsPort, webhook::WebhookLogPort};

#[cfg(feature = "ssr")]
pub fn register() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<FetchApiClients>();
    register_explicit::<RegisterApiClient>();
    register_explicit::<RotateApiKey>();
    register_explicit::<RevokeApiClient>();
    register_explicit::<FetchWebhookDeliveries>();
    register_explicit::<ResendWebhook>();
}

#[server(prefix = "/api", endpoint = "staff/api-clients")]
pub async fn fetch_api_clients() -> Result<Vec<ApiClientView>, AppError> {
    port::<dyn ApiClientsPort>()?.api_clients(&caller()).await
}

/// JSON, because the scopes are a list.
#[server(prefix = "/api", endpoint = "staff/api-clients/register", input = leptos::server_fn::codec::Json)]
pub async fn register_api_client(new: NewApiClient) -> Result<IssuedKey, AppError> {
    port::<dyn ApiClientsPort>()?
        .register_api_client(&caller(), new)
        .await
}

#[server(prefix = "/api", endpoint = "staff/api-clients/rotate")]
pub async fn rotate_api_key(id: ApiClientId) -> Result<IssuedKey, AppError> {
    port::<dyn ApiClientsPort>()?
        .rotate_api_key(&caller(), id)
        .await
}

#[server(prefix = "/api", endpoint = "staff/api-clients/revoke")]
pub async fn revoke_api_client(id: ApiClientId) -> Result<ApiClientView, AppError> {
    port::<dyn ApiClientsPort>()?
        .revoke_api_client(&caller(), id)
        .await
}

#[server(prefix = "/api", endpoint = "staff/webhooks/deliveries")]
pub async fn fetch_webhook_deliveries(client: ApiClientId) -> Result<Vec<DeliveryView>, AppError> {
    port::<dyn WebhookLogPort>()?
        .webhook_deliveries(&caller(), client)
        .await
}

#[server(prefix = "/api", endpoint = "staff/webhooks/resend")]
pub async fn resend_webhook(client: ApiClientId, msg_id: String) -> Result<(), AppError> {
    port::<dyn WebhookLogPort>()?
        .resend_webhook(&caller(), client, msg_id)
        .await
}

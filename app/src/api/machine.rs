//! Server functions for the staff's API clients of the machine API:
//! register (the key is shown once), rotate a key, revoke a client.

use leptos::prelude::*;
use shared::{
    ids::ApiClientId,
    machine::{ApiClientView, IssuedKey, NewApiClient},
    AppError,
};

#[cfg(feature = "ssr")]
use super::{caller, port};
#[cfg(feature = "ssr")]
use shared::machine::ApiClientsPort;

#[cfg(feature = "ssr")]
pub fn register() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<FetchApiClients>();
    register_explicit::<RegisterApiClient>();
    register_explicit::<RotateApiKey>();
    register_explicit::<RevokeApiClient>();
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

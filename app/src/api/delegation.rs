//! Server functions of payments asked for on a user's behalf (flow F5):
//! the user's settings (nickname, hiding it, a user code), their ceilings
//! and blocks per requester, and their live payment tokens.

use leptos::prelude::*;
use shared::{
    delegation::DelegationSettings,
    ids::{ApiClientId, PaymentRequestId},
    money::Money,
    AppError,
};

#[cfg(feature = "ssr")]
use super::{caller, port};
#[cfg(feature = "ssr")]
use shared::delegation::DelegationPort;

/// Names this flow's server functions (see [`super::register`]).
#[cfg(feature = "ssr")]
pub fn register() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<FetchDelegationSettings>();
    register_explicit::<SetNickname>();
    register_explicit::<SetNicknameHidden>();
    register_explicit::<SetUserCode>();
    register_explicit::<SetRequesterCeilings>();
    register_explicit::<SetRequesterBlocked>();
    register_explicit::<RevokePaymentToken>();
}

#[server(prefix = "/api", endpoint = "delegation/settings")]
pub async fn fetch_delegation_settings() -> Result<DelegationSettings, AppError> {
    port::<dyn DelegationPort>()?
        .delegation_settings(&caller())
        .await
}

#[server(prefix = "/api", endpoint = "delegation/nickname")]
pub async fn set_nickname(nickname: String) -> Result<(), AppError> {
    port::<dyn DelegationPort>()?
        .set_nickname(&caller(), &nickname)
        .await
}

#[server(prefix = "/api", endpoint = "delegation/hidden")]
pub async fn set_nickname_hidden(hidden: bool) -> Result<(), AppError> {
    port::<dyn DelegationPort>()?
        .set_hidden(&caller(), hidden)
        .await
}

/// Sets the user code, or removes it when `code` is empty.
#[server(prefix = "/api", endpoint = "delegation/user-code")]
pub async fn set_user_code(code: String) -> Result<(), AppError> {
    let code = Some(code).filter(|c| !c.trim().is_empty());
    port::<dyn DelegationPort>()?
        .set_user_code(&caller(), code)
        .await
}

#[server(prefix = "/api", endpoint = "delegation/ceilings", input = leptos::server_fn::codec::Json)]
pub async fn set_requester_ceilings(
    client: ApiClientId,
    day: Option<Money>,
    month: Option<Money>,
) -> Result<(), AppError> {
    port::<dyn DelegationPort>()?
        .set_ceilings(&caller(), client, day, month)
        .await
}

#[server(prefix = "/api", endpoint = "delegation/blocked")]
pub async fn set_requester_blocked(client: ApiClientId, blocked: bool) -> Result<(), AppError> {
    port::<dyn DelegationPort>()?
        .set_blocked(&caller(), client, blocked)
        .await
}

#[server(prefix = "/api", endpoint = "delegation/revoke")]
pub async fn revoke_payment_token(request: PaymentRequestId) -> Result<(), AppError> {
    port::<dyn DelegationPort>()?
        .revoke_token(&caller(), request)
        .await
}

//! Server functions: the views' only door to the server.
//!
//! Each body looks up a service port (see `shared::ports`) that the server
//! placed in the request's context and delegates to it. Endpoints are named
//! explicitly so the browser and the server agree on URLs wherever each was
//! built.

use leptos::prelude::*;
use shared::{
    identity::{Ceremony, Me, SignUpForm},
    ids::{AccountId, TransferId},
    ledger::{AccountBalance, StatementPage},
    system::ServiceStatus,
    AppError,
};

/// Version, database health and mode of the service; anyone may call it.
#[server(prefix = "/api", endpoint = "system/status")]
pub async fn fetch_service_status() -> Result<ServiceStatus, AppError> {
    port::<dyn shared::ports::SystemPort>()?
        .service_status()
        .await
}

/// The caller's own accounts with their balances.
#[server(prefix = "/api", endpoint = "accounts/mine")]
pub async fn fetch_my_accounts() -> Result<Vec<AccountBalance>, AppError> {
    port::<dyn shared::ports::AccountsPort>()?
        .my_accounts(&caller())
        .await
}

/// A page of one of the caller's account statements, newest first, older than `before`.
#[server(prefix = "/api", endpoint = "accounts/statement")]
pub async fn fetch_statement(
    account: AccountId,
    before: Option<TransferId>,
) -> Result<StatementPage, AppError> {
    port::<dyn shared::ports::AccountsPort>()?
        .my_statement(&caller(), account, before)
        .await
}

/// Starts a sign-up: checks the profile and returns the passkey options.
#[server(prefix = "/api", endpoint = "identity/sign-up/begin")]
pub async fn begin_sign_up(form: SignUpForm) -> Result<Ceremony, AppError> {
    port::<dyn shared::ports::IdentityPort>()?
        .begin_sign_up(form)
        .await
}

/// Finishes a sign-up with the new passkey; the caller is then signed in.
#[server(prefix = "/api", endpoint = "identity/sign-up/finish")]
pub async fn finish_sign_up(ceremony: String, credential: String) -> Result<Me, AppError> {
    let signed_in = port::<dyn shared::ports::IdentityPort>()?
        .finish_sign_up(&ceremony, &credential)
        .await?;
    set_cookie(&signed_in.set_cookie);
    Ok(signed_in.me)
}

/// Starts a sign-in with any passkey registered here.
#[server(prefix = "/api", endpoint = "identity/sign-in/begin")]
pub async fn begin_sign_in() -> Result<Ceremony, AppError> {
    port::<dyn shared::ports::IdentityPort>()?
        .begin_sign_in()
        .await
}

#[server(prefix = "/api", endpoint = "identity/sign-in/finish")]
pub async fn finish_sign_in(ceremony: String, credential: String) -> Result<Me, AppError> {
    let signed_in = port::<dyn shared::ports::IdentityPort>()?
        .finish_sign_in(&ceremony, &credential)
        .await?;
    set_cookie(&signed_in.set_cookie);
    Ok(signed_in.me)
}

#[server(prefix = "/api", endpoint = "identity/sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    let cleared = port::<dyn shared::ports::IdentityPort>()?
        .sign_out(&caller())
        .await?;
    set_cookie(&cleared);
    Ok(())
}

/// Demo mode only: one-click sign-in as a seeded persona.
#[server(prefix = "/api", endpoint = "identity/demo-sign-in")]
pub async fn demo_sign_in(persona: String) -> Result<Me, AppError> {
    let signed_in = port::<dyn shared::ports::IdentityPort>()?
        .demo_sign_in(&persona)
        .await?;
    set_cookie(&signed_in.set_cookie);
    Ok(signed_in.me)
}

/// Staff only: the audit trail, newest first, older than `before`.
#[server(prefix = "/api", endpoint = "audit/page")]
pub async fn fetch_audit_page(before: Option<i64>) -> Result<shared::audit::AuditPage, AppError> {
    port::<dyn shared::ports::AuditPort>()?
        .audit_page(&caller(), before)
        .await
}

/// The signed-in person, or `None`.
#[server(prefix = "/api", endpoint = "identity/me")]
pub async fn fetch_me() -> Result<Option<Me>, AppError> {
    port::<dyn shared::ports::IdentityPort>()?
        .me(&caller())
        .await
}

#[cfg(feature = "ssr")]
fn set_cookie(value: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
    }
}

#[cfg(feature = "ssr")]
fn caller() -> shared::ports::Caller {
    use_context().unwrap_or(shared::ports::Caller::Anonymous)
}

/// The service implementing port `T`, as provided by the server.
#[cfg(feature = "ssr")]
fn port<T: ?Sized + Send + Sync + 'static>() -> Result<std::sync::Arc<T>, AppError> {
    use_context::<std::sync::Arc<T>>().ok_or_else(|| AppError::Internal {
        reference: "missing-port".into(),
    })
}

//! Server functions: the views' only door to the server.
//!
//! Each body looks up a service port (see `shared::ports`) that the server
//! placed in the request's context and delegates to it. Endpoints are named
//! explicitly so the browser and the server agree on URLs wherever each was
//! built.

use leptos::prelude::*;
use shared::{
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

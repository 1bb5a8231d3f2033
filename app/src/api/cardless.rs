//! Server functions of cardless withdrawals (flow F2): the phone prepares
//! and cancels, the kiosk scans and dispenses.

use leptos::prelude::*;
use shared::{
    cardless::{CashOverview, KioskWithdrawal, Prepared, Withdrawal},
    ids::{AccountId, WithdrawalId},
    AppError, Yen,
};

#[cfg(feature = "ssr")]
use super::{caller, port};
#[cfg(feature = "ssr")]
use shared::cardless::port::{CardlessPort, KioskPort};

/// Names this flow's server functions (see [`super::register`]).
#[cfg(feature = "ssr")]
pub fn register() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<PrepareWithdrawal>();
    register_explicit::<FetchMyWithdrawals>();
    register_explicit::<CancelWithdrawal>();
    register_explicit::<KioskScan>();
    register_explicit::<KioskProgress>();
}

/// Reserves cash for a cardless withdrawal; the codes are in this answer only.
#[server(prefix = "/api", endpoint = "cardless/prepare")]
pub async fn prepare_withdrawal(
    account: AccountId,
    yen: Yen,
    key: String,
) -> Result<Prepared, AppError> {
    port::<dyn CardlessPort>()?
        .prepare(&caller(), account, yen, &key)
        .await
}

#[server(prefix = "/api", endpoint = "cardless/mine")]
pub async fn fetch_my_withdrawals() -> Result<CashOverview, AppError> {
    port::<dyn CardlessPort>()?.my_withdrawals(&caller()).await
}

/// Cancels an open withdrawal; the reserved money is free again.
#[server(prefix = "/api", endpoint = "cardless/cancel")]
pub async fn cancel_withdrawal(id: WithdrawalId) -> Result<Withdrawal, AppError> {
    port::<dyn CardlessPort>()?.cancel(&caller(), id).await
}

/// An enrolled kiosk reads a customer's code (QR payload or typed short code).
#[server(prefix = "/api", endpoint = "kiosk/scan")]
pub async fn kiosk_scan(code: String) -> Result<KioskWithdrawal, AppError> {
    let device: shared::ports::KioskDevice = use_context().unwrap_or_default();
    port::<dyn KioskPort>()?
        .scan(device.0.as_deref(), &code)
        .await
}

/// Where a withdrawal this kiosk scanned stands; dispenses once the phone confirmed.
#[server(prefix = "/api", endpoint = "kiosk/progress")]
pub async fn kiosk_progress(id: WithdrawalId) -> Result<KioskWithdrawal, AppError> {
    let device: shared::ports::KioskDevice = use_context().unwrap_or_default();
    port::<dyn KioskPort>()?
        .progress(device.0.as_deref(), id)
        .await
}

//! What the views may ask of the cardless-withdrawal flow (F2): the phone's
//! side and the kiosk's side.

use async_trait::async_trait;

use super::{CashOverview, KioskWithdrawal, Prepared, Withdrawal};
use crate::{
    ids::{AccountId, WithdrawalId},
    ports::Caller,
    AppError, Yen,
};

/// Cardless withdrawals, as the customer prepares and manages them.
#[async_trait]
pub trait CardlessPort: Send + Sync {
    /// Reserves `yen` from one of the caller's accounts and returns the codes.
    /// `key` (chosen by the page) makes a retried request reserve once; the
    /// retry gets fresh codes, as the first answer's never arrived.
    async fn prepare(
        &self,
        caller: &Caller,
        account: AccountId,
        yen: Yen,
        key: &str,
    ) -> Result<Prepared, AppError>;
    /// The fee, what is left of today's limit, and the caller's latest withdrawals.
    async fn my_withdrawals(&self, caller: &Caller) -> Result<CashOverview, AppError>;
    /// Cancels an open withdrawal and releases its reservation.
    async fn cancel(&self, caller: &Caller, id: WithdrawalId) -> Result<Withdrawal, AppError>;
}

/// What an enrolled kiosk does with a customer's code.
#[async_trait]
pub trait KioskPort: Send + Sync {
    /// Reads a scanned QR payload or a typed short code; on success the
    /// customer's phone is asked to confirm.
    async fn scan(&self, device: Option<&str>, code: &str) -> Result<KioskWithdrawal, AppError>;
    /// Where a withdrawal this kiosk scanned stands; dispenses once the phone confirmed.
    async fn progress(
        &self,
        device: Option<&str>,
        id: WithdrawalId,
    ) -> Result<KioskWithdrawal, AppError>;
}

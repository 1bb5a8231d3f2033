//! What the views may ask of withdrawals arranged in a consultation (F1):
//! the customer's and the clerk's side, and the kiosk's.

use async_trait::async_trait;

use super::{CodeReceipt, ConsultationRecord, PasswordChoice, Revealed, SubWithdrawal};
use crate::{
    identity::Ceremony,
    ids::{AccountId, ConsultationId, SubWithdrawalId},
    ports::Caller,
    AppError, Yen,
};

/// Withdrawals arranged in a consultation: the clerk pushes a form, the
/// customer confirms it with a passkey into a sub-account with a password.
#[async_trait]
pub trait SubWithdrawalPort: Send + Sync {
    /// Staff: the consultation's clerk pushes a form (one open at a time).
    async fn push(
        &self,
        caller: &Caller,
        consultation: ConsultationId,
        suggested_yen: Option<Yen>,
    ) -> Result<SubWithdrawal, AppError>;
    /// The forms pushed in a consultation, for either of its sides.
    async fn of_consultation(
        &self,
        caller: &Caller,
        consultation: ConsultationId,
    ) -> Result<Vec<SubWithdrawal>, AppError>;
    /// The caller's own, newest first.
    async fn mine(&self, caller: &Caller) -> Result<Vec<SubWithdrawal>, AppError>;
    /// The customer's screen shows the form.
    async fn open(&self, caller: &Caller, id: SubWithdrawalId) -> Result<SubWithdrawal, AppError>;
    /// The customer sends the amount; the passkey challenge that confirms it.
    async fn begin_confirm(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
        account: AccountId,
        yen: Yen,
    ) -> Result<Ceremony, AppError>;
    /// Confirms with the passkey assertion: moves the money, sets the password, shows it once.
    async fn confirm(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
        choice: PasswordChoice,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<Revealed, AppError>;
    /// Either side withdraws a form not yet confirmed.
    async fn cancel(&self, caller: &Caller, id: SubWithdrawalId)
        -> Result<SubWithdrawal, AppError>;
    /// A passkey challenge for a new password or an unlock.
    async fn begin_passkey(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
    ) -> Result<Ceremony, AppError>;
    /// A new password (also unlocks), after a fresh passkey check.
    async fn renew_password(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
        choice: PasswordChoice,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<Revealed, AppError>;
    /// Unlocks after wrong passwords, after a fresh passkey check.
    async fn unlock(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<SubWithdrawal, AppError>;
    /// Staff: the clerk a customer is talking with asks them to confirm a new
    /// password for a locked sub-account (the customer does it with a passkey).
    async fn ask_new_password(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
    ) -> Result<SubWithdrawal, AppError>;
    /// Staff: consultations that ended, newest first, with their outcome.
    async fn history(&self, caller: &Caller) -> Result<Vec<ConsultationRecord>, AppError>;
}

/// What an enrolled kiosk does with a sub-account's number and password.
#[async_trait]
pub trait CodeKioskPort: Send + Sync {
    /// Pays the sub-account out at this ATM if the password is right.
    async fn withdraw_with_code(
        &self,
        device: Option<&str>,
        number: &str,
        password: &str,
    ) -> Result<CodeReceipt, AppError>;
}

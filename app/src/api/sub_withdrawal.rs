//! Server functions of withdrawals arranged in a consultation (flow F1):
//! the clerk's form, the customer's confirmation and sub-account, and the
//! kiosk's withdrawal with a code.

use leptos::prelude::*;
use shared::{
    identity::Ceremony,
    ids::{AccountId, ConsultationId, SubWithdrawalId},
    sub_withdrawal::{CodeReceipt, ConsultationRecord, PasswordChoice, Revealed, SubWithdrawal},
    AppError, Yen,
};

#[cfg(feature = "ssr")]
use super::{caller, port};
#[cfg(feature = "ssr")]
use shared::sub_withdrawal::port::{CodeKioskPort, SubWithdrawalPort};

/// Names this flow's server functions (see [`super::register`]).
#[cfg(feature = "ssr")]
pub fn register() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<PushWithdrawalForm>();
    register_explicit::<FetchWithdrawalForms>();
    register_explicit::<FetchMyCodeWithdrawals>();
    register_explicit::<OpenWithdrawalForm>();
    register_explicit::<BeginConfirmWithdrawal>();
    register_explicit::<ConfirmWithdrawal>();
    register_explicit::<CancelWithdrawalForm>();
    register_explicit::<BeginCodePasskey>();
    register_explicit::<RenewCodePassword>();
    register_explicit::<UnlockCodeWithdrawal>();
    register_explicit::<AskNewCodePassword>();
    register_explicit::<FetchConsultationHistory>();
    register_explicit::<KioskCodeWithdraw>();
}

/// Staff: push a withdrawal form onto the customer's screen in an active consultation.
#[server(prefix = "/api", endpoint = "withdrawal-forms/push")]
pub async fn push_withdrawal_form(
    consultation: ConsultationId,
    suggested_yen: Option<Yen>,
) -> Result<SubWithdrawal, AppError> {
    port::<dyn SubWithdrawalPort>()?
        .push(&caller(), consultation, suggested_yen)
        .await
}

/// The forms pushed in a consultation, for either side (never a password).
#[server(prefix = "/api", endpoint = "withdrawal-forms/of")]
pub async fn fetch_withdrawal_forms(
    consultation: ConsultationId,
) -> Result<Vec<SubWithdrawal>, AppError> {
    port::<dyn SubWithdrawalPort>()?
        .of_consultation(&caller(), consultation)
        .await
}

/// The caller's withdrawals arranged in consultations, newest first.
#[server(prefix = "/api", endpoint = "withdrawal-forms/mine")]
pub async fn fetch_my_code_withdrawals() -> Result<Vec<SubWithdrawal>, AppError> {
    port::<dyn SubWithdrawalPort>()?.mine(&caller()).await
}

/// The customer's screen shows the pushed form (the clerk sees it opened).
#[server(prefix = "/api", endpoint = "withdrawal-forms/open")]
pub async fn open_withdrawal_form(id: SubWithdrawalId) -> Result<SubWithdrawal, AppError> {
    port::<dyn SubWithdrawalPort>()?.open(&caller(), id).await
}

/// The customer sends the amount; returns the passkey challenge that confirms it.
#[server(prefix = "/api", endpoint = "withdrawal-forms/begin-confirm")]
pub async fn begin_confirm_withdrawal(
    id: SubWithdrawalId,
    account: AccountId,
    yen: Yen,
) -> Result<Ceremony, AppError> {
    port::<dyn SubWithdrawalPort>()?
        .begin_confirm(&caller(), id, account, yen)
        .await
}

/// Confirms with the passkey: the money moves and the password is shown, once.
#[server(prefix = "/api", endpoint = "withdrawal-forms/confirm", input = leptos::server_fn::codec::Json)]
pub async fn confirm_withdrawal(
    id: SubWithdrawalId,
    choice: PasswordChoice,
    ceremony: String,
    credential: String,
) -> Result<Revealed, AppError> {
    port::<dyn SubWithdrawalPort>()?
        .confirm(&caller(), id, choice, &ceremony, &credential)
        .await
}

/// Either side withdraws a form not yet confirmed.
#[server(prefix = "/api", endpoint = "withdrawal-forms/cancel")]
pub async fn cancel_withdrawal_form(id: SubWithdrawalId) -> Result<SubWithdrawal, AppError> {
    port::<dyn SubWithdrawalPort>()?.cancel(&caller(), id).await
}

/// A passkey challenge for a new password or an unlock.
#[server(prefix = "/api", endpoint = "withdrawal-forms/begin-passkey")]
pub async fn begin_code_passkey(id: SubWithdrawalId) -> Result<Ceremony, AppError> {
    port::<dyn SubWithdrawalPort>()?
        .begin_passkey(&caller(), id)
        .await
}

/// A new password, after a fresh passkey check; also unlocks.
#[server(prefix = "/api", endpoint = "withdrawal-forms/renew", input = leptos::server_fn::codec::Json)]
pub async fn renew_code_password(
    id: SubWithdrawalId,
    choice: PasswordChoice,
    ceremony: String,
    credential: String,
) -> Result<Revealed, AppError> {
    port::<dyn SubWithdrawalPort>()?
        .renew_password(&caller(), id, choice, &ceremony, &credential)
        .await
}

/// Unlocks a sub-account locked by wrong passwords, after a fresh passkey check.
#[server(prefix = "/api", endpoint = "withdrawal-forms/unlock")]
pub async fn unlock_code_withdrawal(
    id: SubWithdrawalId,
    ceremony: String,
    credential: String,
) -> Result<SubWithdrawal, AppError> {
    port::<dyn SubWithdrawalPort>()?
        .unlock(&caller(), id, &ceremony, &credential)
        .await
}

/// Staff: ask the customer in this consultation to confirm a new password for a locked sub-account.
#[server(prefix = "/api", endpoint = "withdrawal-forms/ask-new-password")]
pub async fn ask_new_code_password(id: SubWithdrawalId) -> Result<SubWithdrawal, AppError> {
    port::<dyn SubWithdrawalPort>()?
        .ask_new_password(&caller(), id)
        .await
}

/// Staff: consultations that have ended, with what came of them.
#[server(prefix = "/api", endpoint = "consultations/history")]
pub async fn fetch_consultation_history() -> Result<Vec<ConsultationRecord>, AppError> {
    port::<dyn SubWithdrawalPort>()?.history(&caller()).await
}

/// An enrolled kiosk pays out a sub-account for its number and password.
#[server(prefix = "/api", endpoint = "kiosk/code")]
pub async fn kiosk_code_withdraw(
    number: String,
    password: String,
) -> Result<CodeReceipt, AppError> {
    let device = use_context::<shared::ports::KioskDevice>().unwrap_or_default();
    port::<dyn CodeKioskPort>()?
        .withdraw_with_code(device.0.as_deref(), &number, &password)
        .await
}

//! Hands `/api/*` requests to the Leptos server functions declared in `app::api`,
//! with the service ports they look up placed in their context.

use axum::{
    body::Body,
    extract::{Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use leptos::prelude::provide_context;
use shared::{
    ports::{
        AccountsPort, ApprovalsPort, AtmFleetPort, AuditPort, CardlessPort, CodeKioskPort,
        ConsultationPort, IdentityPort, InboxPort, KioskDevice, KioskPort, SubWithdrawalPort,
        SystemPort,
    },
    AppError,
};
use std::sync::Arc;

use super::AppState;

/// Registers every server function by name. Naming them also keeps the app
/// crate linked in: without a reference the linker drops it, and every call
/// would answer "Could not find a server function".
pub fn register() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<app::api::FetchServiceStatus>();
    register_explicit::<app::api::FetchMyAccounts>();
    register_explicit::<app::api::FetchStatement>();
    register_explicit::<app::api::BeginSignUp>();
    register_explicit::<app::api::FinishSignUp>();
    register_explicit::<app::api::BeginSignIn>();
    register_explicit::<app::api::FinishSignIn>();
    register_explicit::<app::api::SignOut>();
    register_explicit::<app::api::FetchMe>();
    register_explicit::<app::api::DemoSignIn>();
    register_explicit::<app::api::FetchAuditPage>();
    register_explicit::<app::api::FlagAdultWard>();
    register_explicit::<app::api::BeginAddPasskey>();
    register_explicit::<app::api::FinishAddPasskey>();
    register_explicit::<app::api::FetchInbox>();
    register_explicit::<app::api::MarkRead>();
    register_explicit::<app::api::FetchMyApprovals>();
    register_explicit::<app::api::BeginApprove>();
    register_explicit::<app::api::Approve>();
    register_explicit::<app::api::Decline>();
    register_explicit::<app::api::RaisePractice>();
    register_explicit::<app::api::FetchAtms>();
    register_explicit::<app::api::RegisterAtm>();
    register_explicit::<app::api::ReissueAtmCode>();
    register_explicit::<app::api::RefillAtm>();
    register_explicit::<app::api::RevokeAtm>();
    register_explicit::<app::api::EnrollKiosk>();
    register_explicit::<app::api::FetchThisKiosk>();
    register_explicit::<app::api::PrepareWithdrawal>();
    register_explicit::<app::api::FetchMyWithdrawals>();
    register_explicit::<app::api::CancelWithdrawal>();
    register_explicit::<app::api::KioskScan>();
    register_explicit::<app::api::KioskProgress>();
    register_explicit::<app::api::AskConsultation>();
    register_explicit::<app::api::FetchMyConsultation>();
    register_explicit::<app::api::FetchConsultationQueue>();
    register_explicit::<app::api::TakeConsultation>();
    register_explicit::<app::api::SayInConsultation>();
    register_explicit::<app::api::FetchConsultationMessages>();
    register_explicit::<app::api::EndConsultation>();
    register_explicit::<app::api::SignalConsultation>();
    register_explicit::<app::api::FetchIceServers>();
    register_explicit::<app::api::PushWithdrawalForm>();
    register_explicit::<app::api::FetchWithdrawalForms>();
    register_explicit::<app::api::FetchMyCodeWithdrawals>();
    register_explicit::<app::api::OpenWithdrawalForm>();
    register_explicit::<app::api::BeginConfirmWithdrawal>();
    register_explicit::<app::api::ConfirmWithdrawal>();
    register_explicit::<app::api::CancelWithdrawalForm>();
    register_explicit::<app::api::BeginCodePasskey>();
    register_explicit::<app::api::RenewCodePassword>();
    register_explicit::<app::api::UnlockCodeWithdrawal>();
    register_explicit::<app::api::FetchConsultationHistory>();
    register_explicit::<app::api::AskNewCodePassword>();
    register_explicit::<app::api::KioskCodeWithdraw>();
}

pub async fn handle(State(state): State<AppState>, req: Request<Body>) -> Response {
    let system: Arc<dyn SystemPort> = state.system.clone();
    let accounts: Arc<dyn AccountsPort> = state.accounts.clone();
    let identity: Arc<dyn IdentityPort> = state.identity.clone();
    let audit: Arc<dyn AuditPort> = state.audit.clone();
    let inbox: Arc<dyn InboxPort> = state.notifier.clone();
    let approvals: Arc<dyn ApprovalsPort> = state.approvals.clone();
    let atms: Arc<dyn AtmFleetPort> = state.atms.clone();
    let cardless: Arc<dyn CardlessPort> = state.cardless.clone();
    let kiosk: Arc<dyn KioskPort> = state.cardless.clone();
    let consultations: Arc<dyn ConsultationPort> = state.consultations.clone();
    let sub_withdrawals: Arc<dyn SubWithdrawalPort> = state.sub_withdrawals.clone();
    let code_kiosk: Arc<dyn CodeKioskPort> = state.sub_withdrawals.clone();
    let cookies = req
        .headers()
        .get(http::header::COOKIE)
        .and_then(|v| v.to_str().ok());
    let caller = state.identity.caller_for_cookie(cookies).await;
    let device = KioskDevice(
        cookies.and_then(|c| crate::identity::session::named_cookie(c, crate::atms::COOKIE_NAME)),
    );
    let response = leptos_axum::handle_server_fns_with_context(
        move || {
            provide_context(system.clone());
            provide_context(accounts.clone());
            provide_context(identity.clone());
            provide_context(audit.clone());
            provide_context(inbox.clone());
            provide_context(approvals.clone());
            provide_context(atms.clone());
            provide_context(cardless.clone());
            provide_context(kiosk.clone());
            provide_context(consultations.clone());
            provide_context(sub_withdrawals.clone());
            provide_context(code_kiosk.clone());
            provide_context(device.clone());
            provide_context(caller.clone());
        },
        req,
    )
    .await
    .into_response();
    with_error_status(response).await
}

/// Server functions answer every error with 500; this gives an `AppError`
/// answer the status that fits it (401, 404, 422…), so clients, logs and
/// monitoring see what happened. Bodies are small JSON errors.
async fn with_error_status(response: Response) -> Response {
    if !response.status().is_server_error() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.http_status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, Body::from(bytes))
}

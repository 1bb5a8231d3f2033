//! Server functions: the views' only door to the server.
//!
//! Each body looks up a service port (see `shared::ports`, and each flow's
//! own `port` module) that the server placed in the request's context and
//! delegates to it; each flow's server functions sit in a module of their
//! own. Endpoints are named explicitly so the browser and the server agree
//! on URLs wherever each was built.

mod cardless;
mod delegation;
mod kyc;
mod machine;
mod purchase;
mod sub_withdrawal;
mod transfer;

pub use cardless::*;
pub use delegation::*;
pub use kyc::*;
pub use machine::*;
pub use purchase::*;
pub use sub_withdrawal::*;
pub use transfer::*;

use leptos::prelude::*;
use shared::{
    approval::{Approval, ApprovalList},
    atm::{Atm, AtmEnrollment, NewAtm},
    consultation::{ChatMessage, Consultation, IceServer},
    events::{CallSignal, Inbox},
    identity::{Ceremony, Me, SignUpForm},
    ids::{AccountId, ApprovalId, AtmId, ConsultationId, MessageId, TransferId},
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

/// Staff only: marks a customer as an adult of restricted capacity, or clears it.
#[server(prefix = "/api", endpoint = "identity/adult-ward")]
pub async fn flag_adult_ward(nickname: String, ward: bool) -> Result<Me, AppError> {
    port::<dyn shared::ports::IdentityPort>()?
        .flag_adult_ward(&caller(), &nickname, ward)
        .await
}

/// Starts registering a passkey on this device for the signed-in person.
#[server(prefix = "/api", endpoint = "identity/passkeys/begin")]
pub async fn begin_add_passkey() -> Result<Ceremony, AppError> {
    port::<dyn shared::ports::IdentityPort>()?
        .begin_add_passkey(&caller())
        .await
}

#[server(prefix = "/api", endpoint = "identity/passkeys/finish")]
pub async fn finish_add_passkey(ceremony: String, credential: String) -> Result<(), AppError> {
    port::<dyn shared::ports::IdentityPort>()?
        .finish_add_passkey(&caller(), &ceremony, &credential)
        .await
}

/// The signed-in person's inbox, newest first, older than `before`.
#[server(prefix = "/api", endpoint = "inbox/page")]
pub async fn fetch_inbox(before: Option<i64>) -> Result<Inbox, AppError> {
    port::<dyn shared::ports::InboxPort>()?
        .inbox(&caller(), before)
        .await
}

/// Marks the inbox read up to event `up_to`; returns how many are still unread.
#[server(prefix = "/api", endpoint = "inbox/read")]
pub async fn mark_read(up_to: i64) -> Result<i64, AppError> {
    port::<dyn shared::ports::InboxPort>()?
        .mark_read(&caller(), up_to)
        .await
}

/// Requests the signed-in person must decide, and their latest decided ones.
#[server(prefix = "/api", endpoint = "approvals/mine")]
pub async fn fetch_my_approvals() -> Result<ApprovalList, AppError> {
    port::<dyn shared::ports::ApprovalsPort>()?
        .my_approvals(&caller())
        .await
}

/// A passkey challenge bound to this request.
#[server(prefix = "/api", endpoint = "approvals/approve/begin")]
pub async fn begin_approve(id: ApprovalId) -> Result<Ceremony, AppError> {
    port::<dyn shared::ports::ApprovalsPort>()?
        .begin_approve(&caller(), id)
        .await
}

/// Approves with the passkey assertion and, where asked, the device's position.
#[server(prefix = "/api", endpoint = "approvals/approve/finish")]
pub async fn approve(
    id: ApprovalId,
    ceremony: String,
    credential: String,
    lat: Option<f64>,
    lon: Option<f64>,
    accuracy_m: Option<f64>,
) -> Result<Approval, AppError> {
    let position = match (lat, lon) {
        (Some(lat), Some(lon)) => Some(shared::approval::Position {
            lat,
            lon,
            // Without an accuracy nothing can be concluded from the point.
            accuracy_m: accuracy_m.unwrap_or(f64::NAN),
        }),
        _ => None,
    };
    port::<dyn shared::ports::ApprovalsPort>()?
        .approve(&caller(), id, &ceremony, &credential, position)
        .await
}

#[server(prefix = "/api", endpoint = "approvals/decline")]
pub async fn decline(id: ApprovalId) -> Result<Approval, AppError> {
    port::<dyn shared::ports::ApprovalsPort>()?
        .decline(&caller(), id)
        .await
}

/// Demo mode only: raises a practice request for the signed-in person.
#[server(prefix = "/api", endpoint = "approvals/practice")]
pub async fn raise_practice(near_atm: bool, seconds: u32) -> Result<Approval, AppError> {
    port::<dyn shared::ports::ApprovalsPort>()?
        .raise_practice(&caller(), near_atm, seconds)
        .await
}

/// Staff only: the ATM fleet with each machine's cash.
#[server(prefix = "/api", endpoint = "atms/list")]
pub async fn fetch_atms() -> Result<Vec<Atm>, AppError> {
    port::<dyn shared::ports::AtmFleetPort>()?
        .atms(&caller())
        .await
}

/// Staff only: registers a machine, loads its cash, returns its one-time kiosk code.
#[server(prefix = "/api", endpoint = "atms/register")]
pub async fn register_atm(atm: NewAtm) -> Result<AtmEnrollment, AppError> {
    port::<dyn shared::ports::AtmFleetPort>()?
        .register_atm(&caller(), atm)
        .await
}

/// Staff only: a fresh kiosk code; the enrolled kiosk (if any) stops working.
#[server(prefix = "/api", endpoint = "atms/reissue")]
pub async fn reissue_atm_code(id: AtmId) -> Result<AtmEnrollment, AppError> {
    port::<dyn shared::ports::AtmFleetPort>()?
        .reissue_code(&caller(), id)
        .await
}

/// Staff only: adds cash; `key` (chosen by the page) makes a retry count once.
#[server(prefix = "/api", endpoint = "atms/refill")]
pub async fn refill_atm(id: AtmId, yen: shared::Yen, key: String) -> Result<Atm, AppError> {
    port::<dyn shared::ports::AtmFleetPort>()?
        .refill(&caller(), id, yen, &key)
        .await
}

#[server(prefix = "/api", endpoint = "atms/revoke")]
pub async fn revoke_atm(id: AtmId) -> Result<Atm, AppError> {
    port::<dyn shared::ports::AtmFleetPort>()?
        .revoke(&caller(), id)
        .await
}

/// A kiosk browser enters its machine's one-time code and becomes that machine.
#[server(prefix = "/api", endpoint = "kiosk/enroll")]
pub async fn enroll_kiosk(code: String) -> Result<Atm, AppError> {
    let (atm, cookie) = port::<dyn shared::ports::AtmFleetPort>()?
        .enroll_kiosk(&code)
        .await?;
    set_cookie(&cookie);
    Ok(atm)
}

/// The machine this kiosk browser is, or `None` before enrollment.
#[server(prefix = "/api", endpoint = "kiosk/me")]
pub async fn fetch_this_kiosk() -> Result<Option<Atm>, AppError> {
    let device: shared::ports::KioskDevice = use_context().unwrap_or_default();
    port::<dyn shared::ports::AtmFleetPort>()?
        .this_kiosk(device.0.as_deref())
        .await
}

/// A customer asks to talk to the bank (one open consultation at a time).
#[server(prefix = "/api", endpoint = "consultations/ask")]
pub async fn ask_consultation(topic: String) -> Result<Consultation, AppError> {
    port::<dyn shared::ports::ConsultationPort>()?
        .ask(&caller(), &topic)
        .await
}

/// The customer's open consultation, if any.
#[server(prefix = "/api", endpoint = "consultations/mine")]
pub async fn fetch_my_consultation() -> Result<Option<Consultation>, AppError> {
    port::<dyn shared::ports::ConsultationPort>()?
        .mine(&caller())
        .await
}

/// Staff: the waiting queue, then the consultations this clerk has taken.
#[server(prefix = "/api", endpoint = "consultations/queue")]
pub async fn fetch_consultation_queue() -> Result<Vec<Consultation>, AppError> {
    port::<dyn shared::ports::ConsultationPort>()?
        .queue(&caller())
        .await
}

/// Staff: take a waiting consultation.
#[server(prefix = "/api", endpoint = "consultations/take")]
pub async fn take_consultation(id: ConsultationId) -> Result<Consultation, AppError> {
    port::<dyn shared::ports::ConsultationPort>()?
        .take(&caller(), id)
        .await
}

/// Either side says something in the consultation's chat.
#[server(prefix = "/api", endpoint = "consultations/say")]
pub async fn say_in_consultation(
    id: ConsultationId,
    text: String,
) -> Result<ChatMessage, AppError> {
    port::<dyn shared::ports::ConsultationPort>()?
        .say(&caller(), id, &text)
        .await
}

/// The consultation's chat so far, after `after` when given.
#[server(prefix = "/api", endpoint = "consultations/messages")]
pub async fn fetch_consultation_messages(
    id: ConsultationId,
    after: Option<MessageId>,
) -> Result<Vec<ChatMessage>, AppError> {
    port::<dyn shared::ports::ConsultationPort>()?
        .messages(&caller(), id, after)
        .await
}

/// Either side ends the consultation (a customer may withdraw a waiting one).
#[server(prefix = "/api", endpoint = "consultations/end")]
pub async fn end_consultation(id: ConsultationId) -> Result<Consultation, AppError> {
    port::<dyn shared::ports::ConsultationPort>()?
        .end(&caller(), id)
        .await
}

/// The STUN/TURN servers the browser uses for consultation video.
#[server(prefix = "/api", endpoint = "consultations/ice-servers")]
pub async fn fetch_ice_servers() -> Result<Vec<IceServer>, AppError> {
    port::<dyn shared::ports::ConsultationPort>()?
        .ice_servers(&caller())
        .await
}

/// Relays a video call's signal to the other side of an active consultation.
/// Sent as JSON: SDP text is long and full of line breaks.
#[server(prefix = "/api", endpoint = "consultations/signal", input = leptos::server_fn::codec::Json)]
pub async fn signal_consultation(id: ConsultationId, signal: CallSignal) -> Result<(), AppError> {
    port::<dyn shared::ports::ConsultationPort>()?
        .signal(&caller(), id, signal)
        .await
}

/// Names every server function, for the server to answer them; each flow
/// names its own.
#[cfg(feature = "ssr")]
pub fn register() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<FetchServiceStatus>();
    register_explicit::<FetchMyAccounts>();
    register_explicit::<FetchStatement>();
    register_explicit::<BeginSignUp>();
    register_explicit::<FinishSignUp>();
    register_explicit::<BeginSignIn>();
    register_explicit::<FinishSignIn>();
    register_explicit::<SignOut>();
    register_explicit::<FetchMe>();
    register_explicit::<DemoSignIn>();
    register_explicit::<FetchAuditPage>();
    register_explicit::<FlagAdultWard>();
    register_explicit::<BeginAddPasskey>();
    register_explicit::<FinishAddPasskey>();
    register_explicit::<FetchInbox>();
    register_explicit::<MarkRead>();
    register_explicit::<FetchMyApprovals>();
    register_explicit::<BeginApprove>();
    register_explicit::<Approve>();
    register_explicit::<Decline>();
    register_explicit::<RaisePractice>();
    register_explicit::<FetchAtms>();
    register_explicit::<RegisterAtm>();
    register_explicit::<ReissueAtmCode>();
    register_explicit::<RefillAtm>();
    register_explicit::<RevokeAtm>();
    register_explicit::<EnrollKiosk>();
    register_explicit::<FetchThisKiosk>();
    register_explicit::<AskConsultation>();
    register_explicit::<FetchMyConsultation>();
    register_explicit::<FetchConsultationQueue>();
    register_explicit::<TakeConsultation>();
    register_explicit::<SayInConsultation>();
    register_explicit::<FetchConsultationMessages>();
    register_explicit::<EndConsultation>();
    register_explicit::<SignalConsultation>();
    register_explicit::<FetchIceServers>();
    cardless::register();
    delegation::register();
    kyc::register();
    machine::register();
    purchase::register();
    sub_withdrawal::register();
    transfer::register();
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
pub(crate) fn caller() -> shared::ports::Caller {
    use_context().unwrap_or(shared::ports::Caller::Anonymous)
}

/// The service implementing port `T`, as provided by the server.
#[cfg(feature = "ssr")]
pub(crate) fn port<T: ?Sized + Send + Sync + 'static>() -> Result<std::sync::Arc<T>, AppError> {
    use_context::<std::sync::Arc<T>>().ok_or_else(|| AppError::Internal {
        reference: "missing-port".into(),
    })
}

//! Service ports: what the views may ask of the server's core services.
//! Each flow's own ports sit in its module (`cardless::port`,
//! `sub_withdrawal::port`), so adding a flow does not touch this file.
//!
//! The server implements these traits and places them in the server functions'
//! context; a server function's body only looks its port up and delegates, so
//! no business rule lives in view code.

use async_trait::async_trait;

use crate::{
    approval::{Approval, ApprovalList, Position},
    atm::{Atm, AtmEnrollment, NewAtm},
    audit::AuditPage,
    consultation::{ChatMessage, Consultation, IceServer},
    events::{CallSignal, Inbox},
    identity::{Ceremony, Me, Role, SignUpForm, SignedIn},
    ids::{
        AccountId, ApiClientId, ApprovalId, AtmId, ConsultationId, MessageId, TransferId, UserId,
    },
    ledger::{AccountBalance, StatementPage},
    machine::{ClientKind, Scope},
    system::ServiceStatus,
    AppError,
};

/// Who is asking, as far as the server could tell from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// A signed-in person, their role, and the (hashed) session they came with.
    User {
        id: UserId,
        role: Role,
        session: String,
    },
    /// A client of the machine API (`/v1`), with the scopes staff gave it.
    Client {
        id: ApiClientId,
        kind: ClientKind,
        scopes: Vec<Scope>,
    },
}

impl Caller {
    /// Anyone signed in: `Unauthenticated` for someone who is not.
    pub fn require_user(&self) -> Result<UserId, AppError> {
        match self {
            Caller::User { id, .. } => Ok(*id),
            Caller::Client { .. } => Err(AppError::Forbidden),
            Caller::Anonymous => Err(AppError::Unauthenticated),
        }
    }

    /// An API client granted `scope`.
    pub fn require_scope(&self, scope: Scope) -> Result<ApiClientId, AppError> {
        match self {
            Caller::Client { id, scopes, .. } if scopes.contains(&scope) => Ok(*id),
            Caller::Client { .. } | Caller::User { .. } => Err(AppError::Forbidden),
            Caller::Anonymous => Err(AppError::Unauthenticated),
        }
    }

    /// Staff only: `Unauthenticated` for someone not signed in, `Forbidden` for others.
    pub fn require_staff(&self) -> Result<UserId, AppError> {
        match self {
            Caller::User {
                id,
                role: Role::Staff,
                ..
            } => Ok(*id),
            Caller::User { .. } | Caller::Client { .. } => Err(AppError::Forbidden),
            Caller::Anonymous => Err(AppError::Unauthenticated),
        }
    }
}

/// The kiosk credential a request carried (the `anshin_atm` cookie), if any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KioskDevice(pub Option<String>);

/// Facts about the running service.
#[async_trait]
pub trait SystemPort: Send + Sync {
    async fn service_status(&self) -> Result<ServiceStatus, AppError>;
}

/// The caller's own accounts: balances and statements.
#[async_trait]
pub trait AccountsPort: Send + Sync {
    async fn my_accounts(&self, caller: &Caller) -> Result<Vec<AccountBalance>, AppError>;
    async fn my_statement(
        &self,
        caller: &Caller,
        account: AccountId,
        before: Option<TransferId>,
    ) -> Result<StatementPage, AppError>;
}

/// Passkey sign-up and sign-in, and the session that follows.
#[async_trait]
pub trait IdentityPort: Send + Sync {
    async fn begin_sign_up(&self, form: SignUpForm) -> Result<Ceremony, AppError>;
    async fn finish_sign_up(
        &self,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<SignedIn, AppError>;
    async fn begin_sign_in(&self) -> Result<Ceremony, AppError>;
    async fn finish_sign_in(
        &self,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<SignedIn, AppError>;
    /// Demo mode only: signs in as a seeded persona (`hanako`, `taro`, `yoko`, `sato`).
    async fn demo_sign_in(&self, persona: &str) -> Result<SignedIn, AppError>;
    /// The signed-in person, or `None`.
    async fn me(&self, caller: &Caller) -> Result<Option<Me>, AppError>;
    /// Ends the caller's session; returns the `Set-Cookie` value that clears it.
    async fn sign_out(&self, caller: &Caller) -> Result<String, AppError>;
    /// Staff only: marks an adult as a ward of restricted capacity (or clears it).
    async fn flag_adult_ward(
        &self,
        caller: &Caller,
        nickname: &str,
        ward: bool,
    ) -> Result<Me, AppError>;
    /// Registers one more passkey (on this device) for the signed-in person.
    async fn begin_add_passkey(&self, caller: &Caller) -> Result<Ceremony, AppError>;
    async fn finish_add_passkey(
        &self,
        caller: &Caller,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<(), AppError>;
}

/// The signed-in person's inbox of live events.
#[async_trait]
pub trait InboxPort: Send + Sync {
    /// Newest first, older than `before`.
    async fn inbox(&self, caller: &Caller, before: Option<i64>) -> Result<Inbox, AppError>;
    /// Marks events up to `up_to` read; returns how many are still unread.
    async fn mark_read(&self, caller: &Caller, up_to: i64) -> Result<i64, AppError>;
}

/// Requests the signed-in person must decide.
#[async_trait]
pub trait ApprovalsPort: Send + Sync {
    async fn my_approvals(&self, caller: &Caller) -> Result<ApprovalList, AppError>;
    /// A passkey challenge bound to this request and this person.
    async fn begin_approve(&self, caller: &Caller, id: ApprovalId) -> Result<Ceremony, AppError>;
    /// Approves with the passkey assertion for that challenge and, where the
    /// request names a place, the device's position.
    async fn approve(
        &self,
        caller: &Caller,
        id: ApprovalId,
        ceremony: &str,
        credential_json: &str,
        position: Option<Position>,
    ) -> Result<Approval, AppError>;
    /// Declining needs no passkey: saying no is always safe.
    async fn decline(&self, caller: &Caller, id: ApprovalId) -> Result<Approval, AppError>;
    /// Demo mode only: asks the caller to decide a practice request.
    async fn raise_practice(
        &self,
        caller: &Caller,
        near_atm: bool,
        seconds: u32,
    ) -> Result<Approval, AppError>;
}

/// The audit trail, for staff to browse.
#[async_trait]
pub trait AuditPort: Send + Sync {
    /// Newest first, older than `before`.
    async fn audit_page(&self, caller: &Caller, before: Option<i64>)
        -> Result<AuditPage, AppError>;
}

/// The ATM fleet: staff register, refill and revoke machines; a kiosk
/// browser becomes one by entering its one-time code.
#[async_trait]
pub trait AtmFleetPort: Send + Sync {
    /// Staff only.
    async fn atms(&self, caller: &Caller) -> Result<Vec<Atm>, AppError>;
    /// Staff only: opens the machine's cash cassette, loads its cash, and
    /// returns its one-time enrollment code.
    async fn register_atm(&self, caller: &Caller, atm: NewAtm) -> Result<AtmEnrollment, AppError>;
    /// Staff only: a fresh enrollment code (the old kiosk credential stops working).
    async fn reissue_code(&self, caller: &Caller, id: AtmId) -> Result<AtmEnrollment, AppError>;
    /// Staff only: adds cash; `key` makes a retried refill count once.
    async fn refill(
        &self,
        caller: &Caller,
        id: AtmId,
        yen: crate::Yen,
        key: &str,
    ) -> Result<Atm, AppError>;
    /// Staff only: takes the machine out of service.
    async fn revoke(&self, caller: &Caller, id: AtmId) -> Result<Atm, AppError>;
    /// A kiosk enters a code; returns the machine and the `Set-Cookie` for its credential.
    async fn enroll_kiosk(&self, code: &str) -> Result<(Atm, String), AppError>;
    /// The machine this kiosk browser is (from its credential cookie), if any.
    async fn this_kiosk(&self, device: Option<&str>) -> Result<Option<Atm>, AppError>;
}

/// Remote consultations: customers ask, clerks take them, both talk.
#[async_trait]
pub trait ConsultationPort: Send + Sync {
    /// A customer asks to talk to the bank; one open consultation at a time.
    async fn ask(&self, caller: &Caller, topic: &str) -> Result<Consultation, AppError>;
    /// The caller's open consultation (a customer's), if any.
    async fn mine(&self, caller: &Caller) -> Result<Option<Consultation>, AppError>;
    /// Staff: the waiting queue (oldest first), then the consultations this clerk has taken.
    async fn queue(&self, caller: &Caller) -> Result<Vec<Consultation>, AppError>;
    /// Staff: takes a waiting consultation; only one clerk can.
    async fn take(&self, caller: &Caller, id: ConsultationId) -> Result<Consultation, AppError>;
    /// Either side of an active consultation says something in its chat.
    async fn say(
        &self,
        caller: &Caller,
        id: ConsultationId,
        text: &str,
    ) -> Result<ChatMessage, AppError>;
    /// The chat so far (after `after`, when given), oldest first, for either side.
    async fn messages(
        &self,
        caller: &Caller,
        id: ConsultationId,
        after: Option<MessageId>,
    ) -> Result<Vec<ChatMessage>, AppError>;
    /// Either side ends it; a customer may also withdraw one still waiting.
    async fn end(&self, caller: &Caller, id: ConsultationId) -> Result<Consultation, AppError>;
    /// The STUN/TURN servers for video calls, for anyone signed in.
    async fn ice_servers(&self, caller: &Caller) -> Result<Vec<IceServer>, AppError>;
    /// Relays a video call's signal to the other side of an active
    /// consultation, for its open pages only (nothing is kept).
    async fn signal(
        &self,
        caller: &Caller,
        id: ConsultationId,
        signal: CallSignal,
    ) -> Result<(), AppError>;
}

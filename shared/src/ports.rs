//! Service ports: what the views may ask of the server.
//!
//! The server implements these traits and places them in the server functions'
//! context; a server function's body only looks its port up and delegates, so
//! no business rule lives in view code.

use async_trait::async_trait;

use crate::{
    audit::AuditPage,
    identity::{Ceremony, Me, Role, SignUpForm, SignedIn},
    ids::{AccountId, TransferId, UserId},
    ledger::{AccountBalance, StatementPage},
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
}

impl Caller {
    /// Staff only: `Unauthenticated` for someone not signed in, `Forbidden` for others.
    pub fn require_staff(&self) -> Result<UserId, AppError> {
        match self {
            Caller::User {
                id,
                role: Role::Staff,
                ..
            } => Ok(*id),
            Caller::User { .. } => Err(AppError::Forbidden),
            Caller::Anonymous => Err(AppError::Unauthenticated),
        }
    }
}

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
}

/// The audit trail, for staff to browse.
#[async_trait]
pub trait AuditPort: Send + Sync {
    /// Newest first, older than `before`.
    async fn audit_page(&self, caller: &Caller, before: Option<i64>)
        -> Result<AuditPage, AppError>;
}

//! Service ports: what the views may ask of the server.
//!
//! The server implements these traits and places them in the server functions'
//! context; a server function's body only looks its port up and delegates, so
//! no business rule lives in view code.

use async_trait::async_trait;

use crate::{
    ids::{AccountId, TransferId},
    ledger::{AccountBalance, StatementPage},
    system::ServiceStatus,
    AppError,
};

/// Who is asking, as far as the server could tell from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// Someone who holds accounts, by their holder reference (`user:42`).
    Holder(String),
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

//! The customer's accounts as the views see them: balances and statements,
//! only ever of the caller's own accounts.

use async_trait::async_trait;
use shared::{
    ids::{AccountId, TransferId},
    ledger::{AccountBalance, StatementPage},
    ports::{AccountsPort, Caller},
    AppError,
};

use crate::ledger::Ledger;

/// Lines per statement page in the customer view.
pub const STATEMENT_PAGE: i64 = 20;

#[derive(Debug, Clone)]
pub struct AccountsService {
    ledger: Ledger,
}

impl AccountsService {
    pub fn new(ledger: Ledger) -> Self {
        Self { ledger }
    }
}

fn holder(caller: &Caller) -> Result<String, AppError> {
    match caller {
        Caller::User { id, .. } => Ok(crate::identity::holder(*id)),
        Caller::Client { .. } => Err(AppError::Forbidden),
        Caller::Anonymous => Err(AppError::Unauthenticated),
    }
}

#[async_trait]
impl AccountsPort for AccountsService {
    async fn my_accounts(&self, caller: &Caller) -> Result<Vec<AccountBalance>, AppError> {
        Ok(self.ledger.accounts_of(&holder(caller)?).await?)
    }

    async fn my_statement(
        &self,
        caller: &Caller,
        account: AccountId,
        before: Option<TransferId>,
    ) -> Result<StatementPage, AppError> {
        let me = holder(caller)?;
        // Someone else's account answers as if it did not exist.
        if self.ledger.holder_of(account).await?.as_deref() != Some(me.as_str()) {
            return Err(AppError::NotFound);
        }
        Ok(self
            .ledger
            .statement(account, before, STATEMENT_PAGE)
            .await?)
    }
}

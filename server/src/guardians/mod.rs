//! Guardians and the minors (or adult wards) in their care (flow F4): the
//! relationship check a remittance system asks before a guardian pays a
//! minor, and the app's own allowance, which relies on the same check. The
//! check answers only "yes, since then" or "no": an unknown account, no
//! link and a link not yet verified all read as "no", so the answer tells
//! a caller nothing more about anyone.

mod allowance;

use async_trait::async_trait;
use leptos::prelude::provide_context;
use shared::{
    allowance::{AllowancePort, MAX_ALLOWANCE_YEN},
    ids::{AccountId, UserId},
    ledger::Transfer,
    machine::Scope,
    money::{Currency, Money},
    ports::Caller,
    transfer::send::To,
    AppError, Reason,
};
use std::sync::Arc;

use crate::{
    db::Db,
    flow::Flow,
    identity::{holder, store, user_of},
    ledger::{client_key, Ledger},
};

#[derive(Debug, Clone)]
pub struct Guardians {
    db: Db,
    ledger: Ledger,
}

fn account(field: &'static str, typed: &str) -> Result<AccountId, AppError> {
    match To::parse(typed).map_err(|r| AppError::invalid(field, r))? {
        To::Account(a) => Ok(a),
        To::Nickname(_) => Err(AppError::invalid(field, Reason::Malformed)),
    }
}

impl Guardians {
    pub fn new(db: Db, ledger: Ledger) -> Self {
        Guardians { db, ledger }
    }

    /// Since when (ms) the holder of the account numbered `guardian` is the
    /// verified guardian of the holder of the account numbered `minor`.
    pub async fn verified_since(
        &self,
        caller: &Caller,
        guardian: &str,
        minor: &str,
    ) -> Result<Option<i64>, AppError> {
        caller.require_scope(Scope::RelationshipsRead)?;
        let (g, m) = (account("guardian", guardian)?, account("minor", minor)?);
        let (Some(g), Some(m)) = (
            self.ledger.holder_of(g).await?,
            self.ledger.holder_of(m).await?,
        ) else {
            return Ok(None);
        };
        let (Some(g), Some(m)) = (user_of(&g), user_of(&m)) else {
            return Ok(None);
        };
        Ok(store::verified_guardian_since(self.db.pool(), g, m).await?)
    }
}

impl Guardians {
    /// `user`'s ordinary account in yen.
    async fn main_account(&self, user: UserId, field: &str) -> Result<AccountId, AppError> {
        self.ledger
            .main_account_of(&holder(user))
            .await?
            .filter(|a| a.currency == Currency::Jpy)
            .map(|a| a.id)
            .ok_or_else(|| AppError::invalid(field, Reason::UnknownAccount))
    }
}

#[async_trait]
impl AllowancePort for Guardians {
    async fn send_allowance(
        &self,
        caller: &Caller,
        minor: UserId,
        amount: Money,
        key: String,
    ) -> Result<Transfer, AppError> {
        let guardian = caller.require_user()?;
        let key = client_key(&key)?;
        if amount.currency != Currency::Jpy {
            return Err(AppError::invalid("amount", Reason::CurrencyMismatch));
        }
        if amount.amount_minor <= 0 {
            return Err(AppError::invalid("amount", Reason::NotPositive));
        }
        if amount.amount_minor > MAX_ALLOWANCE_YEN {
            return Err(AppError::invalid("amount", Reason::OverTransferLimit));
        }
        // Someone not in the guardian's verified care reads as unknown.
        if store::verified_guardian_since(self.db.pool(), guardian, minor)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound);
        }
        let name = store::user(&self.db, guardian)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        let job = allowance::Allowance {
            guardian,
            guardian_name: name,
            minor,
            from: self.main_account(guardian, "from").await?,
            to: self.main_account(minor, "minor").await?,
            amount,
            key,
        };
        Ok(self.ledger.run(allowance::FLOW_SCOPE, job).await?)
    }
}

impl Flow for Guardians {
    fn provide_ports(&self) {
        provide_context::<Arc<dyn AllowancePort>>(Arc::new(self.clone()));
    }
}

//! Guardians and the minors (or adult wards) in their care (flow F4). So
//! far: the relationship check a remittance system asks before a guardian
//! pays a minor. It answers only "yes, since then" or "no": an unknown
//! account, no link and a link not yet verified all read as "no", so the
//! answer tells a caller nothing more about anyone.

use shared::{ids::AccountId, machine::Scope, ports::Caller, transfer::send::To, AppError, Reason};

use crate::{
    db::Db,
    identity::{store, user_of},
    ledger::Ledger,
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
        Ok(store::verified_guardian_since(&self.db, g, m).await?)
    }
}

//! Cardless withdrawals (flow F2), the phone's side: preparing one reserves
//! the amount at once as a ledger hold from the customer's account to the
//! platform's cardless clearing account, and returns two codes shown only
//! then: a QR token (256 bits, SHA-256-hashed) and a short code for typing
//! (the withdrawal's number and six secret digits, argon2id-hashed). The
//! fee is reserved with the amount and taken only with the cash. Cancel or
//! expiry releases the hold. Limits: whole thousands, per withdrawal and
//! per day (Japan time).

mod doors;
mod jobs;
mod kiosk;
pub mod store;

pub use kiosk::NEAR_ATM_M;

use crate::identity::secret;
use async_trait::async_trait;
use shared::{
    cardless::port::CardlessPort,
    cardless::{
        check_amount, CashOverview, Prepared, Withdrawal, WithdrawalState, MAX_PER_DAY_YEN,
    },
    ids::{AccountId, WithdrawalId},
    ledger::AccountKind,
    money::Money,
    ports::Caller,
    AppError, Reason, Yen,
};

use crate::{
    db::Db,
    error::Error,
    identity::{holder, session},
    ledger::{client_key, Ledger},
    system::now_ms,
};

const SCOPE: &str = "cardless";
const CLEARING_SETTING: &str = "cardless_clearing_account";
/// Withdrawals listed for the customer.
const LISTED: i64 = 20;
/// How long past its code's expiry a scanned withdrawal may still be dispensed.
const HOLD_GRACE_MS: i64 = 60_000;

#[derive(Debug, Clone)]
pub struct Cardless {
    db: Db,
    ledger: Ledger,
    atms: std::sync::Arc<dyn crate::atms::Kiosks>,
    approvals: crate::approvals::Approvals,
    notifier: crate::notify::Notifier,
    terms: Terms,
}

/// How a cardless withdrawal service is set up.
#[derive(Debug, Clone, Copy)]
pub struct Terms {
    /// How long a prepared withdrawal waits for an ATM.
    pub ttl_ms: i64,
    /// The fee for one withdrawal, in yen.
    pub fee_yen: i64,
}

/// What a kiosk recognises a cardless QR payload by.
pub const QR_PREFIX: &str = "anshin:cw:";

/// The QR payload for a token: a scheme the kiosk recognises, then the token.
pub fn qr_payload(token: &str) -> String {
    format!("{QR_PREFIX}{token}")
}

fn new_pin() -> String {
    use rand::Rng;
    format!("{:06}", rand::rng().random_range(0..1_000_000))
}

impl Cardless {
    pub fn new(
        db: Db,
        ledger: Ledger,
        atms: std::sync::Arc<dyn crate::atms::Kiosks>,
        approvals: crate::approvals::Approvals,
        notifier: crate::notify::Notifier,
        terms: Terms,
    ) -> Self {
        Cardless {
            db,
            ledger,
            atms,
            approvals,
            notifier,
            terms,
        }
    }

    /// Fresh codes, and their hashes for storage.
    fn codes(&self) -> Result<(String, String, String, String), AppError> {
        let token = session::new_token();
        let pin = new_pin();
        let pin_hash = secret::hash(&pin)?;
        Ok((session::hash(&token), token, pin_hash, pin))
    }

    /// Ends an open withdrawal as `state`, releasing its hold, in one
    /// ledger job; `true` when this call ended it (another may have first).
    async fn end(
        &self,
        found: &store::Stored,
        state: WithdrawalState,
        actor: &str,
    ) -> Result<bool, Error> {
        let job = jobs::End {
            id: found.withdrawal.id,
            owner: found.owner,
            hold: found.hold,
            approval: found.approval,
            state,
            actor: actor.to_string(),
        };
        self.ledger.run(SCOPE, job).await
    }

    async fn clearing(&self) -> Result<AccountId, Error> {
        Ok(self
            .ledger
            .platform_account(CLEARING_SETTING, AccountKind::Funding, "Cardless clearing")
            .await?)
    }

    /// Expires open withdrawals past their time; returns how many.
    pub async fn expire_due(&self) -> Result<usize, Error> {
        let mut n = 0;
        for id in store::overdue(&self.db, now_ms(), HOLD_GRACE_MS).await? {
            if let Some(found) = store::get(self.db.pool(), id).await? {
                if self.end(&found, WithdrawalState::Expired, "system").await? {
                    n += 1;
                }
            }
        }
        Ok(n)
    }
}

#[async_trait]
impl crate::due::DueWork for Cardless {
    fn what(&self) -> &'static str {
        "expired cardless codes"
    }

    async fn run_due(&self) -> Result<usize, Error> {
        self.expire_due().await
    }
}

#[async_trait]
impl CardlessPort for Cardless {
    async fn prepare(
        &self,
        caller: &Caller,
        account: AccountId,
        yen: Yen,
        request_key: &str,
    ) -> Result<Prepared, AppError> {
        let user = caller.require_user()?;
        let amount = check_amount(yen).map_err(|reason| AppError::invalid("amount", reason))?;
        let client_key = client_key(request_key)?;
        // Someone else's account does not exist for this caller; nor, for cash, does a
        // withdrawal sub-account (its money is promised to the code that goes with it).
        if self.ledger.holder_of(account).await?.as_deref() != Some(holder(user).as_str())
            || self.ledger.balance(account).await?.kind != AccountKind::CustomerMain
        {
            return Err(AppError::NotFound);
        }
        let (token_hash, token, pin_hash, pin) = self.codes()?;
        let job = jobs::Prepare {
            owner: user,
            account,
            clearing: self.clearing().await?,
            amount,
            fee_yen: self.terms.fee_yen,
            client_key,
            token_hash,
            pin_hash,
            ttl_ms: self.terms.ttl_ms,
            // Longer than the code: a confirmation just before expiry can still be dispensed.
            timeout_ms: self.terms.ttl_ms + 2 * HOLD_GRACE_MS,
        };
        let found = self.ledger.run(SCOPE, job).await?;
        let id = found.withdrawal.id;
        Ok(Prepared {
            withdrawal: found.withdrawal,
            qr_payload: qr_payload(&token),
            short_code: format!("{id}-{pin}"),
        })
    }

    async fn my_withdrawals(&self, caller: &Caller) -> Result<CashOverview, AppError> {
        let user = caller.require_user()?;
        let used = store::used_since(
            self.db.pool(),
            user,
            crate::identity::clock::start_of_day_jst(now_ms()),
        )
        .await?;
        let recent = store::of_user(&self.db, user, LISTED).await?;
        Ok(CashOverview {
            fee: Money::jpy(self.terms.fee_yen),
            left_today: Money::jpy((MAX_PER_DAY_YEN - used).max(0)),
            recent,
        })
    }

    async fn cancel(&self, caller: &Caller, id: WithdrawalId) -> Result<Withdrawal, AppError> {
        let user = caller.require_user()?;
        let found = store::get(self.db.pool(), id)
            .await?
            .filter(|s| s.owner == user)
            .ok_or(AppError::NotFound)?;
        if !self
            .end(&found, WithdrawalState::Cancelled, &holder(user))
            .await?
        {
            return Err(AppError::Conflict {
                reason: Reason::WithdrawalNotOpen,
            });
        }
        store::get(self.db.pool(), id)
            .await?
            .map(|s| s.withdrawal)
            .ok_or(AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_six_digits_and_hashed_with_argon2id() {
        let pin = new_pin();
        assert_eq!(pin.len(), 6);
        assert!(pin.chars().all(|c| c.is_ascii_digit()));
        let hash = secret::hash(&pin).unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(&pin));
    }
}

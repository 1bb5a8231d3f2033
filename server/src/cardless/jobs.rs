//! The ledger jobs of a cardless withdrawal: each moves its money and
//! writes its row (and audit entry, and events) in one transaction, so a
//! withdrawal's state and its hold can never disagree, even across a crash.
//! - [`Prepare`]: reserve amount + fee (a hold) and insert the row; the day's
//!   limit is counted here, serially with every other job for this person.
//! - [`End`]: cancel or expire an open row and release its hold.
//! - [`Dispense`]: post the hold, move the cash to the ATM's cassette and
//!   the fee to fee income, and mark the row dispensed.

use async_trait::async_trait;
use shared::{
    cardless::{WithdrawalState, MAX_PER_DAY_YEN},
    ids::{AccountId, ApprovalId, AtmId, TransferId, UserId, WithdrawalId},
    ledger::{IdempotencyKey, TransferCode, TransferRequest},
    money::Money,
    AppError, Reason,
};

use super::store;
use crate::{
    approvals,
    error::Error,
    identity::clock::start_of_day_jst,
    identity::holder,
    ledger::{Flow, FlowJob, Key, LedgerError, Locks, Purpose, Work},
};

/// This flow's idempotency keys.
const FLOW: Flow = Flow::new("cardless");

/// A new withdrawal, with its codes already hashed.
#[derive(Debug)]
pub(super) struct Prepare {
    pub owner: UserId,
    pub account: AccountId,
    pub clearing: AccountId,
    pub amount: Money,
    pub fee_yen: i64,
    pub client_key: IdempotencyKey,
    pub token_hash: String,
    pub pin_hash: String,
    pub ttl_ms: i64,
    pub timeout_ms: i64,
}

#[async_trait]
impl FlowJob for Prepare {
    type Output = store::Stored;

    fn locks(&self) -> Locks {
        Locks::new()
            .account(self.account)
            .account(self.clearing)
            .user(self.owner)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<store::Stored, Error> {
        let now = w.unit.now_ms();
        let conn = w.unit.conn();
        // A replay first: it answers the first request's withdrawal (with new
        // codes), whatever today's limit says now.
        if let Some(found) = store::by_request(conn, self.owner, self.client_key.as_str()).await? {
            let w = &found.withdrawal;
            if w.account != self.account || w.amount != self.amount {
                // The key was used for another request.
                return Err(Error::conflict(Reason::IdempotencyConflict));
            }
            if !store::recode(conn, found.withdrawal.id, &self.token_hash, &self.pin_hash).await? {
                // The withdrawal has moved on: there is no code to show again.
                return Err(Error::conflict(Reason::WithdrawalNotReady));
            }
            return Ok(found);
        }
        let used = store::used_since(&mut *conn, self.owner, start_of_day_jst(now)).await?;
        if used + self.amount.amount_minor > MAX_PER_DAY_YEN {
            return Err(AppError::invalid("amount", Reason::OverDailyLimit).into());
        }
        // The fee is reserved with the cash, so a confirmed withdrawal can always pay it.
        let reserved = self
            .amount
            .checked_add(Money::jpy(self.fee_yen))
            .map_err(|_| AppError::invalid("amount", Reason::AmountTooLarge))?;
        let key = Key::requested(FLOW, Purpose::Hold, self.owner, &self.client_key);
        let hold = w
            .transfer(
                &key,
                TransferRequest::Pending {
                    debit: self.account,
                    credit: self.clearing,
                    amount: reserved,
                    code: TransferCode::Withdrawal,
                    reference: "Cardless withdrawal (reserved)".into(),
                    timeout_ms: self.timeout_ms,
                },
            )
            .await?;
        let found = store::insert(
            w.unit.conn(),
            store::Insert {
                owner: self.owner,
                account: self.account,
                yen: self.amount.amount_minor,
                fee_yen: self.fee_yen,
                hold: hold.transfer.id,
                key: self.client_key.as_str(),
                token_hash: &self.token_hash,
                pin_hash: &self.pin_hash,
                now_ms: now,
                expires_at_ms: now + self.ttl_ms,
            },
        )
        .await?;
        let detail = serde_json::json!({
            "amount_yen": self.amount.amount_minor, "fee_yen": self.fee_yen, "account": self.account.0,
        });
        w.unit.audit(
            holder(self.owner),
            "cardless.prepared",
            format!("withdrawal:{}", found.withdrawal.id),
            detail,
        );
        Ok(found)
    }
}

/// Ends an open withdrawal (cancelled or expired) and releases its hold;
/// the phone's pending request, if any, is withdrawn with it.
#[derive(Debug)]
pub(super) struct End {
    pub id: WithdrawalId,
    pub owner: UserId,
    pub hold: TransferId,
    pub approval: Option<ApprovalId>,
    pub state: WithdrawalState,
    pub actor: String,
}

#[async_trait]
impl FlowJob for End {
    /// `false` when the withdrawal was no longer open.
    type Output = bool;

    fn locks(&self) -> Locks {
        Locks::new().hold(self.hold).user(self.owner)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<bool, Error> {
        let now = w.unit.now_ms();
        if !store::end(w.unit.conn(), self.id, self.state, now).await? {
            return Ok(false);
        }
        w.release(&Key::of(FLOW, Purpose::Release, self.id.0), self.hold)
            .await?;
        w.unit.audit(
            self.actor.clone(),
            format!("cardless.{}", self.state.as_str()),
            format!("withdrawal:{}", self.id),
            serde_json::json!({}),
        );
        // The phone need not decide about a withdrawal that is over.
        if let Some(approval) = self.approval {
            approvals::cancel_in(&mut w.unit, approval, "system").await?;
        }
        Ok(true)
    }
}

/// Pays a confirmed withdrawal out at the ATM that scanned it.
#[derive(Debug)]
pub(super) struct Dispense {
    pub id: WithdrawalId,
    pub hold: TransferId,
    pub atm: AtmId,
    pub atm_name: String,
    pub clearing: AccountId,
    pub cassette: AccountId,
    pub fee_income: AccountId,
    pub amount: Money,
    pub fee: Money,
}

#[async_trait]
impl FlowJob for Dispense {
    /// When it was dispensed, or `None` when it was cancelled or expired first.
    type Output = Option<i64>;

    fn locks(&self) -> Locks {
        Locks::new()
            .hold(self.hold)
            .account(self.clearing)
            .account(self.cassette)
            .account(self.fee_income)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<Option<i64>, Error> {
        let now = w.unit.now_ms();
        if !store::dispensed(w.unit.conn(), self.id, self.atm, now).await? {
            // Dispensed already (a second poll of this ATM), or ended: say which.
            return Ok(store::get(w.unit.conn(), self.id)
                .await?
                .filter(|s| {
                    s.withdrawal.state == WithdrawalState::Dispensed && s.atm == Some(self.atm)
                })
                .and_then(|s| s.withdrawal.ended_at_ms));
        }
        let post = TransferRequest::PostPending {
            pending_id: self.hold,
            amount: None,
        };
        match w
            .transfer(&Key::of(FLOW, Purpose::Post, self.id.0), post)
            .await
        {
            Ok(_) => {}
            // Released a moment before (its time ran out): nothing to give out.
            Err(LedgerError::HoldNotPending { .. }) | Err(LedgerError::HoldExpired(_)) => {
                return Err(Error::conflict(Reason::WithdrawalNotOpen))
            }
            Err(e) => return Err(e.into()),
        }
        let cash = TransferRequest::Single {
            debit: self.clearing,
            credit: self.cassette,
            amount: self.amount,
            code: TransferCode::Withdrawal,
            reference: format!("Cash from {}", self.atm_name),
        };
        w.transfer(&Key::of(FLOW, Purpose::Cash, self.id.0), cash)
            .await?;
        if self.fee.amount_minor > 0 {
            let fee = TransferRequest::Single {
                debit: self.clearing,
                credit: self.fee_income,
                amount: self.fee,
                code: TransferCode::Fee,
                reference: format!("Cardless withdrawal fee ({})", self.atm_name),
            };
            w.transfer(&Key::of(FLOW, Purpose::Fee, self.id.0), fee)
                .await?;
        }
        let detail = serde_json::json!({
            "amount_yen": self.amount.amount_minor,
            "fee_yen": self.fee.amount_minor,
        });
        w.unit.audit(
            format!("atm:{}", self.atm),
            "cardless.dispensed",
            format!("withdrawal:{}", self.id),
            detail,
        );
        Ok(Some(now))
    }
}

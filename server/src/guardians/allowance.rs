//! Allowance: a guardian pays a minor in their care from their ordinary
//! account. One ledger job: the relationship is checked again inside it
//! (a link rejected a moment ago stops the money), the money moves under
//! the guardian's idempotency key (a retry moves it once; the same key for
//! another amount is a conflict), and the minor is told, all in one commit.

use async_trait::async_trait;
use shared::{
    events::{Event, Notice},
    ids::{AccountId, UserId},
    ledger::{Transfer, TransferCode, TransferRequest},
    money::Money,
    AppError, Reason,
};

use crate::{
    error::Error,
    identity::{holder, store},
    ledger::{
        keys::{Flow, Key, Purpose},
        FlowJob, Locks, Work,
    },
};

pub const FLOW: Flow = Flow::new("allowance");
/// The ledger caller's scope for allowances.
pub const FLOW_SCOPE: &str = "allowance";

#[derive(Debug)]
pub struct Allowance {
    pub guardian: UserId,
    pub guardian_name: String,
    pub minor: UserId,
    pub from: AccountId,
    pub to: AccountId,
    pub amount: Money,
    pub key: shared::ledger::IdempotencyKey,
}

#[async_trait]
impl FlowJob for Allowance {
    type Output = Transfer;

    fn locks(&self) -> Locks {
        Locks::new()
            .account(self.from)
            .account(self.to)
            .user(self.minor)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<Transfer, Error> {
        if store::verified_guardian_since(w.unit.conn(), self.guardian, self.minor)
            .await?
            .is_none()
        {
            return Err(AppError::conflict(Reason::NoVerifiedGuardian).into());
        }
        let request = TransferRequest::Single {
            debit: self.from,
            credit: self.to,
            amount: self.amount,
            code: TransferCode::Transfer,
            reference: format!("Allowance from {}", self.guardian_name),
        };
        let key = Key::requested(FLOW, Purpose::Send, self.guardian, &self.key);
        let moved = w.transfer(&key, request).await?;
        if moved.fresh {
            let told = Event::Notice {
                notice: Notice::TransferReceived {
                    from: self.guardian_name.clone(),
                    amount: self.amount,
                },
            };
            w.unit.notify(self.minor, &told).await?;
            w.unit.audit(
                holder(self.guardian),
                "guardian.allowance.sent",
                format!("user:{}", self.minor),
                serde_json::json!({ "transfer": moved.transfer.id.0, "amount": self.amount.amount_minor }),
            );
        }
        Ok(moved.transfer)
    }
}

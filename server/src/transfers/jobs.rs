//! The ledger jobs of a transfer to another person: each moves its money
//! and writes its row, the counterparty graph, the audit entry (the
//! evidence of what the sender was shown and answered) and the people's
//! notices in one transaction, so a transfer's state and its money never
//! disagree, even across a crash.
//! - [`Create`]: pays at once (go ahead, or a warning acknowledged), or
//!   reserves the money for the recipient's proof or a staff review, or
//!   records a refusal that moves nothing; the day's limit is counted here.
//! - [`Settle`]: pays a reserved transfer (the sender went ahead after the
//!   proof, or staff released it).
//! - [`End`]: releases a reserved transfer (abandoned, declined, expired).
//! - [`Prove`]: the recipient's signed message, for the sender.

use async_trait::async_trait;
use shared::{
    events::{Event, Notice},
    ids::{AccountId, TransferId, UserId},
    ledger::{IdempotencyKey, TransferCode, TransferRequest},
    money::Money,
    transfer::{
        name_check::NameCheck,
        risk::{Assessment, Decision, Facts},
        send::{Acknowledged, SendState, MAX_PER_DAY_YEN},
    },
    AppError, Reason,
};

use super::store;
use crate::{
    error::Error,
    identity::clock::start_of_day_jst,
    ledger::{Flow, FlowJob, Key, LedgerError, Locks, Purpose, Work},
};

/// This flow's idempotency keys.
const FLOW: Flow = Flow::new("send");
fn notice(notice: Notice) -> Event {
    Event::Notice { notice }
}

/// A transfer as the sender confirmed it, with its assessment.
#[derive(Debug)]
pub(super) struct Create {
    pub sender: UserId,
    pub recipient: UserId,
    pub sender_nickname: String,
    pub recipient_nickname: String,
    pub from: AccountId,
    pub to: AccountId,
    pub amount: Money,
    pub client_key: IdempotencyKey,
    pub digest: String,
    pub facts: Facts,
    pub assessment: Assessment,
    pub name_check: Option<NameCheck>,
    pub acknowledged: Option<Acknowledged>,
    /// The passkey that confirmed it, for the record.
    pub passkey: String,
    /// How long a reserved transfer waits for a proof, or for staff.
    pub proof_ttl_ms: i64,
    pub review_ttl_ms: i64,
}

impl Create {
    fn waits(&self) -> Option<(SendState, i64)> {
        match self.assessment.decision {
            Decision::RecipientProof => Some((SendState::AwaitingRecipient, self.proof_ttl_ms)),
            Decision::Hold => Some((SendState::InReview, self.review_ttl_ms)),
            _ => None,
        }
    }
}

#[async_trait]
impl FlowJob for Create {
    type Output = store::Stored;

    fn locks(&self) -> Locks {
        Locks::new()
            .account(self.from)
            .account(self.to)
            .user(self.sender)
            .user(self.recipient)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<store::Stored, Error> {
        let now = w.unit.now_ms();
        if let Some(found) =
            store::by_request(w.unit.conn(), self.sender, self.client_key.as_str()).await?
        {
            if found.digest != self.digest {
                return Err(Error::conflict(Reason::IdempotencyConflict));
            }
            return Ok(found);
        }
        let refused = self.assessment.decision == Decision::Refuse;
        if !refused {
            let used = store::sent_since(w.unit.conn(), self.sender, start_of_day_jst(now)).await?;
            if used + self.amount.amount_minor > MAX_PER_DAY_YEN {
                return Err(AppError::invalid("amount", Reason::OverDailyLimit).into());
            }
        }
        let (state, hold, deadline) = match (refused, self.waits()) {
            (true, _) => (SendState::Refused, None, None),
            (false, Some((state, ttl))) => {
                let key = Key::requested(FLOW, Purpose::Hold, self.sender, &self.client_key);
                let request = TransferRequest::Pending {
                    debit: self.from,
                    credit: self.to,
                    amount: self.amount,
                    code: TransferCode::Transfer,
                    reference: format!("To {} (reserved)", self.recipient_nickname),
                    // Longer than the wait: the flow releases it first, with its reason.
                    timeout_ms: ttl + 10 * 60_000,
                };
                let hold = w.transfer(&key, request).await?;
                (state, Some(hold.transfer.id), Some(now + ttl))
            }
            (false, None) => {
                let key = Key::requested(FLOW, Purpose::Send, self.sender, &self.client_key);
                let request = TransferRequest::Single {
                    debit: self.from,
                    credit: self.to,
                    amount: self.amount,
                    code: TransferCode::Transfer,
                    reference: format!("{} → {}", self.sender_nickname, self.recipient_nickname),
                };
                w.transfer(&key, request).await?;
                (SendState::Settled, None, None)
            }
        };
        let id = store::insert(
            w.unit.conn(),
            store::Insert {
                sender: self.sender,
                recipient: self.recipient,
                from: self.from,
                to: self.to,
                amount: self.amount,
                state,
                key: self.client_key.as_str(),
                digest: &self.digest,
                assessment: &self.assessment,
                facts: Some(&self.facts),
                name_check: self.name_check.as_ref(),
                acknowledged: self.acknowledged.as_ref(),
                hold,
                now_ms: now,
                deadline_ms: deadline,
            },
        )
        .await?;
        match state {
            SendState::Settled => {
                paid(w, self.sender, self.from, self.to, self.amount).await?;
                let arrived = Notice::TransferReceived {
                    from: self.sender_nickname.clone(),
                    amount: self.amount,
                };
                w.unit.notify(self.recipient, &notice(arrived)).await?;
            }
            SendState::AwaitingRecipient => {
                let asked = Notice::ProofAsked {
                    from: self.sender_nickname.clone(),
                    amount: self.amount,
                };
                w.unit.notify(self.recipient, &notice(asked)).await?;
            }
            _ => {}
        }
        // The evidence: what the sender was shown, what they answered, and when.
        let detail = serde_json::json!({
            "amount_yen": self.amount.amount_minor,
            "from": self.from.0,
            "to": self.to.0,
            "state": state.as_str(),
            "assessment": self.assessment,
            "name_check": self.name_check,
            "acknowledged": self.acknowledged,
            "passkey": self.passkey,
        });
        w.unit.audit(
            crate::identity::holder(self.sender),
            format!("p2p.{}", state.as_str()),
            format!("p2p:{id}"),
            detail,
        );
        Ok(store::get(w.unit.conn(), id)
            .await?
            .ok_or(AppError::NotFound)?)
    }
}

/// A completed transfer's marks: the counterparty graph and the payee's "last paid".
async fn paid(
    w: &mut Work<'_>,
    sender: UserId,
    from: AccountId,
    to: AccountId,
    amount: Money,
) -> Result<(), Error> {
    let now = w.unit.now_ms();
    store::add_to_pair(w.unit.conn(), from, to, amount, now).await?;
    store::paid_payee(w.unit.conn(), sender, to, now).await?;
    Ok(())
}

/// Pays a reserved transfer.
#[derive(Debug)]
pub(super) struct Settle {
    pub found: store::Stored,
    pub hold: TransferId,
    /// The state it must be in.
    pub from_state: SendState,
    pub actor: String,
}

#[async_trait]
impl FlowJob for Settle {
    type Output = store::Stored;

    fn locks(&self) -> Locks {
        Locks::new()
            .hold(self.hold)
            .account(self.found.sent.from)
            .account(self.found.to_account)
            .user(self.found.sender)
            .user(self.found.recipient)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<store::Stored, Error> {
        let f = &self.found;
        let now = w.unit.now_ms();
        if !store::change(
            w.unit.conn(),
            f.sent.id,
            self.from_state,
            SendState::Settled,
            now,
        )
        .await?
        {
            return Err(Error::conflict(Reason::TransferNotOpen));
        }
        let post = TransferRequest::PostPending {
            pending_id: self.hold,
            amount: None,
        };
        match w
            .transfer(&Key::of(FLOW, Purpose::Post, f.sent.id.0), post)
            .await
        {
            Ok(_) => {}
            Err(LedgerError::HoldNotPending { .. }) | Err(LedgerError::HoldExpired(_)) => {
                return Err(Error::conflict(Reason::TransferNotOpen))
            }
            Err(e) => return Err(e.into()),
        }
        paid(w, f.sender, f.sent.from, f.to_account, f.sent.amount).await?;
        let arrived = Notice::TransferReceived {
            from: f.from_nickname.clone(),
            amount: f.sent.amount,
        };
        w.unit.notify(f.recipient, &notice(arrived)).await?;
        let ended = Notice::TransferEnded {
            to: f.sent.to_nickname.clone(),
            amount: f.sent.amount,
            state: SendState::Settled,
        };
        w.unit.notify(f.sender, &notice(ended)).await?;
        w.unit.audit(
            self.actor.clone(),
            "p2p.settled",
            format!("p2p:{}", f.sent.id),
            serde_json::json!({ "after": self.from_state.as_str() }),
        );
        Ok(store::get(w.unit.conn(), f.sent.id)
            .await?
            .ok_or(AppError::NotFound)?)
    }
}

/// Releases a reserved transfer as `state`.
#[derive(Debug)]
pub(super) struct End {
    pub found: store::Stored,
    pub hold: TransferId,
    pub state: SendState,
    pub actor: String,
}

#[async_trait]
impl FlowJob for End {
    /// `None` when it was no longer open.
    type Output = Option<store::Stored>;

    fn locks(&self) -> Locks {
        Locks::new()
            .hold(self.hold)
            .user(self.found.sender)
            .user(self.found.recipient)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<Option<store::Stored>, Error> {
        let f = &self.found;
        let now = w.unit.now_ms();
        let current = store::get(w.unit.conn(), f.sent.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let was = current.sent.state;
        if !was.is_open() || !store::change(w.unit.conn(), f.sent.id, was, self.state, now).await? {
            return Ok(None);
        }
        w.release(&Key::of(FLOW, Purpose::Release, f.sent.id.0), self.hold)
            .await?;
        // The sender hears of an end they did not choose themselves.
        if self.state != SendState::Abandoned {
            let ended = Notice::TransferEnded {
                to: f.sent.to_nickname.clone(),
                amount: f.sent.amount,
                state: self.state,
            };
            w.unit.notify(f.sender, &notice(ended)).await?;
        }
        w.unit.audit(
            self.actor.clone(),
            format!("p2p.{}", self.state.as_str()),
            format!("p2p:{}", f.sent.id),
            serde_json::json!({ "after": was.as_str() }),
        );
        Ok(store::get(w.unit.conn(), f.sent.id).await?)
    }
}

/// The recipient's signed message goes to the sender.
#[derive(Debug)]
pub(super) struct Prove {
    pub found: store::Stored,
    pub message: String,
    pub passkey: String,
}

#[async_trait]
impl FlowJob for Prove {
    type Output = store::Stored;

    fn locks(&self) -> Locks {
        Locks::new()
            .user(self.found.sender)
            .user(self.found.recipient)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<store::Stored, Error> {
        let f = &self.found;
        let now = w.unit.now_ms();
        if !store::prove(w.unit.conn(), f.sent.id, &self.message, now).await? {
            return Err(Error::conflict(Reason::TransferNotOpen));
        }
        let given = Notice::ProofGiven {
            to: f.sent.to_nickname.clone(),
            amount: f.sent.amount,
        };
        w.unit.notify(f.sender, &notice(given)).await?;
        w.unit.audit(
            crate::identity::holder(f.recipient),
            "p2p.proof_given",
            format!("p2p:{}", f.sent.id),
            serde_json::json!({ "message": self.message, "passkey": self.passkey }),
        );
        Ok(store::get(w.unit.conn(), f.sent.id)
            .await?
            .ok_or(AppError::NotFound)?)
    }
}

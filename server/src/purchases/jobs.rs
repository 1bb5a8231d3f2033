//! The ledger jobs of a minor's purchase: each checks the row's state, moves
//! the money if any, writes the row, tells the minor and every guardian,
//! queues the merchant's webhook and appends the audit entry in one
//! transaction, so a purchase's state, its money and its messages never
//! disagree, even across a crash.
//! - [`Report`]: a merchant's report, checked against the guardian's
//!   conditions (with the day's and month's spending read in the same
//!   transaction, so two purchases cannot both slip under a limit).
//! - [`Step`]: everything after: the guardian's answer or cancel, the
//!   minor's confirmation (the hold) or no, the deadline or the window's
//!   end (the hold posted to the merchant), the merchant's refund.

use async_trait::async_trait;
use shared::{
    events::{Event, Notice},
    ids::{AccountId, ApiClientId, PurchaseId, TransferId, UserId},
    ledger::{TransferCode, TransferRequest},
    money::Money,
    purchase::{conditions::Attempt, Cancelled, Category, Payment, PurchaseState as S},
    AppError, Reason,
};

use super::{
    store::{self, Change, Stored},
    wire::wire,
};
use crate::{
    error::Error,
    identity::{
        clock::{hour_jst, start_of_day_jst, start_of_month_jst},
        holder,
    },
    ledger::{Flow, FlowJob, Key, Locks, Purpose, Work},
    webhooks::outbox,
};

const FLOW: Flow = Flow::new("purchase");

/// How long each wait lasts.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    pub window_ms: i64,
    pub confirm_ms: i64,
    pub ask_ms: i64,
}

/// Tells the minor and every guardian, and the merchant's endpoint where
/// the change is news to them.
async fn tell(
    w: &mut Work<'_>,
    s: &Stored,
    people: &[UserId],
    webhook: Option<&str>,
) -> Result<(), Error> {
    let p = &s.purchase;
    let notice = Event::Notice {
        notice: Notice::Purchase {
            purchase: p.id,
            minor: p.minor_nickname.clone(),
            merchant: p.merchant_name.clone(),
            amount: p.amount,
            state: p.state,
        },
    };
    for person in people {
        w.unit.notify(*person, &notice).await?;
    }
    if let Some(event_type) = webhook {
        let data = serde_json::to_value(wire(s))?;
        outbox::enqueue(&mut w.unit, p.merchant, event_type, data).await?;
    }
    Ok(())
}

/// The entry for `s` as it now stands; `passkey` is the one that confirmed it.
fn audit(w: &mut Work<'_>, actor: String, s: &Stored, passkey: Option<&str>) {
    let p = &s.purchase;
    w.unit.audit(
        actor,
        format!("purchase.{}", p.state.as_str()),
        format!("purchase:{}", p.id),
        serde_json::json!({
            "merchant": p.merchant.0,
            "minor": p.minor.0,
            "amount_minor": p.amount.amount_minor,
            "payment": p.payment.as_str(),
            "cancelled": p.cancelled,
            "passkey": passkey,
        }),
    );
}

async fn reread(w: &mut Work<'_>, id: PurchaseId) -> Result<Stored, Error> {
    Ok(store::get(w.unit.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?)
}

/// A merchant's report of a purchase.
#[derive(Debug)]
pub(super) struct Report {
    pub merchant: ApiClientId,
    pub key: String,
    pub digest: String,
    pub minor: UserId,
    pub account: AccountId,
    /// The minor first, then the guardians.
    pub people: Vec<UserId>,
    pub amount: Money,
    pub category: Category,
    pub description: String,
    pub reference: String,
    pub payment: Payment,
    pub waits: Waits,
}

/// What a report answers: the purchase, and whether this call made it.
#[derive(Debug)]
pub struct Reported {
    pub stored: Stored,
    pub fresh: bool,
}

#[async_trait]
impl FlowJob for Report {
    type Output = Reported;

    fn locks(&self) -> Locks {
        self.people
            .iter()
            .fold(Locks::new().account(self.account), |l, u| l.user(*u))
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<Reported, Error> {
        let now = w.unit.now_ms();
        if let Some(found) = store::by_request(w.unit.conn(), self.merchant, &self.key).await? {
            if found.digest != self.digest {
                return Err(Error::conflict(Reason::IdempotencyConflict));
            }
            return Ok(Reported {
                stored: found,
                fresh: false,
            });
        }
        let conditions = store::conditions(w.unit.conn(), self.minor).await?;
        let attempt = Attempt {
            amount_yen: self.amount.amount_minor,
            category: self.category,
            merchant: self.merchant,
            hour_jst: hour_jst(now),
            spent_today_yen: store::spent_since(w.unit.conn(), self.minor, start_of_day_jst(now))
                .await?,
            spent_month_yen: store::spent_since(w.unit.conn(), self.minor, start_of_month_jst(now))
                .await?,
        };
        let waits = self.waits;
        let (state, cancelled, deadline, window) = match conditions.broken(&attempt) {
            Some(broken) => (
                S::Cancelled,
                Some(Cancelled::Condition { broken }),
                None,
                None,
            ),
            None if conditions.asks_first(attempt.amount_yen) => {
                (S::AwaitingGuardian, None, Some(now + waits.ask_ms), None)
            }
            None if self.payment == Payment::Anshin => {
                (S::AwaitingMinor, None, Some(now + waits.confirm_ms), None)
            }
            None => (S::InWindow, None, None, Some(now + waits.window_ms)),
        };
        let id = store::insert(
            w.unit.conn(),
            store::Insert {
                merchant: self.merchant,
                key: &self.key,
                digest: &self.digest,
                ward: self.minor,
                account: self.account,
                amount: self.amount,
                category: self.category,
                description: &self.description,
                reference: &self.reference,
                payment: self.payment,
                state,
                cancelled,
                now_ms: now,
                deadline_ms: deadline,
                window_ends_ms: window,
            },
        )
        .await?;
        let stored = reread(w, id).await?;
        // The merchant has the answer in hand: no webhook for the report itself.
        tell(w, &stored, &self.people, None).await?;
        audit(w, format!("client:{}", self.merchant), &stored, None);
        Ok(Reported {
            stored,
            fresh: true,
        })
    }
}

/// What happens to a purchase after its report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Action {
    /// A guardian's answer to "ask me first".
    Answer {
        by: UserId,
        yes: bool,
    },
    /// A guardian's cancel.
    Cancel {
        by: UserId,
    },
    /// The minor's passkey confirmed it (`passkey` for the record).
    Confirm {
        passkey: String,
    },
    MinorDeclines,
    /// A deadline passed or the window ended.
    Due,
    /// The merchant refunded a purchase paid elsewhere.
    Refunded,
}

#[derive(Debug)]
pub(super) struct Step {
    pub id: PurchaseId,
    pub action: Action,
    pub account: AccountId,
    /// The merchant's settlement account (paid through Anshin).
    pub settlement: Option<AccountId>,
    pub hold: Option<TransferId>,
    pub people: Vec<UserId>,
    pub waits: Waits,
}

/// The next state of a purchase in `from` under `action` (without money).
fn next(from: S, payment: Payment, action: &Action) -> Result<(S, Option<Cancelled>), AppError> {
    let not_open = AppError::Conflict {
        reason: Reason::PurchaseNotOpen,
    };
    let after_yes = match payment {
        Payment::Anshin => S::AwaitingMinor,
        Payment::Elsewhere => S::InWindow,
    };
    Ok(match (from, action) {
        (S::AwaitingGuardian, Action::Answer { yes: true, .. }) => (after_yes, None),
        (S::AwaitingGuardian, Action::Answer { yes: false, .. }) => {
            (S::Cancelled, Some(Cancelled::GuardianDeclined))
        }
        (S::AwaitingGuardian | S::AwaitingMinor, Action::Cancel { .. }) => {
            (S::Cancelled, Some(Cancelled::ByGuardian))
        }
        (S::InWindow, Action::Cancel { .. }) => match payment {
            Payment::Anshin => (S::Cancelled, Some(Cancelled::ByGuardian)),
            Payment::Elsewhere => (S::RefundRequested, Some(Cancelled::ByGuardian)),
        },
        (S::AwaitingMinor, Action::Confirm { .. }) => (S::InWindow, None),
        (S::AwaitingMinor, Action::MinorDeclines) => (S::Cancelled, Some(Cancelled::MinorDeclined)),
        (S::AwaitingGuardian, Action::Due) => (S::Cancelled, Some(Cancelled::GuardianDidNotAnswer)),
        (S::AwaitingMinor, Action::Due) => (S::Cancelled, Some(Cancelled::MinorDidNotConfirm)),
        (S::InWindow, Action::Due) => (S::Completed, None),
        (S::RefundRequested, Action::Refunded) => (S::Refunded, None),
        (S::Completed, Action::Cancel { .. }) => {
            return Err(AppError::Conflict {
                reason: Reason::WindowClosed,
            })
        }
        (_, Action::Refunded) => {
            return Err(AppError::Conflict {
                reason: Reason::RefundNotRequested,
            })
        }
        _ => return Err(not_open),
    })
}

fn webhook(to: S) -> &'static str {
    match to {
        S::AwaitingMinor => "purchase.approved",
        S::InWindow => "purchase.confirmed",
        S::Completed => "purchase.completed",
        S::RefundRequested => "purchase.refund_requested",
        S::Refunded => "purchase.refunded",
        S::Cancelled | S::AwaitingGuardian => "purchase.cancelled",
    }
}

#[async_trait]
impl FlowJob for Step {
    /// The purchase after the step; `None` when a due step found nothing due.
    type Output = Option<Stored>;

    fn locks(&self) -> Locks {
        let mut locks = Locks::new().account(self.account);
        if let Some(s) = self.settlement {
            locks = locks.account(s);
        }
        if let Some(h) = self.hold {
            locks = locks.hold(h);
        }
        self.people.iter().fold(locks, |l, u| l.user(*u))
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<Option<Stored>, Error> {
        let now = w.unit.now_ms();
        let found = reread(w, self.id).await?;
        let p = &found.purchase;
        if self.action == Action::Due {
            let due = match p.state {
                S::AwaitingGuardian | S::AwaitingMinor => p.deadline_ms.is_some_and(|d| d <= now),
                S::InWindow => p.window_ends_ms.is_some_and(|d| d <= now),
                _ => false,
            };
            if !due {
                return Ok(None);
            }
        } else if matches!(self.action, Action::Cancel { .. })
            && p.state == S::InWindow
            && p.window_ends_ms.is_some_and(|end| end <= now)
        {
            return Err(AppError::Conflict {
                reason: Reason::WindowClosed,
            }
            .into());
        }
        let (to, cancelled) = next(p.state, p.payment, &self.action)?;
        let mut change = Change {
            cancelled,
            ..Change::default()
        };
        match to {
            S::AwaitingMinor => change.deadline_ms = Some(now + self.waits.confirm_ms),
            S::InWindow => change.window_ends_ms = Some(now + self.waits.window_ms),
            _ => {}
        }
        let id = p.id.0;
        match (p.state, to, p.payment) {
            (S::AwaitingMinor, S::InWindow, Payment::Anshin) => {
                let settlement = self.settlement.ok_or(AppError::Unavailable)?;
                let request = TransferRequest::Pending {
                    debit: self.account,
                    credit: settlement,
                    amount: p.amount,
                    code: TransferCode::Payment,
                    reference: format!("{} (reserved)", p.merchant_name),
                    // Longer than the window: the flow posts it first.
                    timeout_ms: self.waits.window_ms + 24 * 3600 * 1000,
                };
                let hold = w
                    .transfer(&Key::of(FLOW, Purpose::Hold, id), request)
                    .await?;
                change.hold = Some(hold.transfer.id);
            }
            (S::InWindow, S::Completed, Payment::Anshin) => {
                let hold = found.hold.ok_or(AppError::Unavailable)?;
                let request = TransferRequest::PostPending {
                    pending_id: hold,
                    amount: None,
                };
                w.transfer(&Key::of(FLOW, Purpose::Post, id), request)
                    .await?;
            }
            (S::InWindow, S::Cancelled, Payment::Anshin) => {
                let hold = found.hold.ok_or(AppError::Unavailable)?;
                w.release(&Key::of(FLOW, Purpose::Release, id), hold)
                    .await?;
            }
            _ => {}
        }
        if !store::change(w.unit.conn(), p.id, p.state, to, change, now).await? {
            return Err(AppError::Conflict {
                reason: Reason::PurchaseNotOpen,
            }
            .into());
        }
        let after = reread(w, p.id).await?;
        tell(w, &after, &self.people, Some(webhook(to))).await?;
        let actor = match &self.action {
            Action::Answer { by, .. } | Action::Cancel { by } => holder(*by),
            Action::Confirm { .. } | Action::MinorDeclines => holder(p.minor),
            Action::Due => "system".into(),
            Action::Refunded => format!("client:{}", p.merchant),
        };
        let passkey = match &self.action {
            Action::Confirm { passkey } => Some(passkey.as_str()),
            _ => None,
        };
        audit(w, actor, &after, passkey);
        Ok(Some(after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_allows_only_its_steps() {
        let by = UserId(1);
        let cancel = Action::Cancel { by };
        assert_eq!(
            next(S::InWindow, Payment::Anshin, &cancel).unwrap().0,
            S::Cancelled
        );
        assert_eq!(
            next(S::InWindow, Payment::Elsewhere, &cancel).unwrap().0,
            S::RefundRequested
        );
        assert_eq!(
            next(S::Completed, Payment::Anshin, &cancel).unwrap_err(),
            AppError::Conflict {
                reason: Reason::WindowClosed
            }
        );
        assert_eq!(
            next(S::Cancelled, Payment::Elsewhere, &cancel).unwrap_err(),
            AppError::Conflict {
                reason: Reason::PurchaseNotOpen
            }
        );
        assert_eq!(
            next(S::Completed, Payment::Elsewhere, &Action::Refunded).unwrap_err(),
            AppError::Conflict {
                reason: Reason::RefundNotRequested
            }
        );
        let confirm = Action::Confirm {
            passkey: "k".into(),
        };
        assert!(next(S::AwaitingGuardian, Payment::Anshin, &confirm).is_err());
        assert_eq!(
            next(
                S::AwaitingGuardian,
                Payment::Anshin,
                &Action::Answer { by, yes: true }
            )
            .unwrap()
            .0,
            S::AwaitingMinor
        );
    }
}

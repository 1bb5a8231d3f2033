//! The ledger jobs of a withdrawal arranged in a consultation. Each change
//! of a row runs as one job that also tells both sides (customer and clerk)
//! and audits it; the changes that move money (confirm, pay out, return)
//! move it in the same job, so a row is never ahead of or behind its money:
//! no in-flight states, no attempts, nothing for a sweep to repair.

use async_trait::async_trait;
use shared::{
    events::{Event, Notice},
    ids::{AccountId, AtmId, ConsultationId, SubWithdrawalId, UserId},
    ledger::{AccountKind, TransferCode, TransferRequest},
    money::{Currency, Money},
    sub_withdrawal::{SubWithdrawal, SubWithdrawalState as S, MAX_TRIES},
    Reason,
};

use super::store;
use crate::{
    consultations::Rooms,
    db::Unit,
    error::Error,
    identity::holder,
    ledger::{Flow, FlowJob, Key, Locks, NewAccount, Purpose, Work},
};
use std::sync::Arc;

/// This flow's idempotency keys.
const FLOW: Flow = Flow::new("sub_withdrawal");

/// An argon2id hash: a six-digit password falls to a search of it, so no
/// log line or panic message may print it.
#[derive(Clone)]
pub(super) struct Hash(pub String);

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A new form pushed by the clerk into their active consultation.
#[derive(Debug)]
pub(super) struct Push {
    pub rooms: Arc<dyn Rooms>,
    pub consultation: ConsultationId,
    pub customer: UserId,
    pub clerk: UserId,
    pub suggested: Option<Money>,
    pub fee_yen: i64,
}

#[async_trait]
impl FlowJob for Push {
    type Output = SubWithdrawal;

    fn locks(&self) -> Locks {
        Locks::new().user(self.customer).user(self.clerk)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<SubWithdrawal, Error> {
        let u = &mut w.unit;
        // The consultation is held until commit, so it cannot end with a form
        // appearing after it (which its end would not have withdrawn).
        if !self.rooms.hold_active(u, self.consultation).await? {
            return Err(Error::conflict(Reason::ConsultationNotActive));
        }
        let now = u.now_ms();
        let id = store::insert(
            u.conn(),
            self.consultation,
            self.customer,
            self.clerk,
            self.suggested.map(|m| m.amount_minor),
            self.fee_yen,
            now,
        )
        .await?
        .ok_or_else(|| Error::conflict(Reason::FormOpen))?;
        let detail = serde_json::json!({
            "consultation": self.consultation.0,
            "suggested_yen": self.suggested.map(|m| m.amount_minor),
        });
        let audit = Some(("pushed", holder(self.clerk), detail));
        Ok(changed(u, id, audit, None).await?.withdrawal)
    }
}

/// One change to an existing row.
#[derive(Debug)]
pub(super) struct Change {
    pub id: SubWithdrawalId,
    pub customer: UserId,
    pub clerk: UserId,
    pub what: What,
}

#[derive(Debug)]
pub(super) enum What {
    /// The form is on the customer's screen.
    Open,
    /// The customer sent an amount; the passkey comes next.
    Submit { account: AccountId, amount: Money },
    /// Withdrawn before confirmation, by either side.
    Withdraw { by: UserId },
    /// Confirmed with the passkey: open the sub-account and move the money.
    Confirm(Confirm),
    /// A new password, after a fresh passkey check.
    NewPassword { hash: Hash, passkey: String },
    /// Unlocked with a fresh passkey check (the password stays).
    Unlock { passkey: String },
    /// The clerk asks the customer to confirm a new password.
    AskNewPassword {
        consultation: ConsultationId,
        clerk_name: String,
    },
    /// A wrong password at an ATM; the fifth locks the row.
    WrongPassword { atm: AtmId, atm_name: String },
    /// The right password at an ATM: the cash and the fee leave the sub-account.
    PayOut(PayOut),
    /// Expired unclaimed: the money goes back to the main account.
    Return { main: AccountId, sub: AccountId },
}

#[derive(Debug)]
pub(super) struct Confirm {
    pub rooms: Arc<dyn Rooms>,
    pub consultation: ConsultationId,
    pub main: AccountId,
    pub amount: Money,
    pub fee: Money,
    pub number: String,
    pub hash: Hash,
    pub expires_at_ms: i64,
    /// For the audit trail: which passkey, and whether the password was chosen.
    pub passkey: String,
    pub chosen: bool,
}

#[derive(Debug)]
pub(super) struct PayOut {
    pub atm: AtmId,
    pub atm_name: String,
    pub cassette: AccountId,
    pub fee_income: AccountId,
    pub sub: AccountId,
    pub amount: Money,
    pub fee: Money,
    /// The hash the password was checked against: a password renewed since
    /// then must not pay.
    pub checked: Hash,
}

#[async_trait]
impl FlowJob for Change {
    type Output = SubWithdrawal;

    fn locks(&self) -> Locks {
        let people = Locks::new().user(self.customer).user(self.clerk);
        match &self.what {
            What::Confirm(c) => people.account(c.main),
            What::PayOut(p) => people
                .account(p.sub)
                .account(p.cassette)
                .account(p.fee_income),
            What::Return { main, sub } => people.account(*main).account(*sub),
            _ => people,
        }
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<SubWithdrawal, Error> {
        let id = self.id;
        let customer = holder(self.customer);
        let now = w.unit.now_ms();
        let audit = match &self.what {
            What::Open => {
                if !store::step(w.unit.conn(), id, &[S::Pushed], S::Opened).await? {
                    // Opened already, or moved on: nothing to tell anyone.
                    return Ok(current_row(&mut w.unit, id).await?.withdrawal);
                }
                None
            }
            What::Submit { account, amount } => {
                if !store::submit(w.unit.conn(), id, *account, amount.amount_minor).await? {
                    return Err(Error::conflict(Reason::FormClosed));
                }
                None
            }
            What::Withdraw { by } => {
                let forms = [S::Pushed, S::Opened, S::Submitted];
                if !store::end(w.unit.conn(), id, &forms, S::Withdrawn, now).await? {
                    return Err(Error::conflict(Reason::FormClosed));
                }
                Some(("withdrawn", holder(*by), serde_json::json!({})))
            }
            What::Confirm(c) => Some(self.confirm(w, c).await?),
            What::NewPassword { hash, passkey } => {
                if !store::set_password(w.unit.conn(), id, Some(&hash.0)).await? {
                    return Err(Error::conflict(Reason::NotFunded));
                }
                let detail = serde_json::json!({ "passkey": passkey });
                Some(("password_renewed", customer, detail))
            }
            What::Unlock { passkey } => {
                let conn = w.unit.conn();
                if !store::step(conn, id, &[S::Locked], S::Locked).await?
                    || !store::set_password(conn, id, None).await?
                {
                    return Err(Error::conflict(Reason::NotLocked));
                }
                let detail = serde_json::json!({ "passkey": passkey });
                Some(("unlocked", customer, detail))
            }
            What::AskNewPassword {
                consultation,
                clerk_name,
            } => {
                let found = current_row(&mut w.unit, id).await?;
                if found.withdrawal.state != S::Locked {
                    return Err(Error::conflict(Reason::NotLocked));
                }
                let notice = Notice::NewPasswordAsked {
                    clerk: clerk_name.clone(),
                    number: found.withdrawal.number.clone().unwrap_or_default(),
                };
                let detail = serde_json::json!({ "consultation": consultation.0 });
                let audit = Some(("new_password_asked", holder(self.clerk), detail));
                return Ok(changed(&mut w.unit, id, audit, Some(notice))
                    .await?
                    .withdrawal);
            }
            What::WrongPassword { atm, atm_name } => {
                let count = store::wrong_password(w.unit.conn(), id, MAX_TRIES).await?;
                if count != Some(MAX_TRIES) {
                    return Ok(changed(&mut w.unit, id, None, None).await?.withdrawal);
                }
                let found = current_row(&mut w.unit, id).await?;
                let notice = Notice::SubAccountLocked {
                    number: found.withdrawal.number.clone().unwrap_or_default(),
                    tries: MAX_TRIES,
                    atm: atm_name.clone(),
                };
                let detail = serde_json::json!({ "atm": atm.0, "tries": MAX_TRIES });
                let audit = Some(("locked", format!("atm:{atm}"), detail));
                return Ok(changed(&mut w.unit, id, audit, Some(notice))
                    .await?
                    .withdrawal);
            }
            What::PayOut(p) => return self.pay_out(w, p).await,
            What::Return { main, sub } => return self.give_back(w, *main, *sub).await,
        };
        Ok(changed(&mut w.unit, id, audit, None).await?.withdrawal)
    }
}

type Audit = (&'static str, String, serde_json::Value);

impl Change {
    /// Opens the sub-account, makes the row ready and moves amount + fee
    /// into it; a refusal (the money was spent meanwhile) undoes all three.
    async fn confirm(&self, w: &mut Work<'_>, c: &Confirm) -> Result<Audit, Error> {
        if !c.rooms.hold_active(&mut w.unit, c.consultation).await? {
            return Err(Error::conflict(Reason::ConsultationNotActive));
        }
        let mut account = NewAccount::held_by(
            &holder(self.customer),
            AccountKind::WithdrawalSub,
            Currency::Jpy,
            shared::ledger::account_label::WITHDRAWAL_SUB,
        );
        account.owner = Some(c.main);
        account.deadline_ms = Some(c.expires_at_ms);
        let sub = w.open_account(&account).await?;
        let funding = store::Funding {
            account: c.main,
            yen: c.amount.amount_minor,
            sub_account: sub,
            number: &c.number,
            password_hash: &c.hash.0,
            expires_at_ms: c.expires_at_ms,
        };
        // Only the amount and account the passkey confirmed: a second
        // begin-confirm with another amount makes this one fail.
        if !store::fund(w.unit.conn(), self.id, &funding).await? {
            return Err(Error::conflict(Reason::FormClosed));
        }
        let total = c
            .amount
            .checked_add(c.fee)
            .map_err(|_| Error::conflict(Reason::AmountTooLarge))?;
        let request = TransferRequest::Single {
            debit: c.main,
            credit: sub,
            // The fee goes in with the cash, so the sub-account can always pay it.
            amount: total,
            code: TransferCode::SubAccountFunding,
            reference: "Withdrawal arranged in a consultation".into(),
        };
        w.transfer(&Key::of(FLOW, Purpose::Fund, self.id.0), request)
            .await?;
        let confirmed = serde_json::json!({
            "amount_yen": c.amount.amount_minor,
            "fee_yen": c.fee.amount_minor,
            "passkey": c.passkey,
            "password": if c.chosen { "chosen" } else { "generated" },
        });
        w.unit.audit(
            holder(self.customer),
            "sub_withdrawal.confirmed",
            format!("sub_withdrawal:{}", self.id),
            confirmed,
        );
        let funded = serde_json::json!({
            "amount_yen": c.amount.amount_minor,
            "fee_yen": c.fee.amount_minor,
            "sub_account": sub.0,
        });
        Ok(("funded", holder(self.customer), funded))
    }

    async fn pay_out(&self, w: &mut Work<'_>, p: &PayOut) -> Result<SubWithdrawal, Error> {
        let id = self.id;
        let now = w.unit.now_ms();
        if !store::pay_out(w.unit.conn(), id, p.atm, &p.checked.0, now).await? {
            let found = current_row(&mut w.unit, id).await?;
            let w = &found.withdrawal;
            return Err(Error::conflict(match w.state {
                S::Locked => Reason::SubAccountLocked,
                S::Ready if w.expires_at_ms.is_some_and(|t| t <= now) => Reason::CodeExpired,
                S::Returned => Reason::CodeExpired,
                // A new password was set since this one was checked.
                S::Ready => Reason::PasswordChanged,
                _ => Reason::CodeUsed,
            }));
        }
        let cash = TransferRequest::Single {
            debit: p.sub,
            credit: p.cassette,
            amount: p.amount,
            code: TransferCode::Withdrawal,
            reference: format!("Cash from {}", p.atm_name),
        };
        w.transfer(&Key::of(FLOW, Purpose::Cash, id.0), cash)
            .await?;
        if p.fee.amount_minor > 0 {
            let fee = TransferRequest::Single {
                debit: p.sub,
                credit: p.fee_income,
                amount: p.fee,
                code: TransferCode::Fee,
                reference: format!("Withdrawal with a code: fee ({})", p.atm_name),
            };
            w.transfer(&Key::of(FLOW, Purpose::Fee, id.0), fee).await?;
        }
        let detail = serde_json::json!({
            "amount_yen": p.amount.amount_minor,
            "fee_yen": p.fee.amount_minor,
        });
        let notice = Notice::SubAccountTaken {
            amount: p.amount,
            fee: p.fee,
            atm: p.atm_name.clone(),
        };
        let audit = Some(("dispensed", format!("atm:{}", p.atm), detail));
        Ok(changed(&mut w.unit, id, audit, Some(notice))
            .await?
            .withdrawal)
    }

    /// After expiry no kiosk can pay the row, so nothing races the return.
    async fn give_back(
        &self,
        w: &mut Work<'_>,
        main: AccountId,
        sub: AccountId,
    ) -> Result<SubWithdrawal, Error> {
        let id = self.id;
        let now = w.unit.now_ms();
        if !store::returned(w.unit.conn(), id, now).await? {
            return Err(Error::conflict(Reason::NotDue));
        }
        let found = current_row(&mut w.unit, id).await?;
        let amount = found.withdrawal.amount.unwrap_or(Money::jpy(0));
        let total = amount
            .checked_add(found.withdrawal.fee)
            .map_err(|_| Error::conflict(Reason::AmountTooLarge))?;
        let back = TransferRequest::Single {
            debit: sub,
            credit: main,
            amount: total,
            code: TransferCode::SubAccountReturn,
            reference: "Unclaimed withdrawal returned".into(),
        };
        w.transfer(&Key::of(FLOW, Purpose::Return, id.0), back)
            .await?;
        let notice = Notice::SubAccountReturned {
            amount,
            returned: total,
        };
        let detail = serde_json::json!({ "returned_yen": total.amount_minor });
        let audit = Some(("returned", "system".to_string(), detail));
        Ok(changed(&mut w.unit, id, audit, Some(notice))
            .await?
            .withdrawal)
    }
}

async fn current_row(unit: &mut Unit<'_>, id: SubWithdrawalId) -> Result<store::Stored, Error> {
    store::get(unit.conn(), id)
        .await?
        .ok_or_else(|| shared::AppError::NotFound.into())
}

/// Tells both sides the row changed (with a notice for the customer, and an
/// audit entry, when given); returns the row as it is now.
async fn changed(
    unit: &mut Unit<'_>,
    id: SubWithdrawalId,
    audit: Option<Audit>,
    notice: Option<Notice>,
) -> Result<store::Stored, Error> {
    let found = current_row(unit, id).await?;
    let event = Event::SubWithdrawalChanged {
        withdrawal: found.withdrawal.clone(),
    };
    for user in [found.customer, found.clerk] {
        unit.notify(user, &event).await?;
    }
    if let Some(notice) = notice {
        unit.notify(found.customer, &Event::Notice { notice })
            .await?;
    }
    if let Some((action, actor, detail)) = audit {
        unit.audit(
            actor,
            format!("sub_withdrawal.{action}"),
            format!("sub_withdrawal:{id}"),
            detail,
        );
    }
    Ok(found)
}

//! Cardless withdrawals at the ATM: the kiosk reads a code, the customer's
//! phone is asked to confirm (passkey, and the phone within N metres of
//! this ATM), and once it has, the kiosk dispenses: the hold is posted, the
//! cash leaves the cassette and the fee goes to fee income, in one linked
//! ledger request.
//!
//! A wrong or unknown code counts against the kiosk (it locks after five in
//! a row). A code works once. The customer hears of every scan of their code.

use crate::identity::secret;
use async_trait::async_trait;
use shared::{
    approval::{ApprovalContext, ApprovalKind, ApprovalState, NearRule, Outcome, Place, Warning},
    cardless::port::KioskPort,
    cardless::{KioskStep, KioskWithdrawal, WithdrawalState},
    events::{Event, Notice},
    ids::WithdrawalId,
    AppError, Reason,
};

use super::{jobs::Dispense, store, Cardless, QR_PREFIX, SCOPE};
use crate::{
    approvals::{self, NewApproval},
    atms::AtmRow,
    error::Error,
    identity::session,
    ledger::{FlowJob, Locks, Work},
    system::now_ms,
};

/// How long the phone has to confirm a scan (never past the code's own expiry).
const CONFIRM_MS: i64 = 2 * 60 * 1000;
/// How near this ATM the phone must be, in metres.
pub const NEAR_ATM_M: u32 = 300;

/// What a kiosk was given: the QR's token, or the short code a person typed
/// (`<withdrawal id>-<6 digits>`, spaces anywhere).
#[derive(Debug, PartialEq)]
enum Code<'a> {
    Token(&'a str),
    Typed { number: WithdrawalId, pin: String },
}

fn read_code(code: &str) -> Option<Code<'_>> {
    let code = code.trim();
    if let Some(token) = code.strip_prefix(QR_PREFIX) {
        return Some(Code::Token(token));
    }
    let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let (number, pin) = typed.split_once('-')?;
    let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(number, 1..=15) || !digits(pin, 6..=6) {
        return None;
    }
    Some(Code::Typed {
        number: WithdrawalId(number.parse().ok()?),
        pin: pin.to_string(),
    })
}

fn unknown() -> AppError {
    AppError::invalid("code", Reason::Unknown)
}

fn conflict(reason: Reason) -> AppError {
    AppError::Conflict { reason }
}

impl Cardless {
    /// The withdrawal a QR payload or a typed short code names, if the code is right.
    async fn find(&self, code: &str) -> Result<Option<store::Stored>, Error> {
        match read_code(code) {
            None => Ok(None),
            Some(Code::Token(token)) => store::by_token(&self.db, &session::hash(token)).await,
            Some(Code::Typed { number, pin }) => {
                let Some(found) = store::get(self.db.pool(), number).await? else {
                    return Ok(None);
                };
                let right = secret::verify(pin, found.pin_hash.clone()).await?;
                Ok(right.then_some(found))
            }
        }
    }

    async fn tell_owner(&self, owner: shared::ids::UserId, notice: Notice) {
        let event = Event::Notice { notice };
        if let Err(e) = self.notifier.notify(owner, &event).await {
            tracing::warn!(error = %e, "could not tell the customer about a scan");
        }
    }

    /// Posts the hold, moves the cash out of the cassette and takes the fee,
    /// once, with the row marked dispensed in the same job; returns when it
    /// was dispensed, or `None` when its reservation was released first
    /// (cancelled or expired).
    async fn dispense(&self, found: &store::Stored, atm: &AtmRow) -> Result<Option<i64>, Error> {
        let job = Dispense {
            id: found.withdrawal.id,
            hold: found.hold,
            atm: atm.id,
            atm_name: atm.name.clone(),
            clearing: self.clearing().await?,
            cassette: atm.cassette,
            fee_income: self.ledger.fee_income().await?,
            amount: found.withdrawal.amount,
            fee: found.withdrawal.fee,
        };
        match self.ledger.run(SCOPE, job).await {
            Err(Error::App(AppError::Conflict { .. })) => Ok(None),
            other => other,
        }
    }
}

/// Takes a scanned code for its ATM and asks the phone to confirm, in one job.
#[derive(Debug)]
struct Scan {
    id: WithdrawalId,
    atm: shared::ids::AtmId,
    owner: shared::ids::UserId,
    approval: NewApproval,
}

#[async_trait]
impl FlowJob for Scan {
    type Output = shared::approval::Approval;

    fn locks(&self) -> Locks {
        Locks::new().user(self.owner)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<Self::Output, Error> {
        let now = w.unit.now_ms();
        if !store::take_for(w.unit.conn(), self.id, self.atm, now).await? {
            return Err(Error::conflict(Reason::CodeUsed));
        }
        let approval = approvals::raise_in(&mut w.unit, self.approval.clone()).await?;
        store::set_approval(w.unit.conn(), self.id, approval.id).await?;
        Ok(approval)
    }
}

#[async_trait]
impl KioskPort for Cardless {
    async fn scan(&self, device: Option<&str>, code: &str) -> Result<KioskWithdrawal, AppError> {
        let atm = self.atms.active_kiosk(device).await?;
        let Some(found) = self.find(code).await? else {
            self.atms.bad_code(&atm).await?;
            return Err(unknown());
        };
        self.atms.good_code(&atm).await?;
        let w = &found.withdrawal;
        let now = now_ms();
        let refusal = match w.state {
            WithdrawalState::Ready if w.expires_at_ms <= now => Some(Reason::CodeExpired),
            WithdrawalState::Ready => None,
            WithdrawalState::AwaitingPhone | WithdrawalState::Dispensed => Some(Reason::CodeUsed),
            WithdrawalState::Cancelled => Some(Reason::CodeCancelled),
            WithdrawalState::Expired => Some(Reason::CodeExpired),
        };
        if let Some(reason) = refusal {
            let notice = Notice::CashCodeRefused {
                atm: atm.name.clone(),
                address: atm.address.clone(),
            };
            self.tell_owner(found.owner, notice).await;
            return Err(conflict(reason));
        }
        let cash = self.ledger.balance(atm.cassette).await?.available();
        if cash.amount_minor < w.amount.amount_minor {
            let notice = Notice::CashCodeAtmShort {
                atm: atm.name.clone(),
                address: atm.address.clone(),
            };
            self.tell_owner(found.owner, notice).await;
            return Err(conflict(Reason::AtmShortOfCash));
        }
        // Taking the code, raising the request on the phone and linking the two commit together.
        let scan = Scan {
            id: w.id,
            atm: atm.id,
            owner: found.owner,
            approval: NewApproval {
                kind: ApprovalKind::CardlessWithdrawal,
                decider: found.owner,
                requester: format!("{} ATM", atm.name),
                context: ApprovalContext {
                    amount: Some(w.amount),
                    fee: (w.fee.amount_minor > 0).then_some(w.fee),
                    payee: None,
                    place: Some(Place {
                        name: atm.name.clone(),
                        at: atm.at,
                    }),
                    warnings: vec![Warning::PhoneScam],
                    reasons: vec![atm.address.clone()],
                    delegated: None,
                },
                near: Some(NearRule {
                    within_m: NEAR_ATM_M,
                }),
                ttl_ms: CONFIRM_MS.min(w.expires_at_ms - now).max(1),
            },
        };
        let approval = self.ledger.run(SCOPE, scan).await?;
        Ok(KioskWithdrawal {
            id: w.id,
            amount: w.amount,
            fee: w.fee,
            step: KioskStep::AwaitingPhone {
                deadline_ms: approval.deadline_ms,
            },
        })
    }

    async fn progress(
        &self,
        device: Option<&str>,
        id: WithdrawalId,
    ) -> Result<KioskWithdrawal, AppError> {
        let atm = self.atms.active_kiosk(device).await?;
        let found = store::get(self.db.pool(), id)
            .await?
            .filter(|f| f.atm == Some(atm.id))
            .ok_or(AppError::NotFound)?;
        let at_kiosk = |step| KioskWithdrawal {
            id,
            amount: found.withdrawal.amount,
            fee: found.withdrawal.fee,
            step,
        };
        if found.withdrawal.state == WithdrawalState::Dispensed {
            let at_ms = found.withdrawal.ended_at_ms.unwrap_or_else(now_ms);
            return Ok(at_kiosk(KioskStep::Dispensing { at_ms }));
        }
        let approval = match found.approval {
            Some(a) => self.approvals.get(a).await?,
            None => None,
        };
        let Some(approval) = approval else {
            return Ok(at_kiosk(KioskStep::Refused {
                reason: Reason::NotConfirmed,
            }));
        };
        match approval.state {
            ApprovalState::Pending => Ok(at_kiosk(KioskStep::AwaitingPhone {
                deadline_ms: approval.deadline_ms,
            })),
            ApprovalState::Approved if found.withdrawal.state == WithdrawalState::AwaitingPhone => {
                Ok(at_kiosk(match self.dispense(&found, &atm).await? {
                    Some(at_ms) => KioskStep::Dispensing { at_ms },
                    None => KioskStep::Refused {
                        reason: Reason::Cancelled,
                    },
                }))
            }
            _ => Ok(at_kiosk(KioskStep::Refused {
                reason: match approval.outcome {
                    None => Reason::NotConfirmed,
                    Some(Outcome::DeclinedByUser) => Reason::DeclinedByUser,
                    Some(Outcome::TooFar) => Reason::TooFar,
                    Some(Outcome::Expired) => Reason::Expired,
                    // Approved, but the withdrawal ended meanwhile.
                    Some(Outcome::Approved | Outcome::Cancelled) => Reason::Cancelled,
                },
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_code_is_the_qr_token_or_an_id_and_six_digits() {
        assert_eq!(read_code(" anshin:cw:abc "), Some(Code::Token("abc")));
        assert_eq!(
            read_code("12 - 345 678"),
            Some(Code::Typed {
                number: WithdrawalId(12),
                pin: "345678".into()
            })
        );
        for bad in [
            "12-34567",
            "12-3456789",
            "-345678",
            "+12-345678",
            "12-３４５６７８",
            "12345678",
        ] {
            assert_eq!(read_code(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn no_string_makes_a_code_out_of_rule(s in "\\PC{0,40}|[0-9 -]{0,20}|anshin:cw:\\PC{0,10}") {
            match read_code(&s) {
                Some(Code::Token(t)) => prop_assert!(s.trim().ends_with(t)),
                Some(Code::Typed { number, pin }) => {
                    prop_assert!(number.0 >= 0);
                    prop_assert!(pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()));
                }
                None => {}
            }
        }
    }
}

//! Cardless withdrawals at the ATM: the kiosk reads a code, the customer's
//! phone is asked to confirm (passkey, and the phone within N metres of
//! this ATM), and once it has, the kiosk dispenses: the hold is posted, the
//! cash leaves the cassette and the fee goes to fee income, in one linked
//! ledger request.
//!
//! A wrong or unknown code counts against the kiosk (it locks after five in
//! a row). A code works once. The customer hears of every scan of their code.

use argon2::{password_hash::PasswordHash, Argon2, PasswordVerifier};
use async_trait::async_trait;
use shared::{
    approval::{ApprovalContext, ApprovalKind, ApprovalState, NearRule, Place, Warning},
    cardless::{KioskStep, KioskWithdrawal, WithdrawalState},
    events::Event,
    ids::WithdrawalId,
    ledger::{AccountKind, TransferCode, TransferRequest},
    ports::KioskPort,
    AppError,
};

use super::{key, store, Cardless, CLEARING_SETTING, SCOPE};

const FEE_INCOME_SETTING: &str = "fee_income_account";
use crate::{
    approvals::NewApproval, atms::store::AtmRow, error::internal, identity::session, system::now_ms,
};

/// How long the phone has to confirm a scan (never past the code's own expiry).
const CONFIRM_MS: i64 = 2 * 60 * 1000;
/// How near this ATM the phone must be, in metres.
pub const NEAR_ATM_M: u32 = 300;

fn unknown() -> AppError {
    AppError::invalid("code", "unknown")
}

fn conflict(reason: &str) -> AppError {
    AppError::Conflict {
        reason: reason.into(),
    }
}

impl Cardless {
    /// The withdrawal a QR payload or a typed short code names, if the code is right.
    async fn find(&self, code: &str) -> Result<Option<store::Stored>, AppError> {
        let code = code.trim();
        if let Some(token) = code.strip_prefix("anshin:cw:") {
            return store::by_token(&self.db, &session::hash(token))
                .await
                .map_err(|e| internal("cardless", e));
        }
        let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let Some((number, pin)) = typed.split_once('-') else {
            return Ok(None);
        };
        let (Ok(number), true) = (number.parse::<i64>(), pin.len() == 6) else {
            return Ok(None);
        };
        let Some(found) = store::get(&self.db, WithdrawalId(number))
            .await
            .map_err(|e| internal("cardless", e))?
        else {
            return Ok(None);
        };
        let hash = PasswordHash::new(&found.pin_hash).map_err(|e| internal("pin hash", e))?;
        Ok(Argon2::default()
            .verify_password(pin.as_bytes(), &hash)
            .is_ok()
            .then_some(found))
    }

    async fn tell_owner(&self, owner: shared::ids::UserId, atm: &AtmRow, what: &str) {
        let text = format!(
            "Your cash code was scanned at {} ({}): {what}",
            atm.name, atm.address
        );
        if let Err(e) = self.notifier.notify(owner, &Event::Notice { text }).await {
            tracing::warn!(error = %e, "could not tell the customer about a scan");
        }
    }

    /// Posts the hold, moves the cash out of the cassette and takes the fee,
    /// once; returns when the withdrawal was dispensed, or `None` when its
    /// reservation was released first (cancelled or expired).
    async fn dispense(&self, found: &store::Stored, atm: &AtmRow) -> Result<Option<i64>, AppError> {
        let id = found.withdrawal.id;
        let clearing = self
            .ledger
            .platform_account(CLEARING_SETTING, AccountKind::Funding, "Cardless clearing")
            .await?;
        let mut items = vec![
            (
                key(&format!("cw:w:{id}:post"))?,
                TransferRequest::PostPending {
                    pending_id: found.hold,
                    amount: None,
                },
            ),
            (
                key(&format!("cw:w:{id}:cash"))?,
                TransferRequest::Single {
                    debit: clearing,
                    credit: atm.cassette,
                    amount: found.withdrawal.amount,
                    code: TransferCode::Withdrawal,
                    reference: format!("Cash from {}", atm.name),
                },
            ),
        ];
        let fee = found.withdrawal.fee;
        if fee.amount_minor > 0 {
            let income = self
                .ledger
                .platform_account(FEE_INCOME_SETTING, AccountKind::FeeIncome, "Fee income")
                .await?;
            items.push((
                key(&format!("cw:w:{id}:fee"))?,
                TransferRequest::Single {
                    debit: clearing,
                    credit: income,
                    amount: fee,
                    code: TransferCode::Fee,
                    reference: format!("Cardless withdrawal fee ({})", atm.name),
                },
            ));
        }
        match self.ledger.transfer_linked(SCOPE, items).await {
            Ok(_) => {}
            // Cancelled or expired a moment before: nothing moved, nothing to give out.
            Err(crate::ledger::LedgerError::HoldNotPending { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let detail = serde_json::json!({
            "amount_yen": found.withdrawal.amount.amount_minor,
            "fee_yen": fee.amount_minor,
        });
        self.close_row(
            id,
            WithdrawalState::Dispensed,
            &format!("atm:{}", atm.id),
            detail.to_string(),
        )
        .await?;
        // Another request may have ended it first: its time is the receipt's.
        Ok(Some(
            store::get(&self.db, id)
                .await
                .map_err(|e| internal("cardless", e))?
                .and_then(|s| s.withdrawal.ended_at_ms)
                .unwrap_or_else(now_ms),
        ))
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
            WithdrawalState::Ready if w.expires_at_ms <= now => Some("code_expired"),
            WithdrawalState::Ready => None,
            WithdrawalState::AwaitingPhone | WithdrawalState::Dispensed => Some("code_used"),
            WithdrawalState::Cancelled => Some("code_cancelled"),
            WithdrawalState::Expired => Some("code_expired"),
        };
        if let Some(reason) = refusal {
            self.tell_owner(
                found.owner,
                &atm,
                "refused (already used, cancelled or expired).",
            )
            .await;
            return Err(conflict(reason));
        }
        let cash = self.ledger.balance(atm.cassette).await?.available();
        if cash.amount_minor < w.amount.amount_minor {
            self.tell_owner(
                found.owner,
                &atm,
                "this ATM does not have enough cash; your money is still reserved.",
            )
            .await;
            return Err(conflict("atm_short_of_cash"));
        }
        // Taking the code, raising the request on the phone and linking the two commit together.
        let mut tx = self
            .db
            .pool()
            .begin()
            .await
            .map_err(|e| internal("cardless", e))?;
        if !store::take_for(&mut tx, w.id, atm.id, now)
            .await
            .map_err(|e| internal("cardless", e))?
        {
            return Err(conflict("code_used"));
        }
        let (approval, delivery) = self
            .approvals
            .raise_in(
                &mut tx,
                NewApproval {
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
                    },
                    near: Some(NearRule {
                        within_m: NEAR_ATM_M,
                    }),
                    ttl_ms: CONFIRM_MS.min(w.expires_at_ms - now).max(1),
                },
            )
            .await?;
        store::set_approval(&mut tx, w.id, approval.id)
            .await
            .map_err(|e| internal("cardless", e))?;
        self.notifier
            .commit(tx, vec![delivery])
            .await
            .map_err(|e| internal("cardless", e))?;
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
        let found = store::get(&self.db, id)
            .await
            .map_err(|e| internal("cardless", e))?
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
                reason: "not_confirmed".into(),
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
                        reason: "cancelled".into(),
                    },
                }))
            }
            _ => Ok(at_kiosk(KioskStep::Refused {
                reason: approval
                    .outcome
                    .map_or("not_confirmed", |o| o.as_str())
                    .to_string(),
            })),
        }
    }
}

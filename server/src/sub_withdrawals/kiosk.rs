//! Withdrawals with a code at the ATM: the kiosk sends a sub-account's
//! number and password (typed on its keypad, or read from the customer's
//! QR code). A right password pays the whole sub-account out at once: the
//! cash to the ATM's cassette and this withdrawal's own fee to fee income,
//! in one linked ledger request. Five wrong passwords in a row lock the
//! sub-account and tell the customer. An unknown number counts against the
//! kiosk, like a wrong cardless code, so numbers cannot be tried in bulk.

use argon2::{password_hash::PasswordHash, Argon2, PasswordVerifier};
use async_trait::async_trait;
use shared::{
    ledger::{AccountKind, TransferCode, TransferRequest},
    ports::CodeKioskPort,
    sub_withdrawal::{CodeReceipt, SubWithdrawalState as S, MAX_TRIES},
    AppError,
};

use super::{conflict, db_error, key, store, SubWithdrawals, SCOPE};
use crate::{atms::store::AtmRow, error::internal, ledger::LedgerError, system::now_ms};

const FEE_INCOME_SETTING: &str = "fee_income_account";

/// Checks a password against its argon2id hash, off the async workers.
async fn verify(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let hash = PasswordHash::new(&hash).map_err(|e| internal("password hash", e))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok())
    })
    .await
    .map_err(|e| internal("password hash", e))?
}

/// The key of one part (`cash`, `fee`) of payout `attempt`.
pub(super) fn payout_key(
    id: shared::ids::SubWithdrawalId,
    attempt: i64,
    part: &str,
) -> Result<shared::ledger::IdempotencyKey, AppError> {
    key(&format!("sw:{id}:{part}:{attempt}"))
}

fn wrong() -> AppError {
    AppError::invalid("code", "unknown")
}

impl SubWithdrawals {
    /// Counts a wrong password on the row; the fifth locks it and tells the customer.
    async fn wrong_password(&self, found: &store::Stored, atm: &AtmRow) -> Result<(), AppError> {
        let id = found.withdrawal.id;
        let mut tx = self.begin().await?;
        let count = store::wrong_password(&mut tx, id, MAX_TRIES)
            .await
            .map_err(db_error)?;
        if count == Some(MAX_TRIES) {
            let text = format!(
                "Your withdrawal sub-account {} was locked after {MAX_TRIES} wrong passwords at {}. \
                 Unlock it with your passkey, or set a new password.",
                found.withdrawal.number.as_deref().unwrap_or_default(),
                atm.name
            );
            let detail = serde_json::json!({ "atm": atm.id.0, "tries": MAX_TRIES });
            let (_, deliveries) = self
                .changed(
                    &mut tx,
                    id,
                    Some(("locked", format!("atm:{}", atm.id), detail)),
                    Some(text),
                )
                .await?;
            self.commit(tx, deliveries).await?;
        } else {
            let (_, deliveries) = self.changed(&mut tx, id, None, None).await?;
            self.commit(tx, deliveries).await?;
        }
        Ok(())
    }

    /// Moves the cash and the fee out of the sub-account, once. The inner
    /// result is the ledger's answer; the outer, a request it never got.
    async fn pay_out(
        &self,
        found: &store::Stored,
        attempt: i64,
        atm: &AtmRow,
    ) -> Result<Result<(), LedgerError>, AppError> {
        let w = &found.withdrawal;
        let id = w.id;
        let (Some(sub), Some(amount)) = (w.sub_account, w.amount) else {
            return Err(internal("sub_withdrawal", "funded row without sub-account"));
        };
        let mut items = vec![(
            payout_key(id, attempt, "cash")?,
            TransferRequest::Single {
                debit: sub,
                credit: atm.cassette,
                amount,
                code: TransferCode::Withdrawal,
                reference: format!("Cash from {}", atm.name),
            },
        )];
        if w.fee.amount_minor > 0 {
            let income = self
                .ledger
                .platform_account(FEE_INCOME_SETTING, AccountKind::FeeIncome, "Fee income")
                .await?;
            items.push((
                payout_key(id, attempt, "fee")?,
                TransferRequest::Single {
                    debit: sub,
                    credit: income,
                    amount: w.fee,
                    code: TransferCode::Fee,
                    reference: format!("Withdrawal with a code: fee ({})", atm.name),
                },
            ));
        }
        Ok(self.ledger.transfer_linked(SCOPE, items).await.map(|_| ()))
    }

    /// Takes a ready row for this ATM; returns the payout attempt.
    async fn take(&self, found: &store::Stored, atm: &AtmRow) -> Result<i64, AppError> {
        let mut tx = self.begin().await?;
        // The clock is read now, after the password check: a row that expired
        // meanwhile belongs to the return sweep.
        let Some(attempt) = store::claim(&mut tx, found.withdrawal.id, atm.id, now_ms())
            .await
            .map_err(db_error)?
        else {
            return Err(conflict("code_used"));
        };
        let (_, deliveries) = self
            .changed(&mut tx, found.withdrawal.id, None, None)
            .await?;
        self.commit(tx, deliveries).await?;
        Ok(attempt)
    }

    /// Payout `attempt` moved nothing: the row is ready for an ATM again.
    async fn release(&self, found: &store::Stored, attempt: i64) -> Result<(), AppError> {
        let mut tx = self.begin().await?;
        if store::ready_again(&mut tx, found.withdrawal.id, S::Dispensing, attempt)
            .await
            .map_err(db_error)?
        {
            let (_, deliveries) = self
                .changed(&mut tx, found.withdrawal.id, None, None)
                .await?;
            self.commit(tx, deliveries).await?;
        }
        Ok(())
    }

    /// Payout `attempt` is in the ledger: the row ends as dispensed, and only
    /// then may the ATM hand out the cash. Returns when it was recorded.
    async fn dispensed(
        &self,
        found: &store::Stored,
        attempt: i64,
        atm: &AtmRow,
    ) -> Result<i64, AppError> {
        let w = &found.withdrawal;
        let amount = w.amount.map_or(0, |a| a.amount_minor);
        let at_ms = now_ms();
        let mut tx = self.begin().await?;
        if !store::dispense(&mut tx, w.id, attempt, at_ms)
            .await
            .map_err(db_error)?
        {
            // The sweep gave this payout up and is putting it back: no cash.
            return Err(AppError::Unavailable);
        }
        let detail = serde_json::json!({
            "amount_yen": amount,
            "fee_yen": w.fee.amount_minor,
        });
        let text = format!(
            "¥{amount} was taken at {} with your withdrawal code (fee ¥{}).",
            atm.name, w.fee.amount_minor
        );
        let (_, deliveries) = self
            .changed(
                &mut tx,
                w.id,
                Some(("dispensed", format!("atm:{}", atm.id), detail)),
                Some(text),
            )
            .await?;
        self.commit(tx, deliveries).await?;
        Ok(at_ms)
    }
}

#[async_trait]
impl CodeKioskPort for SubWithdrawals {
    async fn withdraw_with_code(
        &self,
        device: Option<&str>,
        number: &str,
        password: &str,
    ) -> Result<CodeReceipt, AppError> {
        let atm = self.atms.active_kiosk(device).await?;
        let number: String = number.chars().filter(|c| !c.is_whitespace()).collect();
        let found = {
            let mut conn = self.conn().await?;
            store::by_number(&mut conn, &number)
                .await
                .map_err(db_error)?
        };
        let Some(found) = found else {
            self.atms.bad_code(&atm).await?;
            return Err(wrong());
        };
        let w = &found.withdrawal;
        let now = now_ms();
        let resume = match w.state {
            S::Ready if w.expires_at_ms.is_some_and(|t| t <= now) => {
                return Err(conflict("code_expired"))
            }
            S::Ready => false,
            // This ATM took it and never heard back: the customer may finish here.
            S::Dispensing if found.atm == Some(atm.id) => true,
            // A locked one is not even checked: guessing on has no use.
            S::Locked => return Err(conflict("sub_account_locked")),
            S::Dispensing | S::Dispensed => return Err(conflict("code_used")),
            // Back to ready in a moment.
            S::Reversing => return Err(AppError::Unavailable),
            S::Returned => return Err(conflict("code_expired")),
            S::Pushed | S::Opened | S::Submitted | S::Funding | S::Withdrawn => {
                self.atms.bad_code(&atm).await?;
                return Err(wrong());
            }
        };
        let hash = found
            .password_hash
            .clone()
            .ok_or_else(|| internal("sub_withdrawal", "ready row without password"))?;
        if !verify(password.to_string(), hash).await? {
            // Counted against the sub-account, not the kiosk: five lock it, and the
            // next customer at this ATM is not locked out by someone else's typing.
            self.wrong_password(&found, &atm).await?;
            return Err(wrong());
        }
        self.atms.good_code(&atm).await?;
        let amount = w
            .amount
            .ok_or_else(|| internal("sub_withdrawal", "ready row without amount"))?;
        let attempt = if resume {
            found.attempt
        } else {
            let cash = self.ledger.balance(atm.cassette).await?.available();
            if cash.amount_minor < amount.amount_minor {
                return Err(conflict("atm_short_of_cash"));
            }
            self.take(&found, &atm).await?
        };
        let paid = match self.pay_out(&found, attempt, &atm).await {
            Ok(paid) => paid,
            Err(e) => {
                // The ledger was never asked.
                self.release(&found, attempt).await?;
                return Err(e);
            }
        };
        match paid {
            Ok(()) => {}
            Err(e) if e.is_refusal() => {
                self.release(&found, attempt).await?;
                return Err(e.into());
            }
            // Whether it committed is unknown: the row stays taken. This ATM
            // may finish it with the password; else the sweep puts it back.
            Err(e) => return Err(e.into()),
        }
        let at_ms = self.dispensed(&found, attempt, &atm).await?;
        Ok(CodeReceipt {
            id: w.id,
            amount,
            fee: w.fee,
            at_ms,
        })
    }
}

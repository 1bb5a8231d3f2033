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
use crate::{atms::store::AtmRow, error::internal, system::now_ms};

const FEE_INCOME_SETTING: &str = "fee_income_account";
/// How long a kiosk's claim on a sub-account stands before another may pay it.
pub const CLAIM_MS: i64 = 60_000;

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

    /// Moves the cash and the fee out of the sub-account, once.
    async fn pay_out(&self, found: &store::Stored, atm: &AtmRow) -> Result<(), AppError> {
        let w = &found.withdrawal;
        let id = w.id;
        let (Some(sub), Some(amount)) = (w.sub_account, w.amount) else {
            return Err(internal("sub_withdrawal", "funded row without sub-account"));
        };
        let mut items = vec![(
            key(&format!("sw:{id}:cash"))?,
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
                key(&format!("sw:{id}:fee"))?,
                TransferRequest::Single {
                    debit: sub,
                    credit: income,
                    amount: w.fee,
                    code: TransferCode::Fee,
                    reference: format!("Withdrawal with a code: fee ({})", atm.name),
                },
            ));
        }
        self.ledger.transfer_linked(SCOPE, items).await?;
        Ok(())
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
        match w.state {
            S::Ready if w.expires_at_ms.is_some_and(|t| t <= now) => {
                return Err(conflict("code_expired"))
            }
            S::Ready => {}
            // A locked one is not even checked: guessing on has no use.
            S::Locked => return Err(conflict("sub_account_locked")),
            S::Dispensed => return Err(conflict("code_used")),
            S::Returned => return Err(conflict("code_expired")),
            S::Pushed | S::Opened | S::Submitted | S::Withdrawn => {
                self.atms.bad_code(&atm).await?;
                return Err(wrong());
            }
        }
        let hash = found
            .password_hash
            .as_deref()
            .ok_or_else(|| internal("sub_withdrawal", "ready row without password"))?;
        let hash = PasswordHash::new(hash).map_err(|e| internal("password hash", e))?;
        if Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_err()
        {
            // Counted against the sub-account, not the kiosk: five lock it, and the
            // next customer at this ATM is not locked out by someone else's typing.
            self.wrong_password(&found, &atm).await?;
            return Err(wrong());
        }
        self.atms.good_code(&atm).await?;
        let amount = w
            .amount
            .ok_or_else(|| internal("sub_withdrawal", "ready row without amount"))?;
        let cash = self.ledger.balance(atm.cassette).await?.available();
        if cash.amount_minor < amount.amount_minor {
            return Err(conflict("atm_short_of_cash"));
        }
        // Only one kiosk pays a sub-account, even if two are given its password at once.
        {
            let mut conn = self.conn().await?;
            if !store::claim(&mut conn, w.id, atm.id, now, now - CLAIM_MS)
                .await
                .map_err(db_error)?
            {
                return Err(conflict("code_used"));
            }
        }
        if let Err(e) = self.pay_out(&found, &atm).await {
            let mut conn = self.conn().await?;
            store::unclaim(&mut conn, w.id).await.map_err(db_error)?;
            return Err(e);
        }
        let mut tx = self.begin().await?;
        let at_ms = now_ms();
        store::end(&mut tx, w.id, &[S::Ready], S::Dispensed, at_ms)
            .await
            .map_err(db_error)?;
        let detail = serde_json::json!({
            "amount_yen": amount.amount_minor,
            "fee_yen": w.fee.amount_minor,
        });
        let text = format!(
            "¥{} was taken at {} with your withdrawal code (fee ¥{}).",
            amount.amount_minor, atm.name, w.fee.amount_minor
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
        Ok(CodeReceipt {
            id: w.id,
            amount,
            fee: w.fee,
            at_ms,
        })
    }
}

//! Withdrawals with a code at the ATM: the kiosk sends a sub-account's
//! number and password (typed on its keypad, or read from the customer's
//! QR code). A right password pays the whole sub-account out at once: the
//! cash to the ATM's cassette and this withdrawal's own fee to fee income,
//! in the ledger job that also marks the row dispensed. Five wrong passwords in a row lock the
//! sub-account and tell the customer. An unknown number counts against the
//! kiosk, like a wrong cardless code, so numbers cannot be tried in bulk.

use crate::identity::secret;
use async_trait::async_trait;
use shared::{
    sub_withdrawal::port::CodeKioskPort,
    sub_withdrawal::{CodeReceipt, SubWithdrawalState as S},
    AppError, Reason,
};

use super::{
    conflict,
    jobs::{Hash, PayOut, What},
    store, SubWithdrawals,
};
use crate::{error::internal, system::now_ms};

fn wrong() -> AppError {
    AppError::invalid("code", Reason::Unknown)
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
            store::by_number(&mut conn, &number).await?
        };
        let Some(found) = found else {
            self.atms.bad_code(&atm).await?;
            return Err(wrong());
        };
        let w = &found.withdrawal;
        let now = now_ms();
        match w.state {
            S::Ready if w.expires_at_ms.is_some_and(|t| t <= now) => {
                return Err(conflict(Reason::CodeExpired))
            }
            S::Ready => {}
            // A locked one is not even checked: guessing on has no use.
            S::Locked => return Err(conflict(Reason::SubAccountLocked)),
            S::Dispensed => return Err(conflict(Reason::CodeUsed)),
            S::Returned => return Err(conflict(Reason::CodeExpired)),
            S::Pushed | S::Opened | S::Submitted | S::Withdrawn => {
                self.atms.bad_code(&atm).await?;
                return Err(wrong());
            }
        }
        let (Some(hash), Some(amount), Some(sub)) =
            (found.password_hash.clone(), w.amount, w.sub_account)
        else {
            return Err(internal(
                "sub_withdrawal",
                "ready row without password or money",
            ));
        };
        if !secret::verify(password.to_string(), hash.clone()).await? {
            // Counted against the sub-account, not the kiosk: five lock it, and the
            // next customer at this ATM is not locked out by someone else's typing.
            let what = What::WrongPassword {
                atm: atm.id,
                atm_name: atm.name.clone(),
            };
            self.change(&found, what).await?;
            return Err(wrong());
        }
        self.atms.good_code(&atm).await?;
        let cash = self.ledger.balance(atm.cassette).await?.available();
        if cash.amount_minor < amount.amount_minor {
            return Err(conflict(Reason::AtmShortOfCash));
        }
        let pay = PayOut {
            atm: atm.id,
            atm_name: atm.name.clone(),
            cassette: atm.cassette,
            fee_income: self.ledger.fee_income().await?,
            sub,
            amount,
            fee: w.fee,
            checked: Hash(hash),
        };
        // The row says dispensed in the same commit that moves the money;
        // only after it does the ATM hand out the cash.
        let paid = self.change(&found, What::PayOut(pay)).await?;
        Ok(CodeReceipt {
            id: w.id,
            amount,
            fee: w.fee,
            at_ms: paid.ended_at_ms.unwrap_or(now),
        })
    }
}

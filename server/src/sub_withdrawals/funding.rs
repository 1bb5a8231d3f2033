//! Moving a confirmed form's money into its sub-account. The row leaves the
//! form states for `funding` before the ledger is asked, so neither a
//! cancel, the consultation's end nor a second confirmation with another
//! amount can slip in between. The ledger's answer then takes the row to
//! `ready`, or back to the form when it refused. A server that stops in
//! between leaves the row in `funding`; the sweep finishes it with the same
//! request under the same idempotency key, so the money moves at most once.
//! Each confirmation is a new attempt with keys of its own: a form reopened
//! after a refusal never replays the earlier attempt's answer, and money that
//! an attempt moved after its row was reopened is moved straight back.

use shared::{
    ledger::{IdempotencyKey, Transfer, TransferCode, TransferRequest},
    money::Money,
    sub_withdrawal::{SubWithdrawal, SubWithdrawalState as S},
    AppError,
};

use super::{conflict, db_error, key, store, SubWithdrawals, SCOPE};
use crate::{consultations::store as consultations, error::internal, system::now_ms};

/// Who finished a funding, for the audit trail and the customer's notice.
pub(super) enum FundedBy {
    /// The confirming customer, who sees the password in the answer.
    Customer(String),
    /// The sweep, after the confirming request was cut off: the customer
    /// may never have seen the password, so they are told how to get one.
    Sweep,
}

impl SubWithdrawals {
    /// The funding transfer of a row, the same every time it is asked for.
    /// The fee goes in with the cash, so the sub-account can always pay it.
    pub(super) fn funding_request(
        found: &store::Stored,
    ) -> Result<(IdempotencyKey, TransferRequest), AppError> {
        let w = &found.withdrawal;
        let (Some(main), Some(sub), Some(amount)) = (found.account, w.sub_account, w.amount) else {
            return Err(internal("sub_withdrawal", "funding row without accounts"));
        };
        let request = TransferRequest::Single {
            debit: main,
            credit: sub,
            amount: Money::jpy(amount.amount_minor + w.fee.amount_minor),
            code: TransferCode::SubAccountFunding,
            reference: "Withdrawal arranged in a consultation".into(),
        };
        Ok((
            key(&format!("sw:{}:fund:{}", w.id, found.attempt))?,
            request,
        ))
    }

    /// Asks the ledger to fund the row and settles the row by its answer:
    /// `ready` when the money moved, the form again when it was refused.
    /// An unknown outcome (shutting down, a database error) leaves the row
    /// in `funding` for the sweep.
    pub(super) async fn fund(
        &self,
        found: &store::Stored,
        by: FundedBy,
    ) -> Result<SubWithdrawal, AppError> {
        if found.withdrawal.state != S::Funding {
            return Err(conflict("form_closed"));
        }
        let (key, request) = Self::funding_request(found)?;
        match self.ledger.transfer(SCOPE, &key, request).await {
            Ok(moved) => self.funded(found, &moved, by).await,
            Err(e) if e.is_refusal() => {
                self.refused(found).await?;
                Err(e.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn funded(
        &self,
        found: &store::Stored,
        moved: &Transfer,
        by: FundedBy,
    ) -> Result<SubWithdrawal, AppError> {
        let w = &found.withdrawal;
        let mut tx = self.begin().await?;
        if !store::ready_again(&mut tx, w.id, S::Funding, found.attempt)
            .await
            .map_err(db_error)?
        {
            drop(tx);
            return self.funded_elsewhere(found, moved).await;
        }
        let amount = w.amount.map_or(0, |a| a.amount_minor);
        let (actor, notice) = match by {
            FundedBy::Customer(actor) => (actor, None),
            FundedBy::Sweep => (
                "system".to_string(),
                Some(format!(
                    "Your withdrawal of ¥{amount} is ready for an ATM (number {}). If you did not \
                     see its password, get a new one with your passkey under Cash arranged with a \
                     clerk.",
                    w.number.as_deref().unwrap_or_default()
                )),
            ),
        };
        let detail = serde_json::json!({
            "amount_yen": amount,
            "fee_yen": w.fee.amount_minor,
            "sub_account": w.sub_account.map(|a| a.0),
            "finished_by": if notice.is_some() { "sweep" } else { "customer" },
        });
        let (row, deliveries) = self
            .changed(&mut tx, w.id, Some(("funded", actor, detail)), notice)
            .await?;
        self.commit(tx, deliveries).await?;
        Ok(row.withdrawal)
    }

    /// The row did not move from this attempt's `funding` to `ready`: either
    /// the other of the confirming request and the sweep finished the same
    /// attempt (fine), or the attempt was given up (refused, withdrawn) and
    /// its late success is moved straight back to the main account.
    async fn funded_elsewhere(
        &self,
        found: &store::Stored,
        moved: &Transfer,
    ) -> Result<SubWithdrawal, AppError> {
        let w = &found.withdrawal;
        let now = {
            let mut conn = self.conn().await?;
            store::get(&mut conn, w.id)
                .await
                .map_err(db_error)?
                .ok_or(AppError::NotFound)?
        };
        let same_attempt = now.attempt == found.attempt;
        if same_attempt && !now.withdrawal.state.is_open() {
            return Ok(now.withdrawal);
        }
        let back = moved.reversal(TransferCode::SubAccountReturn, "Withdrawal funding undone");
        let key = key(&format!("sw:{}:fund:{}:back", w.id, found.attempt))?;
        self.ledger.transfer(SCOPE, &key, back).await?;
        tracing::warn!(withdrawal = %w.id, attempt = found.attempt, "late funding moved back");
        Err(conflict("form_closed"))
    }

    /// The ledger refused the funding (the money was spent meanwhile): the
    /// form opens again for another amount while the consultation lasts,
    /// and is withdrawn once it has ended.
    async fn refused(&self, found: &store::Stored) -> Result<(), AppError> {
        let w = &found.withdrawal;
        let mut tx = self.begin().await?;
        let reopen = consultations::hold_active(&mut tx, w.consultation)
            .await
            .map_err(db_error)?;
        if !store::refuse_funding(&mut tx, w.id, found.attempt, reopen, now_ms())
            .await
            .map_err(db_error)?
        {
            return Ok(());
        }
        let (_, deliveries) = self
            .changed(
                &mut tx,
                w.id,
                Some(("funding_refused", "system".into(), serde_json::json!({}))),
                None,
            )
            .await?;
        self.commit(tx, deliveries).await
    }
}

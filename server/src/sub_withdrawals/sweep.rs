//! The periodic pass that settles what no request will: unclaimed money
//! in expired sub-accounts goes back to the main account, and rows left in
//! flight by a request that was cut off are settled from the ledger, which
//! knows by each transfer's idempotency key whether the money moved. A
//! confirmed funding is finished (the customer confirmed it with a
//! passkey); a payout is put back, because an ATM hands out cash only once
//! the row says dispensed, so one that never heard back gave out nothing.
//! A row that cannot be settled now is logged and skipped, so it never
//! holds up the rows after it.

use shared::{
    ids::SubWithdrawalId,
    ledger::{TransferCode, TransferRequest},
    money::Money,
    sub_withdrawal::SubWithdrawalState as S,
    AppError,
};

use super::{
    db_error, funding::FundedBy, key, kiosk::payout_key, store, store::Due, SubWithdrawals,
    IN_FLIGHT_MS, SCOPE,
};
use crate::system::now_ms;

/// Rows read per page of a pass.
const PAGE: i64 = 200;

#[derive(Debug, Clone, Copy)]
enum Job {
    Fund,
    PutBack,
    Return,
}

impl SubWithdrawals {
    /// One pass over every kind of due row; returns how many it settled.
    pub async fn settle_due(&self) -> Result<usize, AppError> {
        let now = now_ms();
        let stale = now - IN_FLIGHT_MS;
        let passes = [
            (
                Job::Fund,
                [S::Funding].as_slice(),
                Due::InFlightSince,
                stale,
            ),
            (
                Job::PutBack,
                &[S::Dispensing, S::Reversing],
                Due::InFlightSince,
                stale,
            ),
            (Job::Return, &[S::Ready, S::Locked], Due::Expiry, now),
        ];
        let mut settled = 0;
        for (job, states, column, until) in passes {
            let mut after = SubWithdrawalId(0);
            loop {
                let page = {
                    let mut conn = self.conn().await?;
                    store::due(&mut conn, states, column, until, after, PAGE)
                        .await
                        .map_err(db_error)?
                };
                let Some(last) = page.last() else { break };
                after = *last;
                for id in page {
                    match self.settle(job, id).await {
                        Ok(true) => settled += 1,
                        Ok(false) => {}
                        Err(e) => tracing::warn!(
                            withdrawal = %id, job = ?job, error = %e,
                            "could not settle a sub-account; the next pass tries again"
                        ),
                    }
                }
            }
        }
        Ok(settled)
    }

    async fn settle(&self, job: Job, id: SubWithdrawalId) -> Result<bool, AppError> {
        let found = {
            let mut conn = self.conn().await?;
            store::get(&mut conn, id).await.map_err(db_error)?
        };
        let Some(found) = found else { return Ok(false) };
        match job {
            Job::Fund => self.fund(&found, FundedBy::Sweep).await.map(|_| true),
            Job::PutBack => self.put_back(&found).await,
            Job::Return => self.give_back(&found).await,
        }
    }

    /// A payout whose ATM was cut off before the row said dispensed: what
    /// it moved (cash to the cassette, the fee) goes back to the sub-account,
    /// and the row is ready for an ATM again. The row is marked `reversing`
    /// first, so the ATM can no longer finish that payout meanwhile.
    async fn put_back(&self, found: &store::Stored) -> Result<bool, AppError> {
        let w = &found.withdrawal;
        match w.state {
            S::Dispensing => {
                let mut conn = self.conn().await?;
                if !store::begin_reversal(&mut conn, w.id, now_ms() - IN_FLIGHT_MS)
                    .await
                    .map_err(db_error)?
                {
                    return Ok(false);
                }
            }
            S::Reversing => {}
            _ => return Ok(false),
        }
        let mut back = Vec::new();
        for part in ["cash", "fee"] {
            let paid = payout_key(w.id, found.attempt, part)?;
            if let Some(t) = self.ledger.transfer_by_key(SCOPE, &paid).await? {
                back.push((
                    payout_key(w.id, found.attempt, &format!("{part}-back"))?,
                    t.reversal(
                        TransferCode::Refund,
                        "ATM payout put back: no cash was handed out",
                    ),
                ));
            }
        }
        let put_back = back.len();
        if !back.is_empty() {
            self.ledger.transfer_linked(SCOPE, back).await?;
        }
        let mut tx = self.begin().await?;
        if !store::ready_again(&mut tx, w.id, S::Reversing, found.attempt)
            .await
            .map_err(db_error)?
        {
            return Ok(false);
        }
        let detail = serde_json::json!({
            "attempt": found.attempt,
            "atm": found.atm.map(|a| a.0),
            "transfers_put_back": put_back,
        });
        let (_, deliveries) = self
            .changed(
                &mut tx,
                w.id,
                Some(("payout_put_back", "system".into(), detail)),
                None,
            )
            .await?;
        self.commit(tx, deliveries).await?;
        Ok(true)
    }

    /// Moves an expired sub-account's money back to the main account. After
    /// expiry no kiosk can take the row, so nothing races the transfer; a
    /// pass that stops between the transfer and the row is finished by the
    /// next, whose transfer under the same key returns the first result.
    async fn give_back(&self, found: &store::Stored) -> Result<bool, AppError> {
        let w = &found.withdrawal;
        let id = w.id;
        let (true, Some(sub), Some(main), Some(amount)) =
            (w.state.is_funded(), w.sub_account, found.account, w.amount)
        else {
            return Ok(false);
        };
        let total = Money::jpy(amount.amount_minor + w.fee.amount_minor);
        let back = TransferRequest::Single {
            debit: sub,
            credit: main,
            amount: total,
            code: TransferCode::SubAccountReturn,
            reference: "Unclaimed withdrawal returned".into(),
        };
        self.ledger
            .transfer(SCOPE, &key(&format!("sw:{id}:return"))?, back)
            .await?;
        let mut tx = self.begin().await?;
        if !store::end(&mut tx, id, &[S::Ready, S::Locked], S::Returned, now_ms())
            .await
            .map_err(db_error)?
        {
            return Ok(false);
        }
        let text = format!(
            "Your withdrawal of ¥{} was not collected in time: ¥{} is back in your account.",
            amount.amount_minor, total.amount_minor
        );
        let detail = serde_json::json!({ "returned_yen": total.amount_minor });
        let (_, deliveries) = self
            .changed(
                &mut tx,
                id,
                Some(("returned", "system".into(), detail)),
                Some(text),
            )
            .await?;
        self.commit(tx, deliveries).await?;
        Ok(true)
    }
}

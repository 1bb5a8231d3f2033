//! A payee redeems a payment token: one ledger job checks the token (live,
//! this payee's, not past its deadline, for no more than approved) and the
//! user's ceilings for the requester with what was paid read in the same
//! transaction, moves the money from the user's account to the payee's
//! settlement account, spends the token, tells the user and pings the
//! requester. A second redemption finds the token spent.

use async_trait::async_trait;
use shared::{
    delegation::RequestState,
    events::{Event, Notice},
    ids::{AccountId, ApiClientId, PaymentRequestId, TransferId, UserId},
    ledger::{TransferCode, TransferRequest},
    money::Money,
    AppError, Reason,
};

use super::{decided, store, Delegation};
use crate::{
    error::Error,
    identity::{holder, session},
    ledger::{Flow, FlowJob, Key, Locks, Purpose, Work},
    machine::settlement,
};

const FLOW: Flow = Flow::new("delegation");
const SCOPE: &str = "delegation";
/// Longest reference a payee may give.
pub const MAX_REFERENCE_CHARS: usize = 64;

/// A redeemed token: the payment it made.
#[derive(Debug, Clone)]
pub struct Paid {
    pub request: store::Request,
    pub transfer: TransferId,
}

#[derive(Debug)]
struct Redeem {
    request: PaymentRequestId,
    token_hash: String,
    payee: ApiClientId,
    user: UserId,
    account: AccountId,
    settlement: AccountId,
    amount: Money,
    reference: String,
}

fn unknown_token() -> AppError {
    AppError::invalid("payment_token", Reason::Unknown)
}

pub(super) async fn redeem(
    d: &Delegation,
    payee: ApiClientId,
    token: &str,
    amount: Money,
    reference: &str,
) -> Result<Paid, AppError> {
    let reference = reference.trim();
    if reference.is_empty()
        || reference.chars().count() > MAX_REFERENCE_CHARS
        || reference.chars().any(char::is_control)
    {
        return Err(AppError::invalid("reference", Reason::EmptyOrTooLong));
    }
    if amount.amount_minor <= 0 {
        return Err(AppError::invalid("amount", Reason::NotPositive));
    }
    let token_hash = session::hash(token.trim());
    let mut conn = d.db.conn().await?;
    let found = store::by_token_hash(&mut conn, &token_hash).await?;
    drop(conn);
    // Another payee's token is no token at all to this one.
    let r = found
        .filter(|r| r.payee == payee)
        .ok_or_else(unknown_token)?;
    let account = d
        .ledger
        .main_account_of(&holder(r.user))
        .await?
        .ok_or(AppError::Unavailable)?
        .id;
    let settlement = settlement::account(&d.db, &d.ledger, payee).await?;
    let job = Redeem {
        request: r.id,
        token_hash,
        payee,
        user: r.user,
        account,
        settlement,
        amount,
        reference: reference.to_string(),
    };
    let paid = d.ledger.run(SCOPE, job).await?;
    d.webhooks.wake();
    Ok(paid)
}

/// Why a token in `r` cannot be redeemed now, if it cannot.
fn refusal(r: &store::Request, now: i64) -> Option<AppError> {
    match r.state {
        RequestState::Paid => Some(AppError::conflict(Reason::TokenUsed)),
        RequestState::Revoked => Some(AppError::conflict(Reason::TokenRevoked)),
        RequestState::Approved if r.token_expires_at_ms.is_none_or(|at| at <= now) => {
            Some(AppError::conflict(Reason::TokenExpired))
        }
        RequestState::Approved => None,
        _ => Some(unknown_token()),
    }
}

#[async_trait]
impl FlowJob for Redeem {
    type Output = Paid;

    fn locks(&self) -> Locks {
        Locks::new()
            .account(self.account)
            .account(self.settlement)
            .user(self.user)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<Paid, Error> {
        let now = w.unit.now_ms();
        let r = store::by_token_hash(w.unit.conn(), &self.token_hash)
            .await?
            .filter(|r| r.id == self.request && r.payee == self.payee)
            .ok_or_else(unknown_token)?;
        if let Some(refused) = refusal(&r, now) {
            return Err(refused.into());
        }
        if self.amount.currency != r.amount.currency {
            return Err(AppError::invalid("currency", Reason::CurrencyMismatch).into());
        }
        if self.amount.amount_minor > r.amount.amount_minor {
            return Err(AppError::invalid("amount", Reason::OverTokenAmount).into());
        }
        // This token's own promise is in `promised`: count only what was paid.
        if !decided::within_ceilings(&mut w.unit, &r, self.amount.amount_minor, false).await? {
            return Err(AppError::conflict(Reason::CeilingReached).into());
        }
        let request = TransferRequest::Single {
            debit: self.account,
            credit: self.settlement,
            amount: self.amount,
            code: TransferCode::Payment,
            reference: format!("{} ({})", r.payee_name, r.client_name),
        };
        let moved = w
            .transfer(&Key::of(FLOW, Purpose::Pay, r.id.0), request)
            .await?;
        if !store::paid(
            w.unit.conn(),
            r.id,
            self.amount,
            moved.transfer.id,
            &self.reference,
            now,
        )
        .await?
        {
            return Err(AppError::conflict(Reason::TokenUsed).into());
        }
        let notice = Event::Notice {
            notice: Notice::DelegatedPaid {
                requester: r.client_name.clone(),
                payee: r.payee_name.clone(),
                amount: self.amount,
            },
        };
        w.unit.notify(r.user, &notice).await?;
        decided::ping(&mut w.unit, &r, RequestState::Paid).await?;
        w.unit.audit(
            format!("client:{}", self.payee),
            "delegation.paid",
            format!("payment_request:{}", r.id),
            serde_json::json!({
                "user": r.user.0,
                "client": r.client.0,
                "amount_minor": self.amount.amount_minor,
                "transfer": moved.transfer.id.0,
            }),
        );
        let request = store::get(w.unit.conn(), r.id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(Paid {
            request,
            transfer: moved.transfer.id,
        })
    }
}

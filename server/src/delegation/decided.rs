//! The user's decision on a payment request, settled in the decision's own
//! transaction (the approval engine calls [`Decided`] there): a yes mints
//! the payment token, within the user's ceilings for the requester; any
//! end pings the requester (a signed webhook, where it set an endpoint).

use async_trait::async_trait;
use shared::{
    approval::{Approval, Outcome},
    delegation::RequestState,
    AppError, Reason,
};

use super::{secret_id, store, TOKEN_TTL_MS};
use crate::{
    approvals::OnDecided,
    db::Unit,
    error::Error,
    identity::{
        clock::{start_of_day_jst, start_of_month_jst},
        session,
    },
    webhooks::{outbox, Webhooks},
};

/// The approval engine's hook for [`shared::approval::ApprovalKind::DelegatedPayment`].
#[derive(Debug, Clone)]
pub struct Decided {
    pub webhooks: Webhooks,
}

/// Whether `amount` more stays within the user's ceilings for the
/// requester, counting what was paid and what live tokens still promise.
/// The caller holds the person's row (a decision takes it first, the
/// ledger's writer before its jobs), so two approvals decided at once, on
/// two instances say, cannot each miss the other's promise.
pub(super) async fn within_ceilings(
    unit: &mut Unit<'_>,
    r: &store::Request,
    amount: i64,
    promised: bool,
) -> Result<bool, Error> {
    let now = unit.now_ms();
    let s = store::settings(unit.conn(), r.user, r.client).await?;
    let pending = if promised {
        store::promised(unit.conn(), r.user, r.client, now).await?
    } else {
        0
    };
    for (ceiling, since) in [
        (s.day_ceiling, start_of_day_jst(now)),
        (s.month_ceiling, start_of_month_jst(now)),
    ] {
        if let Some(c) = ceiling {
            let spent = store::spent_since(unit.conn(), r.user, r.client, since).await?;
            if spent + pending + amount > c {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Tells the requester its request moved on (CIBA's ping: it polls next).
pub(super) async fn ping(
    unit: &mut Unit<'_>,
    r: &store::Request,
    state: RequestState,
) -> Result<(), Error> {
    if !store::has_endpoint(unit.conn(), r.client).await? {
        return Ok(());
    }
    let data = serde_json::json!({ "auth_req_id": r.auth_req_id, "status": state.as_str() });
    outbox::enqueue(unit, r.client, "payment_request.updated", data).await?;
    Ok(())
}

/// Ends a pending request as `to` (not approved), pings and audits it;
/// `false` when it was no longer pending.
pub(super) async fn settle(
    unit: &mut Unit<'_>,
    r: &store::Request,
    to: RequestState,
) -> Result<bool, Error> {
    let now = unit.now_ms();
    if !store::conclude(unit.conn(), r.id, RequestState::Pending, to, now).await? {
        return Ok(false);
    }
    ping(unit, r, to).await?;
    unit.audit(
        format!("user:{}", r.user),
        format!("delegation.{}", to.as_str()),
        format!("payment_request:{}", r.id),
        serde_json::json!({ "client": r.client.0 }),
    );
    Ok(true)
}

#[async_trait]
impl OnDecided for Decided {
    async fn decided(&self, unit: &mut Unit<'_>, approval: &Approval) -> Result<(), Error> {
        let Some(r) = store::by_approval(unit.conn(), approval.id).await? else {
            return Ok(());
        };
        if r.state != RequestState::Pending {
            return Ok(());
        }
        let to = match approval.outcome {
            Some(Outcome::Approved) => RequestState::Approved,
            Some(Outcome::DeclinedByUser | Outcome::TooFar) => RequestState::Declined,
            Some(Outcome::Expired) => RequestState::Expired,
            Some(Outcome::Cancelled) | None => RequestState::Cancelled,
        };
        if to != RequestState::Approved {
            settle(unit, &r, to).await?;
            return Ok(());
        }
        if !within_ceilings(unit, &r, r.amount.amount_minor, true).await? {
            // The whole decision rolls back: the request stays open.
            return Err(AppError::conflict(Reason::CeilingReached).into());
        }
        let now = unit.now_ms();
        let token = secret_id("pt_");
        let hash = session::hash(&token);
        store::approve(unit.conn(), r.id, &token, &hash, now + TOKEN_TTL_MS, now).await?;
        ping(unit, &r, to).await?;
        unit.audit(
            format!("user:{}", r.user),
            "delegation.approved",
            format!("payment_request:{}", r.id),
            serde_json::json!({
                "client": r.client.0,
                "payee": r.payee.0,
                "max_minor": r.amount.amount_minor,
                "token_expires_at_ms": now + TOKEN_TTL_MS,
            }),
        );
        Ok(())
    }

    fn committed(&self) {
        self.webhooks.wake();
    }
}

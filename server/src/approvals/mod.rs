//! The approval engine: "ask this person to decide" for every flow.
//!
//! A request names its decider, requester, context and deadline, and what a
//! yes needs: a fresh passkey assertion with user verification whose
//! challenge was issued for this request and this person, and optionally
//! the device's position within N metres of the request's place. It leaves
//! `pending` exactly once (see [`store::conclude`]); the server's clock
//! decides lateness, and a sweeper expires overdue requests, also those
//! that fell due while the server was down. Each change is audited and
//! told to the decider's open pages in the same transaction.

pub mod store;

use async_trait::async_trait;
use shared::{
    approval::{
        Approval, ApprovalContext, ApprovalKind, ApprovalList, ApprovalState, NearRule, Outcome,
        Place, Position, Warning,
    },
    events::Event,
    geo::LatLon,
    identity::Ceremony,
    ids::{ApprovalId, UserId},
    money::{Currency, Money},
    ports::{ApprovalsPort, Caller},
    AppError, Reason,
};
use std::sync::Arc;

use crate::{
    db::{Db, Unit},
    error::Error,
    http::rate_limit::Limiter,
    identity::{holder, Identity},
    notify::Notifier,
    system::now_ms,
};

/// Decided requests shown below the pending ones.
const RECENT_DECIDED: i64 = 20;
/// Longest name a requester may show.
const MAX_REQUESTER_CHARS: usize = 120;
/// Longest a request may stay open.
pub const MAX_TTL_MS: i64 = 24 * 3600 * 1000;

/// A request about to be raised.
#[derive(Debug, Clone)]
pub struct NewApproval {
    pub kind: ApprovalKind,
    pub decider: UserId,
    pub requester: String,
    pub context: ApprovalContext,
    pub near: Option<NearRule>,
    pub ttl_ms: i64,
}

/// A flow's part in a decision on one of its requests: it runs in the
/// decision's own transaction, so the flow's rows move with the decision
/// (or, when it refuses, the decision does not happen).
#[async_trait]
pub trait OnDecided: Send + Sync + std::fmt::Debug {
    async fn decided(&self, unit: &mut Unit<'_>, approval: &Approval) -> Result<(), Error>;
    /// After the decision committed.
    fn committed(&self) {}
}

type Hooks = Arc<std::sync::RwLock<Vec<(ApprovalKind, Arc<dyn OnDecided>)>>>;

#[derive(Debug, Clone)]
pub struct Approvals {
    db: Db,
    /// The flows that settle their own rows when their requests end.
    hooks: Hooks,
    identity: Arc<Identity>,
    notifier: Notifier,
    /// Decisions per person per minute.
    per_person: Limiter,
    demo: bool,
}

impl Approvals {
    pub fn new(
        db: Db,
        identity: Arc<Identity>,
        notifier: Notifier,
        decisions_per_minute: u32,
        demo: bool,
    ) -> Self {
        Approvals {
            per_person: Limiter::new(&db, "decisions_person", decisions_per_minute),
            db,
            hooks: Hooks::default(),
            identity,
            notifier,
            demo,
        }
    }

    /// `hook` settles requests of `kind` in their decision's transaction.
    pub fn on_decided(&self, kind: ApprovalKind, hook: Arc<dyn OnDecided>) {
        if let Ok(mut hooks) = self.hooks.write() {
            hooks.push((kind, hook));
        }
    }

    fn hook(&self, kind: ApprovalKind) -> Option<Arc<dyn OnDecided>> {
        let hooks = self.hooks.read().ok()?;
        hooks
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, h)| h.clone())
    }

    /// Raises a request; the decider's open pages hear of it at once.
    pub async fn raise(&self, new: NewApproval) -> Result<Approval, AppError> {
        let mut tx = self.begin().await?;
        let mut unit = Unit::new(&mut tx, self.db.engine(), now_ms());
        let approval = raise_in(&mut unit, new).await?;
        let deliveries = unit.finish().await?;
        self.commit(tx, deliveries).await?;
        Ok(approval)
    }

    /// The requester withdraws a pending request.
    pub async fn cancel(&self, id: ApprovalId, by: &str) -> Result<Approval, AppError> {
        self.conclude(id, Outcome::Cancelled, None, by, now_ms())
            .await
    }

    /// A request as stored, for whoever raised it.
    pub async fn get(&self, id: ApprovalId) -> Result<Option<Approval>, AppError> {
        let mut conn = self.db.conn().await?;
        Ok(store::get(&mut conn, id).await?.map(|s| s.approval))
    }

    /// Expires every overdue request; returns how many.
    pub async fn expire_due(&self) -> Result<usize, AppError> {
        let now = now_ms();
        let due = store::overdue(&self.db, now, 500).await?;
        let mut expired = 0;
        for id in due {
            // Another instance may get there first; that is fine.
            if self
                .conclude(id, Outcome::Expired, None, "system", now)
                .await
                .is_ok()
            {
                expired += 1;
            }
        }
        Ok(expired)
    }
    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, AppError> {
        Ok(self.db.begin().await?)
    }

    /// Moves a pending request to `outcome`, once; explains a refusal. A
    /// try PostgreSQL ended to break a deadlock (with a ledger batch of this
    /// instance or another) changed nothing, and is made again.
    async fn conclude(
        &self,
        id: ApprovalId,
        outcome: Outcome,
        proof: Option<serde_json::Value>,
        actor: &str,
        now: i64,
    ) -> Result<Approval, AppError> {
        let mut tries = 1;
        loop {
            match self
                .conclude_once(id, outcome, proof.clone(), actor, now)
                .await
            {
                Err(Error::Db(e)) if tries < 3 && crate::error::lost_a_conflict(&e) => {
                    tracing::warn!(error = %e, %id, "decision aborted by the database; deciding again");
                    tries += 1;
                }
                other => return other.map_err(Into::into),
            }
        }
    }

    async fn conclude_once(
        &self,
        id: ApprovalId,
        outcome: Outcome,
        proof: Option<serde_json::Value>,
        actor: &str,
        now: i64,
    ) -> Result<Approval, Error> {
        let mut tx = self.db.begin().await?;
        let mut unit = Unit::new(&mut tx, self.db.engine(), now);
        // The person before the rows of their flows, the order the ledger's
        // writer keeps, so the two wait on each other in no cycle of their own.
        if let Some(found) = store::get(unit.conn(), id).await? {
            unit.lock_user(found.decider).await?;
        }
        let approval = conclude_in(&mut unit, id, outcome, proof, actor).await?;
        let hook = self.hook(approval.kind);
        if let Some(h) = &hook {
            h.decided(&mut unit, &approval).await?;
        }
        let deliveries = unit.finish().await?;
        self.notifier.commit(tx, deliveries).await?;
        if let Some(h) = hook {
            h.committed();
        }
        Ok(approval)
    }

    async fn commit(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
        deliveries: Vec<crate::notify::Delivery>,
    ) -> Result<(), AppError> {
        Ok(self.notifier.commit(tx, deliveries).await?)
    }

    /// The request, if `user` is the one who must decide it (to anyone else it does not exist).
    async fn decidable(&self, user: UserId, id: ApprovalId) -> Result<Approval, AppError> {
        let mut conn = self.db.conn().await?;
        let found = store::get(&mut conn, id)
            .await?
            .filter(|s| s.decider == user)
            .ok_or(AppError::NotFound)?;
        let now = now_ms();
        if found.approval.state != ApprovalState::Pending || found.approval.deadline_ms <= now {
            return Err(refusal(&found.approval, now));
        }
        Ok(found.approval)
    }

    async fn decider(&self, caller: &Caller) -> Result<UserId, AppError> {
        let Caller::User { id, .. } = caller else {
            return Err(AppError::Unauthenticated);
        };
        self.per_person.check(id).await?;
        Ok(*id)
    }
}

/// Raises a request in the caller's unit of work (a flow's ledger job),
/// so it stands or falls with the caller's own change; the decider hears
/// of it at commit.
pub async fn raise_in(unit: &mut Unit<'_>, new: NewApproval) -> Result<Approval, Error> {
    if !(1..=MAX_TTL_MS).contains(&new.ttl_ms) {
        return Err(AppError::invalid("deadline", Reason::OutOfRange).into());
    }
    if new.requester.trim().is_empty() || new.requester.chars().count() > MAX_REQUESTER_CHARS {
        return Err(AppError::invalid("requester", Reason::EmptyOrTooLong).into());
    }
    if new.near.is_some() && new.context.place.is_none() {
        return Err(AppError::invalid("near", Reason::NeedsAPlace).into());
    }
    let now = unit.now_ms();
    let mut approval = Approval {
        id: ApprovalId(0),
        kind: new.kind,
        state: ApprovalState::Pending,
        outcome: None,
        requester: new.requester,
        context: new.context,
        near: new.near,
        created_at_ms: now,
        deadline_ms: now + new.ttl_ms,
        decided_at_ms: None,
    };
    approval.id = store::insert(unit.conn(), new.decider, &approval).await?;
    let event = Event::ApprovalRequested {
        approval: approval.id,
        kind: approval.kind,
        requester: approval.requester.clone(),
        deadline_ms: approval.deadline_ms,
        request: Some(Box::new(approval.clone())),
    };
    unit.notify(new.decider, &event).await?;
    let detail = serde_json::json!({
        "kind": approval.kind.as_str(),
        "decider": holder(new.decider),
        "deadline_ms": approval.deadline_ms,
    });
    unit.audit(
        approval.requester.clone(),
        "approval.raised",
        format!("approval:{}", approval.id),
        detail,
    );
    Ok(approval)
}

/// The requester withdraws a pending request, in the requester's own unit
/// of work; `false` when it was no longer pending.
pub async fn cancel_in(unit: &mut Unit<'_>, id: ApprovalId, by: &str) -> Result<bool, Error> {
    match conclude_in(unit, id, Outcome::Cancelled, None, by).await {
        Ok(_) => Ok(true),
        Err(Error::App(AppError::Conflict { .. })) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Moves a pending request to `outcome` in `unit`, once; explains a refusal.
async fn conclude_in(
    unit: &mut Unit<'_>,
    id: ApprovalId,
    outcome: Outcome,
    proof: Option<serde_json::Value>,
    actor: &str,
) -> Result<Approval, Error> {
    let now = unit.now_ms();
    let proof_json = proof.as_ref().map(|p| p.to_string());
    let changed = store::conclude(unit.conn(), id, outcome, proof_json.as_deref(), now).await?;
    let found = store::get(unit.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !changed {
        return Err(refusal(&found.approval, now).into());
    }
    let event = Event::ApprovalEnded {
        approval: id,
        state: outcome.state(),
        outcome,
    };
    unit.notify(found.decider, &event).await?;
    let detail = serde_json::json!({ "outcome": outcome.as_str(), "proof": proof });
    unit.audit(
        actor,
        format!("approval.{}", outcome.state().as_str()),
        format!("approval:{id}"),
        detail,
    );
    Ok(found.approval)
}

#[async_trait]
impl crate::due::DueWork for Approvals {
    fn what(&self) -> &'static str {
        "overdue approvals"
    }

    async fn run_due(&self) -> Result<usize, Error> {
        Ok(self.expire_due().await?)
    }
}

/// Why a request can no longer be decided.
fn refusal(a: &Approval, now: i64) -> AppError {
    let reason = match a.state {
        ApprovalState::Pending if a.deadline_ms <= now => Reason::ApprovalExpired,
        ApprovalState::Pending => Reason::ApprovalBusy,
        ApprovalState::Approved => Reason::ApprovalApproved,
        ApprovalState::Declined => Reason::ApprovalDeclined,
        ApprovalState::Expired => Reason::ApprovalExpired,
        ApprovalState::Cancelled => Reason::ApprovalCancelled,
    };
    AppError::Conflict { reason }
}

fn purpose(id: ApprovalId) -> String {
    format!("approval:{id}")
}

/// Shibuya Station's ATM corner, where the demo's practice requests come from.
const SHIBUYA: (f64, f64) = (35.658_034, 139.701_636);

#[async_trait]
impl ApprovalsPort for Approvals {
    async fn my_approvals(&self, caller: &Caller) -> Result<ApprovalList, AppError> {
        let Caller::User { id, .. } = caller else {
            return Err(AppError::Unauthenticated);
        };
        let items = store::of_decider(&self.db, *id, RECENT_DECIDED).await?;
        Ok(ApprovalList {
            server_now_ms: now_ms(),
            items,
        })
    }

    async fn begin_approve(&self, caller: &Caller, id: ApprovalId) -> Result<Ceremony, AppError> {
        let user = self.decider(caller).await?;
        self.decidable(user, id).await?;
        self.identity.begin_reauth(user, &purpose(id)).await
    }

    async fn approve(
        &self,
        caller: &Caller,
        id: ApprovalId,
        ceremony: &str,
        credential_json: &str,
        position: Option<Position>,
    ) -> Result<Approval, AppError> {
        let user = self.decider(caller).await?;
        let approval = self.decidable(user, id).await?;
        let place = match (approval.near, &approval.context.place) {
            (Some(rule), Some(place)) => {
                let p = position.ok_or_else(|| AppError::invalid("position", Reason::Required))?;
                let at = LatLon::new(p.lat, p.lon)
                    .filter(|_| p.accuracy_m.is_finite() && p.accuracy_m >= 0.0)
                    .ok_or_else(|| AppError::invalid("position", Reason::OutOfRange))?;
                Some((rule, place.at, at, p.accuracy_m))
            }
            _ => None,
        };
        if let Some((rule, _, _, accuracy)) = place {
            // A fix vaguer than the whole allowed circle proves nothing either way.
            if accuracy > f64::from(rule.within_m) {
                return Err(AppError::invalid("position", Reason::TooImprecise));
            }
        }
        // The passkey first: only the person may learn whether the place matches.
        let reauth = self
            .identity
            .finish_reauth(user, &purpose(id), ceremony, credential_json)
            .await?;
        let mut proof = serde_json::json!({ "passkey": reauth.credential, "user_verified": true });
        let mut outcome = Outcome::Approved;
        if let Some((rule, target, at, accuracy)) = place {
            let distance = target.distance_m(at);
            let within = f64::from(rule.within_m);
            proof["distance_m"] = serde_json::json!(distance.round());
            proof["accuracy_m"] = serde_json::json!(accuracy.round());
            proof["within_m"] = serde_json::json!(rule.within_m);
            // Inside only if the whole circle of uncertainty is; too far only if all of it is.
            if distance - accuracy > within {
                outcome = Outcome::TooFar;
            } else if distance + accuracy > within {
                return Err(AppError::invalid("position", Reason::TooImprecise));
            }
        }
        let decided = self
            .conclude(id, outcome, Some(proof), &holder(user), now_ms())
            .await?;
        if outcome == Outcome::TooFar {
            return Err(AppError::Conflict {
                reason: Reason::ApprovalTooFar,
            });
        }
        Ok(decided)
    }

    async fn decline(&self, caller: &Caller, id: ApprovalId) -> Result<Approval, AppError> {
        let user = self.decider(caller).await?;
        self.decidable(user, id).await?;
        self.conclude(id, Outcome::DeclinedByUser, None, &holder(user), now_ms())
            .await
    }

    async fn raise_practice(
        &self,
        caller: &Caller,
        near_atm: bool,
        seconds: u32,
    ) -> Result<Approval, AppError> {
        if !self.demo {
            return Err(AppError::NotFound);
        }
        let Caller::User { id, .. } = caller else {
            return Err(AppError::Unauthenticated);
        };
        if !(5..=3600).contains(&seconds) {
            return Err(AppError::invalid("seconds", Reason::OutOfRange));
        }
        let place = near_atm.then(|| Place {
            name: "Shibuya Station ATM".into(),
            at: LatLon {
                lat: SHIBUYA.0,
                lon: SHIBUYA.1,
            },
        });
        self.raise(NewApproval {
            kind: ApprovalKind::Practice,
            decider: *id,
            requester: "Anshin demo".into(),
            context: ApprovalContext {
                amount: Some(Money::new(20_000, Currency::Jpy)),
                fee: None,
                payee: None,
                place,
                warnings: vec![Warning::PhoneScam],
                reasons: vec!["Practice request from the demo".into()],
                delegated: None,
            },
            near: near_atm.then_some(NearRule { within_m: 300 }),
            ttl_ms: i64::from(seconds) * 1000,
        })
        .await
    }
}

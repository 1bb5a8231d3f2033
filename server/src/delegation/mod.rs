//! Payments asked for by a shop terminal or an AI agent on a user's behalf,
//! naming only the user's nickname (flow F5, OpenID CIBA in spirit).
//!
//! A requester's request becomes an approval on the user's phone (who,
//! what, where, the binding message, a countdown). The user's decision
//! settles the request in the same transaction ([`decided`]): a yes mints
//! a single-use payment token bound to the amount, payee and a deadline.
//! The requester learns the answer by polling, or from a ping (a signed
//! webhook); the payee redeems the token, which moves the money through
//! the ledger under the user's ceilings for that requester ([`redeem`]).
//!
//! A public nickname invites probing and spam: requests are limited per
//! requester and per nickname (unknown ones included), an unknown and a
//! hidden nickname get the same answer, and a blocked requester's
//! requests are dropped unseen (they simply expire).

pub mod decided;
mod doors;
mod redeem;
mod settings;
pub mod store;

use shared::{
    approval::{ApprovalContext, ApprovalKind, Place, Warning},
    delegation::{Delegated, RequestState, MAX_BINDING_CHARS, MAX_REQUEST_YEN},
    geo::LatLon,
    ids::{ApiClientId, PaymentRequestId, UserId},
    machine::{ClientKind, Scope},
    money::{Currency, Money},
    nickname::Nickname,
    ports::Caller,
    AppError, Reason,
};

pub use redeem::Paid;

use crate::{
    approvals::{self, NewApproval},
    db::{Db, Unit},
    http::rate_limit::Limiter,
    identity::{secret, session},
    ledger::Ledger,
    notify::Notifier,
    system::now_ms,
    webhooks::Webhooks,
};

/// How long a request waits for the user unless the requester asks otherwise.
pub const DEFAULT_EXPIRY_S: i64 = 120;
/// The shortest and longest wait a requester may ask for.
pub const EXPIRY_RANGE_S: std::ops::RangeInclusive<i64> = 10..=600;
/// Seconds a requester waits between polls.
pub const POLL_INTERVAL_S: i64 = 2;
/// How long a payment token lives after approval.
pub const TOKEN_TTL_MS: i64 = 10 * 60_000;
/// Requests one requester may make per minute.
pub const PER_REQUESTER_PER_MINUTE: u32 = 30;
/// Requests naming one nickname per minute, from all requesters together.
pub const PER_NICKNAME_PER_MINUTE: u32 = 6;
/// Wrong user codes one requester may give for one user per minute.
pub const WRONG_CODES_PER_MINUTE: u32 = 3;
/// Longest description of what is paid for.
pub const MAX_DESCRIPTION_CHARS: usize = 200;
/// Longest place name.
pub const MAX_PLACE_CHARS: usize = 80;

/// CIBA's answers where the protocol names them; the machine API sends
/// them as `{"error": "<code>"}` with 400 (or 403 for `access_denied`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ciba {
    /// No user by that nickname a requester may ask, hidden ones included.
    UnknownUserId,
    MissingUserCode,
    InvalidUserCode,
    InvalidBindingMessage,
    AuthorizationPending,
    SlowDown,
    AccessDenied,
    ExpiredToken,
}

impl Ciba {
    pub const fn code(self) -> &'static str {
        match self {
            Ciba::UnknownUserId => "unknown_user_id",
            Ciba::MissingUserCode => "missing_user_code",
            Ciba::InvalidUserCode => "invalid_user_code",
            Ciba::InvalidBindingMessage => "invalid_binding_message",
            Ciba::AuthorizationPending => "authorization_pending",
            Ciba::SlowDown => "slow_down",
            Ciba::AccessDenied => "access_denied",
            Ciba::ExpiredToken => "expired_token",
        }
    }
}

/// A refusal in CIBA's words, or any other.
#[derive(Debug)]
pub enum Refused {
    Ciba(Ciba),
    App(AppError),
}

impl<E: Into<AppError>> From<E> for Refused {
    fn from(e: E) -> Self {
        Refused::App(e.into())
    }
}

/// A request as a requester sends it, parsed.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub login_hint: String,
    pub user_code: Option<String>,
    pub binding_message: String,
    pub amount: Money,
    pub description: String,
    /// `None`: the requester itself (a shop terminal's own shop).
    pub payee: Option<ApiClientId>,
    pub place: Option<Place>,
    pub expiry_s: i64,
}

impl NewRequest {
    /// What the requester sent, checked field by field.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        login_hint: String,
        user_code: Option<String>,
        binding_message: &str,
        amount: i64,
        currency: &str,
        description: &str,
        payee: Option<i64>,
        place: Option<(String, f64, f64)>,
        expiry_s: Option<i64>,
    ) -> Result<NewRequest, Refused> {
        let bad = |f: &str, r| Refused::App(AppError::invalid(f, r));
        let binding_message = binding_message.trim();
        if binding_message.is_empty()
            || binding_message.chars().count() > MAX_BINDING_CHARS
            || binding_message.chars().any(char::is_control)
        {
            return Err(Refused::Ciba(Ciba::InvalidBindingMessage));
        }
        if currency != Currency::Jpy.code() {
            return Err(bad("currency", Reason::CurrencyMismatch));
        }
        if amount <= 0 {
            return Err(bad("amount", Reason::NotPositive));
        }
        if amount > MAX_REQUEST_YEN {
            return Err(bad("amount", Reason::AmountTooLarge));
        }
        let description = description.trim();
        if description.is_empty()
            || description.chars().count() > MAX_DESCRIPTION_CHARS
            || description.chars().any(char::is_control)
        {
            return Err(bad("description", Reason::EmptyOrTooLong));
        }
        let place = match place {
            None => None,
            Some((name, lat, lon)) => {
                let name = name.trim().to_string();
                if name.is_empty()
                    || name.chars().count() > MAX_PLACE_CHARS
                    || name.chars().any(char::is_control)
                {
                    return Err(bad("place.name", Reason::EmptyOrTooLong));
                }
                let at = LatLon::new(lat, lon).ok_or_else(|| bad("place", Reason::OutOfRange))?;
                Some(Place { name, at })
            }
        };
        let expiry_s = expiry_s.unwrap_or(DEFAULT_EXPIRY_S);
        if !EXPIRY_RANGE_S.contains(&expiry_s) {
            return Err(bad("requested_expiry", Reason::OutOfRange));
        }
        if payee.is_some_and(|p| p <= 0) {
            return Err(bad("payee", Reason::Unknown));
        }
        Ok(NewRequest {
            login_hint,
            user_code: user_code.filter(|c| !c.is_empty()),
            binding_message: binding_message.to_string(),
            amount: Money::jpy(amount),
            description: description.to_string(),
            payee: payee.map(ApiClientId),
            place,
            expiry_s,
        })
    }
}

/// What a requester is told when its request is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub auth_req_id: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// What a poll answers once the user decided and the token lives (or was used).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub request: store::Request,
    /// Seconds the token has left; 0 once it was used.
    pub token_expires_in: i64,
}

/// Requests per minute: per requester, and per nickname from all requesters.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_requester: u32,
    pub per_nickname: u32,
}

#[derive(Debug, Clone)]
pub struct Delegation {
    db: Db,
    ledger: Ledger,
    notifier: Notifier,
    webhooks: Webhooks,
    per_requester: Limiter,
    per_nickname: Limiter,
    wrong_codes: Limiter,
}

fn requester_of(caller: &Caller) -> Result<(ApiClientId, ClientKind), AppError> {
    let id = caller.require_scope(Scope::PaymentsRequest)?;
    match caller {
        Caller::Client { kind, .. } => Ok((id, *kind)),
        _ => Err(AppError::Forbidden),
    }
}

/// A new auth_req_id or payment token: a prefix and 256 random bits.
fn secret_id(prefix: &str) -> String {
    format!("{prefix}{}", session::new_token())
}

impl Delegation {
    pub fn new(
        db: Db,
        ledger: Ledger,
        notifier: Notifier,
        webhooks: Webhooks,
        limits: Limits,
    ) -> Self {
        Delegation {
            per_requester: Limiter::new(&db, "requests_requester", limits.per_requester),
            per_nickname: Limiter::new(&db, "requests_nickname", limits.per_nickname),
            wrong_codes: Limiter::new(&db, "wrong_user_codes", WRONG_CODES_PER_MINUTE),
            db,
            ledger,
            notifier,
            webhooks,
        }
    }

    /// The user a requester may ask by `login_hint`, after its user code.
    async fn resolve(
        &self,
        client: ApiClientId,
        login_hint: &str,
        user_code: Option<&str>,
    ) -> Result<UserId, Refused> {
        let unknown = Refused::Ciba(Ciba::UnknownUserId);
        let Ok(nickname) = Nickname::parse(login_hint) else {
            return Err(unknown);
        };
        // Counted before the lookup, so an unknown nickname costs the same.
        self.per_nickname.check(nickname.canonical()).await?;
        let mut conn = self.db.conn().await?;
        let Some((user, code_hash)) = store::target(&mut conn, nickname.canonical()).await? else {
            return Err(unknown);
        };
        drop(conn);
        // A minor's purchases go through their guardians' controls (F4), not around them.
        let minor = crate::identity::store::user(&self.db, user)
            .await?
            .is_none_or(|u| u.is_minor());
        if minor {
            return Err(unknown);
        }
        if let Some(hash) = code_hash {
            let Some(code) = user_code else {
                return Err(Refused::Ciba(Ciba::MissingUserCode));
            };
            if !secret::verify(code.to_string(), hash).await? {
                self.wrong_codes.check(format!("{user}:{client}")).await?;
                return Err(Refused::Ciba(Ciba::InvalidUserCode));
            }
        }
        Ok(user)
    }

    /// The payee a request names: itself for a shop terminal that names
    /// none; otherwise a live client that may redeem payments.
    async fn payee(
        &self,
        client: ApiClientId,
        kind: ClientKind,
        named: Option<ApiClientId>,
    ) -> Result<(ApiClientId, String), AppError> {
        let unknown = || AppError::invalid("payee", Reason::Unknown);
        let payee = match (named, kind) {
            (Some(p), _) => p,
            (None, ClientKind::ShopTerminal) => client,
            (None, _) => return Err(AppError::invalid("payee", Reason::Required)),
        };
        let mut conn = self.db.conn().await?;
        store::payee(&mut conn, payee).await?.ok_or_else(unknown)
    }

    /// A requester asks a user, by nickname, to approve a payment.
    pub async fn request(&self, caller: &Caller, new: NewRequest) -> Result<Accepted, Refused> {
        let (client, kind) = requester_of(caller)?;
        self.per_requester.check(client).await?;
        let user = self
            .resolve(client, &new.login_hint, new.user_code.as_deref())
            .await?;
        let (payee, payee_name) = self.payee(client, kind, new.payee).await?;
        let now = now_ms();
        let auth_req_id = secret_id("ar_");
        let expires_at_ms = now + new.expiry_s * 1000;
        let mut tx = self.db.begin().await?;
        let mut unit = Unit::new(&mut tx, self.db.engine(), now);
        let settings = store::settings(unit.conn(), user, client).await?;
        let id = store::insert(
            unit.conn(),
            store::Insert {
                auth_req_id: &auth_req_id,
                client,
                user,
                payee,
                amount: new.amount,
                description: &new.description,
                binding_message: &new.binding_message,
                place: new.place.as_ref(),
                now_ms: now,
                expires_at_ms,
                interval_s: POLL_INTERVAL_S,
            },
        )
        .await?;
        let actor = format!("client:{client}");
        if settings.blocked {
            // Dropped unseen: the requester is not told, the request just expires.
            unit.audit(
                actor,
                "delegation.dropped",
                format!("payment_request:{id}"),
                serde_json::json!({ "user": user.0, "reason": "blocked" }),
            );
        } else {
            let first_time = !store::approved_before(unit.conn(), user, client).await?;
            let requester = store::client_name(unit.conn(), client).await?;
            let approval = approvals::raise_in(
                &mut unit,
                NewApproval {
                    kind: ApprovalKind::DelegatedPayment,
                    decider: user,
                    requester,
                    context: ApprovalContext {
                        amount: Some(new.amount),
                        fee: None,
                        payee: Some(payee_name),
                        place: new.place.clone(),
                        // "First time from them" is on the card from `first_time`.
                        warnings: vec![Warning::OnBehalf],
                        reasons: vec![new.description.clone()],
                        delegated: Some(Delegated {
                            request: id,
                            client,
                            kind,
                            binding_message: new.binding_message.clone(),
                            first_time,
                        }),
                    },
                    near: None,
                    ttl_ms: new.expiry_s * 1000,
                },
            )
            .await?;
            store::set_approval(unit.conn(), id, approval.id).await?;
            unit.audit(
                actor,
                "delegation.requested",
                format!("payment_request:{id}"),
                serde_json::json!({
                    "user": user.0,
                    "payee": payee.0,
                    "amount_minor": new.amount.amount_minor,
                    "approval": approval.id.0,
                }),
            );
        }
        let deliveries = unit.finish().await?;
        self.notifier.commit(tx, deliveries).await?;
        Ok(Accepted {
            auth_req_id,
            expires_in: new.expiry_s,
            interval: POLL_INTERVAL_S,
        })
    }

    /// One of the caller's own requests; to anyone else it does not exist.
    async fn own(&self, caller: &Caller, auth_req_id: &str) -> Result<store::Request, AppError> {
        let (client, _) = requester_of(caller)?;
        let mut conn = self.db.conn().await?;
        match store::by_auth_req_id(&mut conn, auth_req_id).await? {
            Some(r) if r.client == client => Ok(r),
            _ => Err(AppError::NotFound),
        }
    }

    /// The requester polls: pending, too soon, denied, expired, or the outcome.
    pub async fn poll(&self, caller: &Caller, auth_req_id: &str) -> Result<Outcome, Refused> {
        let r = self.own(caller, auth_req_id).await?;
        let now = now_ms();
        match r.state {
            RequestState::Pending if r.expires_at_ms <= now => {
                Err(Refused::Ciba(Ciba::ExpiredToken))
            }
            RequestState::Pending => {
                let too_soon = r
                    .last_polled_ms
                    .is_some_and(|at| now - at < r.interval_s * 1000 - 250);
                let mut conn = self.db.conn().await?;
                store::polled(&mut conn, r.id, now).await?;
                Err(Refused::Ciba(if too_soon {
                    Ciba::SlowDown
                } else {
                    Ciba::AuthorizationPending
                }))
            }
            RequestState::Declined | RequestState::Cancelled => {
                Err(Refused::Ciba(Ciba::AccessDenied))
            }
            RequestState::Expired => Err(Refused::Ciba(Ciba::ExpiredToken)),
            RequestState::Approved if r.token_expires_at_ms.is_some_and(|at| at <= now) => {
                Err(Refused::Ciba(Ciba::ExpiredToken))
            }
            RequestState::Approved | RequestState::Paid | RequestState::Revoked => {
                let left = match r.state {
                    RequestState::Approved => r.token_expires_at_ms.unwrap_or(now) - now,
                    _ => 0,
                };
                Ok(Outcome {
                    token_expires_in: left.max(0) / 1000,
                    request: r,
                })
            }
        }
    }

    /// The requester withdraws a request the user has not decided yet.
    pub async fn cancel(&self, caller: &Caller, auth_req_id: &str) -> Result<(), AppError> {
        let r = self.own(caller, auth_req_id).await?;
        let not_open = AppError::conflict(Reason::RequestNotOpen);
        if r.state != RequestState::Pending {
            return Err(not_open);
        }
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let mut unit = Unit::new(&mut tx, self.db.engine(), now);
        let by = format!("client:{}", r.client);
        let done = match r.approval {
            // The approval's own end settles the request (see `decided`).
            Some(a) => {
                approvals::cancel_in(&mut unit, a, &by).await?
                    && decided::settle(&mut unit, &r, RequestState::Cancelled).await?
            }
            None => {
                store::conclude(unit.conn(), r.id, r.state, RequestState::Cancelled, now).await?
            }
        };
        if !done {
            return Err(not_open);
        }
        let deliveries = unit.finish().await?;
        self.notifier.commit(tx, deliveries).await?;
        Ok(())
    }

    /// The payee redeems a token for `amount` under its Idempotency-Key.
    pub async fn redeem(
        &self,
        caller: &Caller,
        token: &str,
        amount: Money,
        reference: &str,
    ) -> Result<Paid, AppError> {
        let payee = caller.require_scope(Scope::PaymentsRedeem)?;
        redeem::redeem(self, payee, token, amount, reference).await
    }

    /// A request of the caller's (as the user), by id.
    async fn of_user(
        &self,
        user: UserId,
        id: PaymentRequestId,
    ) -> Result<store::Request, AppError> {
        let mut conn = self.db.conn().await?;
        match store::get(&mut conn, id).await? {
            Some(r) if r.user == user => Ok(r),
            _ => Err(AppError::NotFound),
        }
    }
}

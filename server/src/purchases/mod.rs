//! Minors' purchases that merchants report, under their guardians' control
//! (flow F4). A merchant reports a purchase through the machine API; it is
//! checked at once against the guardian's conditions (and cancelled, with
//! the condition, if it breaks one), may wait for a guardian's yes, and when
//! paid through Anshin waits for the minor's passkey, which reserves the
//! money with a two-phase hold. Until the cancellation window ends a
//! guardian may cancel: the hold is released (or, paid elsewhere, the
//! merchant is asked to refund); at its end the hold is posted to the
//! merchant's settlement account. Every step is one ledger job ([`jobs`]).

mod doors;
mod jobs;
pub mod store;
pub mod wire;

use async_trait::async_trait;
use shared::{
    identity::Ceremony,
    ids::{AccountId, ApiClientId, PurchaseId, UserId},
    ledger::AccountKind,
    machine::Scope,
    money::{Currency, Money},
    ports::Caller,
    purchase::{
        conditions::Conditions,
        port::{GuardianOverview, PurchasesPort, Ward, CHART_WEEKS},
        Category, Payment, Purchase, MAX_DESCRIPTION_CHARS, MAX_PURCHASE_YEN, MAX_REFERENCE_CHARS,
    },
    AppError, Reason,
};
use std::sync::Arc;

use jobs::{Action, Report, Step};
pub use jobs::{Reported, Waits};
use store::Stored;

use crate::{
    db::{Db, Unit},
    error::Error,
    identity::{
        clock::{start_of_month_jst, start_of_week_jst, WEEK_MS},
        holder, user_of, Identity,
    },
    ledger::Ledger,
    notify::Notifier,
    system::now_ms,
    webhooks::Webhooks,
};

const SCOPE: &str = "purchase";
/// Purchases listed per minor.
const LISTED: i64 = 50;
/// Due purchases handled per pass.
const PAGE: i64 = 200;

impl Default for Waits {
    fn default() -> Self {
        Waits {
            window_ms: 30 * 60_000,
            confirm_ms: 5 * 60_000,
            ask_ms: 60 * 60_000,
        }
    }
}

/// A purchase as a merchant reports it, parsed.
#[derive(Debug, Clone)]
pub struct NewPurchase {
    pub minor: AccountId,
    pub amount: Money,
    pub category: Category,
    pub description: String,
    pub reference: String,
    pub payment: Payment,
}

impl NewPurchase {
    /// What the merchant sent, checked field by field.
    pub fn parse(
        minor: &str,
        amount: i64,
        currency: &str,
        category: &str,
        description: &str,
        reference: &str,
        payment: &str,
    ) -> Result<NewPurchase, AppError> {
        let bad = AppError::invalid;
        let minor = match shared::transfer::send::To::parse(minor) {
            Ok(shared::transfer::send::To::Account(a)) => a,
            _ => return Err(bad("minor", Reason::Malformed)),
        };
        if currency != Currency::Jpy.code() {
            return Err(bad("currency", Reason::CurrencyMismatch));
        }
        if amount <= 0 {
            return Err(bad("amount", Reason::NotPositive));
        }
        if amount > MAX_PURCHASE_YEN {
            return Err(bad("amount", Reason::AmountTooLarge));
        }
        let category = Category::parse(category).ok_or(bad("category", Reason::Unknown))?;
        let payment = Payment::parse(payment).ok_or(bad("payment", Reason::Unknown))?;
        let description = description.trim();
        if description.is_empty() || description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(bad("description", Reason::EmptyOrTooLong));
        }
        let reference = reference.trim();
        if reference.is_empty()
            || reference.chars().count() > MAX_REFERENCE_CHARS
            || reference.chars().any(char::is_control)
        {
            return Err(bad("reference", Reason::EmptyOrTooLong));
        }
        Ok(NewPurchase {
            minor,
            amount: Money::jpy(amount),
            category,
            description: description.to_string(),
            reference: reference.to_string(),
            payment,
        })
    }

    /// What a replay of the same key must repeat exactly.
    fn digest(&self) -> String {
        crate::identity::session::hash(&format!(
            "{}|{}|{}|{}|{}|{}",
            self.minor,
            self.amount.amount_minor,
            self.category.as_str(),
            self.payment.as_str(),
            self.reference,
            self.description
        ))
    }
}

#[derive(Debug, Clone)]
pub struct Purchases {
    db: Db,
    ledger: Ledger,
    identity: Arc<Identity>,
    notifier: Notifier,
    webhooks: Webhooks,
    waits: Waits,
}

fn merchant_of(caller: &Caller) -> Result<ApiClientId, AppError> {
    caller.require_scope(Scope::PurchasesWrite)
}

/// What the minor's passkey signs: this purchase.
fn confirm_purpose(p: &Purchase) -> String {
    format!("purchase:{}:{}", p.id, p.amount.amount_minor)
}

impl Purchases {
    pub fn new(
        db: Db,
        ledger: Ledger,
        identity: Arc<Identity>,
        notifier: Notifier,
        webhooks: Webhooks,
        waits: Waits,
    ) -> Self {
        Purchases {
            db,
            ledger,
            identity,
            notifier,
            webhooks,
            waits,
        }
    }

    /// A merchant reports a purchase under its Idempotency-Key.
    pub async fn report(
        &self,
        caller: &Caller,
        key: &str,
        new: NewPurchase,
    ) -> Result<Reported, AppError> {
        let merchant = merchant_of(caller)?;
        let digest = new.digest();
        if let Some(found) = store::by_request(self.db.pool(), merchant, key).await? {
            if found.digest != digest {
                return Err(AppError::Conflict {
                    reason: Reason::IdempotencyConflict,
                });
            }
            return Ok(Reported {
                stored: found,
                fresh: false,
            });
        }
        let unknown = || AppError::invalid("minor", Reason::UnknownAccount);
        let holder = self
            .ledger
            .holder_of(new.minor)
            .await?
            .ok_or_else(unknown)?;
        let minor = user_of(&holder).ok_or_else(unknown)?;
        let balance = self.ledger.balance(new.minor).await?;
        if balance.kind != AccountKind::CustomerMain {
            return Err(unknown());
        }
        let guardians = store::guardians_of(self.db.pool(), minor).await?;
        if guardians.is_empty() {
            return Err(AppError::invalid("minor", Reason::NoVerifiedGuardian));
        }
        if new.payment == Payment::Anshin {
            if balance.available().amount_minor < new.amount.amount_minor {
                return Err(AppError::invalid("amount", Reason::InsufficientFunds));
            }
            crate::machine::settlement::account(&self.db, &self.ledger, merchant).await?;
        }
        let job = Report {
            merchant,
            key: key.to_string(),
            digest,
            minor,
            account: new.minor,
            people: std::iter::once(minor).chain(guardians).collect(),
            amount: new.amount,
            category: new.category,
            description: new.description,
            reference: new.reference,
            payment: new.payment,
            waits: self.waits,
        };
        Ok(self.ledger.run(SCOPE, job).await?)
    }

    /// One of the merchant's own purchases.
    pub async fn for_merchant(&self, caller: &Caller, id: PurchaseId) -> Result<Stored, AppError> {
        let merchant = merchant_of(caller)?;
        match store::get(self.db.pool(), id).await? {
            Some(s) if s.purchase.merchant == merchant => Ok(s),
            _ => Err(AppError::NotFound),
        }
    }

    /// The merchant confirms it refunded a purchase paid elsewhere.
    pub async fn refunded(&self, caller: &Caller, id: PurchaseId) -> Result<Stored, AppError> {
        let found = self.for_merchant(caller, id).await?;
        self.step(found, Action::Refunded).await
    }

    /// Runs `action` on `found` as one ledger job.
    async fn step(&self, found: Stored, action: Action) -> Result<Stored, AppError> {
        let p = &found.purchase;
        let people = std::iter::once(p.minor)
            .chain(store::guardians_of(self.db.pool(), p.minor).await?)
            .collect();
        let settlement = match p.payment {
            Payment::Anshin => {
                crate::machine::settlement::settlement_of(self.db.pool(), p.merchant).await?
            }
            Payment::Elsewhere => None,
        };
        let job = Step {
            id: p.id,
            action,
            account: found.account,
            settlement,
            hold: found.hold,
            people,
            waits: self.waits,
        };
        let after = self.ledger.run(SCOPE, job).await?;
        self.webhooks.wake();
        after.ok_or(AppError::Conflict {
            reason: Reason::PurchaseNotOpen,
        })
    }

    /// A purchase of a minor the caller is a verified guardian of.
    async fn guarded(&self, caller: &Caller, id: PurchaseId) -> Result<(UserId, Stored), AppError> {
        let user = caller.require_user()?;
        let found = store::get(self.db.pool(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let guardians = store::guardians_of(self.db.pool(), found.purchase.minor).await?;
        if !guardians.contains(&user) {
            return Err(AppError::NotFound);
        }
        Ok((user, found))
    }

    /// One of the caller's own purchases (as the minor).
    async fn own(&self, caller: &Caller, id: PurchaseId) -> Result<Stored, AppError> {
        let user = caller.require_user()?;
        match store::get(self.db.pool(), id).await? {
            Some(s) if s.purchase.minor == user => Ok(s),
            _ => Err(AppError::NotFound),
        }
    }

    async fn ward(
        &self,
        minor: UserId,
        nickname: String,
        name: String,
        since: i64,
    ) -> Result<Ward, Error> {
        let now = now_ms();
        let conditions = store::conditions(self.db.pool(), minor).await?;
        let weeks_from = start_of_week_jst(now) - (CHART_WEEKS as i64 - 1) * WEEK_MS;
        let month_from = start_of_month_jst(now);
        let rows = store::spending(self.db.pool(), minor, weeks_from.min(month_from)).await?;
        let mut by_category: Vec<(Category, Money)> = Vec::new();
        let mut by_week: Vec<(i64, Money)> = (0..CHART_WEEKS as i64)
            .map(|i| (weeks_from + i * WEEK_MS, Money::jpy(0)))
            .collect();
        for (category, at, amount) in rows {
            let Some(category) = Category::parse(&category) else {
                continue;
            };
            if at >= month_from {
                match by_category.iter_mut().find(|(c, _)| *c == category) {
                    Some((_, m)) => m.amount_minor += amount,
                    None => by_category.push((category, Money::jpy(amount))),
                }
            }
            if at >= weeks_from {
                let week = ((at - weeks_from) / WEEK_MS) as usize;
                if let Some((_, m)) = by_week.get_mut(week) {
                    m.amount_minor += amount;
                }
            }
        }
        by_category.sort_by_key(|b| std::cmp::Reverse(b.1.amount_minor));
        Ok(Ward {
            minor,
            nickname,
            name,
            verified_since_ms: since,
            conditions,
            by_category,
            by_week,
        })
    }

    /// Settles, cancels or ends what fell due; answers how many.
    pub async fn run_due_purchases(&self) -> Result<usize, Error> {
        let mut handled = 0;
        loop {
            let due = store::due(self.db.pool(), now_ms(), PAGE).await?;
            if due.is_empty() {
                return Ok(handled);
            }
            let count = due.len();
            for id in due {
                let Some(found) = store::get(self.db.pool(), id).await? else {
                    continue;
                };
                match self.step(found, Action::Due).await {
                    Ok(_) => handled += 1,
                    // Another instance, or the guardian, got there first.
                    Err(AppError::Conflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if (count as i64) < PAGE {
                return Ok(handled);
            }
        }
    }
}

#[async_trait]
impl PurchasesPort for Purchases {
    async fn guardian_overview(&self, caller: &Caller) -> Result<GuardianOverview, AppError> {
        let user = caller.require_user()?;
        let mut wards = Vec::new();
        let mut purchases = Vec::new();
        for (minor, nickname, name, since) in store::wards_of(self.db.pool(), user).await? {
            wards.push(self.ward(minor, nickname, name, since).await?);
            purchases.extend(
                store::of_ward(self.db.pool(), minor, LISTED)
                    .await?
                    .into_iter()
                    .map(|s| s.purchase),
            );
        }
        purchases.sort_by(|a, b| b.created_at_ms.cmp(&a.created_at_ms).then(b.id.cmp(&a.id)));
        Ok(GuardianOverview {
            server_now_ms: now_ms(),
            wards,
            purchases,
        })
    }

    async fn set_conditions(
        &self,
        caller: &Caller,
        minor: UserId,
        conditions: Conditions,
    ) -> Result<Conditions, AppError> {
        let user = caller.require_user()?;
        let guardians = store::guardians_of(self.db.pool(), minor).await?;
        if !guardians.contains(&user) {
            return Err(AppError::NotFound);
        }
        let conditions = conditions
            .checked()
            .map_err(|(field, reason)| AppError::invalid(field, reason))?;
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        store::set_conditions(&mut tx, minor, &conditions, user, now).await?;
        let mut unit = Unit::new(&mut tx, self.db.engine(), now);
        unit.audit(
            holder(user),
            "purchase.conditions.set",
            format!("user:{minor}"),
            serde_json::to_value(&conditions).map_err(Error::from)?,
        );
        let deliveries = unit.finish().await?;
        self.notifier.commit(tx, deliveries).await?;
        Ok(conditions)
    }

    async fn cancel_purchase(&self, caller: &Caller, id: PurchaseId) -> Result<Purchase, AppError> {
        let (by, found) = self.guarded(caller, id).await?;
        Ok(self.step(found, Action::Cancel { by }).await?.purchase)
    }

    async fn answer_purchase(
        &self,
        caller: &Caller,
        id: PurchaseId,
        yes: bool,
    ) -> Result<Purchase, AppError> {
        let (by, found) = self.guarded(caller, id).await?;
        Ok(self.step(found, Action::Answer { by, yes }).await?.purchase)
    }

    async fn my_purchases(&self, caller: &Caller) -> Result<Vec<Purchase>, AppError> {
        let user = caller.require_user()?;
        let rows = store::of_ward(self.db.pool(), user, LISTED).await?;
        Ok(rows.into_iter().map(|s| s.purchase).collect())
    }

    async fn begin_purchase_confirm(
        &self,
        caller: &Caller,
        id: PurchaseId,
    ) -> Result<Ceremony, AppError> {
        let found = self.own(caller, id).await?;
        if found.purchase.state != shared::purchase::PurchaseState::AwaitingMinor {
            return Err(AppError::Conflict {
                reason: Reason::PurchaseNotOpen,
            });
        }
        self.identity
            .begin_reauth(found.purchase.minor, &confirm_purpose(&found.purchase))
            .await
    }

    async fn confirm_purchase(
        &self,
        caller: &Caller,
        id: PurchaseId,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<Purchase, AppError> {
        let found = self.own(caller, id).await?;
        let reauth = self
            .identity
            .finish_reauth(
                found.purchase.minor,
                &confirm_purpose(&found.purchase),
                ceremony,
                credential_json,
            )
            .await?;
        let action = Action::Confirm {
            passkey: reauth.credential,
        };
        Ok(self.step(found, action).await?.purchase)
    }

    async fn decline_purchase(
        &self,
        caller: &Caller,
        id: PurchaseId,
    ) -> Result<Purchase, AppError> {
        let found = self.own(caller, id).await?;
        Ok(self.step(found, Action::MinorDeclines).await?.purchase)
    }
}

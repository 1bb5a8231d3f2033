//! Transfers to other people, checked for risk before the money moves
//! (flow F3). Reviewing a transfer resolves the recipient, runs the payee
//! name check and the risk assessment, and issues a passkey challenge for
//! exactly that transfer; sending repeats the assessment on fresh facts and
//! runs one ledger job that pays, reserves or refuses (see [`jobs`]). While
//! a decision is pending (the recipient's proof, a staff review) the money
//! is reserved, never gone; abandoning, a decline or expiry releases it.

pub mod bench;
mod conversations;
pub(crate) mod demo;
mod doors;
pub mod facts;
mod jobs;
mod payees;
pub mod rules;
pub mod store;

use async_trait::async_trait;
use shared::{
    events::{Event, Notice},
    identity::Ceremony,
    ids::{AccountId, PayeeId, SendId, UserId},
    ledger::{AccountKind, IdempotencyKey},
    money::Money,
    nickname::Nickname,
    ports::Caller,
    transfer::{
        name_check::{self, NameCheck},
        port::TransfersPort,
        risk::{assess, Assessment, Decision, Facts, NameAnswer, Rules},
        rules::{self as drafts, DryRun, RulesPage, RulesVersion, DRY_RUN_DAYS},
        send::{
            check_amount, Acknowledged, Conversation, DirectMessage, Held, Payee, ProofRequest,
            Purpose, RecipientView, Review, ScamLikelihood, SendForm, SendState, Sent, To,
            MAX_MESSAGE_CHARS, MAX_PER_DAY_YEN,
        },
    },
    AppError, Reason,
};
use std::sync::Arc;

use crate::{
    db::Db,
    error::Error,
    identity::{holder, store as people, Identity},
    ledger::{client_key, Ledger},
    notify::Notifier,
    system::now_ms,
};

const SCOPE: &str = "p2p";
/// Transfers listed for their sender.
const LISTED: i64 = 30;
/// Held transfers shown to staff at once.
const QUEUE: i64 = 100;
/// Overdue transfers released per pass.
const PAGE: i64 = 200;
/// Versions of the risk rules shown to staff.
const RULES_LISTED: i64 = 50;

/// How the flow is set up.
#[derive(Debug, Clone, Copy)]
pub struct Terms {
    /// How long a transfer waits for the recipient's proof and the sender's answer.
    pub proof_ttl_ms: i64,
    /// How long a held transfer waits for staff.
    pub review_ttl_ms: i64,
}

impl Default for Terms {
    fn default() -> Self {
        Terms {
            proof_ttl_ms: 3600 * 1000,
            review_ttl_ms: 3 * 24 * 3600 * 1000,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Transfers {
    db: Db,
    ledger: Ledger,
    identity: Arc<Identity>,
    notifier: Notifier,
    terms: Terms,
}

fn conflict(reason: Reason) -> AppError {
    AppError::Conflict { reason }
}

/// What the passkey signs when a sender confirms: this exact transfer.
fn send_purpose(p: &Resolved, key: &IdempotencyKey) -> String {
    format!(
        "p2p:{}:{}:{}:{}",
        p.from,
        p.to,
        p.amount.amount_minor,
        key.as_str()
    )
}

/// What the recipient's passkey signs: this transfer and this message (its SHA-256).
fn proof_purpose(id: SendId, message: &str) -> String {
    format!("p2p:{id}:proof:{}", crate::identity::session::hash(message))
}

fn likelihood(decision: Decision) -> Option<ScamLikelihood> {
    match decision {
        Decision::Proceed | Decision::Refuse => None,
        Decision::Warn => Some(ScamLikelihood::Some),
        Decision::RecipientProof | Decision::Hold => Some(ScamLikelihood::High),
    }
}

/// A checked form: who pays whom, how much, and what the name check said.
#[derive(Debug, Clone)]
struct Resolved {
    sender: UserId,
    sender_nickname: String,
    from: AccountId,
    recipient: UserId,
    recipient_nickname: String,
    to: AccountId,
    amount: Money,
    name_check: Option<NameCheck>,
    /// What the paying account had available when the form was checked.
    available: Money,
}

impl Resolved {
    /// Refused when the paying account cannot cover the amount. Apart from
    /// the checks of who and how much, so that a retry of a transfer already
    /// made still gets its answer once the money has gone.
    fn covered(self) -> Result<Resolved, AppError> {
        if self.available.amount_minor < self.amount.amount_minor {
            return Err(AppError::invalid("amount", Reason::InsufficientFunds));
        }
        Ok(self)
    }

    fn digest(&self) -> String {
        format!("{}:{}:{}", self.from, self.to, self.amount.amount_minor)
    }

    fn parties(&self) -> facts::Parties {
        facts::Parties {
            sender: self.sender,
            from: self.from,
            recipient: self.recipient,
            to: self.to,
        }
    }

    fn name_answer(&self) -> NameAnswer {
        match &self.name_check {
            None => NameAnswer::NotChecked,
            Some(NameCheck::Match) => NameAnswer::Match,
            Some(NameCheck::CloseMatch { .. }) => NameAnswer::CloseMatch,
            Some(NameCheck::NoMatch) => NameAnswer::NoMatch,
        }
    }
}

impl Transfers {
    pub fn new(
        db: Db,
        ledger: Ledger,
        identity: Arc<Identity>,
        notifier: Notifier,
        terms: Terms,
    ) -> Self {
        Transfers {
            db,
            ledger,
            identity,
            notifier,
            terms,
        }
    }

    /// The customer's main account, and the customer, an account number or nickname names.
    async fn recipient(&self, typed: &str) -> Result<(UserId, AccountId), AppError> {
        let unknown = || AppError::invalid("to", Reason::UnknownRecipient);
        let to = To::parse(typed).map_err(|r| AppError::invalid("to", r))?;
        let (user, account) = match to {
            To::Account(account) => {
                let holder = self.ledger.holder_of(account).await?.ok_or_else(unknown)?;
                let user = crate::identity::user_of(&holder).ok_or_else(unknown)?;
                (user, account)
            }
            To::Nickname(name) => {
                let canonical = Nickname::parse(&name).map_err(|_| unknown())?;
                let user = people::user_by_nickname(&self.db, canonical.canonical())
                    .await?
                    .ok_or_else(unknown)?;
                let main = self.main_account(user.id).await?.ok_or_else(unknown)?;
                (user.id, main)
            }
        };
        // Only a customer's main account takes transfers from other people.
        if self.ledger.balance(account).await?.kind != AccountKind::CustomerMain {
            return Err(unknown());
        }
        Ok((user, account))
    }

    async fn main_account(&self, user: UserId) -> Result<Option<AccountId>, AppError> {
        Ok(self
            .ledger
            .main_account_of(&holder(user))
            .await?
            .map(|a| a.id))
    }

    async fn resolve(&self, user: UserId, form: &SendForm) -> Result<Resolved, AppError> {
        let amount = check_amount(form.yen).map_err(|r| AppError::invalid("amount", r))?;
        let mine = self.ledger.accounts_of(&holder(user)).await?;
        let from = mine
            .iter()
            .find(|a| a.id == form.from && a.kind == AccountKind::CustomerMain)
            .ok_or(AppError::NotFound)?;
        let (recipient, to) = self.recipient(&form.to).await?;
        if recipient == user || to == form.from {
            return Err(AppError::invalid("to", Reason::OwnAccount));
        }
        let available = from.available();
        let sender = people::user(&self.db, user)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let them = people::user(&self.db, recipient)
            .await?
            .ok_or(AppError::invalid("to", Reason::UnknownRecipient))?;
        let expected = form.expected_name.trim();
        let name_check =
            (!expected.is_empty()).then(|| name_check::check(expected, &them.display_name));
        Ok(Resolved {
            sender: user,
            sender_nickname: sender.nickname,
            from: form.from,
            recipient,
            recipient_nickname: them.nickname,
            to,
            amount,
            name_check,
            available,
        })
    }

    /// The facts about a resolved transfer as they are now, and their
    /// assessment by the rules in force now.
    async fn assess(&self, p: &Resolved) -> Result<(Facts, Assessment), Error> {
        let mut conn = self.db.conn().await?;
        let facts =
            facts::gather(&mut conn, p.parties(), p.amount, p.name_answer(), now_ms()).await?;
        let (version, rules) = rules::in_force(&mut conn).await?;
        let assessment = Assessment {
            rules_version: version,
            ..assess(&facts, &rules)
        };
        Ok((facts, assessment))
    }

    fn create(
        &self,
        p: &Resolved,
        client_key: IdempotencyKey,
        (facts, assessment): (Facts, Assessment),
        acknowledged: Option<Acknowledged>,
        passkey: String,
    ) -> jobs::Create {
        jobs::Create {
            digest: p.digest(),
            sender: p.sender,
            recipient: p.recipient,
            sender_nickname: p.sender_nickname.clone(),
            recipient_nickname: p.recipient_nickname.clone(),
            from: p.from,
            to: p.to,
            amount: p.amount,
            client_key,
            facts,
            assessment,
            name_check: p.name_check.clone(),
            acknowledged,
            passkey,
            proof_ttl_ms: self.terms.proof_ttl_ms,
            review_ttl_ms: self.terms.review_ttl_ms,
        }
    }

    async fn left_today(&self, user: UserId) -> Result<Money, Error> {
        let mut conn = self.db.conn().await?;
        let since = crate::identity::clock::start_of_day_jst(now_ms());
        let used = store::sent_since(&mut conn, user, since).await?;
        Ok(Money::jpy((MAX_PER_DAY_YEN - used).max(0)))
    }

    async fn own(&self, user: UserId, id: SendId) -> Result<store::Stored, AppError> {
        store::get(self.db.pool(), id)
            .await?
            .filter(|s| s.sender == user)
            .ok_or(AppError::NotFound)
    }

    async fn end(
        &self,
        found: store::Stored,
        state: SendState,
        actor: String,
    ) -> Result<Option<store::Stored>, Error> {
        let Some(hold) = found.hold else {
            return Ok(None);
        };
        let job = jobs::End {
            found,
            hold,
            state,
            actor,
        };
        self.ledger.run(SCOPE, job).await
    }

    async fn settle(
        &self,
        found: store::Stored,
        from_state: SendState,
        actor: String,
    ) -> Result<Sent, AppError> {
        let hold = found.hold.ok_or(conflict(Reason::TransferNotOpen))?;
        let job = jobs::Settle {
            found,
            hold,
            from_state,
            actor,
        };
        Ok(self.ledger.run(SCOPE, job).await?.sent)
    }

    /// Releases waiting transfers past their deadline; returns how many.
    pub async fn expire_due(&self) -> Result<usize, Error> {
        let mut n = 0;
        for id in store::overdue(self.db.pool(), now_ms(), PAGE).await? {
            if let Some(found) = store::get(self.db.pool(), id).await? {
                if self
                    .end(found, SendState::Expired, "system".into())
                    .await?
                    .is_some()
                {
                    n += 1;
                }
            }
        }
        Ok(n)
    }
}

#[async_trait]
impl crate::due::DueWork for Transfers {
    fn what(&self) -> &'static str {
        "overdue transfers to other people"
    }

    async fn run_due(&self) -> Result<usize, Error> {
        self.expire_due().await
    }
}

#[async_trait]
impl TransfersPort for Transfers {
    async fn review(&self, caller: &Caller, form: SendForm) -> Result<Review, AppError> {
        let user = caller.require_user()?;
        let client_key = client_key(&form.key)?;
        let p = self.resolve(user, &form).await?.covered()?;
        let left_today = self.left_today(user).await?;
        if p.amount.amount_minor > left_today.amount_minor {
            return Err(AppError::invalid("amount", Reason::OverDailyLimit));
        }
        let (facts, assessment) = self.assess(&p).await?;
        let saved_payee = facts.saved_payee;
        let ceremony = match assessment.decision {
            // A refusal is recorded (and audited) at once: nothing to confirm.
            Decision::Refuse => {
                let assessed = (facts, assessment.clone());
                let job = self.create(&p, client_key, assessed, None, "none".into());
                self.ledger.run(SCOPE, job).await?;
                None
            }
            _ => Some(
                self.identity
                    .begin_reauth(user, &send_purpose(&p, &client_key))
                    .await?,
            ),
        };
        Ok(Review {
            recipient: RecipientView {
                account_number: shared::transfer::send::account_number(p.to),
                nickname: p.recipient_nickname.clone(),
                name_check: p.name_check.clone(),
                saved_payee,
            },
            amount: p.amount,
            likelihood: likelihood(assessment.decision),
            assessment,
            left_today,
            ceremony,
        })
    }

    async fn send(
        &self,
        caller: &Caller,
        form: SendForm,
        purpose: Option<Purpose>,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<Sent, AppError> {
        let user = caller.require_user()?;
        let client_key = client_key(&form.key)?;
        let p = self.resolve(user, &form).await;
        // A retry of a transfer already made answers it (its challenge is spent).
        let mut conn = self.db.conn().await?;
        if let Some(found) = store::by_request(&mut conn, user, client_key.as_str()).await? {
            return match p {
                Ok(p) if p.digest() == found.digest => Ok(found.sent),
                _ => Err(conflict(Reason::IdempotencyConflict)),
            };
        }
        drop(conn);
        let p = p?.covered()?;
        let (facts, mut assessment) = self.assess(&p).await?;
        let acknowledged = match (likelihood(assessment.decision), purpose) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(AppError::invalid("purpose", Reason::WarningNotAcknowledged))
            }
            (Some(likelihood), Some(purpose)) => Some(Acknowledged {
                likelihood,
                purpose,
                at_ms: now_ms(),
            }),
        };
        // "The bank/the police asked me to" and "an investment" are how scams
        // go: staff look at those before any money moves.
        if purpose.is_some_and(Purpose::is_scam_pattern) && assessment.decision < Decision::Hold {
            assessment.decision = Decision::Hold;
        }
        let reauth = self
            .identity
            .finish_reauth(
                user,
                &send_purpose(&p, &client_key),
                ceremony,
                credential_json,
            )
            .await?;
        let assessed = (facts, assessment);
        let job = self.create(&p, client_key, assessed, acknowledged, reauth.credential);
        let sent = self.ledger.run(SCOPE, job).await?.sent;
        if sent.state == SendState::InReview {
            self.tell_staff(&p).await;
        }
        Ok(sent)
    }

    async fn my_transfers(&self, caller: &Caller) -> Result<Vec<Sent>, AppError> {
        let user = caller.require_user()?;
        let rows = store::list(self.db.pool(), "t.sender_id = $1", user.0, LISTED).await?;
        Ok(rows.into_iter().map(|s| s.sent).collect())
    }

    async fn transfer(&self, caller: &Caller, id: SendId) -> Result<Sent, AppError> {
        Ok(self.own(caller.require_user()?, id).await?.sent)
    }

    async fn finish(&self, caller: &Caller, id: SendId, go_ahead: bool) -> Result<Sent, AppError> {
        let user = caller.require_user()?;
        let found = self.own(user, id).await?;
        let state = found.sent.state;
        if go_ahead {
            if state != SendState::AwaitingSender {
                return Err(conflict(Reason::TransferNotOpen));
            }
            return self.settle(found, state, holder(user)).await;
        }
        if !state.is_open() {
            return Err(conflict(Reason::TransferNotOpen));
        }
        self.end(found, SendState::Abandoned, holder(user))
            .await?
            .map(|s| s.sent)
            .ok_or(conflict(Reason::TransferNotOpen))
    }

    async fn proof_requests(&self, caller: &Caller) -> Result<Vec<ProofRequest>, AppError> {
        let user = caller.require_user()?;
        let rows = store::list(
            self.db.pool(),
            "t.recipient_id = $1 AND t.decision = 'recipient_proof'",
            user.0,
            LISTED,
        )
        .await?;
        Ok(rows.into_iter().map(proof_request).collect())
    }

    async fn begin_proof(
        &self,
        caller: &Caller,
        id: SendId,
        message: &str,
    ) -> Result<Ceremony, AppError> {
        let user = caller.require_user()?;
        let message = proof_message(message)?;
        let found = self.asked(user, id).await?;
        self.identity
            .begin_reauth(user, &proof_purpose(found.sent.id, &message))
            .await
    }

    async fn give_proof(
        &self,
        caller: &Caller,
        id: SendId,
        message: &str,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<ProofRequest, AppError> {
        let user = caller.require_user()?;
        let message = proof_message(message)?;
        let found = self.asked(user, id).await?;
        let reauth = self
            .identity
            .finish_reauth(
                user,
                &proof_purpose(id, &message),
                ceremony,
                credential_json,
            )
            .await?;
        let job = jobs::Prove {
            found,
            message,
            passkey: reauth.credential,
        };
        Ok(proof_request(self.ledger.run(SCOPE, job).await?))
    }

    async fn decline_proof(&self, caller: &Caller, id: SendId) -> Result<ProofRequest, AppError> {
        let user = caller.require_user()?;
        let found = self.asked(user, id).await?;
        self.end(found, SendState::Declined, holder(user))
            .await?
            .map(proof_request)
            .ok_or(conflict(Reason::TransferNotOpen))
    }

    async fn payees(&self, caller: &Caller) -> Result<Vec<Payee>, AppError> {
        Ok(payees::list(&self.db, caller.require_user()?).await?)
    }

    async fn add_payee(&self, caller: &Caller, to: &str, label: &str) -> Result<Payee, AppError> {
        let user = caller.require_user()?;
        let label = payees::check_label(label)?;
        let (recipient, account) = self.recipient(to).await?;
        if recipient == user {
            return Err(AppError::invalid("to", Reason::OwnAccount));
        }
        Ok(payees::add(&self.db, user, account, &label).await?)
    }

    async fn rename_payee(
        &self,
        caller: &Caller,
        id: PayeeId,
        label: &str,
    ) -> Result<Payee, AppError> {
        let label = payees::check_label(label)?;
        Ok(payees::rename(&self.db, caller.require_user()?, id, &label).await?)
    }

    async fn remove_payee(&self, caller: &Caller, id: PayeeId) -> Result<(), AppError> {
        Ok(payees::remove(&self.db, caller.require_user()?, id).await?)
    }

    async fn conversation(&self, caller: &Caller, with: &str) -> Result<Conversation, AppError> {
        let user = caller.require_user()?;
        let (other, _) = self.recipient(with).await?;
        Ok(conversations::read(&self.db, user, other).await?)
    }

    async fn write(
        &self,
        caller: &Caller,
        with: &str,
        body: &str,
    ) -> Result<DirectMessage, AppError> {
        let user = caller.require_user()?;
        let body = body.trim();
        if body.is_empty() || body.chars().count() > MAX_MESSAGE_CHARS {
            return Err(AppError::invalid("body", Reason::EmptyOrTooLong));
        }
        let (other, _) = self.recipient(with).await?;
        if other == user {
            return Err(AppError::invalid("to", Reason::OwnAccount));
        }
        Ok(conversations::write(&self.db, &self.notifier, user, other, body).await?)
    }

    async fn report(&self, caller: &Caller, to: &str) -> Result<(), AppError> {
        let user = caller.require_user()?;
        let (recipient, account) = self.recipient(to).await?;
        if recipient == user {
            return Err(AppError::invalid("to", Reason::OwnAccount));
        }
        Ok(payees::report(&self.db, &self.notifier, user, account).await?)
    }

    async fn held(&self, caller: &Caller) -> Result<Vec<Held>, AppError> {
        caller.require_staff()?;
        let mut out = Vec::new();
        for s in store::in_review(self.db.pool(), QUEUE).await? {
            let (count, total) = payees::between(&self.db, s.sent.from, s.to_account).await?;
            out.push(Held {
                from_nickname: s.from_nickname.clone(),
                between_count: count,
                between_total: Money::jpy(total),
                sent: s.sent,
            });
        }
        Ok(out)
    }

    async fn review_held(
        &self,
        caller: &Caller,
        id: SendId,
        release: bool,
    ) -> Result<Sent, AppError> {
        let staff = caller.require_staff()?;
        let found = store::get(self.db.pool(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        if found.sent.state != SendState::InReview {
            return Err(conflict(Reason::TransferNotOpen));
        }
        if release {
            return self.settle(found, SendState::InReview, holder(staff)).await;
        }
        self.end(found, SendState::Declined, holder(staff))
            .await?
            .map(|s| s.sent)
            .ok_or(conflict(Reason::TransferNotOpen))
    }

    async fn risk_rules(&self, caller: &Caller) -> Result<RulesPage, AppError> {
        caller.require_staff()?;
        let mut conn = self.db.conn().await?;
        let history = rules::history(&mut conn, RULES_LISTED).await?;
        let current = history.first().cloned().ok_or(AppError::NotFound)?;
        Ok(RulesPage { current, history })
    }

    async fn dry_run_rules(
        &self,
        caller: &Caller,
        draft: Rules,
        days: u32,
    ) -> Result<DryRun, AppError> {
        caller.require_staff()?;
        let draft = checked(draft)?;
        if !DRY_RUN_DAYS.contains(&days) {
            return Err(AppError::invalid("days", Reason::OutOfRange));
        }
        let mut conn = self.db.conn().await?;
        let (_, in_force) = rules::in_force(&mut conn).await?;
        Ok(rules::dry_run(&mut conn, &in_force, &draft, days, now_ms()).await?)
    }

    async fn save_rules(
        &self,
        caller: &Caller,
        draft: Rules,
        based_on: u32,
        note: &str,
    ) -> Result<RulesVersion, AppError> {
        let staff = caller.require_staff()?;
        let draft = checked(draft)?;
        let note = drafts::check_note(note).map_err(|(f, r)| AppError::invalid(f, r))?;
        let save = rules::Save {
            author: staff,
            based_on,
            rules: &draft,
            note: &note,
            now_ms: now_ms(),
        };
        Ok(rules::save(&self.db, save).await?)
    }
}

/// A draft staff sent, tidied and checked.
fn checked(draft: Rules) -> Result<Rules, AppError> {
    let draft = drafts::tidy(draft);
    drafts::check(&draft).map_err(|(field, reason)| AppError::invalid(field, reason))?;
    Ok(draft)
}

impl Transfers {
    /// Tells every member of staff, live, that a transfer waits for them.
    /// After the transfer's job: the ledger job may only notify the people
    /// it locked, and the held transfer is in the queue whether or not the
    /// notice arrives.
    async fn tell_staff(&self, p: &Resolved) {
        let event = Event::Notice {
            notice: Notice::TransferHeld {
                from: p.sender_nickname.clone(),
                to: p.recipient_nickname.clone(),
                amount: p.amount,
            },
        };
        let told = async {
            for clerk in people::staff_ids(self.db.pool()).await? {
                self.notifier.notify(clerk, &event).await?;
            }
            Ok::<_, AppError>(())
        };
        if let Err(e) = told.await {
            tracing::warn!(error = %e, "staff were not told of a held transfer");
        }
    }

    /// A transfer `user` is asked to prove they are the recipient of.
    async fn asked(&self, user: UserId, id: SendId) -> Result<store::Stored, AppError> {
        let found = store::get(self.db.pool(), id)
            .await?
            .filter(|s| s.recipient == user)
            .ok_or(AppError::NotFound)?;
        if found.sent.state != SendState::AwaitingRecipient {
            return Err(conflict(Reason::TransferNotOpen));
        }
        Ok(found)
    }
}

fn proof_message(message: &str) -> Result<String, AppError> {
    let m = message.trim();
    if m.is_empty() || m.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid("message", Reason::EmptyOrTooLong));
    }
    Ok(m.to_string())
}

fn proof_request(s: store::Stored) -> ProofRequest {
    ProofRequest {
        id: s.sent.id,
        from_nickname: s.from_nickname,
        amount: s.sent.amount,
        state: s.sent.state,
        created_at_ms: s.sent.created_at_ms,
        deadline_ms: s.sent.deadline_ms,
    }
}

//! Withdrawals arranged in a consultation (flow F1), the customer's and the
//! clerk's side: the clerk pushes a form, the customer fills in the amount
//! and confirms with a passkey, and the amount (with this withdrawal's own
//! fee) moves through the ledger into a withdrawal sub-account opened for
//! the customer. Its password is argon2id-hashed at once and shown only in
//! the confirming customer's answer: no clerk-facing answer, event, audit
//! entry or log line carries it. Unclaimed money returns to the main
//! account when the sub-account expires.

mod funding;
mod kiosk;
pub mod store;
mod sweep;

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHasher, SaltString},
    Argon2,
};
use async_trait::async_trait;
use shared::{
    cardless::check_amount,
    consultation::ConsultationState,
    events::Event,
    identity::Ceremony,
    ids::{AccountId, ConsultationId, SubWithdrawalId, UserId},
    ledger::{AccountKind, IdempotencyKey},
    money::Currency,
    ports::{Caller, SubWithdrawalPort},
    sub_withdrawal::{
        check_password, qr_payload, ConsultationRecord, PasswordChoice, Revealed, SubWithdrawal,
        SubWithdrawalState as S,
    },
    AppError,
};
use sqlx::AnyConnection;
use std::sync::Arc;

use crate::{
    audit,
    consultations::store as consultations,
    db::Db,
    error::internal,
    identity::{holder, Identity},
    ledger::{Ledger, NewAccount},
    notify::{Delivery, Notifier},
    system::now_ms,
};

const SCOPE: &str = "sub_withdrawal";
/// A customer's withdrawals listed on their Cash page.
const LISTED: i64 = 20;
/// Consultations in the staff history.
const HISTORY: i64 = 100;
/// How long a row may stay in flight (`funding`, `dispensing`) before the
/// sweep takes its request for cut off and settles it from the ledger.
const IN_FLIGHT_MS: i64 = 60_000;

/// How withdrawals arranged in consultations are set up.
#[derive(Debug, Clone, Copy)]
pub struct Terms {
    /// How long a funded sub-account waits for an ATM before its money goes back.
    pub ttl_ms: i64,
    /// The fee for one withdrawal with a code, in yen (not the cardless one).
    pub fee_yen: i64,
}

#[derive(Debug, Clone)]
pub struct SubWithdrawals {
    db: Db,
    ledger: Ledger,
    identity: Arc<Identity>,
    atms: Arc<crate::atms::AtmFleet>,
    notifier: Notifier,
    terms: Terms,
}

fn db_error(e: sqlx::Error) -> AppError {
    internal("sub_withdrawal", e)
}

fn conflict(reason: &str) -> AppError {
    AppError::Conflict {
        reason: reason.into(),
    }
}

fn key(s: &str) -> Result<IdempotencyKey, AppError> {
    IdempotencyKey::parse(s).map_err(|_| AppError::invalid("key", "malformed"))
}

fn signed_in(caller: &Caller) -> Result<UserId, AppError> {
    match caller {
        Caller::User { id, .. } => Ok(*id),
        Caller::Anonymous => Err(AppError::Unauthenticated),
    }
}

/// What a passkey challenge for managing a funded row is bound to.
fn purpose(id: SubWithdrawalId) -> String {
    format!("sub_withdrawal:{id}")
}

/// What a confirmation's challenge is bound to: the amount and account too,
/// so a challenge issued in one tab cannot confirm the amount typed in another.
fn confirm_purpose(id: SubWithdrawalId, account: AccountId, yen: i64) -> String {
    format!("sub_withdrawal:{id}:confirm:{account}:{yen}")
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| internal("password hash", e))
}

/// argon2id spends tens of milliseconds of CPU on purpose: off the async workers.
async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| internal("password hash", e))?
}

/// Six random digits that pass the password policy.
fn generate_password() -> String {
    use rand::Rng;
    loop {
        let p = format!("{:06}", rand::rng().random_range(0..1_000_000));
        if check_password(&p).is_ok() {
            return p;
        }
    }
}

/// A random eight-digit number to quote at the ATM (never starting with 0).
fn new_number() -> String {
    use rand::Rng;
    rand::rng()
        .random_range(10_000_000..100_000_000)
        .to_string()
}

/// The password to set: a chosen one if it passes the policy, else a fresh one.
fn password_from(choice: &PasswordChoice) -> Result<String, AppError> {
    match choice {
        PasswordChoice::Generate => Ok(generate_password()),
        PasswordChoice::Chosen(p) => {
            check_password(p).map_err(|r| AppError::invalid("password", r))?;
            Ok(p.clone())
        }
    }
}

impl SubWithdrawals {
    pub fn new(
        db: Db,
        ledger: Ledger,
        identity: Arc<Identity>,
        atms: Arc<crate::atms::AtmFleet>,
        notifier: Notifier,
        terms: Terms,
    ) -> Self {
        SubWithdrawals {
            db,
            ledger,
            identity,
            atms,
            notifier,
            terms,
        }
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, AppError> {
        self.db.pool().begin().await.map_err(db_error)
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, AppError> {
        self.db.pool().acquire().await.map_err(db_error)
    }

    /// The row, if `user` is its customer (or, with `clerk_too`, its clerk);
    /// for anyone else it does not exist.
    async fn row_of(
        &self,
        conn: &mut AnyConnection,
        user: UserId,
        id: SubWithdrawalId,
        clerk_too: bool,
    ) -> Result<store::Stored, AppError> {
        store::get(conn, id)
            .await
            .map_err(db_error)?
            .filter(|s| s.customer == user || (clerk_too && s.clerk == user))
            .ok_or(AppError::NotFound)
    }

    async fn fresh(
        &self,
        conn: &mut AnyConnection,
        id: SubWithdrawalId,
    ) -> Result<SubWithdrawal, AppError> {
        store::get(conn, id)
            .await
            .map_err(db_error)?
            .map(|s| s.withdrawal)
            .ok_or(AppError::NotFound)
    }

    /// Tells both sides the row changed (and audits `action`, when given),
    /// within `conn`'s transaction; returns the stored row as it is now.
    async fn changed(
        &self,
        conn: &mut AnyConnection,
        id: SubWithdrawalId,
        audit_as: Option<(&str, String, serde_json::Value)>,
        notice: Option<String>,
    ) -> Result<(store::Stored, Vec<Delivery>), AppError> {
        let found = store::get(conn, id)
            .await
            .map_err(db_error)?
            .ok_or(AppError::NotFound)?;
        let event = Event::SubWithdrawalChanged {
            withdrawal: found.withdrawal.clone(),
        };
        let mut deliveries = Vec::new();
        for user in [found.customer, found.clerk] {
            deliveries.push(
                self.notifier
                    .record(conn, user, &event)
                    .await
                    .map_err(db_error)?,
            );
        }
        if let Some(text) = notice {
            deliveries.push(
                self.notifier
                    .record(conn, found.customer, &Event::Notice { text })
                    .await
                    .map_err(db_error)?,
            );
        }
        if let Some((action, actor, detail)) = audit_as {
            let entry = audit::Event {
                actor,
                action: format!("sub_withdrawal.{action}"),
                subject: format!("sub_withdrawal:{id}"),
                detail: detail.to_string(),
            };
            audit::append(conn, &[entry], now_ms())
                .await
                .map_err(|e| internal("audit", e))?;
        }
        Ok((found, deliveries))
    }

    async fn commit(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
        deliveries: Vec<Delivery>,
    ) -> Result<(), AppError> {
        self.notifier.commit(tx, deliveries).await.map_err(db_error)
    }

    /// Checks a fresh passkey assertion for `purpose` (user verification required).
    async fn passkey(
        &self,
        user: UserId,
        purpose: &str,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<String, AppError> {
        Ok(self
            .identity
            .finish_reauth(user, purpose, ceremony, credential_json)
            .await?
            .credential)
    }

    /// Opens the row's sub-account once (a retry finds the one already opened).
    async fn sub_account(
        &self,
        found: &store::Stored,
        expires_at_ms: i64,
    ) -> Result<AccountId, AppError> {
        if let Some(sub) = found.withdrawal.sub_account {
            return Ok(sub);
        }
        let mut account = NewAccount::held_by(
            &holder(found.customer),
            AccountKind::WithdrawalSub,
            Currency::Jpy,
            "Withdrawal sub-account",
        );
        account.owner = found.account;
        account.deadline_ms = Some(expires_at_ms);
        let opened = self.ledger.open_account(account).await?;
        let mut conn = self.conn().await?;
        store::set_sub_account(&mut conn, found.withdrawal.id, opened)
            .await
            .map_err(db_error)?
            .ok_or_else(|| internal("sub_withdrawal", "sub-account not recorded"))
    }

    /// A sub-account number no row has yet (numbers are random; on the rare
    /// clash, draw again).
    async fn free_number(&self) -> Result<String, AppError> {
        let mut conn = self.conn().await?;
        for _ in 0..5 {
            let number = new_number();
            if store::by_number(&mut conn, &number)
                .await
                .map_err(db_error)?
                .is_none()
            {
                return Ok(number);
            }
        }
        Err(internal("sub_withdrawal", "no free number"))
    }
}

#[async_trait]
impl SubWithdrawalPort for SubWithdrawals {
    async fn push(
        &self,
        caller: &Caller,
        consultation: ConsultationId,
        suggested_yen: Option<i64>,
    ) -> Result<SubWithdrawal, AppError> {
        let clerk = caller.require_staff()?;
        if let Some(yen) = suggested_yen {
            check_amount(yen).map_err(|r| AppError::invalid("amount", r))?;
        }
        let mut tx = self.begin().await?;
        let found = consultations::get(&mut tx, consultation)
            .await
            .map_err(db_error)?
            .filter(|c| c.clerk == Some(clerk))
            .ok_or(AppError::NotFound)?;
        // Held until this commits, so the consultation cannot end with a form
        // appearing after it (which its end would not have withdrawn).
        if !consultations::hold_active(&mut tx, consultation)
            .await
            .map_err(db_error)?
        {
            return Err(conflict("consultation_not_active"));
        }
        let id = store::insert(
            &mut tx,
            consultation,
            found.customer,
            clerk,
            suggested_yen,
            self.terms.fee_yen,
            now_ms(),
        )
        .await
        .map_err(db_error)?
        .ok_or_else(|| conflict("form_open"))?;
        let detail =
            serde_json::json!({ "consultation": consultation.0, "suggested_yen": suggested_yen });
        let (row, deliveries) = self
            .changed(&mut tx, id, Some(("pushed", holder(clerk), detail)), None)
            .await?;
        self.commit(tx, deliveries).await?;
        Ok(row.withdrawal)
    }

    async fn of_consultation(
        &self,
        caller: &Caller,
        consultation: ConsultationId,
    ) -> Result<Vec<SubWithdrawal>, AppError> {
        let user = signed_in(caller)?;
        let mut conn = self.conn().await?;
        let found = consultations::get(&mut conn, consultation)
            .await
            .map_err(db_error)?
            .filter(|c| c.side_of(user).is_some())
            .ok_or(AppError::NotFound)?;
        Ok(store::for_clerk(&mut conn, consultation, found.customer)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|s| s.withdrawal)
            .collect())
    }

    async fn mine(&self, caller: &Caller) -> Result<Vec<SubWithdrawal>, AppError> {
        let user = signed_in(caller)?;
        let mut conn = self.conn().await?;
        Ok(store::of_customer(&mut conn, user, LISTED)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|s| s.withdrawal)
            .collect())
    }

    async fn open(&self, caller: &Caller, id: SubWithdrawalId) -> Result<SubWithdrawal, AppError> {
        let user = signed_in(caller)?;
        let mut tx = self.begin().await?;
        self.row_of(&mut tx, user, id, false).await?;
        if !store::step(&mut tx, id, &[S::Pushed], S::Opened)
            .await
            .map_err(db_error)?
        {
            // Opened already, or moved on: nothing to tell anyone.
            return self.fresh(&mut tx, id).await;
        }
        let (row, deliveries) = self.changed(&mut tx, id, None, None).await?;
        self.commit(tx, deliveries).await?;
        Ok(row.withdrawal)
    }

    async fn begin_confirm(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
        account: AccountId,
        yen: i64,
    ) -> Result<Ceremony, AppError> {
        let user = signed_in(caller)?;
        check_amount(yen).map_err(|r| AppError::invalid("amount", r))?;
        let main = self
            .ledger
            .accounts_of(&holder(user))
            .await?
            .into_iter()
            .find(|a| a.id == account && a.kind == AccountKind::CustomerMain)
            .ok_or(AppError::NotFound)?;
        let mut tx = self.begin().await?;
        let found = self.row_of(&mut tx, user, id, false).await?;
        if main.available().amount_minor < yen + found.withdrawal.fee.amount_minor {
            return Err(AppError::invalid("amount", "insufficient_funds"));
        }
        if !store::submit(&mut tx, id, account, yen)
            .await
            .map_err(db_error)?
        {
            return Err(conflict("form_closed"));
        }
        let (_, deliveries) = self.changed(&mut tx, id, None, None).await?;
        self.commit(tx, deliveries).await?;
        self.identity
            .begin_reauth(user, &confirm_purpose(id, account, yen))
            .await
    }

    async fn confirm(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
        choice: PasswordChoice,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<Revealed, AppError> {
        let user = signed_in(caller)?;
        let found = {
            let mut conn = self.conn().await?;
            self.row_of(&mut conn, user, id, false).await?
        };
        let (S::Submitted, Some(main), Some(amount)) = (
            found.withdrawal.state,
            found.account,
            found.withdrawal.amount,
        ) else {
            return Err(conflict("form_closed"));
        };
        // A bad choice is refused before the passkey is spent, so the customer can fix it.
        let password = password_from(&choice)?;
        let signed_for = confirm_purpose(id, main, amount.amount_minor);
        let passkey = self
            .passkey(user, &signed_for, ceremony, credential_json)
            .await?;
        let hash = hash_password(password.clone()).await?;
        let number = self.free_number().await?;
        let expires_at_ms = now_ms() + self.terms.ttl_ms;
        self.sub_account(&found, expires_at_ms).await?;
        // As committed: its attempt number is what the funding keys carry.
        let row = {
            let mut tx = self.begin().await?;
            if !consultations::hold_active(&mut tx, found.withdrawal.consultation)
                .await
                .map_err(db_error)?
            {
                return Err(conflict("consultation_not_active"));
            }
            let funding = store::Funding {
                account: main,
                yen: amount.amount_minor,
                number: &number,
                password_hash: &hash,
                expires_at_ms,
            };
            // Only the amount and account the passkey confirmed: a second
            // begin-confirm with another amount makes this one fail.
            if !store::start_funding(&mut tx, id, &funding, now_ms())
                .await
                .map_err(db_error)?
            {
                return Err(conflict("form_closed"));
            }
            let detail = serde_json::json!({
                "amount_yen": amount.amount_minor,
                "fee_yen": found.withdrawal.fee.amount_minor,
                "passkey": passkey,
                "password": if matches!(choice, PasswordChoice::Generate) { "generated" } else { "chosen" },
            });
            let (row, deliveries) = self
                .changed(&mut tx, id, Some(("confirmed", holder(user), detail)), None)
                .await?;
            self.commit(tx, deliveries).await?;
            row
        };
        let withdrawal = self
            .fund(&row, funding::FundedBy::Customer(holder(user)))
            .await?;
        Ok(Revealed {
            qr_payload: qr_payload(&number, &password),
            withdrawal,
            password,
        })
    }

    async fn cancel(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
    ) -> Result<SubWithdrawal, AppError> {
        let user = signed_in(caller)?;
        let mut tx = self.begin().await?;
        self.row_of(&mut tx, user, id, true).await?;
        if !store::end(
            &mut tx,
            id,
            &[S::Pushed, S::Opened, S::Submitted],
            S::Withdrawn,
            now_ms(),
        )
        .await
        .map_err(db_error)?
        {
            return Err(conflict("form_closed"));
        }
        let (row, deliveries) = self
            .changed(
                &mut tx,
                id,
                Some(("withdrawn", holder(user), serde_json::json!({}))),
                None,
            )
            .await?;
        self.commit(tx, deliveries).await?;
        Ok(row.withdrawal)
    }

    async fn begin_passkey(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
    ) -> Result<Ceremony, AppError> {
        let user = signed_in(caller)?;
        let mut conn = self.conn().await?;
        let found = self.row_of(&mut conn, user, id, false).await?;
        if !found.withdrawal.state.is_funded() {
            return Err(conflict("not_funded"));
        }
        self.identity.begin_reauth(user, &purpose(id)).await
    }

    async fn renew_password(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
        choice: PasswordChoice,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<Revealed, AppError> {
        let user = signed_in(caller)?;
        let found = {
            let mut conn = self.conn().await?;
            self.row_of(&mut conn, user, id, false).await?
        };
        let Some(number) = found.withdrawal.number.clone() else {
            return Err(conflict("not_funded"));
        };
        let password = password_from(&choice)?;
        let passkey = self
            .passkey(user, &purpose(id), ceremony, credential_json)
            .await?;
        let hash = hash_password(password.clone()).await?;
        let mut tx = self.begin().await?;
        if !store::set_password(&mut tx, id, Some(&hash))
            .await
            .map_err(db_error)?
        {
            return Err(conflict("not_funded"));
        }
        let detail = serde_json::json!({ "passkey": passkey });
        let (row, deliveries) = self
            .changed(
                &mut tx,
                id,
                Some(("password_renewed", holder(user), detail)),
                None,
            )
            .await?;
        self.commit(tx, deliveries).await?;
        Ok(Revealed {
            qr_payload: qr_payload(&number, &password),
            withdrawal: row.withdrawal,
            password,
        })
    }

    async fn unlock(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<SubWithdrawal, AppError> {
        let user = signed_in(caller)?;
        {
            let mut conn = self.conn().await?;
            self.row_of(&mut conn, user, id, false).await?;
        }
        let passkey = self
            .passkey(user, &purpose(id), ceremony, credential_json)
            .await?;
        let mut tx = self.begin().await?;
        if !store::step(&mut tx, id, &[S::Locked], S::Locked)
            .await
            .map_err(db_error)?
            || !store::set_password(&mut tx, id, None)
                .await
                .map_err(db_error)?
        {
            return Err(conflict("not_locked"));
        }
        let detail = serde_json::json!({ "passkey": passkey });
        let (row, deliveries) = self
            .changed(&mut tx, id, Some(("unlocked", holder(user), detail)), None)
            .await?;
        self.commit(tx, deliveries).await?;
        Ok(row.withdrawal)
    }

    async fn ask_new_password(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
    ) -> Result<SubWithdrawal, AppError> {
        let clerk = caller.require_staff()?;
        let found = {
            let mut conn = self.conn().await?;
            store::get(&mut conn, id)
                .await
                .map_err(db_error)?
                .ok_or(AppError::NotFound)?
        };
        // Only the clerk the customer is talking with now may ask them.
        let talking = consultations::open_of(&self.db, found.customer)
            .await
            .map_err(db_error)?
            .filter(|c| c.clerk == Some(clerk) && c.consultation.state == ConsultationState::Active)
            .ok_or(AppError::NotFound)?;
        if found.withdrawal.state != S::Locked {
            return Err(conflict("not_locked"));
        }
        let text = format!(
            "{} asks you to confirm a new password for withdrawal sub-account {} with your passkey: \
             choose “Get a new password” under Cash arranged with a clerk.",
            talking.consultation.clerk_name.unwrap_or_default(),
            found.withdrawal.number.as_deref().unwrap_or_default(),
        );
        let mut tx = self.begin().await?;
        let detail = serde_json::json!({ "consultation": talking.consultation.id.0 });
        let (row, deliveries) = self
            .changed(
                &mut tx,
                id,
                Some(("new_password_asked", holder(clerk), detail)),
                Some(text),
            )
            .await?;
        self.commit(tx, deliveries).await?;
        Ok(row.withdrawal)
    }

    async fn history(&self, caller: &Caller) -> Result<Vec<ConsultationRecord>, AppError> {
        caller.require_staff()?;
        let mut conn = self.conn().await?;
        let ended = store::ended_consultations(&mut conn, HISTORY)
            .await
            .map_err(db_error)?;
        let mut records = Vec::with_capacity(ended.len());
        for (id, messages) in ended {
            let Some(found) = consultations::get(&mut conn, id).await.map_err(db_error)? else {
                continue;
            };
            let withdrawals = store::of_consultation(&mut conn, id)
                .await
                .map_err(db_error)?
                .into_iter()
                .map(|s| s.withdrawal)
                .collect();
            records.push(ConsultationRecord {
                consultation: found.consultation,
                withdrawals,
                messages,
            });
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_pass_the_policy_and_hash_with_argon2id() {
        for _ in 0..200 {
            let p = generate_password();
            assert_eq!(p.len(), 6);
            assert_eq!(check_password(&p), Ok(()), "{p}");
        }
        let p = generate_password();
        let hash = hash_now(&p).unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(&p));
    }

    #[test]
    fn numbers_are_eight_digits() {
        for _ in 0..100 {
            let n = new_number();
            assert_eq!(n.len(), 8);
            assert!(n.chars().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn a_chosen_password_must_pass_the_policy() {
        assert!(matches!(
            password_from(&PasswordChoice::Chosen("111111".into())),
            Err(AppError::Invalid { .. })
        ));
        assert_eq!(
            password_from(&PasswordChoice::Chosen("407193".into())).unwrap(),
            "407193"
        );
    }
}

//! Withdrawals arranged in a consultation (flow F1), the customer's and the
//! clerk's side: the clerk pushes a form, the customer fills in the amount
//! and confirms with a passkey, and the amount (with this withdrawal's own
//! fee) moves through the ledger into a withdrawal sub-account opened for
//! the customer. Its password is argon2id-hashed at once and shown only in
//! the confirming customer's answer: no clerk-facing answer, event, audit
//! entry or log line carries it. Unclaimed money returns to the main
//! account when the sub-account expires. Every change of a row is one
//! ledger job (see [`jobs`]), with its money when it moves any.

mod doors;
mod jobs;
mod kiosk;
pub mod store;

use crate::identity::secret;
use async_trait::async_trait;
use shared::{
    cardless::check_amount,
    identity::Ceremony,
    ids::{AccountId, ConsultationId, SubWithdrawalId, UserId},
    ledger::AccountKind,
    ports::Caller,
    sub_withdrawal::port::SubWithdrawalPort,
    sub_withdrawal::{
        check_password, qr_payload, ConsultationRecord, PasswordChoice, Revealed, SubWithdrawal,
        SubWithdrawalState as S,
    },
    AppError, Money, Reason, Yen,
};
use std::sync::Arc;

use crate::{
    consultations::Rooms,
    db::Db,
    error::{internal, Error},
    identity::{holder, Identity},
    ledger::Ledger,
    system::now_ms,
};

const SCOPE: &str = "sub_withdrawal";
/// A customer's withdrawals listed on their Cash page.
const LISTED: i64 = 20;
/// Consultations in the staff history.
const HISTORY: i64 = 100;
/// Expired rows returned per page of a pass.
const PAGE: i64 = 200;

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
    atms: Arc<dyn crate::atms::Kiosks>,
    rooms: Arc<dyn Rooms>,
    terms: Terms,
}

fn conflict(reason: Reason) -> AppError {
    AppError::Conflict { reason }
}

/// What a passkey challenge for managing a funded row is bound to.
fn purpose(id: SubWithdrawalId) -> String {
    format!("sub_withdrawal:{id}")
}

/// What a confirmation's challenge is bound to: the amount and account too,
/// so a challenge issued in one tab cannot confirm the amount typed in another.
fn confirm_purpose(id: SubWithdrawalId, account: AccountId, amount: Money) -> String {
    format!(
        "sub_withdrawal:{id}:confirm:{account}:{}",
        amount.amount_minor
    )
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
        atms: Arc<dyn crate::atms::Kiosks>,
        rooms: Arc<dyn Rooms>,
        terms: Terms,
    ) -> Self {
        SubWithdrawals {
            db,
            ledger,
            identity,
            atms,
            rooms,
            terms,
        }
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, Error> {
        self.db.conn().await
    }

    /// The row, if `user` is its customer (or, with `clerk_too`, its clerk);
    /// for anyone else it does not exist.
    async fn row_of(
        &self,
        user: UserId,
        id: SubWithdrawalId,
        clerk_too: bool,
    ) -> Result<store::Stored, Error> {
        let mut conn = self.conn().await?;
        Ok(store::get(&mut conn, id)
            .await?
            .filter(|s| s.customer == user || (clerk_too && s.clerk == user))
            .ok_or(AppError::NotFound)?)
    }

    /// Runs one change of a row as a ledger job.
    async fn change(
        &self,
        found: &store::Stored,
        what: jobs::What,
    ) -> Result<SubWithdrawal, Error> {
        let job = jobs::Change {
            id: found.withdrawal.id,
            customer: found.customer,
            clerk: found.clerk,
            what,
        };
        self.ledger.run(SCOPE, job).await
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

    /// A sub-account number no row has yet (numbers are random; on the rare
    /// clash, draw again).
    async fn free_number(&self) -> Result<String, Error> {
        let mut conn = self.conn().await?;
        for _ in 0..5 {
            let number = new_number();
            if store::by_number(&mut conn, &number).await?.is_none() {
                return Ok(number);
            }
        }
        Err(internal("sub_withdrawal", "no free number").into())
    }

    /// Returns the money of every expired sub-account to its main account;
    /// returns how many. One that cannot be returned now is logged and
    /// skipped, so it never holds up the rows after it.
    pub async fn return_expired(&self) -> Result<usize, Error> {
        let (mut after, mut returned) = (SubWithdrawalId(0), 0);
        loop {
            let page = {
                let mut conn = self.conn().await?;
                store::expired(&mut conn, now_ms(), after, PAGE).await?
            };
            let Some(last) = page.last() else {
                return Ok(returned);
            };
            after = *last;
            for id in page {
                match self.give_back(id).await {
                    Ok(true) => returned += 1,
                    // Returned, paid or unlocked meanwhile (by another instance, say).
                    Ok(false) => {}
                    Err(e) => tracing::warn!(
                        withdrawal = %id, error = %e,
                        "could not return an expired sub-account; the next pass tries again"
                    ),
                }
            }
        }
    }

    /// `false` when the row was no longer due when its job ran.
    async fn give_back(&self, id: SubWithdrawalId) -> Result<bool, Error> {
        let mut conn = self.conn().await?;
        let Some(found) = store::get(&mut conn, id).await? else {
            return Ok(false);
        };
        drop(conn);
        let (Some(main), Some(sub)) = (found.account, found.withdrawal.sub_account) else {
            return Err(internal("sub_withdrawal", "funded row without accounts").into());
        };
        match self.change(&found, jobs::What::Return { main, sub }).await {
            Ok(_) => Ok(true),
            Err(Error::App(AppError::Conflict {
                reason: Reason::NotDue,
            })) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl crate::due::DueWork for SubWithdrawals {
    fn what(&self) -> &'static str {
        "expired sub-accounts"
    }

    async fn run_due(&self) -> Result<usize, Error> {
        self.return_expired().await
    }
}

#[async_trait]
impl SubWithdrawalPort for SubWithdrawals {
    async fn push(
        &self,
        caller: &Caller,
        consultation: ConsultationId,
        suggested_yen: Option<Yen>,
    ) -> Result<SubWithdrawal, AppError> {
        let clerk = caller.require_staff()?;
        let suggested = suggested_yen
            .map(check_amount)
            .transpose()
            .map_err(|r| AppError::invalid("amount", r))?;
        let found = self
            .rooms
            .room(consultation)
            .await?
            .filter(|c| c.clerk == Some(clerk))
            .ok_or(AppError::NotFound)?;
        let job = jobs::Push {
            rooms: self.rooms.clone(),
            consultation,
            customer: found.customer,
            clerk,
            suggested,
            fee_yen: self.terms.fee_yen,
        };
        Ok(self.ledger.run(SCOPE, job).await?)
    }

    async fn of_consultation(
        &self,
        caller: &Caller,
        consultation: ConsultationId,
    ) -> Result<Vec<SubWithdrawal>, AppError> {
        let user = caller.require_user()?;
        let found = self
            .rooms
            .room(consultation)
            .await?
            .filter(|c| c.has_side(user))
            .ok_or(AppError::NotFound)?;
        let mut conn = self.conn().await?;
        Ok(store::for_clerk(&mut conn, consultation, found.customer)
            .await?
            .into_iter()
            .map(|s| s.withdrawal)
            .collect())
    }

    async fn mine(&self, caller: &Caller) -> Result<Vec<SubWithdrawal>, AppError> {
        let user = caller.require_user()?;
        let mut conn = self.conn().await?;
        Ok(store::of_customer(&mut conn, user, LISTED)
            .await?
            .into_iter()
            .map(|s| s.withdrawal)
            .collect())
    }

    async fn open(&self, caller: &Caller, id: SubWithdrawalId) -> Result<SubWithdrawal, AppError> {
        let found = self.row_of(caller.require_user()?, id, false).await?;
        Ok(self.change(&found, jobs::What::Open).await?)
    }

    async fn begin_confirm(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
        account: AccountId,
        yen: Yen,
    ) -> Result<Ceremony, AppError> {
        let user = caller.require_user()?;
        let amount = check_amount(yen).map_err(|r| AppError::invalid("amount", r))?;
        let main = self
            .ledger
            .accounts_of(&holder(user))
            .await?
            .into_iter()
            .find(|a| a.id == account && a.kind == AccountKind::CustomerMain)
            .ok_or(AppError::NotFound)?;
        let found = self.row_of(user, id, false).await?;
        // A quick answer; the ledger decides when the money moves.
        let needed = amount
            .checked_add(found.withdrawal.fee)
            .map_err(|_| AppError::invalid("amount", Reason::AmountTooLarge))?;
        if main.available().amount_minor < needed.amount_minor {
            return Err(AppError::invalid("amount", Reason::InsufficientFunds));
        }
        self.change(&found, jobs::What::Submit { account, amount })
            .await?;
        self.identity
            .begin_reauth(user, &confirm_purpose(id, account, amount))
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
        let user = caller.require_user()?;
        let found = self.row_of(user, id, false).await?;
        let (S::Submitted, Some(main), Some(amount)) = (
            found.withdrawal.state,
            found.account,
            found.withdrawal.amount,
        ) else {
            return Err(conflict(Reason::FormClosed));
        };
        // A bad choice is refused before the passkey is spent, so the customer can fix it.
        let password = password_from(&choice)?;
        let signed_for = confirm_purpose(id, main, amount);
        let passkey = self
            .passkey(user, &signed_for, ceremony, credential_json)
            .await?;
        let hash = secret::hash_off_workers(password.clone()).await?;
        let number = self.free_number().await?;
        let confirm = jobs::Confirm {
            rooms: self.rooms.clone(),
            consultation: found.withdrawal.consultation,
            main,
            amount,
            fee: found.withdrawal.fee,
            number: number.clone(),
            hash: jobs::Hash(hash),
            expires_at_ms: now_ms() + self.terms.ttl_ms,
            passkey,
            chosen: matches!(choice, PasswordChoice::Chosen(_)),
        };
        let withdrawal = self.change(&found, jobs::What::Confirm(confirm)).await?;
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
        let user = caller.require_user()?;
        let found = self.row_of(user, id, true).await?;
        Ok(self
            .change(&found, jobs::What::Withdraw { by: user })
            .await?)
    }

    async fn begin_passkey(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
    ) -> Result<Ceremony, AppError> {
        let user = caller.require_user()?;
        let found = self.row_of(user, id, false).await?;
        if !found.withdrawal.state.is_funded() {
            return Err(conflict(Reason::NotFunded));
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
        let user = caller.require_user()?;
        let found = self.row_of(user, id, false).await?;
        let Some(number) = found.withdrawal.number.clone() else {
            return Err(conflict(Reason::NotFunded));
        };
        let password = password_from(&choice)?;
        let passkey = self
            .passkey(user, &purpose(id), ceremony, credential_json)
            .await?;
        let hash = jobs::Hash(secret::hash_off_workers(password.clone()).await?);
        let withdrawal = self
            .change(&found, jobs::What::NewPassword { hash, passkey })
            .await?;
        Ok(Revealed {
            qr_payload: qr_payload(&number, &password),
            withdrawal,
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
        let user = caller.require_user()?;
        let found = self.row_of(user, id, false).await?;
        let passkey = self
            .passkey(user, &purpose(id), ceremony, credential_json)
            .await?;
        Ok(self.change(&found, jobs::What::Unlock { passkey }).await?)
    }

    async fn ask_new_password(
        &self,
        caller: &Caller,
        id: SubWithdrawalId,
    ) -> Result<SubWithdrawal, AppError> {
        let clerk = caller.require_staff()?;
        let found = {
            let mut conn = self.conn().await?;
            store::get(&mut conn, id).await?.ok_or(AppError::NotFound)?
        };
        // Only the clerk the customer is talking with now may ask them.
        let talking = self
            .rooms
            .talking(found.customer, clerk)
            .await?
            .ok_or(AppError::NotFound)?;
        // The job refuses a row that is not locked (not_locked).
        let what = jobs::What::AskNewPassword {
            consultation: talking.consultation.id,
            clerk_name: talking.consultation.clerk_name.unwrap_or_default(),
        };
        Ok(self.change(&found, what).await?)
    }

    async fn history(&self, caller: &Caller) -> Result<Vec<ConsultationRecord>, AppError> {
        caller.require_staff()?;
        let ended = self.rooms.ended(HISTORY).await?;
        let mut conn = self.conn().await?;
        let mut records = Vec::with_capacity(ended.len());
        for (room, messages) in ended {
            let withdrawals = store::of_consultation(&mut conn, room.consultation.id)
                .await?
                .into_iter()
                .map(|s| s.withdrawal)
                .collect();
            records.push(ConsultationRecord {
                consultation: room.consultation,
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
        let hash = secret::hash(&p).unwrap();
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

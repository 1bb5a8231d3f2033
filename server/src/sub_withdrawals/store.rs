//! Rows of withdrawals arranged in consultations: the pushed form, then its
//! sub-account. Every state change is a conditional update, so two requests
//! racing for one row see exactly one winner; those that move money run in
//! the ledger job that moves it.

use shared::{
    ids::{AccountId, AtmId, ConsultationId, SubWithdrawalId, UserId},
    money::Money,
    sub_withdrawal::{SubWithdrawal, SubWithdrawalState},
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::error::Result;

const COLUMNS: &str = "id, consultation_id, state, suggested_yen, amount_yen, fee_yen, \
                       sub_account, number, created_at_ms, expires_at_ms, ended_at_ms, \
                       failed_tries, user_id, clerk_id, account, password_hash, atm_id";

/// A row with what only the server needs.
#[derive(Clone)]
pub struct Stored {
    pub withdrawal: SubWithdrawal,
    pub customer: UserId,
    pub clerk: UserId,
    /// The main account the money came from.
    pub account: Option<AccountId>,
    pub password_hash: Option<String>,
    /// The ATM that paid it out.
    pub atm: Option<AtmId>,
}

/// A six-digit password falls to a search of its hash, so no log line or
/// panic message may print the hash either.
const REDACTED: &str = "<redacted>";

impl std::fmt::Debug for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stored")
            .field("withdrawal", &self.withdrawal)
            .field("customer", &self.customer)
            .field("clerk", &self.clerk)
            .field("account", &self.account)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}

fn stored(r: &AnyRow) -> Result<Stored> {
    let state: String = r.try_get("state")?;
    let tries: i64 = r.try_get("failed_tries")?;
    let money =
        |col: &str| Ok::<_, crate::error::Error>(r.try_get::<Option<i64>, _>(col)?.map(Money::jpy));
    Ok(Stored {
        customer: UserId(r.try_get("user_id")?),
        clerk: UserId(r.try_get("clerk_id")?),
        account: r.try_get::<Option<i64>, _>("account")?.map(AccountId),
        password_hash: r.try_get("password_hash")?,
        atm: r.try_get::<Option<i64>, _>("atm_id")?.map(AtmId),
        withdrawal: SubWithdrawal {
            id: SubWithdrawalId(r.try_get("id")?),
            consultation: ConsultationId(r.try_get("consultation_id")?),
            state: SubWithdrawalState::parse(&state)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown state {state:?}").into()))?,
            suggested: money("suggested_yen")?,
            amount: money("amount_yen")?,
            fee: Money::jpy(r.try_get("fee_yen")?),
            sub_account: r.try_get::<Option<i64>, _>("sub_account")?.map(AccountId),
            number: r.try_get("number")?,
            created_at_ms: r.try_get("created_at_ms")?,
            expires_at_ms: r.try_get("expires_at_ms")?,
            ended_at_ms: r.try_get("ended_at_ms")?,
            failed_tries: u32::try_from(tries).unwrap_or(0),
        },
    })
}

/// States as an SQL list (`'ready', 'locked'`); they are our own constants, never input.
fn sql_list(states: &[SubWithdrawalState]) -> String {
    states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn list(rows: Vec<AnyRow>) -> Result<Vec<Stored>> {
    rows.iter().map(stored).collect()
}

/// A new form on `consultation`; `None` when one is already open there.
pub async fn insert(
    conn: &mut AnyConnection,
    consultation: ConsultationId,
    customer: UserId,
    clerk: UserId,
    suggested_yen: Option<i64>,
    fee_yen: i64,
    now_ms: i64,
) -> Result<Option<SubWithdrawalId>> {
    let row = sqlx::query(
        "INSERT INTO sub_withdrawals (consultation_id, user_id, clerk_id, state, suggested_yen, \
         fee_yen, failed_tries, created_at_ms) VALUES ($1, $2, $3, 'pushed', $4, $5, 0, $6) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(consultation.0)
    .bind(customer.0)
    .bind(clerk.0)
    .bind(suggested_yen)
    .bind(fee_yen)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok(SubWithdrawalId(r.try_get("id")?)))
        .transpose()
}

pub async fn get(conn: &mut AnyConnection, id: SubWithdrawalId) -> Result<Option<Stored>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM sub_withdrawals WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(stored)
    .transpose()
}

pub async fn by_number(conn: &mut AnyConnection, number: &str) -> Result<Option<Stored>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM sub_withdrawals WHERE number = $1"
    ))
    .bind(number)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(stored)
    .transpose()
}

/// The forms pushed in one consultation, oldest first.
pub async fn of_consultation(
    conn: &mut AnyConnection,
    consultation: ConsultationId,
) -> Result<Vec<Stored>> {
    list(
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sub_withdrawals WHERE consultation_id = $1 ORDER BY id"
        ))
        .bind(consultation.0)
        .fetch_all(conn)
        .await?,
    )
}

/// What a consultation's clerk sees: its forms, and the customer's locked
/// sub-accounts from any consultation (to help unlock them), oldest first.
pub async fn for_clerk(
    conn: &mut AnyConnection,
    consultation: ConsultationId,
    customer: UserId,
) -> Result<Vec<Stored>> {
    list(
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sub_withdrawals WHERE consultation_id = $1 \
             OR (user_id = $2 AND state = 'locked') ORDER BY id"
        ))
        .bind(consultation.0)
        .bind(customer.0)
        .fetch_all(conn)
        .await?,
    )
}

/// A customer's latest, newest first.
pub async fn of_customer(
    conn: &mut AnyConnection,
    customer: UserId,
    limit: i64,
) -> Result<Vec<Stored>> {
    list(
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM sub_withdrawals WHERE user_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(customer.0)
        .bind(limit)
        .fetch_all(conn)
        .await?,
    )
}

/// Moves a row from one of `from` to `to`; `true` when this call did it.
pub async fn step(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    from: &[SubWithdrawalState],
    to: SubWithdrawalState,
) -> Result<bool> {
    let states = sql_list(from);
    let done = sqlx::query(&format!(
        "UPDATE sub_withdrawals SET state = $2 WHERE id = $1 AND state IN ({states})"
    ))
    .bind(id.0)
    .bind(to.as_str())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The customer sent an amount from `account`; the form waits for the passkey.
pub async fn submit(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    account: AccountId,
    yen: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET state = 'submitted', account = $2, amount_yen = $3 \
         WHERE id = $1 AND state IN ('pushed', 'opened', 'submitted')",
    )
    .bind(id.0)
    .bind(account.0)
    .bind(yen)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What a confirmed form is given as its money moves.
pub struct Funding<'a> {
    pub account: AccountId,
    pub yen: i64,
    pub sub_account: AccountId,
    pub number: &'a str,
    pub password_hash: &'a str,
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for Funding<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Funding")
            .field("account", &self.account)
            .field("yen", &self.yen)
            .field("sub_account", &self.sub_account)
            .field("number", &self.number)
            .field("password_hash", &REDACTED)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// The customer confirmed and the money moves in the same job: the row is
/// ready for an ATM with its sub-account, number, password and expiry, but
/// only if the amount and account are still the ones confirmed.
pub async fn fund(conn: &mut AnyConnection, id: SubWithdrawalId, f: &Funding<'_>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET state = 'ready', sub_account = $2, number = $3, \
         password_hash = $4, expires_at_ms = $5, failed_tries = 0 \
         WHERE id = $1 AND state = 'submitted' AND account = $6 AND amount_yen = $7",
    )
    .bind(id.0)
    .bind(f.sub_account.0)
    .bind(f.number)
    .bind(f.password_hash)
    .bind(f.expires_at_ms)
    .bind(f.account.0)
    .bind(f.yen)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A new password for a funded row; unlocks it.
pub async fn set_password(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    password_hash: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET state = 'ready', failed_tries = 0, \
         password_hash = COALESCE($2, password_hash) \
         WHERE id = $1 AND state IN ('ready', 'locked')",
    )
    .bind(id.0)
    .bind(password_hash)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a wrong password; locks the row at `max`. Returns the new count,
/// or `None` when the row was no longer ready.
pub async fn wrong_password(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    max: u32,
) -> Result<Option<u32>> {
    let row = sqlx::query(
        "UPDATE sub_withdrawals SET failed_tries = failed_tries + 1, \
         state = CASE WHEN failed_tries + 1 >= $2 THEN 'locked' ELSE state END \
         WHERE id = $1 AND state = 'ready' RETURNING failed_tries",
    )
    .bind(id.0)
    .bind(i64::from(max))
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok(u32::try_from(r.try_get::<i64, _>("failed_tries")?).unwrap_or(max)))
        .transpose()
}

/// An ATM pays out a ready, unexpired row whose password is still the one
/// it checked (not renewed meanwhile); `true` when this call did it.
pub async fn pay_out(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    atm: AtmId,
    password_hash: &str,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET state = 'dispensed', atm_id = $2, ended_at_ms = $4, \
         failed_tries = 0 \
         WHERE id = $1 AND state = 'ready' AND expires_at_ms > $4 AND password_hash = $3",
    )
    .bind(id.0)
    .bind(atm.0)
    .bind(password_hash)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An expired funded row ends as returned; `true` when this call did it.
pub async fn returned(conn: &mut AnyConnection, id: SubWithdrawalId, now_ms: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET state = 'returned', ended_at_ms = $2 \
         WHERE id = $1 AND state IN ('ready', 'locked') AND expires_at_ms <= $2",
    )
    .bind(id.0)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a row as `to` (dispensed, returned, withdrawn) from one of `from`.
pub async fn end(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    from: &[SubWithdrawalState],
    to: SubWithdrawalState,
    now_ms: i64,
) -> Result<bool> {
    let states = sql_list(from);
    let done = sqlx::query(&format!(
        "UPDATE sub_withdrawals SET state = $2, ended_at_ms = $3 WHERE id = $1 AND state IN ({states})"
    ))
    .bind(id.0)
    .bind(to.as_str())
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Up to `limit` funded rows after `after` (by id) whose expiry is at or
/// before `until_ms`.
pub async fn expired(
    conn: &mut AnyConnection,
    until_ms: i64,
    after: SubWithdrawalId,
    limit: i64,
) -> Result<Vec<SubWithdrawalId>> {
    sqlx::query(
        "SELECT id FROM sub_withdrawals WHERE state IN ('ready', 'locked') AND expires_at_ms <= $1 \
         AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(until_ms)
    .bind(after.0)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok(SubWithdrawalId(r.try_get("id")?)))
    .collect()
}

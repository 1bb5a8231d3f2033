//! Rows of withdrawals arranged in consultations: the pushed form, then its
//! sub-account. Every state change is a conditional update, so two requests
//! racing for one row see exactly one winner.

use shared::{
    ids::{AccountId, AtmId, ConsultationId, SubWithdrawalId, UserId},
    money::Money,
    sub_withdrawal::{SubWithdrawal, SubWithdrawalState},
};
use sqlx::{any::AnyRow, AnyConnection, Row};

const COLUMNS: &str = "id, consultation_id, state, suggested_yen, amount_yen, fee_yen, \
                       sub_account, number, created_at_ms, expires_at_ms, ended_at_ms, \
                       failed_tries, user_id, clerk_id, account, password_hash, atm_id, attempt";

/// A row with what only the server needs.
#[derive(Clone)]
pub struct Stored {
    pub withdrawal: SubWithdrawal,
    pub customer: UserId,
    pub clerk: UserId,
    /// The main account the money came from.
    pub account: Option<AccountId>,
    pub password_hash: Option<String>,
    /// The ATM that took it last.
    pub atm: Option<AtmId>,
    /// Which funding or payout attempt its idempotency keys belong to.
    pub attempt: i64,
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

fn stored(r: &AnyRow) -> Result<Stored, sqlx::Error> {
    let state: String = r.try_get(2)?;
    let tries: i64 = r.try_get(11)?;
    Ok(Stored {
        customer: UserId(r.try_get(12)?),
        clerk: UserId(r.try_get(13)?),
        account: r.try_get::<Option<i64>, _>(14)?.map(AccountId),
        password_hash: r.try_get(15)?,
        atm: r.try_get::<Option<i64>, _>(16)?.map(AtmId),
        attempt: r.try_get(17)?,
        withdrawal: SubWithdrawal {
            id: SubWithdrawalId(r.try_get(0)?),
            consultation: ConsultationId(r.try_get(1)?),
            state: SubWithdrawalState::parse(&state)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown state {state:?}").into()))?,
            suggested: r.try_get::<Option<i64>, _>(3)?.map(Money::jpy),
            amount: r.try_get::<Option<i64>, _>(4)?.map(Money::jpy),
            fee: Money::jpy(r.try_get(5)?),
            sub_account: r.try_get::<Option<i64>, _>(6)?.map(AccountId),
            number: r.try_get(7)?,
            created_at_ms: r.try_get(8)?,
            expires_at_ms: r.try_get(9)?,
            ended_at_ms: r.try_get(10)?,
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

fn list(rows: Vec<AnyRow>) -> Result<Vec<Stored>, sqlx::Error> {
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
) -> Result<Option<SubWithdrawalId>, sqlx::Error> {
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
    row.map(|r| Ok(SubWithdrawalId(r.try_get(0)?))).transpose()
}

pub async fn get(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
) -> Result<Option<Stored>, sqlx::Error> {
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

pub async fn by_number(
    conn: &mut AnyConnection,
    number: &str,
) -> Result<Option<Stored>, sqlx::Error> {
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
) -> Result<Vec<Stored>, sqlx::Error> {
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
) -> Result<Vec<Stored>, sqlx::Error> {
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
) -> Result<Vec<Stored>, sqlx::Error> {
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
) -> Result<bool, sqlx::Error> {
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
) -> Result<bool, sqlx::Error> {
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

/// Records the sub-account opened for the row, unless one already was;
/// returns the one that counts.
pub async fn set_sub_account(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    sub: AccountId,
) -> Result<Option<AccountId>, sqlx::Error> {
    sqlx::query(
        "UPDATE sub_withdrawals SET sub_account = $2 WHERE id = $1 AND sub_account IS NULL",
    )
    .bind(id.0)
    .bind(sub.0)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT sub_account FROM sub_withdrawals WHERE id = $1")
        .bind(id.0)
        .fetch_one(conn)
        .await?;
    Ok(row.try_get::<Option<i64>, _>(0)?.map(AccountId))
}

/// What a confirmed form is given before its money moves.
pub struct Funding<'a> {
    pub account: AccountId,
    pub yen: i64,
    pub number: &'a str,
    pub password_hash: &'a str,
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for Funding<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Funding")
            .field("account", &self.account)
            .field("yen", &self.yen)
            .field("number", &self.number)
            .field("password_hash", &REDACTED)
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// The customer confirmed: the row leaves the form states (so neither a
/// cancel nor the consultation's end can touch it) with its number,
/// password and expiry, but only if the amount and account are still the
/// ones confirmed.
pub async fn start_funding(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    f: &Funding<'_>,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET state = 'funding', number = $2, password_hash = $3, \
         expires_at_ms = $4, failed_tries = 0, claimed_at_ms = $5, attempt = attempt + 1 \
         WHERE id = $1 AND state = 'submitted' AND account = $6 AND amount_yen = $7",
    )
    .bind(id.0)
    .bind(f.number)
    .bind(f.password_hash)
    .bind(f.expires_at_ms)
    .bind(now_ms)
    .bind(f.account.0)
    .bind(f.yen)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Back to ready for an ATM from the in-flight state `from` of `attempt`:
/// its funding moved the money, or its payout moved nothing, or was put back.
pub async fn ready_again(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    from: SubWithdrawalState,
    attempt: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET state = 'ready', claimed_at_ms = NULL \
         WHERE id = $1 AND state = $2 AND attempt = $3",
    )
    .bind(id.0)
    .bind(from.as_str())
    .bind(attempt)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The ledger refused the funding: the form is open again for another
/// amount while its consultation lasts (`reopen`), else it is withdrawn.
pub async fn refuse_funding(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    attempt: i64,
    reopen: bool,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET state = $2, number = NULL, password_hash = NULL, \
         expires_at_ms = NULL, claimed_at_ms = NULL, ended_at_ms = $3 \
         WHERE id = $1 AND state = 'funding' AND attempt = $4",
    )
    .bind(id.0)
    .bind(if reopen { "submitted" } else { "withdrawn" })
    .bind((!reopen).then_some(now_ms))
    .bind(attempt)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A new password for a funded row; unlocks it.
pub async fn set_password(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    password_hash: Option<&str>,
) -> Result<bool, sqlx::Error> {
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
) -> Result<Option<u32>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE sub_withdrawals SET failed_tries = failed_tries + 1, \
         state = CASE WHEN failed_tries + 1 >= $2 THEN 'locked' ELSE state END \
         WHERE id = $1 AND state = 'ready' RETURNING failed_tries",
    )
    .bind(id.0)
    .bind(i64::from(max))
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok(u32::try_from(r.try_get::<i64, _>(0)?).unwrap_or(max)))
        .transpose()
}

/// A kiosk takes a ready, unexpired row to pay it out: no other kiosk,
/// expiry or unlock can move it until the payment is settled. Returns the
/// new payout attempt, whose keys the payout uses.
pub async fn claim(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    atm: AtmId,
    now_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE sub_withdrawals SET state = 'dispensing', atm_id = $2, claimed_at_ms = $3, \
         failed_tries = 0, attempt = attempt + 1 \
         WHERE id = $1 AND state = 'ready' AND expires_at_ms > $3 RETURNING attempt",
    )
    .bind(id.0)
    .bind(atm.0)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?;
    row.map(|r| r.try_get(0)).transpose()
}

/// Payout `attempt` is paid: from now on its ATM may hand out the cash.
pub async fn dispense(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    attempt: i64,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET state = 'dispensed', ended_at_ms = $3, claimed_at_ms = NULL \
         WHERE id = $1 AND state = 'dispensing' AND attempt = $2",
    )
    .bind(id.0)
    .bind(attempt)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A payout in flight since before `stale_before_ms` is given up: its ATM
/// can no longer finish it, and whatever it moved is to be put back.
pub async fn begin_reversal(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    stale_before_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET state = 'reversing' \
         WHERE id = $1 AND state = 'dispensing' AND claimed_at_ms <= $2",
    )
    .bind(id.0)
    .bind(stale_before_ms)
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
) -> Result<bool, sqlx::Error> {
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

/// Up to `limit` rows after `after` (by id) in one of `states` whose
/// `column` is at or before `until`: funded rows past expiry, or rows
/// stuck in flight since before a cut-off.
pub async fn due(
    conn: &mut AnyConnection,
    states: &[SubWithdrawalState],
    column: Due,
    until_ms: i64,
    after: SubWithdrawalId,
    limit: i64,
) -> Result<Vec<SubWithdrawalId>, sqlx::Error> {
    let states = sql_list(states);
    let column = match column {
        Due::Expiry => "expires_at_ms",
        Due::InFlightSince => "claimed_at_ms",
    };
    sqlx::query(&format!(
        "SELECT id FROM sub_withdrawals WHERE state IN ({states}) AND {column} <= $1 \
         AND id > $2 ORDER BY id LIMIT $3"
    ))
    .bind(until_ms)
    .bind(after.0)
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok(SubWithdrawalId(r.try_get(0)?)))
    .collect()
}

/// Which time [`due`] compares.
#[derive(Debug, Clone, Copy)]
pub enum Due {
    Expiry,
    InFlightSince,
}

/// Consultations that ended, newest first, with how many chat lines each had.
pub async fn ended_consultations(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<(ConsultationId, i64)>, sqlx::Error> {
    sqlx::query(
        "SELECT c.id, (SELECT COUNT(*) FROM consultation_messages m WHERE m.consultation_id = c.id) \
         FROM consultations c WHERE c.state = 'ended' ORDER BY c.ended_at_ms DESC, c.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok((ConsultationId(r.try_get(0)?), r.try_get::<i64, _>(1)?)))
    .collect()
}

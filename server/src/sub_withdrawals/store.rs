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
                       failed_tries, user_id, clerk_id, account, password_hash";

/// A row with what only the server needs.
#[derive(Debug, Clone)]
pub struct Stored {
    pub withdrawal: SubWithdrawal,
    pub customer: UserId,
    pub clerk: UserId,
    /// The main account the money came from.
    pub account: Option<AccountId>,
    pub password_hash: Option<String>,
}

fn stored(r: &AnyRow) -> Result<Stored, sqlx::Error> {
    let state: String = r.try_get(2)?;
    let tries: i64 = r.try_get(11)?;
    Ok(Stored {
        customer: UserId(r.try_get(12)?),
        clerk: UserId(r.try_get(13)?),
        account: r.try_get::<Option<i64>, _>(14)?.map(AccountId),
        password_hash: r.try_get(15)?,
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

/// The money is in the sub-account: number, password and expiry are set.
pub async fn make_ready(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    number: &str,
    password_hash: &str,
    expires_at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET state = 'ready', number = $2, password_hash = $3, \
         expires_at_ms = $4, failed_tries = 0 WHERE id = $1 AND state = 'submitted'",
    )
    .bind(id.0)
    .bind(number)
    .bind(password_hash)
    .bind(expires_at_ms)
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

/// A kiosk claims a ready, unexpired row so no other pays it at the same
/// time; a claim older than `stale_before_ms` (a kiosk that died) may be retaken.
pub async fn claim(
    conn: &mut AnyConnection,
    id: SubWithdrawalId,
    atm: AtmId,
    now_ms: i64,
    stale_before_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sub_withdrawals SET atm_id = $2, claimed_at_ms = $3, failed_tries = 0 \
         WHERE id = $1 AND state = 'ready' AND expires_at_ms > $3 \
         AND (claimed_at_ms IS NULL OR claimed_at_ms < $4)",
    )
    .bind(id.0)
    .bind(atm.0)
    .bind(now_ms)
    .bind(stale_before_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lets go of a claim whose payment did not happen.
pub async fn unclaim(conn: &mut AnyConnection, id: SubWithdrawalId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sub_withdrawals SET claimed_at_ms = NULL WHERE id = $1 AND state = 'ready'",
    )
    .bind(id.0)
    .execute(conn)
    .await?;
    Ok(())
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

/// Funded rows past their expiry that no kiosk is paying out now.
pub async fn due(
    conn: &mut AnyConnection,
    now_ms: i64,
    stale_before_ms: i64,
) -> Result<Vec<SubWithdrawalId>, sqlx::Error> {
    sqlx::query(
        "SELECT id FROM sub_withdrawals WHERE state IN ('ready', 'locked') AND expires_at_ms <= $1 \
         AND (claimed_at_ms IS NULL OR claimed_at_ms < $2) ORDER BY id LIMIT 500",
    )
    .bind(now_ms)
    .bind(stale_before_ms)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| Ok(SubWithdrawalId(r.try_get(0)?)))
    .collect()
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

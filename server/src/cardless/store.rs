//! Cardless withdrawal rows.

use shared::{
    cardless::{Withdrawal, WithdrawalState},
    ids::{AccountId, ApprovalId, AtmId, TransferId, UserId, WithdrawalId},
    money::Money,
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::db::Db;
use crate::error::Result;

const COLUMNS: &str = "id, account, amount_yen, state, created_at_ms, expires_at_ms, \
                       hold_transfer, user_id, atm_id, approval_id, pin_hash, fee_yen, ended_at_ms";

/// A row with what only the server needs.
#[derive(Debug, Clone)]
pub struct Stored {
    pub owner: UserId,
    pub hold: TransferId,
    pub withdrawal: Withdrawal,
    /// The ATM that scanned the code, and the approval that raised on the phone.
    pub atm: Option<AtmId>,
    pub approval: Option<ApprovalId>,
    pub pin_hash: String,
}

fn stored(r: &AnyRow) -> Result<Stored> {
    let state: String = r.try_get("state")?;
    Ok(Stored {
        owner: UserId(r.try_get("user_id")?),
        hold: TransferId(r.try_get("hold_transfer")?),
        atm: r.try_get::<Option<i64>, _>("atm_id")?.map(AtmId),
        approval: r.try_get::<Option<i64>, _>("approval_id")?.map(ApprovalId),
        pin_hash: r.try_get("pin_hash")?,
        withdrawal: Withdrawal {
            id: WithdrawalId(r.try_get("id")?),
            account: AccountId(r.try_get("account")?),
            amount: Money::jpy(r.try_get("amount_yen")?),
            fee: Money::jpy(r.try_get("fee_yen")?),
            state: WithdrawalState::parse(&state)
                .ok_or_else(|| sqlx::Error::Decode(format!("unknown state {state:?}").into()))?,
            created_at_ms: r.try_get("created_at_ms")?,
            expires_at_ms: r.try_get("expires_at_ms")?,
            ended_at_ms: r.try_get("ended_at_ms")?,
        },
    })
}

#[derive(Debug)]
pub struct Insert<'a> {
    pub owner: UserId,
    pub account: AccountId,
    pub yen: i64,
    pub fee_yen: i64,
    pub hold: TransferId,
    pub key: &'a str,
    pub token_hash: &'a str,
    pub pin_hash: &'a str,
    pub now_ms: i64,
    pub expires_at_ms: i64,
}

/// Inserts a new withdrawal (its hold made in the same transaction).
pub async fn insert(conn: &mut AnyConnection, w: Insert<'_>) -> Result<Stored> {
    let row = sqlx::query(&format!(
        "INSERT INTO cardless_withdrawals (user_id, account, amount_yen, hold_transfer, request_key, \
         token_hash, pin_hash, state, created_at_ms, expires_at_ms, fee_yen) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'ready', $8, $9, $10) RETURNING {COLUMNS}"
    ))
    .bind(w.owner.0)
    .bind(w.account.0)
    .bind(w.yen)
    .bind(w.hold.0)
    .bind(w.key)
    .bind(w.token_hash)
    .bind(w.pin_hash)
    .bind(w.now_ms)
    .bind(w.expires_at_ms)
    .bind(w.fee_yen)
    .fetch_one(conn)
    .await?;
    stored(&row)
}

/// The withdrawal a person's request key made, if any.
pub async fn by_request(
    conn: &mut AnyConnection,
    owner: UserId,
    key: &str,
) -> Result<Option<Stored>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cardless_withdrawals WHERE user_id = $1 AND request_key = $2"
    ))
    .bind(owner.0)
    .bind(key)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(stored)
    .transpose()
}

/// New codes for a withdrawal still waiting for an ATM.
pub async fn recode(
    conn: &mut AnyConnection,
    id: WithdrawalId,
    token_hash: &str,
    pin_hash: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE cardless_withdrawals SET token_hash = $2, pin_hash = $3 WHERE id = $1 AND state = 'ready'",
    )
    .bind(id.0)
    .bind(token_hash)
    .bind(pin_hash)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get<'e, E>(ex: E, id: WithdrawalId) -> Result<Option<Stored>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cardless_withdrawals WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(ex)
    .await?
    .as_ref()
    .map(stored)
    .transpose()
}

pub async fn of_user(db: &Db, user: UserId, limit: i64) -> Result<Vec<Withdrawal>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cardless_withdrawals WHERE user_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(user.0)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| stored(r).map(|s| s.withdrawal))
    .collect()
}

/// Yen reserved or taken since `since_ms` (cancelled and expired ones do not count).
pub async fn used_since<'e, E>(ex: E, user: UserId, since_ms: i64) -> Result<i64>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        // SUM of BIGINT is NUMERIC on PostgreSQL: cast back so both engines answer an integer.
        "SELECT CAST(COALESCE(SUM(amount_yen), 0) AS BIGINT) FROM cardless_withdrawals \
         WHERE user_id = $1 AND created_at_ms >= $2 AND state IN ('ready', 'awaiting_phone', 'dispensed')",
    )
    .bind(user.0)
    .bind(since_ms)
    .fetch_one(ex)
    .await?;
    Ok(row.try_get(0)?)
}

/// Ends an open withdrawal; `true` when this call did it.
pub async fn end(
    conn: &mut AnyConnection,
    id: WithdrawalId,
    state: WithdrawalState,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE cardless_withdrawals SET state = $2, ended_at_ms = $3 \
         WHERE id = $1 AND state IN ('ready', 'awaiting_phone')",
    )
    .bind(id.0)
    .bind(state.as_str())
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The ATM that scanned a withdrawal the phone confirmed pays it out:
/// `true` when this call did it.
pub async fn dispensed(
    conn: &mut AnyConnection,
    id: WithdrawalId,
    atm: AtmId,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE cardless_withdrawals SET state = 'dispensed', ended_at_ms = $3 \
         WHERE id = $1 AND state = 'awaiting_phone' AND atm_id = $2",
    )
    .bind(id.0)
    .bind(atm.0)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Open withdrawals past their expiry. One an ATM has scanned gets `grace_ms`
/// more, so a confirmation given just before expiry can still be dispensed.
pub async fn overdue(db: &Db, now_ms: i64, grace_ms: i64) -> Result<Vec<WithdrawalId>> {
    sqlx::query(
        "SELECT id FROM cardless_withdrawals WHERE \
         (state = 'ready' AND expires_at_ms <= $1) OR (state = 'awaiting_phone' AND expires_at_ms <= $2) \
         ORDER BY id LIMIT 500",
    )
    .bind(now_ms)
    .bind(now_ms - grace_ms)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| Ok(WithdrawalId(r.try_get(0)?)))
    .collect()
}

pub async fn by_token(db: &Db, token_hash: &str) -> Result<Option<Stored>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cardless_withdrawals WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(stored)
    .transpose()
}

/// Takes a ready, unexpired withdrawal for `atm`: the code works once.
pub async fn take_for(
    conn: &mut AnyConnection,
    id: WithdrawalId,
    atm: AtmId,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE cardless_withdrawals SET state = 'awaiting_phone', atm_id = $2 \
         WHERE id = $1 AND state = 'ready' AND expires_at_ms > $3",
    )
    .bind(id.0)
    .bind(atm.0)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_approval(
    conn: &mut AnyConnection,
    id: WithdrawalId,
    approval: ApprovalId,
) -> Result<()> {
    sqlx::query("UPDATE cardless_withdrawals SET approval_id = $2 WHERE id = $1")
        .bind(id.0)
        .bind(approval.0)
        .execute(conn)
        .await?;
    Ok(())
}

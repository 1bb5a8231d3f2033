//! A customer's saved payees: an account under a name of their choosing,
//! with when it was last paid. Also the staff's view of a pair's history.

use shared::{
    ids::{AccountId, PayeeId, UserId},
    transfer::send::{account_number, Payee, MAX_LABEL_CHARS},
    AppError, Reason,
};
use sqlx::{any::AnyRow, Row};

use crate::{db::Db, error::Result, system::now_ms};

const SELECT: &str = "SELECT p.id AS id, p.label AS label, p.account AS account, \
     p.last_paid_at_ms AS last_paid_at_ms, u.nickname AS nickname FROM payees p \
     JOIN ledger_accounts a ON a.id = p.account \
     JOIN users u ON a.holder = 'user:' || CAST(u.id AS TEXT)";

fn payee(r: &AnyRow) -> Result<Payee> {
    Ok(Payee {
        id: PayeeId(r.try_get("id")?),
        label: r.try_get("label")?,
        account_number: account_number(AccountId(r.try_get("account")?)),
        nickname: r.try_get("nickname")?,
        last_paid_at_ms: r.try_get("last_paid_at_ms")?,
    })
}

pub fn check_label(label: &str) -> Result<String, AppError> {
    let l = label.trim();
    if l.is_empty() || l.chars().count() > MAX_LABEL_CHARS {
        return Err(AppError::invalid("label", Reason::EmptyOrTooLong));
    }
    Ok(l.to_string())
}

pub async fn list(db: &Db, user: UserId) -> Result<Vec<Payee>> {
    sqlx::query(&format!(
        "{SELECT} WHERE p.user_id = $1 ORDER BY p.last_paid_at_ms IS NULL, p.last_paid_at_ms DESC, p.label"
    ))
    .bind(user.0)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(payee)
    .collect()
}

async fn one(db: &Db, user: UserId, id: PayeeId) -> Result<Payee> {
    sqlx::query(&format!("{SELECT} WHERE p.user_id = $1 AND p.id = $2"))
        .bind(user.0)
        .bind(id.0)
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(payee)
        .transpose()?
        .ok_or_else(|| AppError::NotFound.into())
}

/// Saves a payee; saving one already saved renames it.
pub async fn add(db: &Db, user: UserId, account: AccountId, label: &str) -> Result<Payee> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO payees (user_id, account, label, created_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, account) DO UPDATE SET label = excluded.label RETURNING id",
    )
    .bind(user.0)
    .bind(account.0)
    .bind(label)
    .bind(now_ms())
    .fetch_one(db.pool())
    .await?;
    one(db, user, PayeeId(id)).await
}

pub async fn rename(db: &Db, user: UserId, id: PayeeId, label: &str) -> Result<Payee> {
    sqlx::query("UPDATE payees SET label = $3 WHERE user_id = $1 AND id = $2")
        .bind(user.0)
        .bind(id.0)
        .bind(label)
        .execute(db.pool())
        .await?;
    one(db, user, id).await
}

pub async fn remove(db: &Db, user: UserId, id: PayeeId) -> Result<()> {
    let done = sqlx::query("DELETE FROM payees WHERE user_id = $1 AND id = $2")
        .bind(user.0)
        .bind(id.0)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound.into());
    }
    Ok(())
}

/// A customer's report of an account as used for fraud: once per reporter, audited.
pub async fn report(
    db: &Db,
    notifier: &crate::notify::Notifier,
    reporter: UserId,
    account: AccountId,
) -> Result<()> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "INSERT INTO account_reports (account, reporter_id, at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (account, reporter_id) DO NOTHING",
    )
    .bind(account.0)
    .bind(reporter.0)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let mut unit = crate::db::Unit::new(&mut tx, db.engine(), now);
    if done.rows_affected() == 1 {
        unit.audit(
            crate::identity::holder(reporter),
            "p2p.reported",
            format!("account:{account}"),
            serde_json::json!({}),
        );
    }
    let deliveries = unit.finish().await?;
    notifier.commit(tx, deliveries).await?;
    Ok(())
}

/// Completed transfers between two accounts, either way: how many and how much.
pub async fn between(db: &Db, a: AccountId, b: AccountId) -> Result<(u32, i64)> {
    let (count, total): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(transfers), 0) AS BIGINT), CAST(COALESCE(SUM(total), 0) AS BIGINT) \
         FROM p2p_pairs WHERE (from_account = $1 AND to_account = $2) OR (from_account = $2 AND to_account = $1)",
    )
    .bind(a.0)
    .bind(b.0)
    .fetch_one(db.pool())
    .await?;
    Ok((count.clamp(0, i64::from(u32::MAX)) as u32, total))
}

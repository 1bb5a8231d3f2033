//! Account rows: opening accounts, reading balances, and changing an
//! account's four sums in place under its balance rule.

use shared::{
    ids::AccountId,
    ledger::{AccountBalance, AccountKind, BalanceRule},
    money::Currency,
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use super::error::LedgerError;

/// A new account's description.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub kind: AccountKind,
    pub currency: Currency,
    pub label: String,
    /// Who the account belongs to (e.g. `user:42`); `None` for the platform's own.
    pub holder: Option<String>,
    /// For a withdrawal sub-account: the main account it belongs to.
    pub owner: Option<AccountId>,
    /// For a withdrawal sub-account: when unclaimed money returns (Unix ms).
    pub deadline_ms: Option<i64>,
}

impl NewAccount {
    /// One of the platform's own accounts (funding, fees, cash).
    pub fn platform(kind: AccountKind, currency: Currency, label: &str) -> Self {
        NewAccount {
            kind,
            currency,
            label: label.to_string(),
            holder: None,
            owner: None,
            deadline_ms: None,
        }
    }

    /// An account belonging to `holder`.
    pub fn held_by(holder: &str, kind: AccountKind, currency: Currency, label: &str) -> Self {
        NewAccount {
            holder: Some(holder.to_string()),
            ..Self::platform(kind, currency, label)
        }
    }
}

pub(super) fn rule_name(rule: BalanceRule) -> &'static str {
    match rule {
        BalanceRule::DebitsWithinCredits => "debits_within_credits",
        BalanceRule::CreditsWithinDebits => "credits_within_debits",
        BalanceRule::Unlimited => "unlimited",
    }
}

pub(super) async fn insert(
    conn: &mut AnyConnection,
    account: &NewAccount,
    now_ms: i64,
) -> Result<AccountId, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO ledger_accounts \
         (kind, balance_rule, currency, label, holder, owner_account_id, deadline_ms, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(account.kind.as_str())
    .bind(rule_name(account.kind.rule()))
    .bind(account.currency.code())
    .bind(&account.label)
    .bind(account.holder.as_deref())
    .bind(account.owner.map(|a| a.0))
    .bind(account.deadline_ms)
    .bind(now_ms)
    .fetch_one(conn)
    .await?;
    Ok(AccountId(row.try_get(0)?))
}

const BALANCE_COLUMNS: &str =
    "id, kind, currency, label, debits_posted, credits_posted, debits_pending, credits_pending";

fn balance_from_row(row: &AnyRow) -> Result<AccountBalance, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let currency: String = row.try_get("currency")?;
    Ok(AccountBalance {
        id: AccountId(row.try_get("id")?),
        kind: AccountKind::parse(&kind).ok_or_else(|| decode_error("kind", &kind))?,
        currency: Currency::from_code(&currency)
            .ok_or_else(|| decode_error("currency", &currency))?,
        label: row.try_get("label")?,
        debits_posted: row.try_get("debits_posted")?,
        credits_posted: row.try_get("credits_posted")?,
        debits_pending: row.try_get("debits_pending")?,
        credits_pending: row.try_get("credits_pending")?,
    })
}

pub(super) fn decode_error(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {column} {value:?} in the ledger").into())
}

pub(super) async fn balance(
    conn: &mut AnyConnection,
    id: AccountId,
) -> Result<Option<AccountBalance>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {BALANCE_COLUMNS} FROM ledger_accounts WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(balance_from_row).transpose()
}

/// The accounts of `holder`, oldest first.
pub(super) async fn of_holder(
    conn: &mut AnyConnection,
    holder: &str,
) -> Result<Vec<AccountBalance>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {BALANCE_COLUMNS} FROM ledger_accounts WHERE holder = $1 ORDER BY id"
    ))
    .bind(holder)
    .fetch_all(conn)
    .await?;
    rows.iter().map(balance_from_row).collect()
}

pub(super) async fn holder(
    conn: &mut AnyConnection,
    id: AccountId,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT holder FROM ledger_accounts WHERE id = $1")
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<Option<String>, _>(0)?,
        None => None,
    })
}

/// Changes to an account's four sums; negative values release pending amounts.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Delta {
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
}

/// Applies `delta` if the account exists in `currency`, its balance rule
/// still holds afterwards and no sum overflows. The checks and the write are
/// one statement, so concurrent writers can neither overdraw nor lose an
/// update; only a refusal costs a second read, to say why.
pub(super) async fn apply(
    conn: &mut AnyConnection,
    id: AccountId,
    currency: Currency,
    delta: Delta,
) -> Result<(), LedgerError> {
    let done = sqlx::query(
        "UPDATE ledger_accounts SET \
           debits_posted = debits_posted + $2, credits_posted = credits_posted + $3, \
           debits_pending = debits_pending + $4, credits_pending = credits_pending + $5 \
         WHERE id = $1 AND currency = $10 \
           AND debits_posted <= 9223372036854775807 - $6 AND credits_posted <= 9223372036854775807 - $7 \
           AND debits_pending <= 9223372036854775807 - $8 AND credits_pending <= 9223372036854775807 - $9 \
           AND (balance_rule = 'unlimited' \
             OR (balance_rule = 'debits_within_credits' \
                 AND debits_posted + $2 + debits_pending + $4 <= credits_posted + $3) \
             OR (balance_rule = 'credits_within_debits' \
                 AND credits_posted + $3 + credits_pending + $5 <= debits_posted + $2))",
    )
    .bind(id.0)
    .bind(delta.debits_posted)
    .bind(delta.credits_posted)
    .bind(delta.debits_pending)
    .bind(delta.credits_pending)
    // Overflow guards only for sums that grow; a release cannot overflow.
    .bind(delta.debits_posted.max(0))
    .bind(delta.credits_posted.max(0))
    .bind(delta.debits_pending.max(0))
    .bind(delta.credits_pending.max(0))
    .bind(currency.code())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    let now = balance(conn, id)
        .await?
        .ok_or(LedgerError::UnknownAccount(id))?;
    if now.currency != currency {
        return Err(LedgerError::CurrencyMismatch {
            account: id,
            account_currency: now.currency,
            amount: currency,
        });
    }
    let over = |a: i64, b: i64| a.checked_add(b).is_none();
    if over(now.debits_posted, delta.debits_posted)
        || over(now.credits_posted, delta.credits_posted)
        || over(now.debits_pending, delta.debits_pending)
        || over(now.credits_pending, delta.credits_pending)
    {
        return Err(LedgerError::Overflow);
    }
    Err(match now.kind.rule() {
        BalanceRule::CreditsWithinDebits => LedgerError::InsufficientCash(id),
        _ => LedgerError::InsufficientFunds(id),
    })
}

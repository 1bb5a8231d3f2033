//! Account rows: opening accounts, reading balances, and reading and
//! writing the four sums of many accounts at once for a batch.

use shared::{
    ids::AccountId,
    ledger::{AccountBalance, AccountKind, BalanceRule},
    money::Currency,
};
use sqlx::{any::AnyRow, AnyConnection, Row};
use std::collections::{BTreeSet, HashMap};

use crate::db::shapes as sql_shapes;

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

/// An account's four sums, or a change to them (negative values release
/// pending amounts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Sums {
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
}

impl Sums {
    /// `self + d`, or `None` if a sum would overflow.
    pub fn plus(self, d: Sums) -> Option<Sums> {
        Some(Sums {
            debits_posted: self.debits_posted.checked_add(d.debits_posted)?,
            credits_posted: self.credits_posted.checked_add(d.credits_posted)?,
            debits_pending: self.debits_pending.checked_add(d.debits_pending)?,
            credits_pending: self.credits_pending.checked_add(d.credits_pending)?,
        })
    }

    /// `self - was`, for sums that only ever hold non-negative values.
    pub fn minus(self, was: Sums) -> Sums {
        Sums {
            debits_posted: self.debits_posted - was.debits_posted,
            credits_posted: self.credits_posted - was.credits_posted,
            debits_pending: self.debits_pending - was.debits_pending,
            credits_pending: self.credits_pending - was.credits_pending,
        }
    }

    pub fn is_negative(self) -> bool {
        self.debits_posted < 0
            || self.credits_posted < 0
            || self.debits_pending < 0
            || self.credits_pending < 0
    }

    /// Whether these sums keep `rule`, pending amounts counted against it.
    pub fn keeps(self, rule: BalanceRule) -> bool {
        let wide = |v: i64| v as i128;
        match rule {
            BalanceRule::Unlimited => true,
            BalanceRule::DebitsWithinCredits => {
                wide(self.debits_posted) + wide(self.debits_pending) <= wide(self.credits_posted)
            }
            BalanceRule::CreditsWithinDebits => {
                wide(self.credits_posted) + wide(self.credits_pending) <= wide(self.debits_posted)
            }
        }
    }
}

/// What the ledger's checks need of an account.
#[derive(Debug, Clone, Copy)]
pub(super) struct Account {
    pub kind: AccountKind,
    pub currency: Currency,
    pub sums: Sums,
}

/// Reads `ids` (those that exist); on PostgreSQL with `lock`, also locks
/// them, in ascending id order, until the transaction ends.
pub(super) async fn load(
    conn: &mut AnyConnection,
    ids: &BTreeSet<AccountId>,
    lock: bool,
) -> Result<HashMap<AccountId, Account>, sqlx::Error> {
    let ids: Vec<i64> = ids.iter().map(|a| a.0).collect();
    let mut found = HashMap::with_capacity(ids.len());
    for range in sql_shapes::chunks(ids.len()) {
        let part = &ids[range];
        let rows = sql_shapes::padded(part.len());
        let sql = format!(
            "SELECT id, kind, currency, debits_posted, credits_posted, debits_pending, \
             credits_pending FROM ledger_accounts WHERE id IN ({}) ORDER BY id{}",
            sql_shapes::Marks::of(conn).list(rows),
            if lock { " FOR UPDATE" } else { "" }
        );
        let mut query = sqlx::query(&sql);
        for id in sql_shapes::pad(part) {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let kind: String = row.try_get("kind")?;
            let currency: String = row.try_get("currency")?;
            found.insert(
                AccountId(row.try_get("id")?),
                Account {
                    kind: AccountKind::parse(&kind).ok_or_else(|| decode_error("kind", &kind))?,
                    currency: Currency::from_code(&currency)
                        .ok_or_else(|| decode_error("currency", &currency))?,
                    sums: Sums {
                        debits_posted: row.try_get("debits_posted")?,
                        credits_posted: row.try_get("credits_posted")?,
                        debits_pending: row.try_get("debits_pending")?,
                        credits_pending: row.try_get("credits_pending")?,
                    },
                },
            );
        }
    }
    Ok(found)
}

/// Adds each change to its account's sums, in as few statements as the
/// sizes allow. The rows were checked (and, on PostgreSQL, locked) by the
/// caller; the table's own checks still refuse a negative sum.
pub(super) async fn add_all(
    conn: &mut AnyConnection,
    changes: &[(AccountId, Sums)],
) -> Result<(), sqlx::Error> {
    for range in sql_shapes::chunks(changes.len()) {
        let part = &changes[range];
        let rows = sql_shapes::padded(part.len());
        let sql = format!(
            "WITH v (id, dp, cp, dq, cq) AS (VALUES {}) \
             UPDATE ledger_accounts SET debits_posted = debits_posted + v.dp, \
               credits_posted = credits_posted + v.cp, debits_pending = debits_pending + v.dq, \
               credits_pending = credits_pending + v.cq \
             FROM v WHERE ledger_accounts.id = v.id",
            sql_shapes::Marks::of(conn).tuples(rows, 5)
        );
        let mut query = sqlx::query(&sql);
        for i in 0..rows {
            // Padding rows name no account (ids start at 1).
            let (id, d) = part
                .get(i)
                .copied()
                .unwrap_or((AccountId(0), Sums::default()));
            query = query
                .bind(id.0)
                .bind(d.debits_posted)
                .bind(d.credits_posted)
                .bind(d.debits_pending)
                .bind(d.credits_pending);
        }
        let done = query.execute(&mut *conn).await?;
        if done.rows_affected() != part.len() as u64 {
            return Err(sqlx::Error::Protocol(format!(
                "{} of {} ledger accounts were updated",
                done.rows_affected(),
                part.len()
            )));
        }
    }
    Ok(())
}

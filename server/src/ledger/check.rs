//! The invariant checker, used by `anshin check-ledger` and by the tests.
//!
//! It recomputes every account's four sums from the transfers and compares
//! them with the stored ones, checks that debits equal credits per currency
//! (posted and pending), that no account breaks its balance rule, and that
//! every settled hold has exactly one settlement record of the right size.

use shared::ledger::{AccountKind, BalanceRule};
use sqlx::{AnyPool, Row};
use std::collections::{BTreeMap, HashMap};

/// The stored and recomputed figures of one account.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Sums {
    debits_posted: i64,
    credits_posted: i64,
    debits_pending: i64,
    credits_pending: i64,
}

/// What the checker found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub accounts: i64,
    pub transfers: i64,
    pub violations: Vec<String>,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_ok() {
            write!(
                f,
                "ledger ok accounts={} transfers={}",
                self.accounts, self.transfers
            )
        } else {
            for v in &self.violations {
                writeln!(f, "violation: {v}")?;
            }
            write!(
                f,
                "ledger BROKEN accounts={} transfers={} violations={}",
                self.accounts,
                self.transfers,
                self.violations.len()
            )
        }
    }
}

pub async fn check(pool: &AnyPool) -> Result<Report, sqlx::Error> {
    let mut violations = Vec::new();
    let stored = stored_sums(pool).await?;
    let derived = derived_sums(pool).await?;

    let mut per_currency: BTreeMap<String, Sums> = BTreeMap::new();
    for (id, (kind, currency, s)) in &stored {
        let d = derived.get(id).copied().unwrap_or_default();
        if *s != d {
            violations.push(format!(
                "account {id}: stored {s:?} but its transfers sum to {d:?}"
            ));
        }
        let t = per_currency.entry(currency.clone()).or_default();
        t.debits_posted += s.debits_posted;
        t.credits_posted += s.credits_posted;
        t.debits_pending += s.debits_pending;
        t.credits_pending += s.credits_pending;
        let broken = match AccountKind::parse(kind).map(AccountKind::rule) {
            Some(BalanceRule::DebitsWithinCredits) => {
                s.debits_posted + s.debits_pending > s.credits_posted
            }
            Some(BalanceRule::CreditsWithinDebits) => {
                s.credits_posted + s.credits_pending > s.debits_posted
            }
            Some(BalanceRule::Unlimited) => false,
            None => {
                violations.push(format!("account {id}: unknown kind {kind:?}"));
                false
            }
        };
        if broken {
            violations.push(format!(
                "account {id} ({kind}) breaks its balance rule: {s:?}"
            ));
        }
    }
    for id in derived.keys().filter(|id| !stored.contains_key(id)) {
        violations.push(format!("transfers reference missing account {id}"));
    }
    for (currency, t) in &per_currency {
        if t.debits_posted != t.credits_posted {
            violations.push(format!(
                "{currency}: posted debits {} != posted credits {}",
                t.debits_posted, t.credits_posted
            ));
        }
        if t.debits_pending != t.credits_pending {
            violations.push(format!(
                "{currency}: pending debits {} != pending credits {}",
                t.debits_pending, t.credits_pending
            ));
        }
    }
    violations.extend(hold_violations(pool).await?);

    let transfers: i64 = sqlx::query("SELECT COUNT(*) FROM ledger_transfers")
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    Ok(Report {
        accounts: stored.len() as i64,
        transfers,
        violations,
    })
}

type Stored = HashMap<i64, (String, String, Sums)>;

async fn stored_sums(pool: &AnyPool) -> Result<Stored, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, kind, currency, debits_posted, credits_posted, debits_pending, credits_pending \
         FROM ledger_accounts",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                (
                    r.try_get("kind")?,
                    r.try_get("currency")?,
                    Sums {
                        debits_posted: r.try_get("debits_posted")?,
                        credits_posted: r.try_get("credits_posted")?,
                        debits_pending: r.try_get("debits_pending")?,
                        credits_pending: r.try_get("credits_pending")?,
                    },
                ),
            ))
        })
        .collect()
}

/// Stores one recomputed figure into an account's sums.
type SetSum = fn(&mut Sums, i64);

/// Posted sums count single transfers and hold settlements that posted;
/// pending sums count holds still pending.
async fn derived_sums(pool: &AnyPool) -> Result<HashMap<i64, Sums>, sqlx::Error> {
    let mut sums: HashMap<i64, Sums> = HashMap::new();
    let queries: [(&str, SetSum); 4] = [
        (
            "SELECT debit_account_id AS account, CAST(SUM(amount) AS BIGINT) AS total FROM ledger_transfers \
             WHERE kind IN ('single', 'post_pending') GROUP BY debit_account_id",
            |s, v| s.debits_posted = v,
        ),
        (
            "SELECT credit_account_id AS account, CAST(SUM(amount) AS BIGINT) AS total FROM ledger_transfers \
             WHERE kind IN ('single', 'post_pending') GROUP BY credit_account_id",
            |s, v| s.credits_posted = v,
        ),
        (
            "SELECT debit_account_id AS account, CAST(SUM(amount) AS BIGINT) AS total FROM ledger_transfers \
             WHERE kind = 'pending' AND state = 'pending' GROUP BY debit_account_id",
            |s, v| s.debits_pending = v,
        ),
        (
            "SELECT credit_account_id AS account, CAST(SUM(amount) AS BIGINT) AS total FROM ledger_transfers \
             WHERE kind = 'pending' AND state = 'pending' GROUP BY credit_account_id",
            |s, v| s.credits_pending = v,
        ),
    ];
    for (sql, set) in queries {
        for row in sqlx::query(sql).fetch_all(pool).await? {
            set(
                sums.entry(row.try_get("account")?).or_default(),
                row.try_get("total")?,
            );
        }
    }
    Ok(sums)
}

/// Holds and their settlements must agree: a pending hold has none, a
/// settled one exactly one, matching in kind and never posting more than held.
async fn hold_violations(pool: &AnyPool) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT h.id AS id, h.state AS state, h.amount AS held, COUNT(s.id) AS settlements, \
                CAST(COALESCE(MAX(s.amount), 0) AS BIGINT) AS settled, \
                COALESCE(MAX(s.kind), '') AS settled_kind \
         FROM ledger_transfers h LEFT JOIN ledger_transfers s ON s.pending_id = h.id \
         WHERE h.kind = 'pending' GROUP BY h.id, h.state, h.amount",
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let (id, state, held): (i64, String, i64) =
            (r.try_get("id")?, r.try_get("state")?, r.try_get("held")?);
        let (settlements, amount, kind): (i64, i64, String) = (
            r.try_get("settlements")?,
            r.try_get("settled")?,
            r.try_get("settled_kind")?,
        );
        let expected = match state.as_str() {
            "pending" => None,
            "posted" => Some("post_pending"),
            "voided" => Some("void_pending"),
            "expired" => Some("expire_pending"),
            other => {
                out.push(format!("hold {id}: unknown state {other:?}"));
                continue;
            }
        };
        match expected {
            None if settlements != 0 => out.push(format!(
                "hold {id} is pending but has {settlements} settlements"
            )),
            Some(k) if settlements != 1 || kind != k => out.push(format!(
                "hold {id} is {state} but has {settlements} settlements of kind {kind:?}"
            )),
            Some(_) if amount > held => {
                out.push(format!("hold {id} settled {amount}, more than its {held}"))
            }
            _ => {}
        }
    }
    Ok(out)
}

//! The risk rules in the database: the version in force (read with every
//! assessment, so a version saved on any server applies to the next
//! transfer everywhere), saving a version with its audit entry, and a dry
//! run of a draft over the facts past transfers were assessed on.

use futures::TryStreamExt;
use shared::{
    ids::UserId,
    transfer::{
        risk::{assess, Facts, Rules},
        rules::{DryRun, RulesVersion},
    },
    Reason,
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::{
    audit,
    db::Db,
    error::{Error, Result},
    identity::holder,
};

const DAY_MS: i64 = 24 * 3600 * 1000;
/// Most transfers a dry run reads, newest first.
const DRY_RUN_READ: i64 = 100_000;

fn built_in() -> RulesVersion {
    RulesVersion {
        version: 0,
        rules: Rules::default(),
        author: String::new(),
        note: String::new(),
        saved_at_ms: 0,
    }
}

fn version(v: i64) -> u32 {
    v.clamp(0, i64::from(u32::MAX)) as u32
}

/// The version in force and its rules.
pub async fn in_force(conn: &mut AnyConnection) -> Result<(u32, Rules)> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT version, rules_json FROM risk_rules ORDER BY version DESC LIMIT 1")
            .fetch_optional(conn)
            .await?;
    Ok(match row {
        Some((v, json)) => (version(v), serde_json::from_str(&json)?),
        None => (0, Rules::default()),
    })
}

const COLUMNS: &str = "r.version AS version, r.rules_json AS rules_json, u.nickname AS author, \
     r.note AS note, r.saved_at_ms AS saved_at_ms \
     FROM risk_rules r JOIN users u ON u.id = r.author_id";

fn saved(r: &AnyRow) -> Result<RulesVersion> {
    Ok(RulesVersion {
        version: version(r.try_get("version")?),
        rules: serde_json::from_str(&r.try_get::<String, _>("rules_json")?)?,
        author: r.try_get("author")?,
        note: r.try_get("note")?,
        saved_at_ms: r.try_get("saved_at_ms")?,
    })
}

/// The newest `limit` versions, newest first, ending with the built-in
/// rules once every saved version is listed.
pub async fn history(conn: &mut AnyConnection, limit: i64) -> Result<Vec<RulesVersion>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} ORDER BY r.version DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let mut out = rows.iter().map(saved).collect::<Result<Vec<_>>>()?;
    if out.last().is_none_or(|v| v.version == 1) && (out.len() as i64) < limit {
        out.push(built_in());
    }
    Ok(out)
}

/// A checked draft to save as the version after `based_on`.
#[derive(Debug)]
pub struct Save<'a> {
    pub author: UserId,
    pub based_on: u32,
    pub rules: &'a Rules,
    pub note: &'a str,
    pub now_ms: i64,
}

/// Saves the version after `based_on` with its audit entry, in one
/// transaction; a conflict if `based_on` is no longer the newest.
pub async fn save(db: &Db, s: Save<'_>) -> Result<RulesVersion> {
    let json = serde_json::to_string(s.rules)?;
    let mut tx = db.begin().await?;
    // One statement that reads the newest version and writes the next, so
    // two staff saving at once cannot both build on the same version: the
    // second finds its base gone, or collides on the version number.
    let inserted = sqlx::query(
        "INSERT INTO risk_rules (version, rules_json, author_id, note, saved_at_ms) \
         SELECT COALESCE(MAX(version), 0) + 1, $1, $2, $3, $4 FROM risk_rules \
         HAVING COALESCE(MAX(version), 0) = $5",
    )
    .bind(&json)
    .bind(s.author.0)
    .bind(s.note)
    .bind(s.now_ms)
    .bind(i64::from(s.based_on))
    .execute(&mut *tx)
    .await;
    let changed = match inserted {
        Ok(done) => done.rows_affected() == 1,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => false,
        Err(e) => return Err(e.into()),
    };
    if !changed {
        return Err(Error::conflict(Reason::RulesChanged));
    }
    let number = s.based_on + 1;
    let event = audit::Event {
        actor: holder(s.author),
        action: "risk.rules.saved".into(),
        subject: format!("risk_rules:{number}"),
        detail: serde_json::json!({
            "based_on": s.based_on,
            "note": s.note,
            "rules": s.rules,
        })
        .to_string(),
    };
    audit::append(&mut tx, &[event], s.now_ms).await?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} WHERE r.version = $1"))
        .bind(i64::from(number))
        .fetch_one(&mut *tx)
        .await?;
    let out = saved(&row)?;
    Db::commit(tx).await?;
    Ok(out)
}

/// The rules in force and a draft over the facts of the transfers assessed
/// in the last `days` (the newest [`DRY_RUN_READ`] of them), read as a stream.
pub async fn dry_run(
    conn: &mut AnyConnection,
    in_force: &Rules,
    draft: &Rules,
    days: u32,
    now_ms: i64,
) -> Result<DryRun> {
    let since = now_ms - i64::from(days) * DAY_MS;
    let mut out = DryRun {
        days,
        ..DryRun::default()
    };
    let mut rows = sqlx::query_scalar::<_, String>(
        "SELECT facts_json FROM p2p_transfers WHERE created_at_ms >= $1 AND facts_json IS NOT NULL \
         ORDER BY created_at_ms DESC LIMIT $2",
    )
    .bind(since)
    .bind(DRY_RUN_READ + 1)
    .fetch(conn);
    while let Some(json) = rows.try_next().await? {
        if i64::from(out.transfers) == DRY_RUN_READ {
            out.capped = true;
            break;
        }
        let facts: Facts = serde_json::from_str(&json)?;
        out.add(
            assess(&facts, in_force).decision,
            assess(&facts, draft).decision,
        );
    }
    Ok(out)
}

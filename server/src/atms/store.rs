//! ATM rows. Codes and kiosk tokens are stored only as SHA-256 hashes.

use shared::{
    atm::AtmState,
    geo::LatLon,
    ids::{AccountId, AtmId},
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::db::Db;
use crate::error::Result;

/// A machine as stored (its cash lives in the ledger).
#[derive(Debug, Clone)]
pub struct AtmRow {
    pub id: AtmId,
    pub name: String,
    pub address: String,
    pub at: LatLon,
    pub cassette: AccountId,
    pub state: AtmState,
    pub last_seen_ms: Option<i64>,
}

const COLUMNS: &str = "id, name, address, lat, lon, cassette_account, state, last_seen_ms";

fn row(r: &AnyRow) -> Result<AtmRow> {
    let state: String = r.try_get("state")?;
    Ok(AtmRow {
        id: AtmId(r.try_get("id")?),
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        at: LatLon {
            lat: r.try_get("lat")?,
            lon: r.try_get("lon")?,
        },
        cassette: AccountId(r.try_get("cassette_account")?),
        state: AtmState::parse(&state)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown ATM state {state:?}").into()))?,
        last_seen_ms: r.try_get("last_seen_ms")?,
    })
}

#[derive(Debug)]
pub struct Insert<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub at: LatLon,
    pub cassette: AccountId,
    pub code_hash: &'a str,
    pub code_expires_ms: i64,
    pub now_ms: i64,
}

pub async fn insert(conn: &mut AnyConnection, a: Insert<'_>) -> Result<AtmId> {
    let id: i64 = sqlx::query(
        "INSERT INTO atms (name, address, lat, lon, cassette_account, state, enroll_code_hash, \
         enroll_expires_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, 'awaiting_kiosk', $6, $7, $8) \
         RETURNING id",
    )
    .bind(a.name)
    .bind(a.address)
    .bind(a.at.lat)
    .bind(a.at.lon)
    .bind(a.cassette.0)
    .bind(a.code_hash)
    .bind(a.code_expires_ms)
    .bind(a.now_ms)
    .fetch_one(conn)
    .await?
    .try_get(0)?;
    Ok(AtmId(id))
}

pub async fn all(db: &Db) -> Result<Vec<AtmRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM atms ORDER BY id"))
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(row)
        .collect()
}

pub async fn get(conn: &mut AnyConnection, id: AtmId) -> Result<Option<AtmRow>> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM atms WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(row)
        .transpose()
}

/// A new code; any enrolled kiosk loses its credential.
pub async fn reissue(
    conn: &mut AnyConnection,
    id: AtmId,
    code_hash: &str,
    expires_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE atms SET enroll_code_hash = $2, enroll_expires_ms = $3, device_token_hash = NULL, \
         state = 'awaiting_kiosk', failed_codes = 0 WHERE id = $1",
    )
    .bind(id.0)
    .bind(code_hash)
    .bind(expires_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn revoke(conn: &mut AnyConnection, id: AtmId) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE atms SET state = 'revoked', enroll_code_hash = NULL, device_token_hash = NULL \
         WHERE id = $1",
    )
    .bind(id.0)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Uses a live code once: the machine becomes active with this kiosk's token.
pub async fn enroll(
    conn: &mut AnyConnection,
    code_hash: &str,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<AtmId>> {
    sqlx::query(
        "UPDATE atms SET device_token_hash = $2, enroll_code_hash = NULL, enroll_expires_ms = NULL, \
         state = 'active', last_seen_ms = $3 \
         WHERE enroll_code_hash = $1 AND enroll_expires_ms > $3 AND state = 'awaiting_kiosk' \
         RETURNING id",
    )
    .bind(code_hash)
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?
    .map(|r| Ok(AtmId(r.try_get(0)?)))
    .transpose()
}

/// The machine whose kiosk holds this token, marking it seen.
pub async fn by_token(db: &Db, token_hash: &str, now_ms: i64) -> Result<Option<AtmRow>> {
    let found = sqlx::query(&format!(
        "UPDATE atms SET last_seen_ms = $2 WHERE device_token_hash = $1 \
         AND state IN ('active', 'locked') RETURNING {COLUMNS}"
    ))
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(db.pool())
    .await?;
    found.as_ref().map(row).transpose()
}

/// Whether a machine with this name exists (the demo seeds its ATM once).
pub async fn named(db: &Db, name: &str) -> Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM atms WHERE name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?
        .is_some())
}

/// Counts a wrong code at this kiosk; at `lock_after` the machine locks.
/// Returns whether this call locked it.
pub async fn bad_code(db: &Db, id: AtmId, lock_after: i64) -> Result<bool> {
    let row = sqlx::query(
        "UPDATE atms SET failed_codes = failed_codes + 1, \
         state = CASE WHEN failed_codes + 1 >= $2 THEN 'locked' ELSE state END \
         WHERE id = $1 AND state = 'active' RETURNING state",
    )
    .bind(id.0)
    .bind(lock_after)
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .map(|r| r.try_get::<String, _>(0))
        .transpose()?
        .is_some_and(|s| s == "locked"))
}

/// A good code clears the count of wrong ones.
pub async fn good_code(db: &Db, id: AtmId) -> Result<()> {
    // Only when there is something to reset: a write that changes nothing costs no commit.
    sqlx::query("UPDATE atms SET failed_codes = 0 WHERE id = $1 AND failed_codes <> 0")
        .bind(id.0)
        .execute(db.pool())
        .await?;
    Ok(())
}

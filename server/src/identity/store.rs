//! Identity rows: users, passkeys, ceremonies in flight, sessions.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use shared::{identity::Role, ids::UserId};
use sqlx::{any::AnyRow, AnyConnection, Row};
use webauthn_rs::prelude::Passkey;

use crate::{db::Db, error::Result};

/// The profile a sign-up asked for, kept with its ceremony.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub handle: String,
    pub display_name: String,
    pub nickname: String,
    pub nickname_canonical: String,
    pub birth_date: String,
    /// Staff enrollment being used (its token hash), if any.
    #[serde(default)]
    pub enrollment: Option<String>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub display_name: String,
    pub nickname: String,
    pub birth_date: String,
    pub role: Role,
    /// Flagged by staff: an adult of restricted capacity.
    pub adult_ward: bool,
}

impl User {
    /// Under the age of majority in Japan today, or an adult of restricted capacity.
    pub fn is_minor(&self) -> bool {
        self.adult_ward
            || shared::age::Date::parse(&self.birth_date)
                .is_some_and(|b| shared::age::is_minor(b, super::clock::today_in_japan()))
    }
}

const USER_COLUMNS: &str = "u.id AS id, u.display_name AS display_name, u.nickname AS nickname, \
                            u.birth_date AS birth_date, u.role AS role, u.adult_ward AS adult_ward";

fn user_from(row: &AnyRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: UserId(row.try_get("id")?),
        display_name: row.try_get("display_name")?,
        nickname: row.try_get("nickname")?,
        birth_date: row.try_get("birth_date")?,
        role: Role::parse(&role)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {role:?}").into()))?,
        adult_ward: row.try_get::<i64, _>("adult_ward")? != 0,
    })
}

pub async fn nickname_taken(db: &Db, canonical: &str) -> Result<bool> {
    Ok(
        sqlx::query("SELECT 1 FROM users WHERE nickname_canonical = $1")
            .bind(canonical)
            .fetch_optional(db.pool())
            .await?
            .is_some(),
    )
}

pub async fn put_ceremony<S: Serialize>(
    db: &Db,
    kind: &str,
    state: &S,
    profile: Option<&Profile>,
    expires_at_ms: i64,
) -> Result<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    sqlx::query(
        "INSERT INTO webauthn_ceremonies (id, kind, state_json, profile_json, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(kind)
    .bind(serde_json::to_string(state).map_err(|e| sqlx::Error::Encode(e.into()))?)
    .bind(
        profile
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| sqlx::Error::Encode(e.into()))?,
    )
    .bind(expires_at_ms)
    .execute(db.pool())
    .await?;
    Ok(id)
}

/// Removes and returns a live ceremony of `kind`: each works once.
pub async fn take_ceremony<S: DeserializeOwned>(
    db: &Db,
    id: &str,
    kind: &str,
    now_ms: i64,
) -> Result<Option<(S, Option<Profile>)>> {
    let row = sqlx::query(
        "DELETE FROM webauthn_ceremonies WHERE id = $1 AND kind = $2 AND expires_at_ms > $3 \
         RETURNING state_json, profile_json",
    )
    .bind(id)
    .bind(kind)
    .bind(now_ms)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let decode = |e: serde_json::Error| sqlx::Error::Decode(e.into());
    let state = serde_json::from_str(&row.try_get::<String, _>(0)?).map_err(decode)?;
    let profile = match row.try_get::<Option<String>, _>(1)? {
        Some(p) => Some(serde_json::from_str(&p).map_err(decode)?),
        None => None,
    };
    Ok(Some((state, profile)))
}

/// Why a user could not be created.
#[derive(Debug)]
pub enum CreateError {
    NicknameTaken,
    EnrollmentUsed,
    Db(sqlx::Error),
}

fn credential_key(id: &[u8]) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD.encode(id)
}

/// Creates a user without a passkey (demo personas sign in with one click).
pub async fn create_user_without_passkey(
    db: &Db,
    p: &Profile,
    role: Role,
    now_ms: i64,
) -> Result<User, CreateError> {
    let mut tx = db.pool().begin().await.map_err(CreateError::Db)?;
    let id = insert_user(&mut tx, p, role, now_ms).await?;
    tx.commit().await.map_err(CreateError::Db)?;
    Ok(user_of(id, p, role))
}

fn user_of(id: UserId, p: &Profile, role: Role) -> User {
    User {
        id,
        display_name: p.display_name.clone(),
        nickname: p.nickname.clone(),
        birth_date: p.birth_date.clone(),
        role,
        adult_ward: false,
    }
}

async fn insert_user(
    conn: &mut AnyConnection,
    p: &Profile,
    role: Role,
    now_ms: i64,
) -> Result<UserId, CreateError> {
    let inserted = sqlx::query(
        "INSERT INTO users (handle, display_name, nickname, nickname_canonical, birth_date, role, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (nickname_canonical) DO NOTHING RETURNING id",
    )
    .bind(&p.handle)
    .bind(&p.display_name)
    .bind(&p.nickname)
    .bind(&p.nickname_canonical)
    .bind(&p.birth_date)
    .bind(role.as_str())
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await
    .map_err(CreateError::Db)?;
    let Some(row) = inserted else {
        return Err(CreateError::NicknameTaken);
    };
    Ok(UserId(row.try_get(0).map_err(CreateError::Db)?))
}

/// Creates the user and their first passkey together.
pub async fn create_user(
    db: &Db,
    p: &Profile,
    passkey: &Passkey,
    role: Role,
    now_ms: i64,
) -> Result<User, CreateError> {
    let mut tx = db.pool().begin().await.map_err(CreateError::Db)?;
    if let Some(hash) = &p.enrollment {
        // The link works once: used here, in the same transaction as the user.
        let used = sqlx::query(
            "UPDATE staff_enrollments SET used_at_ms = $2 \
             WHERE token_hash = $1 AND used_at_ms IS NULL AND expires_at_ms > $2",
        )
        .bind(hash)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(CreateError::Db)?;
        if used.rows_affected() != 1 {
            return Err(CreateError::EnrollmentUsed);
        }
    }
    let id = insert_user(&mut tx, p, role, now_ms).await?;
    let json = serde_json::to_string(passkey)
        .map_err(|e| CreateError::Db(sqlx::Error::Encode(e.into())))?;
    sqlx::query("INSERT INTO passkeys (user_id, credential_id, passkey_json, created_at_ms) VALUES ($1, $2, $3, $4)")
        .bind(id.0)
        .bind(credential_key(passkey.cred_id()))
        .bind(json)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(CreateError::Db)?;
    tx.commit().await.map_err(CreateError::Db)?;
    Ok(user_of(id, p, role))
}

pub async fn user_by_nickname(db: &Db, canonical: &str) -> Result<Option<User>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.nickname_canonical = $1"
    ))
    .bind(canonical)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(user_from).transpose()
}

/// Since when `guardian` is the verified guardian of `ward`, if they are.
pub async fn verified_guardian_since<'e, E>(
    ex: E,
    guardian: UserId,
    ward: UserId,
) -> Result<Option<i64>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let since: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT verified_at_ms FROM guardianships WHERE guardian_id = $1 AND ward_id = $2",
    )
    .bind(guardian.0)
    .bind(ward.0)
    .fetch_optional(ex)
    .await?;
    Ok(since.flatten())
}

/// Records a verified guardian–ward relationship (once).
pub async fn link_guardian(db: &Db, guardian: UserId, ward: UserId, now_ms: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO guardianships (guardian_id, ward_id, state, verified_at_ms, created_at_ms) \
         VALUES ($1, $2, 'verified', $3, $3) \
         ON CONFLICT (guardian_id, ward_id) DO NOTHING",
    )
    .bind(guardian.0)
    .bind(ward.0)
    .bind(now_ms)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The user with this WebAuthn handle and their passkey with this credential id.
pub async fn passkey_of(
    db: &Db,
    handle: &str,
    credential_id: &[u8],
) -> Result<Option<(User, Passkey)>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, p.passkey_json FROM users u JOIN passkeys p ON p.user_id = u.id \
         WHERE u.handle = $1 AND p.credential_id = $2"
    ))
    .bind(handle)
    .bind(credential_key(credential_id))
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let passkey = serde_json::from_str(&row.try_get::<String, _>("passkey_json")?)
        .map_err(|e| sqlx::Error::Decode(e.into()))?;
    Ok(Some((user_from(&row)?, passkey)))
}

/// Stores a passkey's new signature counter and backup state after a sign-in.
pub async fn save_passkey(db: &Db, passkey: &Passkey, now_ms: i64) -> Result<()> {
    let json = serde_json::to_string(passkey).map_err(|e| sqlx::Error::Encode(e.into()))?;
    sqlx::query(
        "UPDATE passkeys SET passkey_json = $1, last_used_ms = $2 WHERE credential_id = $3",
    )
    .bind(json)
    .bind(now_ms)
    .bind(credential_key(passkey.cred_id()))
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn user(db: &Db, id: UserId) -> Result<Option<User>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(user_from).transpose()
}

pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user: UserId,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user.0)
        .bind(now_ms)
        .bind(expires_at_ms)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn session_user(db: &Db, token_hash: &str, now_ms: i64) -> Result<Option<User>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.revoked_at_ms IS NULL AND s.expires_at_ms > $2"
    ))
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(user_from).transpose()
}

pub async fn revoke_session(conn: &mut AnyConnection, token_hash: &str, now_ms: i64) -> Result<()> {
    sqlx::query(
        "UPDATE sessions SET revoked_at_ms = $2 WHERE token_hash = $1 AND revoked_at_ms IS NULL",
    )
    .bind(token_hash)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a staff enrollment valid until `expires_at_ms`.
pub async fn put_enrollment(
    conn: &mut AnyConnection,
    token_hash: &str,
    display_name: &str,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO staff_enrollments (token_hash, display_name, created_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(display_name)
    .bind(now_ms)
    .bind(expires_at_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The name of an unused, unexpired enrollment.
pub async fn live_enrollment(db: &Db, token_hash: &str, now_ms: i64) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT display_name FROM staff_enrollments \
         WHERE token_hash = $1 AND used_at_ms IS NULL AND expires_at_ms > $2",
    )
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// Every passkey the user has registered.
pub async fn passkeys_of_user(db: &Db, user: UserId) -> Result<Vec<Passkey>> {
    sqlx::query("SELECT passkey_json FROM passkeys WHERE user_id = $1 ORDER BY id")
        .bind(user.0)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok(serde_json::from_str(&r.try_get::<String, _>(0)?)?))
        .collect()
}

/// Adds another passkey to an existing user.
pub async fn add_passkey(
    conn: &mut AnyConnection,
    user: UserId,
    passkey: &Passkey,
    now_ms: i64,
) -> Result<()> {
    let json = serde_json::to_string(passkey).map_err(|e| sqlx::Error::Encode(e.into()))?;
    sqlx::query("INSERT INTO passkeys (user_id, credential_id, passkey_json, created_at_ms) VALUES ($1, $2, $3, $4)")
        .bind(user.0)
        .bind(credential_key(passkey.cred_id()))
        .bind(json)
        .bind(now_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user's WebAuthn handle.
pub async fn handle_of(db: &Db, user: UserId) -> Result<Option<String>> {
    Ok(sqlx::query("SELECT handle FROM users WHERE id = $1")
        .bind(user.0)
        .fetch_optional(db.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

/// Sets or clears the adult-ward flag inside the caller's transaction.
pub async fn set_adult_ward(conn: &mut AnyConnection, user: UserId, ward: bool) -> Result<()> {
    sqlx::query("UPDATE users SET adult_ward = $2 WHERE id = $1")
        .bind(user.0)
        .bind(i64::from(ward))
        .execute(conn)
        .await?;
    Ok(())
}

/// Every member of staff (to alert them).
pub async fn staff_ids<'e, E>(ex: E) -> Result<Vec<UserId>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("SELECT id FROM users WHERE role = 'staff' ORDER BY id")
        .fetch_all(ex)
        .await?
        .iter()
        .map(|r| Ok(UserId(r.try_get(0)?)))
        .collect()
}

//! API clients and their keys: staff register, rotate and revoke them (each
//! change audited); the machine API turns a presented key into the client's
//! `Caller`. A key is `ak_<12 hex>_<secret>`; its first part finds the row,
//! the SHA-256 of the whole key must match what the row keeps.

use async_trait::async_trait;
use rand::RngCore;
use shared::{
    ids::{ApiClientId, UserId},
    machine::{
        ApiClientView, ApiClientsPort, ClientKind, IssuedKey, KeyView, NewApiClient, Scope,
        ROTATION_GRACE_MS,
    },
    ports::Caller,
    AppError,
};
use sqlx::{AnyConnection, Row};

use crate::{
    audit,
    db::Db,
    error::Result,
    http::rate_limit::Limiter,
    identity::{holder, session},
    system::now_ms,
};

#[derive(Debug, Clone)]
pub struct ApiClients {
    db: Db,
    /// Calls per client per minute.
    limiter: Limiter,
}

/// A new key: its public prefix and the whole key.
fn new_key() -> (String, String) {
    let mut id = [0u8; 6];
    rand::rng().fill_bytes(&mut id);
    let prefix = format!("ak_{}", session::hex(&id));
    let key = format!("{prefix}_{}", session::new_token());
    (prefix, key)
}

/// The prefix a presented key claims, if it has the shape of one.
fn prefix_of(key: &str) -> Option<&str> {
    let prefix = key.get(..15)?;
    let hex = prefix.strip_prefix("ak_")?;
    (hex.chars().all(|c| c.is_ascii_hexdigit()) && key[15..].starts_with('_')).then_some(prefix)
}

/// Equal without saying where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn scopes_of(text: &str) -> Vec<Scope> {
    text.split_whitespace().filter_map(Scope::parse).collect()
}

async fn view(conn: &mut AnyConnection, id: ApiClientId) -> Result<Option<ApiClientView>> {
    let Some(r) = sqlx::query(
        "SELECT id, name, kind, scopes, created_at_ms, revoked_at_ms FROM api_clients WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let keys = sqlx::query(
        "SELECT prefix, created_at_ms, expires_at_ms, last_used_at_ms FROM api_keys \
         WHERE client_id = $1 ORDER BY id DESC",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|k| {
        Ok(KeyView {
            prefix: k.try_get("prefix")?,
            created_at_ms: k.try_get("created_at_ms")?,
            expires_at_ms: k.try_get("expires_at_ms")?,
            last_used_at_ms: k.try_get("last_used_at_ms")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let kind: String = r.try_get("kind")?;
    Ok(Some(ApiClientView {
        id,
        name: r.try_get("name")?,
        kind: ClientKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown client kind {kind:?}").into()))?,
        scopes: scopes_of(&r.try_get::<String, _>("scopes")?),
        keys,
        created_at_ms: r.try_get("created_at_ms")?,
        revoked_at_ms: r.try_get("revoked_at_ms")?,
    }))
}

async fn insert_key(conn: &mut AnyConnection, id: ApiClientId, now: i64) -> Result<String> {
    let (prefix, key) = new_key();
    sqlx::query(
        "INSERT INTO api_keys (client_id, prefix, secret_hash, created_at_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.0)
    .bind(&prefix)
    .bind(session::hash(&key))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(key)
}

/// A key that may be used now, with its client.
struct LiveKey {
    id: i64,
    secret_hash: String,
    client: ApiClientId,
    kind: String,
    scopes: String,
}

async fn live_key(db: &Db, prefix: &str, now: i64) -> Result<Option<LiveKey>> {
    let row = sqlx::query(
        "SELECT k.id AS key_id, k.secret_hash AS secret_hash, c.id AS client_id, c.kind AS kind, \
         c.scopes AS scopes FROM api_keys k JOIN api_clients c ON c.id = k.client_id \
         WHERE k.prefix = $1 AND c.revoked_at_ms IS NULL \
         AND (k.expires_at_ms IS NULL OR k.expires_at_ms > $2)",
    )
    .bind(prefix)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(LiveKey {
        id: r.try_get("key_id")?,
        secret_hash: r.try_get("secret_hash")?,
        client: ApiClientId(r.try_get("client_id")?),
        kind: r.try_get("kind")?,
        scopes: r.try_get("scopes")?,
    }))
}

async fn insert_client(
    conn: &mut AnyConnection,
    new: &NewApiClient,
    staff: UserId,
    now: i64,
) -> Result<ApiClientId> {
    let scopes: Vec<&str> = new.scopes.iter().map(|s| s.as_str()).collect();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_clients (name, kind, scopes, created_by, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&new.name)
    .bind(new.kind.as_str())
    .bind(scopes.join(" "))
    .bind(staff.0)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(ApiClientId(id))
}

fn staff_event(
    staff: UserId,
    action: &str,
    id: ApiClientId,
    detail: serde_json::Value,
) -> audit::Event {
    audit::Event {
        actor: holder(staff),
        action: format!("api_client.{action}"),
        subject: format!("api_client:{id}"),
        detail: detail.to_string(),
    }
}

impl ApiClients {
    pub fn new(db: Db, per_minute: u32) -> Self {
        ApiClients {
            limiter: Limiter::new(&db, "api_client", per_minute),
            db,
        }
    }

    /// The client a presented key belongs to, as a caller, within its
    /// rate limit: `Unauthenticated` for an unknown, expired or revoked key.
    pub async fn authenticate(&self, key: &str) -> Result<Caller, AppError> {
        let prefix = prefix_of(key).ok_or(AppError::Unauthenticated)?;
        let now = now_ms();
        let found = live_key(&self.db, prefix, now)
            .await?
            .filter(|k| same(&k.secret_hash, &session::hash(key)))
            .ok_or(AppError::Unauthenticated)?;
        self.limiter.check(found.client).await?;
        sqlx::query("UPDATE api_keys SET last_used_at_ms = $1 WHERE id = $2")
            .bind(now)
            .bind(found.id)
            .execute(self.db.pool())
            .await
            .map_err(crate::error::Error::from)?;
        Ok(Caller::Client {
            id: found.client,
            kind: ClientKind::parse(&found.kind).ok_or(AppError::Unauthenticated)?,
            scopes: scopes_of(&found.scopes),
        })
    }

    /// Runs `change` (which names the client) and gives the client a new
    /// key, audited, in one transaction.
    async fn issue(
        &self,
        staff: UserId,
        action: &str,
        change: impl AsyncFnOnce(&mut AnyConnection, i64) -> Result<ApiClientId>,
    ) -> Result<IssuedKey> {
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let id = change(&mut tx, now).await?;
        let secret = insert_key(&mut tx, id, now).await?;
        let client = view(&mut tx, id).await?.ok_or(AppError::NotFound)?;
        let detail = serde_json::json!({ "key": client.keys.first().map(|k| &k.prefix) });
        audit::append(&mut tx, &[staff_event(staff, action, id, detail)], now).await?;
        Db::commit(tx).await?;
        Ok(IssuedKey { client, secret })
    }

    /// Registers a client for `staff` (the demo shop registers itself as the demo clerk).
    pub async fn register(&self, staff: UserId, new: NewApiClient) -> Result<IssuedKey, AppError> {
        let new = new
            .checked()
            .map_err(|(field, reason)| AppError::invalid(field, reason))?;
        let issued = self.issue(staff, "registered", async |conn, now| {
            insert_client(conn, &new, staff, now).await
        });
        Ok(issued.await?)
    }

    /// A client that exists and is not revoked.
    async fn live(conn: &mut AnyConnection, id: ApiClientId) -> Result<ApiClientView> {
        let client = view(conn, id).await?.ok_or(AppError::NotFound)?;
        if client.revoked_at_ms.is_some() {
            return Err(crate::error::Error::conflict(shared::Reason::Revoked));
        }
        Ok(client)
    }
}

#[async_trait]
impl ApiClientsPort for ApiClients {
    async fn api_clients(&self, caller: &Caller) -> Result<Vec<ApiClientView>, AppError> {
        caller.require_staff()?;
        let mut conn = self.db.conn().await?;
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM api_clients ORDER BY id DESC")
            .fetch_all(&mut *conn)
            .await
            .map_err(crate::error::Error::from)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(view(&mut conn, ApiClientId(id)).await?);
        }
        Ok(out)
    }

    async fn register_api_client(
        &self,
        caller: &Caller,
        new: NewApiClient,
    ) -> Result<IssuedKey, AppError> {
        self.register(caller.require_staff()?, new).await
    }

    async fn rotate_api_key(
        &self,
        caller: &Caller,
        id: ApiClientId,
    ) -> Result<IssuedKey, AppError> {
        let staff = caller.require_staff()?;
        let issued = self.issue(staff, "key_rotated", async |conn, now| {
            Self::live(conn, id).await?;
            sqlx::query(
                "UPDATE api_keys SET expires_at_ms = $1 WHERE client_id = $2 \
                 AND (expires_at_ms IS NULL OR expires_at_ms > $1)",
            )
            .bind(now + ROTATION_GRACE_MS)
            .bind(id.0)
            .execute(conn)
            .await?;
            Ok(id)
        });
        Ok(issued.await?)
    }

    async fn revoke_api_client(
        &self,
        caller: &Caller,
        id: ApiClientId,
    ) -> Result<ApiClientView, AppError> {
        let staff = caller.require_staff()?;
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        Self::live(&mut tx, id).await?;
        sqlx::query("UPDATE api_clients SET revoked_at_ms = $1 WHERE id = $2")
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(crate::error::Error::from)?;
        let event = staff_event(staff, "revoked", id, serde_json::json!({}));
        audit::append(&mut tx, &[event], now).await?;
        let client = view(&mut tx, id).await?.ok_or(AppError::NotFound)?;
        Db::commit(tx).await?;
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_its_prefix_and_nothing_else_does() {
        let (prefix, key) = new_key();
        assert_eq!(prefix_of(&key), Some(prefix.as_str()));
        assert!(key.len() > 50);
        assert_eq!(prefix_of("ak_zzzzzzzzzzzz_abc"), None);
        assert_eq!(prefix_of("Bearer x"), None);
        assert_eq!(prefix_of("ak_0123456789ab"), None);
        assert_eq!(prefix_of("ak_0123456789abX"), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}

//! Limits on how often one network address may try to sign in or sign up
//! (so passkey ceremonies cannot flood the server or probe nicknames) or
//! decide approval requests (so nobody can hammer a request's checks). The
//! approvals service adds its own limit per person. A refusal is `429` with
//! the time to wait, as `AppError`.

use axum::{
    extract::{ConnectInfo, Request},
    middleware::Next,
    response::{IntoResponse, Response},
};
use shared::AppError;
use std::{
    fmt::Display,
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use crate::{db::Db, system::now_ms};

/// Sign-in and sign-up calls allowed per address per minute (each sign-in is two).
pub const PER_MINUTE: u32 = 20;
/// Approval decisions (each approval is two calls) per address, and per person, per minute.
pub const DECISIONS_PER_MINUTE: u32 = 30;
const MINUTE_MS: i64 = 60_000;

/// So many calls per minute for each key (an address, a person, a client),
/// a whole minute's worth at once at most. Counted in the database, so that
/// every server instance on it counts together (GCRA: one row per key,
/// holding the time up to which its allowance is spent).
#[derive(Debug, Clone)]
pub struct Limiter {
    db: Db,
    /// Which limit: keys of different limits never meet.
    scope: &'static str,
    /// The time one call uses of the allowance.
    per_call_ms: i64,
}

impl Limiter {
    pub fn new(db: &Db, scope: &'static str, per_minute: u32) -> Self {
        Limiter {
            db: db.clone(),
            scope,
            per_call_ms: (MINUTE_MS / i64::from(per_minute.max(1))).max(1),
        }
    }

    /// `Err(RateLimited)` when `key` has used up its calls.
    pub async fn check(&self, key: impl Display) -> Result<(), AppError> {
        let now = now_ms();
        match self.take(&key.to_string(), now).await {
            Ok(None) => Ok(()),
            Ok(Some(wait_ms)) => Err(AppError::RateLimited {
                retry_after_s: u32::try_from((wait_ms + 999) / 1000)
                    .unwrap_or(u32::MAX)
                    .max(1),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Spends one call of `key`'s allowance: `None` when it was there to
    /// spend, else how long until it is.
    async fn take(&self, key: &str, now: i64) -> crate::error::Result<Option<i64>> {
        // Twice: a key's first calls may race to create its row, and the
        // losers then spend from the row the winner made.
        for _ in 0..2 {
            if self.spend(key, now).await? {
                return Ok(None);
            }
            let first = sqlx::query(
                "INSERT INTO rate_limits (scope, key, tat_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (scope, key) DO NOTHING",
            )
            .bind(self.scope)
            .bind(key)
            .bind(now + self.per_call_ms)
            .execute(self.db.pool())
            .await?;
            if first.rows_affected() == 1 {
                if rand::random::<u16>() < 64 {
                    forget_spent(&self.db, now).await?;
                }
                return Ok(None);
            }
        }
        let tat: i64 =
            sqlx::query_scalar("SELECT tat_ms FROM rate_limits WHERE scope = $1 AND key = $2")
                .bind(self.scope)
                .bind(key)
                .fetch_optional(self.db.pool())
                .await?
                .unwrap_or(now);
        Ok(Some(tat.max(now) + self.per_call_ms - MINUTE_MS - now))
    }

    /// One call from an existing row, if it fits: the allowance is used
    /// from `max(spent_to, now)` on, and a call fits while that stays
    /// within a minute of now.
    async fn spend(&self, key: &str, now: i64) -> crate::error::Result<bool> {
        let spent = sqlx::query(
            "UPDATE rate_limits SET tat_ms = (CASE WHEN tat_ms > $3 THEN tat_ms ELSE $3 END) + $4 \
             WHERE scope = $1 AND key = $2 \
             AND (CASE WHEN tat_ms > $3 THEN tat_ms ELSE $3 END) + $4 - $3 <= $5",
        )
        .bind(self.scope)
        .bind(key)
        .bind(now)
        .bind(self.per_call_ms)
        .bind(MINUTE_MS)
        .execute(self.db.pool())
        .await?;
        Ok(spent.rows_affected() == 1)
    }
}

/// Rows whose allowance is whole again are the same as no row: they go,
/// now and then, when a new key arrives.
async fn forget_spent(db: &Db, now: i64) -> crate::error::Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE tat_ms < $1")
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The per-address limits, each for its class of paths.
#[derive(Debug, Clone)]
pub struct AddressLimits {
    pub sign_in: Limiter,
    pub decisions: Limiter,
    /// Proxies in front of the server: a request from one of them is
    /// counted against the client it names in `X-Forwarded-For`.
    pub trusted_proxies: Arc<[IpAddr]>,
}

/// Whom a request is counted against: the peer, or, when the peer is a
/// trusted proxy, the nearest address in `X-Forwarded-For` that is not one
/// (each proxy appends the address it was called from, so only the right
/// end of the list is the proxies' word; the rest is the client's).
pub fn client_address(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded
        .into_iter()
        .flat_map(|list| list.rsplit(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .find(|hop| !trusted.contains(hop))
        .unwrap_or(peer)
}

/// The key an address is counted under: an IPv4 address as it is, an IPv6
/// one by its /64 (one household or host gets a whole /64, so counting
/// each address would give it 2^64 allowances).
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl AddressLimits {
    fn for_path(&self, path: &str) -> Option<(&Limiter, &'static str)> {
        if path.starts_with("/api/identity/sign-in/")
            || path.starts_with("/api/identity/sign-up/")
            || path == "/api/identity/demo-sign-in"
            || path == "/api/kiosk/enroll"
        {
            Some((&self.sign_in, "sign-in"))
        } else if path.starts_with("/api/approvals/approve") || path == "/api/approvals/decline" {
            Some((&self.decisions, "decision"))
        } else {
            None
        }
    }
}

pub async fn limit_by_address(limits: AddressLimits, req: Request, next: Next) -> Response {
    if let Some((limiter, what)) = limits.for_path(req.uri().path()) {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(peer) = peer {
            let forwarded = req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok());
            let ip = client_address(peer, forwarded, &limits.trusted_proxies);
            if let Err(refusal) = limiter.check(address_key(ip)).await {
                tracing::warn!(%ip, path = %req.uri().path(), what, "rate-limited");
                return too_many(refusal);
            }
        }
    }
    next.run(req).await
}

/// `429` with `Retry-After` and the error as JSON, as the machine API
/// answers every refusal.
pub fn too_many(refusal: AppError) -> Response {
    crate::machine::ApiError(refusal).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn limits_each_key_on_its_own_and_says_when_to_come_back() {
        let (_dir, db) = db().await;
        let limiter = Limiter::new(&db, "test", 3);
        let (a, b): (std::net::IpAddr, std::net::IpAddr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.check(a).await.is_ok());
        }
        let Err(AppError::RateLimited { retry_after_s }) = limiter.check(a).await else {
            panic!("fourth call passed");
        };
        assert!((1..=20).contains(&retry_after_s), "{retry_after_s}");
        assert!(limiter.check(b).await.is_ok());
        // Another limit's count of the same key is its own.
        assert!(Limiter::new(&db, "other", 3).check(a).await.is_ok());
    }

    #[tokio::test]
    async fn a_burst_of_first_calls_spends_exactly_the_allowance() {
        let (_dir, db) = db().await;
        let limiter = Limiter::new(&db, "test", 10);
        let calls = (0..16).map(|_| limiter.check("burst"));
        let answers = futures::future::join_all(calls).await;
        assert_eq!(
            answers.iter().filter(|a| a.is_ok()).count(),
            10,
            "{answers:?}"
        );
    }

    #[tokio::test]
    async fn an_allowance_comes_back_with_time() {
        let (_dir, db) = db().await;
        let limiter = Limiter::new(&db, "test", 2);
        let now = now_ms();
        assert_eq!(limiter.take("k", now).await.unwrap(), None);
        assert_eq!(limiter.take("k", now).await.unwrap(), None);
        assert_eq!(limiter.take("k", now).await.unwrap(), Some(30_000));
        // Half a minute later one call's worth is back, and only one.
        assert_eq!(limiter.take("k", now + 30_000).await.unwrap(), None);
        assert!(limiter.take("k", now + 30_000).await.unwrap().is_some());
    }

    #[test]
    fn an_ipv6_host_counts_once_and_a_proxy_counts_its_clients() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(address_key(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(address_key(ip("::ffff:203.0.113.7")), "203.0.113.7");
        assert_eq!(
            address_key(ip("2001:db8:1:2:aaaa::1")),
            address_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
        );
        assert_ne!(
            address_key(ip("2001:db8:1:2::1")),
            address_key(ip("2001:db8:1:3::1"))
        );
        let proxy = ip("10.0.0.2");
        let trusted = [proxy];
        let via = |list: &str| client_address(proxy, Some(list), &trusted);
        assert_eq!(via("198.51.100.9"), ip("198.51.100.9"));
        // A client cannot choose whom it is counted as by sending its own header.
        assert_eq!(via("1.2.3.4, 198.51.100.9"), ip("198.51.100.9"));
        assert_eq!(via("198.51.100.9, 10.0.0.2"), ip("198.51.100.9"));
        assert_eq!(via("not an address"), proxy);
        let stranger = ip("192.0.2.1");
        assert_eq!(
            client_address(stranger, Some("198.51.100.9"), &trusted),
            stranger,
            "only a trusted proxy's header is believed"
        );
    }

    #[tokio::test]
    async fn each_path_counts_against_its_own_class() {
        let (_dir, db) = db().await;
        let limits = AddressLimits {
            sign_in: Limiter::new(&db, "sign_in", 1),
            decisions: Limiter::new(&db, "decisions", 1),
            trusted_proxies: Arc::from([]),
        };
        let class = |p| limits.for_path(p).map(|(_, what)| what);
        assert_eq!(class("/api/identity/sign-in/begin"), Some("sign-in"));
        assert_eq!(class("/api/identity/sign-up/finish"), Some("sign-in"));
        assert_eq!(class("/api/identity/demo-sign-in"), Some("sign-in"));
        assert_eq!(class("/api/approvals/approve/begin"), Some("decision"));
        assert_eq!(class("/api/approvals/decline"), Some("decision"));
        assert_eq!(class("/api/identity/me"), None);
        assert_eq!(class("/api/approvals/mine"), None);
    }
}

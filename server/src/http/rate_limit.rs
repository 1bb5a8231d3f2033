//! Limits on how often one network address may try to sign in or sign up
//! (so passkey ceremonies cannot flood the server or probe nicknames) or
//! decide approval requests (so nobody can hammer a request's checks). The
//! approvals service adds its own limit per person. A refusal is `429` with
//! the time to wait, as `AppError`.

use axum::{
    extract::{ConnectInfo, Request},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use shared::AppError;
use std::{net::IpAddr, net::SocketAddr, num::NonZeroU32, sync::Arc};

/// Sign-in and sign-up calls allowed per address per minute (each sign-in is two).
pub const PER_MINUTE: u32 = 20;
/// Approval decisions (each approval is two calls) per address, and per person, per minute.
pub const DECISIONS_PER_MINUTE: u32 = 30;

/// So many calls per minute for each key (an address, a person).
#[derive(Debug, Clone)]
pub struct Limiter<K: std::hash::Hash + Eq + Clone>(Arc<DefaultKeyedRateLimiter<K>>);

impl<K: std::hash::Hash + Eq + Clone> Limiter<K> {
    pub fn new(per_minute: u32) -> Self {
        let quota =
            Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN));
        Limiter(Arc::new(RateLimiter::keyed(quota)))
    }

    /// `Err(RateLimited)` when `key` has used up its calls.
    pub fn check(&self, key: &K) -> Result<(), AppError> {
        self.0.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            AppError::RateLimited {
                retry_after_s: u32::try_from(wait.as_secs()).unwrap_or(u32::MAX).max(1),
            }
        })
    }
}

/// The per-address limits, each for its class of paths.
#[derive(Debug, Clone)]
pub struct AddressLimits {
    pub sign_in: Limiter<IpAddr>,
    pub decisions: Limiter<IpAddr>,
}

impl AddressLimits {
    fn for_path(&self, path: &str) -> Option<(&Limiter<IpAddr>, &'static str)> {
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
        let ip = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(ip) = ip {
            if let Err(refusal) = limiter.check(&ip) {
                tracing::warn!(%ip, path = %req.uri().path(), what, "rate-limited");
                return too_many(refusal);
            }
        }
    }
    next.run(req).await
}

/// `429` with `Retry-After` and the error as JSON.
pub fn too_many(refusal: AppError) -> Response {
    let retry = match &refusal {
        AppError::RateLimited { retry_after_s } => *retry_after_s,
        _ => 1,
    };
    let mut res = (StatusCode::TOO_MANY_REQUESTS, Json(refusal)).into_response();
    if let Ok(v) = HeaderValue::from_str(&retry.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_address_on_its_own() {
        let limiter = Limiter::new(3);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.check(&a).is_ok());
        }
        let Err(AppError::RateLimited { retry_after_s }) = limiter.check(&a) else {
            panic!("fourth call passed");
        };
        assert!((1..=60).contains(&retry_after_s), "{retry_after_s}");
        assert!(limiter.check(&b).is_ok());
    }

    #[test]
    fn each_path_counts_against_its_own_class() {
        let limits = AddressLimits {
            sign_in: Limiter::new(1),
            decisions: Limiter::new(1),
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

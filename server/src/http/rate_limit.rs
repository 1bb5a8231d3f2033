//! Limits on how often one network address may try to sign in or sign up,
//! so passkey ceremonies cannot be used to flood the server or to probe
//! nicknames. A refusal is `429` with the time to wait, as `AppError`.

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

#[derive(Debug, Clone)]
pub struct SignInLimiter(Arc<DefaultKeyedRateLimiter<IpAddr>>);

impl SignInLimiter {
    pub fn new(per_minute: u32) -> Self {
        let quota =
            Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN));
        SignInLimiter(Arc::new(RateLimiter::keyed(quota)))
    }

    /// `Err(seconds to wait)` when `ip` has used up its attempts.
    fn check(&self, ip: IpAddr) -> Result<(), u32> {
        self.0.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            u32::try_from(wait.as_secs()).unwrap_or(u32::MAX).max(1)
        })
    }
}

/// Whether a request path is a sign-in or sign-up step.
fn limited(path: &str) -> bool {
    path.starts_with("/api/identity/sign-in/")
        || path.starts_with("/api/identity/sign-up/")
        || path == "/api/identity/demo-sign-in"
}

pub async fn limit_sign_in(limiter: SignInLimiter, req: Request, next: Next) -> Response {
    if limited(req.uri().path()) {
        let ip = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        if let Some(ip) = ip {
            if let Err(retry_after_s) = limiter.check(ip) {
                tracing::warn!(%ip, path = %req.uri().path(), "sign-in attempts rate-limited");
                let mut res = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(AppError::RateLimited { retry_after_s }),
                )
                    .into_response();
                if let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return res;
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_address_on_its_own() {
        let limiter = SignInLimiter::new(3);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter.check(a).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limiter.check(b).is_ok());
    }

    #[test]
    fn only_sign_in_steps_count() {
        assert!(limited("/api/identity/sign-in/begin"));
        assert!(limited("/api/identity/sign-up/finish"));
        assert!(limited("/api/identity/demo-sign-in"));
        assert!(!limited("/api/identity/me"));
        assert!(!limited("/api/accounts/mine"));
    }
}

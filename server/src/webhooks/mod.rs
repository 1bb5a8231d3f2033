//! Webhooks to API clients in the Standard Webhooks format: each message is
//! written to an outbox in the transaction of its event ([`outbox`]), then
//! delivered from here as `POST` with `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
//! (signed by the `standardwebhooks` crate; during a secret's rotation with
//! both secrets). A failed attempt is retried with exponential backoff, or
//! when `Retry-After` says, for up to three days; a 410 turns the endpoint
//! off. Every attempt is logged for the receiver to read. Several
//! instances may deliver: each attempt first claims its message.

pub mod outbox;
mod staff;
pub mod store;

use rand::RngCore;
use shared::{ids::ApiClientId, AppError, Reason};
use std::{collections::HashMap, sync::Arc, time::Duration};
use tokio::sync::Notify;

use crate::{db::Db, error::Error, system::now_ms};

/// How long a message is retried before it is given up.
pub const GIVE_UP_AFTER_MS: i64 = 3 * 24 * 3600 * 1000;
/// The longest wait between attempts, and the most of `Retry-After` honoured.
const MAX_BACKOFF_MS: i64 = 6 * 3600 * 1000;
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts running at once, over all clients.
const IN_FLIGHT: usize = 32;
/// Attempts running at once to one client: a slow endpoint holds its own
/// few slots, never the other clients'.
const PER_CLIENT: usize = 4;
/// Longest endpoint URL accepted.
const MAX_URL_CHARS: usize = 500;
/// How long the secret before a rotation is still signed with.
pub const OLD_SECRET_GRACE_MS: i64 = 24 * 3600 * 1000;

/// How delivery is paced.
#[derive(Debug, Clone, Copy)]
pub struct Terms {
    /// Wait before the first retry; each later one doubles it.
    pub first_retry_ms: i64,
    /// How often the outbox is looked at when nothing wakes it.
    pub sweep_ms: u64,
}

impl Default for Terms {
    fn default() -> Self {
        Terms {
            first_retry_ms: 5_000,
            sweep_ms: 1_000,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Webhooks {
    db: Db,
    http: reqwest::Client,
    wake: Arc<Notify>,
    terms: Terms,
}

/// A new signing secret: `whsec_` and 256 random bits in base64.
fn new_secret() -> String {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// An endpoint URL: absolute http(s) with a host, no credentials in it.
pub fn checked_url(url: &str) -> Result<String, AppError> {
    let url = url.trim();
    if url.is_empty() || url.chars().count() > MAX_URL_CHARS {
        return Err(AppError::invalid("url", Reason::EmptyOrTooLong));
    }
    let parsed = url::Url::parse(url).map_err(|_| AppError::invalid("url", Reason::Malformed))?;
    let ok = matches!(parsed.scheme(), "http" | "https")
        && parsed.host_str().is_some_and(|h| !h.is_empty())
        && parsed.username().is_empty()
        && parsed.password().is_none();
    if !ok {
        return Err(AppError::invalid("url", Reason::Malformed));
    }
    Ok(parsed.to_string())
}

/// The wait after `attempts` failed attempts, unless the endpoint asked for another.
fn backoff(terms: &Terms, attempts: i64, retry_after_s: Option<i64>) -> i64 {
    let doubled = terms
        .first_retry_ms
        .saturating_mul(1_i64 << (attempts - 1).clamp(0, 30));
    retry_after_s
        .map(|s| s.saturating_mul(1000))
        .unwrap_or(doubled)
        .clamp(terms.first_retry_ms.min(1000), MAX_BACKOFF_MS)
}

/// The signature header: one `v1,…` per secret in use.
fn signature(
    msg_id: &str,
    at_s: i64,
    payload: &str,
    endpoint: &store::Endpoint,
    now: i64,
) -> Result<String, Error> {
    let mut secrets = vec![endpoint.secret.as_str()];
    if let (Some(old), Some(until)) = (&endpoint.old_secret, endpoint.old_secret_until_ms) {
        if until > now {
            secrets.push(old);
        }
    }
    let mut signed = Vec::new();
    for secret in secrets {
        let hook = standardwebhooks::Webhook::new(secret)
            .map_err(|e| crate::error::internal("webhook secret", e))?;
        signed.push(
            hook.sign(msg_id, at_s, payload.as_bytes())
                .map_err(|e| crate::error::internal("webhook signature", e))?,
        );
    }
    Ok(signed.join(" "))
}

/// The attempts under way, and whose each is.
#[derive(Default)]
struct Running {
    tasks: tokio::task::JoinSet<()>,
    clients: HashMap<tokio::task::Id, ApiClientId>,
}

impl Running {
    fn started(&mut self, task: tokio::task::Id, client: ApiClientId) {
        self.clients.insert(task, client);
    }

    fn to(&self, client: ApiClientId) -> usize {
        self.clients.values().filter(|c| **c == client).count()
    }

    fn ended(&mut self, ended: Result<(tokio::task::Id, ()), tokio::task::JoinError>) {
        let task = match ended {
            Ok((task, ())) => task,
            Err(e) => {
                tracing::error!(error = %e, "webhook attempt panicked; retried after its lease");
                e.id()
            }
        };
        self.clients.remove(&task);
    }
}

/// How one attempt ended.
enum Outcome {
    Delivered(u16),
    Gone,
    Failed {
        status: Option<u16>,
        error: Option<String>,
        retry_after_s: Option<i64>,
    },
}

impl Webhooks {
    pub fn new(db: Db, terms: Terms) -> Self {
        let http = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Anshin-Webhooks/1")
            .build()
            .unwrap_or_default();
        Webhooks {
            db,
            http,
            wake: Arc::new(Notify::new()),
            terms,
        }
    }

    /// Tells the deliverer that messages were committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Delivers what is due until the server stops: at once when woken,
    /// otherwise at the sweep period (which also catches up after a
    /// restart). A new attempt starts as soon as a slot is free, so a
    /// client whose endpoint answers slowly (or only at the 10 s limit)
    /// delays no one else's messages.
    pub fn start(&self) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut running = Running::default();
            loop {
                if let Err(e) = me.start_due(&mut running).await {
                    tracing::error!(error = %e, "webhook delivery failed; will retry");
                }
                let sweep = Duration::from_millis(me.terms.sweep_ms);
                tokio::select! {
                    Some(ended) = running.tasks.join_next_with_id(), if !running.tasks.is_empty() => {
                        running.ended(ended);
                    }
                    _ = tokio::time::timeout(sweep, me.wake.notified()) => {}
                }
            }
        })
    }

    /// Claims and starts due attempts while slots are free.
    async fn start_due(&self, running: &mut Running) -> Result<(), Error> {
        loop {
            let free = IN_FLIGHT - running.tasks.len();
            if free == 0 {
                return Ok(());
            }
            let now = now_ms();
            let lease = now + ATTEMPT_TIMEOUT.as_millis() as i64 + 5_000;
            let mut started = 0;
            for m in store::due(&self.db, now, IN_FLIGHT as i64, PER_CLIENT as i64).await? {
                if started == free || running.to(m.client) >= PER_CLIENT {
                    continue;
                }
                if !store::claim(&self.db, &m, lease).await? {
                    continue;
                }
                let me = self.clone();
                let client = m.client;
                let task = running.tasks.spawn(async move {
                    if let Err(e) = me.attempt(&m).await {
                        tracing::error!(error = %e, "webhook attempt not recorded; retried after its lease");
                    }
                });
                running.started(task.id(), client);
                started += 1;
            }
            if started == 0 {
                return Ok(());
            }
        }
    }

    async fn attempt(&self, m: &store::Due) -> Result<(), Error> {
        let started = now_ms();
        let at_s = started / 1000;
        let signature = signature(&m.msg_id, at_s, &m.payload, &m.endpoint, started)?;
        let sent = self
            .http
            .post(&m.endpoint.url)
            .header("content-type", "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, &m.msg_id)
            .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, at_s.to_string())
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
            .body(m.payload.clone())
            .send()
            .await;
        let outcome = match sent {
            Ok(res) if res.status().is_success() => Outcome::Delivered(res.status().as_u16()),
            Ok(res) if res.status() == reqwest::StatusCode::GONE => Outcome::Gone,
            Ok(res) => Outcome::Failed {
                status: Some(res.status().as_u16()),
                error: None,
                retry_after_s: res
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse().ok()),
            },
            Err(e) => Outcome::Failed {
                status: None,
                error: Some(if e.is_timeout() {
                    "timeout".into()
                } else if e.is_connect() {
                    "connect".into()
                } else {
                    "request".into()
                }),
                retry_after_s: None,
            },
        };
        let now = now_ms();
        let duration_ms = now - started;
        let attempts = m.attempts + 1;
        let attempted = match &outcome {
            Outcome::Delivered(status) => store::Attempted {
                status: Some(*status),
                error: None,
                duration_ms,
                state: "delivered",
                next_at_ms: now,
            },
            Outcome::Gone => store::Attempted {
                status: Some(410),
                error: Some("gone"),
                duration_ms,
                state: "pending",
                next_at_ms: now,
            },
            Outcome::Failed {
                status,
                error,
                retry_after_s,
            } => {
                let next = now + backoff(&self.terms, attempts, *retry_after_s);
                let give_up = next - m.created_at_ms > GIVE_UP_AFTER_MS;
                store::Attempted {
                    status: *status,
                    error: error.as_deref(),
                    duration_ms,
                    state: if give_up { "failed" } else { "pending" },
                    next_at_ms: next,
                }
            }
        };
        store::record(&self.db, m.id, attempted, now).await?;
        if matches!(outcome, Outcome::Gone) {
            store::disable(&self.db, m.client, "gone", now).await?;
        }
        Ok(())
    }

    /// Sets where `client`'s webhooks go; a first endpoint gets a secret,
    /// shown in the answer only then.
    pub async fn set_endpoint(
        &self,
        client: ApiClientId,
        url: &str,
    ) -> Result<(store::Endpoint, Option<String>), AppError> {
        let url = checked_url(url)?;
        let before = store::endpoint(&self.db, client).await?;
        let secret = new_secret();
        store::set_endpoint(&self.db, client, &url, &secret, now_ms()).await?;
        let after = store::endpoint(&self.db, client)
            .await?
            .ok_or(AppError::NotFound)?;
        self.wake();
        Ok((after, before.is_none().then_some(secret)))
    }

    pub async fn endpoint(&self, client: ApiClientId) -> Result<store::Endpoint, AppError> {
        store::endpoint(&self.db, client)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// A new secret; the old one is signed with too for a day.
    pub async fn rotate_secret(&self, client: ApiClientId) -> Result<(String, i64), AppError> {
        let now = now_ms();
        let secret = new_secret();
        let until = now + OLD_SECRET_GRACE_MS;
        if !store::rotate(&self.db, client, &secret, until, now).await? {
            return Err(AppError::NotFound);
        }
        Ok((secret, until))
    }

    pub async fn log(
        &self,
        client: ApiClientId,
        limit: i64,
    ) -> Result<Vec<shared::webhook::DeliveryView>, AppError> {
        Ok(store::log(&self.db, client, limit.clamp(1, 100)).await?)
    }

    pub async fn resend(&self, client: ApiClientId, msg_id: &str) -> Result<(), AppError> {
        let mut conn = self.db.conn().await?;
        if !store::resend(&mut conn, client, msg_id, now_ms()).await? {
            return Err(AppError::NotFound);
        }
        self.wake();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn an_endpoint_url_is_plain_http_with_a_host(
            s in "\\PC{0,60}|(https?|ftp|javascript|file):(//)?[a-zA-Z0-9.@:%_\\[\\]-]{0,30}(/\\PC{0,20})?"
        ) {
            if let Ok(url) = checked_url(&s) {
                let parsed = url::Url::parse(&url).expect("a checked URL parses");
                prop_assert!(matches!(parsed.scheme(), "http" | "https"));
                prop_assert!(parsed.host_str().is_some_and(|h| !h.is_empty()));
                prop_assert!(parsed.username().is_empty() && parsed.password().is_none());
                prop_assert_eq!(checked_url(&url).ok(), Some(url.clone()));
            }
        }
    }

    #[test]
    fn endpoint_urls_refuse_other_schemes_credentials_and_length() {
        for bad in [
            "",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://user:pw@shop.example/hooks",
            "http://",
            "shop.example/hooks",
        ] {
            assert!(checked_url(bad).is_err(), "{bad:?}");
        }
        assert!(checked_url(&format!("https://shop.example/{}", "a".repeat(500))).is_err());
        assert!(checked_url(" https://shop.example/hooks ").is_ok());
    }

    #[test]
    fn backoff_doubles_honours_retry_after_and_is_capped() {
        let t = Terms {
            first_retry_ms: 5_000,
            sweep_ms: 1_000,
        };
        assert_eq!(backoff(&t, 1, None), 5_000);
        assert_eq!(backoff(&t, 2, None), 10_000);
        assert_eq!(backoff(&t, 5, None), 80_000);
        assert_eq!(backoff(&t, 40, None), MAX_BACKOFF_MS);
        assert_eq!(backoff(&t, 1, Some(120)), 120_000);
        assert_eq!(backoff(&t, 1, Some(999_999)), MAX_BACKOFF_MS);
    }

    #[test]
    fn urls_must_be_absolute_http_without_credentials() {
        assert!(checked_url("https://shop.example/hooks").is_ok());
        assert!(checked_url("http://127.0.0.1:8080/h").is_ok());
        for bad in ["", "ftp://x/", "/hooks", "https://user:pw@x/", "not a url"] {
            assert!(checked_url(bad).is_err(), "{bad}");
        }
    }
}

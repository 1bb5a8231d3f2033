//! Signing people up over HTTP with a software passkey, and listening to
//! their live channel as a page would.

use crate::{helpers::TestApp, soft_passkey::SoftPasskey};
use shared::{
    events::{Notification, Transient},
    identity::Ceremony,
};
use std::time::Duration;

/// A signed-up customer: their session cookie and their passkey.
pub struct Person {
    pub cookie: String,
    pub passkey: SoftPasskey,
}

/// The origin the server expects in WebAuthn client data (`http://localhost:PORT`).
pub fn webauthn_origin(app: &TestApp) -> String {
    format!("http://localhost:{}", app.addr.port())
}

pub fn cookie_of(res: &reqwest::Response) -> String {
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_string()
}

pub async fn sign_up(app: &TestApp, nickname: &str) -> Person {
    sign_up_with(app, nickname, "").await
}

/// Signs up with more of the form (`&form[enrollment]=…`).
pub async fn sign_up_with(app: &TestApp, nickname: &str, more: &str) -> Person {
    sign_up_born(app, nickname, "1990-04-01", more).await
}

/// Signs up someone born on `birth` (`YYYY-MM-DD`).
pub async fn sign_up_born(app: &TestApp, nickname: &str, birth: &str, more: &str) -> Person {
    let form = format!(
        "form[display_name]={nickname}&form[nickname]={nickname}&form[birth_date]={birth}{more}"
    );
    let res = app.post("/api/identity/sign-up/begin", &form, None).await;
    assert_eq!(res.status(), 200, "sign-up begin");
    let ceremony: Ceremony = res.json().await.unwrap();
    let (passkey, credential) =
        SoftPasskey::register(&ceremony.options_json, &webauthn_origin(app));
    let body = format!(
        "ceremony={}&credential={}",
        ceremony.id,
        urlencode(&credential)
    );
    let res = app.post("/api/identity/sign-up/finish", &body, None).await;
    assert_eq!(res.status(), 200, "sign-up finish: {:?}", res.text().await);
    Person {
        cookie: cookie_of(&res),
        passkey,
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A live channel as a page holds it.
pub struct Live {
    res: reqwest::Response,
    buffer: String,
}

impl Live {
    /// Opens `/api/events` on `base` (`http://host:port`), resuming after `last_event_id` if given.
    pub async fn open(base: &str, cookie: &str, last_event_id: Option<i64>) -> Live {
        let mut req = reqwest::Client::new()
            .get(format!("{base}/api/events"))
            .header("cookie", cookie);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        Live {
            res,
            buffer: String::new(),
        }
    }

    /// The next event, or `None` if none comes within `wait` (transient messages are skipped).
    pub async fn next(&mut self, wait: Duration) -> Option<Notification> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let (kind, data) = self.next_block(deadline).await?;
            if kind.is_none() {
                return Some(serde_json::from_str(&data).unwrap());
            }
        }
    }

    /// The next transient message, or `None` if none comes within `wait` (events are skipped).
    pub async fn next_transient(&mut self, wait: Duration) -> Option<Transient> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let (kind, data) = self.next_block(deadline).await?;
            if kind.as_deref() == Some("transient") {
                return Some(serde_json::from_str(&data).unwrap());
            }
        }
    }

    /// The next SSE block with data: its event type (none for events) and its data.
    async fn next_block(
        &mut self,
        deadline: tokio::time::Instant,
    ) -> Option<(Option<String>, String)> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| -> String {
                    block
                        .lines()
                        .filter_map(|l| l.strip_prefix(name))
                        .map(str::trim_start)
                        .collect()
                };
                let data = field("data:");
                let kind = field("event:");
                if !data.is_empty() {
                    return Some(((!kind.is_empty()).then_some(kind), data));
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }
}

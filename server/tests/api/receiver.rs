//! A real HTTP receiver for webhooks, started by a test on a random port: it
//! keeps every request it gets (headers, raw body, when) and answers each
//! with the next status the test queued (200 once the queue is empty).
//! Signatures are checked by `webhook_verify.py` with the `standardwebhooks`
//! package from PyPI, an implementation that is not ours.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

#[derive(Debug, Clone)]
pub struct Got {
    pub headers: BTreeMap<String, String>,
    pub body: String,
    pub at: Instant,
    /// The status it was answered with.
    pub answered: u16,
}

impl Got {
    pub fn id(&self) -> &str {
        &self.headers["webhook-id"]
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Inner {
    got: Vec<Got>,
    answers: VecDeque<(u16, Option<u32>)>,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    _task: Arc<tokio::task::JoinHandle<()>>,
}

async fn take(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap, body: Bytes) -> Response {
    let mut inner = inner.lock().unwrap();
    let (status, retry_after) = inner.answers.pop_front().unwrap_or((200, None));
    inner.got.push(Got {
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
        answered: status,
    });
    let mut res = StatusCode::from_u16(status).unwrap().into_response();
    if let Some(s) = retry_after {
        res.headers_mut()
            .insert("retry-after", s.to_string().parse().unwrap());
    }
    res
}

impl Receiver {
    pub async fn start() -> Receiver {
        Self::start_on("127.0.0.1:0").await
    }

    /// On a given address (to come back on the same port after a stop).
    pub async fn start_on(addr: &str) -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/hooks", post(take))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            url,
            inner,
            _task: Arc::new(task),
        }
    }

    /// The next requests are answered with these (status, Retry-After seconds).
    pub fn answer_next(&self, answers: &[(u16, Option<u32>)]) {
        self.inner.lock().unwrap().answers.extend(answers);
    }

    /// Drops what was queued: from now on every request gets 200.
    pub fn answer_ok(&self) {
        self.inner.lock().unwrap().answers.clear();
    }

    pub fn got(&self) -> Vec<Got> {
        self.inner.lock().unwrap().got.clone()
    }

    /// Waits until at least `n` requests came (or `wait` passed); answers all of them.
    pub async fn wait_for(&self, n: usize, wait: Duration) -> Vec<Got> {
        let until = Instant::now() + wait;
        loop {
            let got = self.got();
            if got.len() >= n || Instant::now() > until {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Checks every delivery's signature with the PyPI `standardwebhooks`
/// package; answers the ids it verified. `ANSHIN_PYTHON` names the Python
/// that has it (`scripts/test` sets it up); without it the check is skipped
/// loudly, except in CI, where it fails.
pub fn verified_independently(secret: &str, got: &[Got]) -> Option<Vec<String>> {
    let Ok(python) = std::env::var("ANSHIN_PYTHON") else {
        assert!(
            std::env::var("CI").is_err(),
            "ANSHIN_PYTHON must name a Python with standardwebhooks in CI"
        );
        eprintln!("*** ANSHIN_PYTHON not set: webhook signatures NOT checked independently ***");
        return None;
    };
    let input = serde_json::json!({
        "secret": secret,
        "deliveries": got.iter().map(|g| serde_json::json!({
            "headers": g.headers,
            "body": g.body,
        })).collect::<Vec<_>>(),
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/webhook_verify.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "standardwebhooks refused a delivery: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

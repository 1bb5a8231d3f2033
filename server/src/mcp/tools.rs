//! The tools an AI assistant sees: ask a person by nickname to approve a
//! payment, check (and wait for) the answer, withdraw the request. Each
//! calls `/v1` with the agent's key; answers are JSON with the machine
//! API's own codes, so an assistant can tell "declined" from "expired".

use rmcp::{
    handler::server::{router::tool::ToolRouter, wrapper::Parameters},
    model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig},
    schemars,
    service::RequestContext,
    tool, tool_handler, tool_router, ErrorData as McpError, RoleServer, ServerHandler,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// Longest a `check_payment_request` call waits for the person.
const MAX_WAIT_S: u64 = 55;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct RequestPaymentArgs {
    /// The person's public Anshin nickname.
    pub nickname: String,
    /// The amount in yen (1 to 1,000,000).
    pub amount_yen: i64,
    /// What the payment is for, as the person will read it.
    pub description: String,
    /// The API client id of the merchant to be paid.
    pub payee: i64,
    /// A short code (1–20 characters) to show the person, so they can tell
    /// this request from any other; one is made up when left out.
    #[serde(default)]
    pub binding_message: Option<String>,
    /// The person's user code, if they gave you one.
    #[serde(default)]
    pub user_code: Option<String>,
    /// Seconds the person has to decide (10–600, default 120).
    #[serde(default)]
    pub expires_in_s: Option<i64>,
    /// Your own id for this request (1–128 visible ASCII characters). Asking
    /// again with the same id and arguments answers the first request
    /// instead of making a second: give one, and reuse it when an answer
    /// was lost.
    #[serde(default)]
    pub request_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CheckArgs {
    /// The `auth_req_id` that `request_payment` answered.
    pub auth_req_id: String,
    /// Seconds to wait for a decision before answering `pending` (0–55, default 0).
    #[serde(default)]
    pub wait_s: Option<u64>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CancelArgs {
    /// The `auth_req_id` of a request the person has not decided yet.
    pub auth_req_id: String,
}

#[derive(Clone)]
pub struct AnshinTools {
    base: String,
    /// The agent's key over stdio; over HTTP each request brings its own.
    key: Option<String>,
    http: reqwest::Client,
    tool_router: ToolRouter<Self>,
}

impl std::fmt::Debug for AnshinTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnshinTools")
            .field("base", &self.base)
            .finish()
    }
}

fn failed(text: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text.into())])
}

fn answer(value: Value) -> Result<CallToolResult, McpError> {
    Ok(CallToolResult::success(vec![ContentBlock::json(value)?]))
}

/// A short code both sides can compare: two letters and two digits.
fn binding_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    binding_of([rng.random(), rng.random(), rng.random()])
}

/// The code for a request the caller named, the same each time it asks
/// again (a fresh one would make the retry a different request).
fn binding_for(request_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(request_id.as_bytes());
    binding_of([d[0], d[1], d[2]])
}

fn binding_of([a, b, n]: [u8; 3]) -> String {
    let letter = |x: u8| char::from(b'A' + x % 26);
    format!("{}{}-{:02}", letter(a), letter(b), n % 100)
}

impl AnshinTools {
    pub fn new(base: String, key: Option<String>) -> Self {
        AnshinTools {
            base: base.trim_end_matches('/').to_string(),
            key,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap_or_default(),
            tool_router: Self::tool_router(),
        }
    }

    /// The key this call is made with: the HTTP request's, or stdio's own.
    fn key(&self, ctx: &RequestContext<RoleServer>) -> Option<String> {
        ctx.extensions
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.headers.get(axum::http::header::AUTHORIZATION))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|k| k.trim().to_string())
            .or_else(|| self.key.clone())
    }

    /// Calls `/v1`: the status and the JSON answer (`null` when empty).
    async fn call(
        &self,
        ctx: &RequestContext<RoleServer>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        request_id: Option<&str>,
    ) -> Result<(u16, Value), String> {
        let key = self.key(ctx).ok_or("no API key")?;
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(key);
        if method == reqwest::Method::POST {
            let key = request_id.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
            req = req.header("Idempotency-Key", key);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req
            .send()
            .await
            .map_err(|e| format!("Anshin did not answer: {e}"))?;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// One poll, as the tool reports it.
    async fn poll_once(
        &self,
        ctx: &RequestContext<RoleServer>,
        id: &str,
    ) -> Result<(bool, Value), String> {
        let path = format!("/v1/payment-requests/{}", urlencode(id));
        let (status, v) = self
            .call(ctx, reqwest::Method::GET, &path, None, None)
            .await?;
        let error = v.get("error").and_then(Value::as_str);
        Ok(match (status, error) {
            (200, _) => (true, v),
            (400, Some("authorization_pending" | "slow_down")) => {
                (false, json!({ "auth_req_id": id, "status": "pending" }))
            }
            (400, Some("access_denied")) => {
                (true, json!({ "auth_req_id": id, "status": "declined" }))
            }
            (400, Some("expired_token")) => {
                (true, json!({ "auth_req_id": id, "status": "expired" }))
            }
            _ => return Err(format!("Anshin refused ({status}): {v}")),
        })
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tool_router]
impl AnshinTools {
    #[tool(
        description = "Ask a person, by their Anshin nickname, to approve a payment to a merchant. They see your name, the amount, what it is for and the binding message on their phone, and approve with a passkey or decline. Answers the auth_req_id to check, the binding message to show them, and how long they have."
    )]
    async fn request_payment(
        &self,
        Parameters(args): Parameters<RequestPaymentArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let binding = match (args.binding_message, &args.request_id) {
            (Some(b), _) => b,
            (None, Some(id)) => binding_for(id),
            (None, None) => binding_code(),
        };
        let mut body = json!({
            "login_hint": args.nickname,
            "binding_message": binding,
            "authorization_details": [{
                "type": "payment",
                "amount": args.amount_yen,
                "currency": "JPY",
                "payee": args.payee,
                "description": args.description,
            }],
        });
        if let Some(code) = args.user_code {
            body["user_code"] = json!(code);
        }
        if let Some(s) = args.expires_in_s {
            body["requested_expiry"] = json!(s);
        }
        let path = "/v1/payment-requests";
        match self
            .call(
                &ctx,
                reqwest::Method::POST,
                path,
                Some(body),
                args.request_id.as_deref(),
            )
            .await
        {
            Ok((200, mut v)) => {
                v["binding_message"] = json!(binding);
                answer(v)
            }
            Ok((status, v)) => Ok(failed(format!("Anshin refused ({status}): {v}"))),
            Err(e) => Ok(failed(e)),
        }
    }

    #[tool(
        description = "Check a payment request: pending, declined, expired, approved (with the single-use payment_token for the payee to redeem), paid or revoked. With wait_s it waits up to that many seconds for the person to decide."
    )]
    async fn check_payment_request(
        &self,
        Parameters(args): Parameters<CheckArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let wait = Duration::from_secs(args.wait_s.unwrap_or(0).min(MAX_WAIT_S));
        let until = tokio::time::Instant::now() + wait;
        loop {
            match self.poll_once(&ctx, &args.auth_req_id).await {
                Ok((true, v)) => return answer(v),
                Ok((false, v)) if tokio::time::Instant::now() >= until => return answer(v),
                Ok((false, _)) => {}
                Err(e) => return Ok(failed(e)),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(crate::delegation::POLL_INTERVAL_S as u64)) => {}
                _ = ctx.ct.cancelled() => return Ok(failed("cancelled")),
            }
        }
    }

    #[tool(description = "Withdraw a payment request the person has not decided yet.")]
    async fn cancel_payment_request(
        &self,
        Parameters(args): Parameters<CancelArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let path = format!(
            "/v1/payment-requests/{}/cancel",
            urlencode(&args.auth_req_id)
        );
        match self
            .call(&ctx, reqwest::Method::POST, &path, None, None)
            .await
        {
            Ok((204, _)) => {
                answer(json!({ "auth_req_id": args.auth_req_id, "status": "cancelled" }))
            }
            Ok((status, v)) => Ok(failed(format!("Anshin refused ({status}): {v}"))),
            Err(e) => Ok(failed(e)),
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for AnshinTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("anshin", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Ask a person to approve a payment by their Anshin nickname, then check the request until they decide. Declining is their default: a request nobody approves expires.",
            )
    }
}

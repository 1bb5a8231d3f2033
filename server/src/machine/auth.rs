//! The caller of a machine API request, from its bearer key: the extractor
//! every handler names, so a handler says in its signature that it needs an
//! API client. Unknown, expired and revoked keys are all `unauthenticated`;
//! a client over its rate limit gets `rate_limited`. A POST was
//! authenticated already by the Idempotency-Key middleware, which leaves
//! the caller in the request's extensions.

use axum::{
    extract::FromRequestParts,
    http::{request::Parts, HeaderMap},
};
use shared::{ports::Caller, AppError};

use super::error::ApiError;
use crate::http::AppState;

pub struct ApiCaller(pub Caller);

/// A caller the middleware authenticated.
#[derive(Clone)]
pub struct Authenticated(pub Caller);

/// The API client presenting the `Authorization: Bearer` key in `headers`.
pub async fn caller_from(headers: &HeaderMap, state: &AppState) -> Result<Caller, AppError> {
    let key = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(AppError::Unauthenticated)?;
    state.api_clients.authenticate(key.trim()).await
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(Authenticated(caller)) = parts.extensions.get::<Authenticated>() {
            return Ok(ApiCaller(caller.clone()));
        }
        Ok(ApiCaller(caller_from(&parts.headers, state).await?))
    }
}

/// Appends one audit entry for a call: who, what, and how it ended.
pub async fn audit_call(
    state: &AppState,
    caller: &Caller,
    action: &str,
    status: u16,
) -> Result<(), ApiError> {
    let actor = match caller {
        Caller::Client { id, .. } => format!("client:{id}"),
        _ => "anonymous".into(),
    };
    let event = crate::audit::Event {
        actor,
        action: format!("api.{action}"),
        subject: String::new(),
        detail: serde_json::json!({ "status": status }).to_string(),
    };
    state.audit.record(event).await?;
    Ok(())
}

/// Audits a call with how `answer` ended, then hands the answer on.
pub async fn answered<T>(
    state: &AppState,
    caller: &Caller,
    action: &str,
    answer: Result<T, AppError>,
) -> Result<T, ApiError> {
    let status = answer.as_ref().map_or_else(AppError::http_status, |_| 200);
    audit_call(state, caller, action, status).await?;
    Ok(answer?)
}

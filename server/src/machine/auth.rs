//! The caller of a machine API request, from its bearer key: the extractor
//! every handler names, so a handler says in its signature that it needs an
//! API client. Unknown, expired and revoked keys are all `unauthenticated`;
//! a client over its rate limit gets `rate_limited`.

use axum::{extract::FromRequestParts, http::request::Parts};
use shared::{ports::Caller, AppError};

use super::error::ApiError;
use crate::http::AppState;

pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(AppError::Unauthenticated)?;
        Ok(ApiCaller(state.api_clients.authenticate(key.trim()).await?))
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

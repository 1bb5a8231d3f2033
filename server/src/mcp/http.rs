//! `/mcp`: the MCP tools over streamable HTTP, for agent API clients only.
//! The key is checked here before any MCP message is read (an unknown key,
//! or another kind of client, gets 401/403 as JSON); each tool call then
//! uses the key of its own request. No session is kept between calls.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
    Router,
};
use rmcp::transport::streamable_http_server::{
    session::local::LocalSessionManager, StreamableHttpServerConfig, StreamableHttpService,
};
use shared::{machine::ClientKind, ports::Caller, AppError};
use std::sync::Arc;

use super::AnshinTools;
use crate::{http::AppState, machine::caller_from};

async fn agents_only(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let refused = match caller_from(req.headers(), &state).await {
        Ok(Caller::Client {
            kind: ClientKind::Agent,
            ..
        }) => None,
        Ok(_) => Some(AppError::Forbidden),
        Err(e) => Some(e),
    };
    match refused {
        None => next.run(req).await,
        Some(e) => crate::machine::ApiError(e).into_response(),
    }
}

/// The `/mcp` routes; `base` is where this server's `/v1` answers.
pub fn service(state: &AppState, base: String) -> Router<AppState> {
    // Stateless: no MCP session lives in one process's memory, so any
    // instance answers any call, and a restart loses no agent's session.
    // The tools need none (each call brings its key). A body is bounded as
    // on `/v1`.
    let config = StreamableHttpServerConfig::default()
        .disable_allowed_hosts()
        .with_legacy_session_mode(false)
        .with_max_request_body_bytes(crate::machine::idempotency::MAX_BODY_BYTES);
    let mcp = StreamableHttpService::new(
        move || Ok(AnshinTools::new(base.clone(), None)),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .nest_service("/mcp", mcp)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            agents_only,
        ))
}

//! Hands `/api/*` requests to the Leptos server functions declared in `app::api`,
//! with the service ports they look up placed in their context.

use axum::{
    body::Body,
    extract::{Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use leptos::prelude::provide_context;
use shared::{
    ports::{
        AccountsPort, ApprovalsPort, AtmFleetPort, AuditPort, ConsultationPort, IdentityPort,
        InboxPort, KioskDevice, SystemPort,
    },
    AppError,
};
use std::sync::Arc;

use super::AppState;

/// Registers every server function by name. Naming them also keeps the app
/// crate linked in: without a reference the linker drops it, and every call
/// would answer "Could not find a server function".
pub fn register() {
    app::api::register();
}

pub async fn handle(State(state): State<AppState>, req: Request<Body>) -> Response {
    // A body announced as too big is refused before it is read, as the
    // client's mistake (the limit layer alone would answer with a 500).
    let limit = match req.uri().path().starts_with("/api/upload/") {
        true => super::UPLOAD_BODY_LIMIT,
        false => super::BODY_LIMIT,
    };
    let announced = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_big = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(AppError::invalid("body", shared::Reason::TooBig)),
        )
            .into_response()
    };
    if announced.is_some_and(|n| n > limit) {
        return too_big();
    }
    // A body sent without its length (chunked) is read here, up to the
    // limit, so one that runs over it is the client's 413 too, not a 500
    // from deep inside the server-function machinery.
    let req = match announced {
        Some(_) => req,
        None => {
            let (parts, body) = req.into_parts();
            match axum::body::to_bytes(body, limit).await {
                Ok(bytes) => Request::from_parts(parts, Body::from(bytes)),
                Err(_) => return too_big(),
            }
        }
    };
    let system: Arc<dyn SystemPort> = state.system.clone();
    let accounts: Arc<dyn AccountsPort> = state.accounts.clone();
    let identity: Arc<dyn IdentityPort> = state.identity.clone();
    let audit: Arc<dyn AuditPort> = state.audit.clone();
    let inbox: Arc<dyn InboxPort> = state.notifier.clone();
    let approvals: Arc<dyn ApprovalsPort> = state.approvals.clone();
    let atms: Arc<dyn AtmFleetPort> = state.atms.clone();
    let consultations: Arc<dyn ConsultationPort> = state.consultations.clone();
    let api_clients: Arc<dyn shared::machine::ApiClientsPort> = state.api_clients.clone();
    let webhook_log: Arc<dyn shared::webhook::WebhookLogPort> = Arc::new(state.webhooks.clone());
    let flows = state.flows.clone();
    let cookies = req
        .headers()
        .get(http::header::COOKIE)
        .and_then(|v| v.to_str().ok());
    let caller = state.identity.caller_for_cookie(cookies).await;
    let device = KioskDevice(
        cookies.and_then(|c| crate::identity::session::named_cookie(c, crate::atms::COOKIE_NAME)),
    );
    let response = leptos_axum::handle_server_fns_with_context(
        move || {
            provide_context(system.clone());
            provide_context(accounts.clone());
            provide_context(identity.clone());
            provide_context(audit.clone());
            provide_context(inbox.clone());
            provide_context(approvals.clone());
            provide_context(atms.clone());
            provide_context(consultations.clone());
            provide_context(api_clients.clone());
            provide_context(webhook_log.clone());
            for flow in flows.iter() {
                flow.provide_ports();
            }
            provide_context(device.clone());
            provide_context(caller.clone());
        },
        req,
    )
    .await
    .into_response();
    with_error_status(response).await
}

/// Server functions answer every error with 500; this gives an `AppError`
/// answer the status that fits it (401, 404, 422…), so clients, logs and
/// monitoring see what happened. Bodies are small JSON errors.
async fn with_error_status(response: Response) -> Response {
    if !response.status().is_server_error() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.http_status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, Body::from(bytes))
}

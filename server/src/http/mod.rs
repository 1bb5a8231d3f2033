//! The HTTP layer: routes and middleware, kept thin. Handlers unpack the
//! request and hand it to a service; no business rule lives here.

pub mod channels;
mod csp;
mod events;
pub mod serve;
pub(crate) use events::IntoJson;
mod health;
mod origin;
pub mod rate_limit;
mod server_fns;
mod static_files;
mod time_limit;

use axum::{
    extract::DefaultBodyLimit,
    middleware,
    routing::{get, post},
    Router,
};
use http::{header, HeaderValue};
use std::{path::Path, sync::Arc, time::Duration};
use tower_http::{
    compression::CompressionLayer, set_header::SetResponseHeaderLayer, trace::TraceLayer,
};

use crate::{accounts::AccountsService, identity::Identity, system::SystemService};

/// Everything a request handler may need; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Version, health and mode of this instance.
    pub system: Arc<SystemService>,
    /// The caller's accounts and statements.
    pub accounts: Arc<AccountsService>,
    /// Passkeys and sessions.
    pub identity: Arc<Identity>,
    /// The audit trail, for staff.
    pub audit: Arc<crate::audit::AuditService>,
    /// Requests to decide, raised by every flow.
    pub approvals: Arc<crate::approvals::Approvals>,
    /// ATMs, their cash, and the kiosks enrolled as them.
    pub atms: Arc<crate::atms::AtmFleet>,
    /// Remote consultations: the queue, the call and the chat.
    pub consultations: Arc<crate::consultations::Consultations>,
    /// The money flows (cardless withdrawals, withdrawals arranged in
    /// consultations…), each placing its own ports in the context.
    pub flows: Arc<[Arc<dyn crate::flow::Flow>]>,
    /// Each person's inbox and live events.
    pub notifier: Arc<crate::notify::Notifier>,
    /// Sign-in steps and approval decisions per network address.
    pub address_limits: rate_limit::AddressLimits,
    /// The live channels open on this instance, bounded.
    pub live_channels: channels::Channels,
    /// Demo mode: until sign-in exists, callers act as the demo customer.
    pub demo: bool,
    /// Origins besides the request's own that may send state-changing requests.
    pub allowed_origins: Arc<Vec<String>>,
    /// The machine API's clients and their keys.
    pub api_clients: Arc<crate::machine::clients::ApiClients>,
    /// Guardians and minors (F4).
    pub guardians: Arc<crate::guardians::Guardians>,
    /// Identity checks and guardian–ward relationships (F4).
    pub kyc: Arc<crate::kyc::Kyc>,
    /// Payments asked for by shop terminals and agents (F5).
    pub delegation: Arc<crate::delegation::Delegation>,
    /// Minors' purchases that merchants report (F4).
    pub purchases: Arc<crate::purchases::Purchases>,
    /// Webhooks to API clients.
    pub webhooks: crate::webhooks::Webhooks,
    /// The database, for the machine API's Idempotency-Key answers.
    pub db: crate::db::Db,
}

/// Largest body a server function takes; uploads of documents take more.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;
pub const UPLOAD_BODY_LIMIT: usize = crate::kyc::document::MAX_DATA_URL_CHARS + 64 * 1024;

/// Longest a request may take before the client gets a 503 (`time_limit`).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// `extra` is served beside the app (the demo shop in demo mode).
/// `mcp` is the agents' MCP door; `extra` routes of the demo only.
pub fn router(
    state: AppState,
    dist: &Path,
    mcp: Router<AppState>,
    extra: Option<Router>,
) -> Router {
    server_fns::register();
    // The pages are read once here; start-up already checked that they exist.
    let pages: Vec<String> = shared::bundle::Bundle::ALL
        .iter()
        .map(|b| std::fs::read_to_string(dist.join(b.page())).unwrap_or_default())
        .collect();
    let csp = HeaderValue::from_str(&csp::policy(&pages))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    // Server functions under `upload/` carry a document image as a data URL.
    let uploads = Router::new()
        .route("/api/upload/{*fn_name}", post(server_fns::handle))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT));
    let api = Router::new()
        .route(
            "/api/{*fn_name}",
            get(server_fns::handle).post(server_fns::handle),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(uploads)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            origin::require_same_origin,
        ))
        .route_layer(middleware::from_fn({
            let limits = state.address_limits.clone();
            move |req, next| rate_limit::limit_by_address(limits.clone(), req, next)
        }));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/api/events", get(events::stream))
        .route("/documents/{id}", get(crate::kyc::doors::document))
        .merge(api)
        .merge(crate::machine::router(&state))
        .merge(mcp)
        .fallback_service(static_files::service(dist))
        .with_state(state)
        .merge(extra.unwrap_or_default())
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(|req, next| {
            time_limit::within(REQUEST_TIMEOUT, req, next)
        }))
        .layer(TraceLayer::new_for_http())
}

//! Hands `/api/*` requests to the Leptos server functions declared in `app::api`,
//! with the service ports they look up placed in their context.

use axum::{
    body::Body,
    extract::{Request, State},
    response::IntoResponse,
};
use leptos::prelude::provide_context;
use shared::ports::SystemPort;
use std::sync::Arc;

use super::AppState;

/// Registers every server function by name. Naming them also keeps the app
/// crate linked in: without a reference the linker drops it, and every call
/// would answer "Could not find a server function".
pub fn register() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<app::api::FetchServiceStatus>();
}

pub async fn handle(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    let system: Arc<dyn SystemPort> = state.system.clone();
    leptos_axum::handle_server_fns_with_context(
        move || {
            provide_context(system.clone());
        },
        req,
    )
    .await
}

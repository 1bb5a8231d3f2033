//! The machine API at `/v1`, beside the views' server functions: JSON over
//! HTTP for API clients that staff register (merchants, shop terminals,
//! agents, remittance systems), each presenting its key as a bearer token.
//! Its OpenAPI 3.1 document is generated from the handlers (`utoipa`) and
//! served at `/v1/openapi.json`, with a reference page at `/v1/docs` that
//! needs nothing from the internet. Errors are the `AppError` JSON every
//! door speaks (a stable `code`, and a `reason` code where there is one);
//! every call is audited under the client's name; each client has its own
//! rate limit.

mod auth;
pub mod clients;
mod contract;
mod docs;
mod error;
pub mod idempotency;
mod payments;
mod purchases;
mod relationships;
pub mod settlement;
mod webhooks;

use axum::{routing::get, Json, Router};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use auth::caller_from;
pub use error::ApiError;

use crate::http::AppState;

/// Calls an API client may make per minute unless set otherwise.
pub const API_PER_MINUTE: u32 = 600;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Anshin machine API",
        description = "For API clients registered by the bank's staff. Send the key you were given as `Authorization: Bearer ak_…`. Errors are JSON with a stable `code` (`unauthenticated`, `forbidden`, `invalid` with `field` and `reason`, `rate_limited` with `retry_after_s`, …).",
    ),
    modifiers(&BearerKey),
    tags(
        (name = "relationships", description = "Guardians and the minors in their care"),
        (name = "purchases", description = "A minor's purchases, which their guardian may cancel within a window"),
        (name = "payment_requests", description = "Payments a shop terminal or an agent asks a user for by nickname (OpenID CIBA in shape), and their tokens redeemed by the payee"),
        (name = "webhooks", description = "Events sent to you in the Standard Webhooks format"),
    )
)]
struct ApiDoc;

/// The security scheme every endpoint names.
struct BearerKey;

impl Modify for BearerKey {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key issued by the bank's staff (`ak_…`)."))
                    .build(),
            ),
        );
    }
}

/// The document and the routes it describes, built together.
fn parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(relationships::guardianship))
        .routes(routes!(purchases::report))
        .routes(routes!(purchases::get))
        .routes(routes!(purchases::refund))
        .routes(routes!(payments::request))
        .routes(routes!(payments::poll))
        .routes(routes!(payments::cancel))
        .routes(routes!(payments::redeem))
        .routes(routes!(webhooks::set_endpoint, webhooks::get_endpoint))
        .routes(routes!(webhooks::rotate))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::resend))
        .split_for_parts();
    contract::complete(&mut api);
    (routes, api)
}

/// The OpenAPI document, as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    parts().1
}

pub fn router(state: &AppState) -> Router<AppState> {
    let (routes, api) = parts();
    let page = docs::page(&api);
    let json = serde_json::to_value(&api).unwrap_or_default();
    let posts = idempotency::Posts::of(&api);
    routes
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), posts),
            idempotency::idempotent,
        ))
        .route("/v1/openapi.json", get(move || async move { Json(json) }))
        .route("/v1/docs", get(move || async move { page }))
        .route("/v1/docs.css", get(docs::css))
        // Not the app's pages: an unknown path here is a JSON 404.
        .route("/v1/{*rest}", axum::routing::any(error::not_found))
}

//! `/v1/webhooks`: where a client's webhooks go, its signing secret (shown
//! when made and when rotated), the delivery log with every attempt, and a
//! manual resend under the message's own id.

use axum::{
    extract::{
        rejection::{JsonRejection, QueryRejection},
        Query, State,
    },
    Json,
};
use serde::{Deserialize, Serialize};
use shared::{
    ids::ApiClientId, machine::Scope, ports::Caller, webhook::DeliveryView, AppError, Reason,
};
use utoipa::{IntoParams, ToSchema};

use super::{
    auth::{answered, ApiCaller},
    error::{ApiError, ErrorBody, IdPath},
};
use crate::{http::AppState, identity::clock::rfc3339_utc, webhooks::store};

fn client_of(caller: &Caller) -> Result<ApiClientId, AppError> {
    caller.require_scope(Scope::WebhooksManage)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointRequest {
    /// Where to POST webhooks: an absolute http(s) URL.
    #[schema(
        example = "https://shop.example/anshin/webhooks",
        min_length = 1,
        max_length = 500
    )]
    url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Endpoint {
    url: String,
    /// Off after the endpoint answered 410 Gone; setting the URL turns it on again.
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled_reason: Option<String>,
    /// The signing secret (`whsec_…`): only in the answer that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

fn endpoint(e: store::Endpoint, secret: Option<String>) -> Endpoint {
    Endpoint {
        url: e.url,
        enabled: e.enabled,
        disabled_reason: e.disabled_reason,
        secret,
    }
}

/// Set where your webhooks go.
///
/// The first time, the answer carries the signing secret; keep it, it is
/// not shown again (rotate to get a new one). Setting the URL again turns a
/// disabled endpoint back on; what waited is then sent.
#[utoipa::path(
    post,
    path = "/v1/webhooks/endpoint",
    tag = "webhooks",
    operation_id = "set_webhook_endpoint",
    request_body = EndpointRequest,
    security(("api_key" = ["webhooks:manage"])),
    responses(
        (status = 200, description = "The endpoint", body = Endpoint),
        (status = 403, description = "The client lacks `webhooks:manage`", body = ErrorBody),
        (status = 422, description = "Not an absolute http(s) URL", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn set_endpoint(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    json: Result<Json<EndpointRequest>, JsonRejection>,
) -> Result<Json<Endpoint>, ApiError> {
    let answer = async {
        let client = client_of(&caller)?;
        let Json(r) = json.map_err(|_| AppError::invalid("body", Reason::Malformed))?;
        let (e, secret) = state.webhooks.set_endpoint(client, &r.url).await?;
        Ok(endpoint(e, secret))
    }
    .await;
    Ok(Json(
        answered(&state, &caller, "webhooks.endpoint.set", answer).await?,
    ))
}

/// Your webhook endpoint.
#[utoipa::path(
    get,
    path = "/v1/webhooks/endpoint",
    tag = "webhooks",
    operation_id = "get_webhook_endpoint",
    security(("api_key" = ["webhooks:manage"])),
    responses(
        (status = 200, description = "The endpoint (without its secret)", body = Endpoint),
        (status = 403, description = "The client lacks `webhooks:manage`", body = ErrorBody),
        (status = 404, description = "No endpoint set", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn get_endpoint(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Endpoint>, ApiError> {
    let answer = async {
        let client = client_of(&caller)?;
        Ok(endpoint(state.webhooks.endpoint(client).await?, None))
    }
    .await;
    Ok(Json(
        answered(&state, &caller, "webhooks.endpoint.get", answer).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rotated {
    /// The new signing secret (`whsec_…`), shown only here.
    secret: String,
    /// Until then every message is signed with both secrets (two `v1,` signatures).
    #[schema(format = DateTime)]
    old_secret_valid_until: String,
}

/// Rotate the signing secret.
#[utoipa::path(
    post,
    path = "/v1/webhooks/endpoint/rotate-secret",
    tag = "webhooks",
    operation_id = "rotate_webhook_secret",
    security(("api_key" = ["webhooks:manage"])),
    responses(
        (status = 200, description = "The new secret", body = Rotated),
        (status = 403, description = "The client lacks `webhooks:manage`", body = ErrorBody),
        (status = 404, description = "No endpoint set", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn rotate(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Rotated>, ApiError> {
    let answer = async {
        let client = client_of(&caller)?;
        let (secret, until) = state.webhooks.rotate_secret(client).await?;
        Ok(Rotated {
            secret,
            old_secret_valid_until: rfc3339_utc(until),
        })
    }
    .await;
    Ok(Json(
        answered(&state, &caller, "webhooks.secret.rotate", answer).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// How many messages, newest first (1–100, default 50).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Attempt {
    #[schema(format = DateTime)]
    at: String,
    /// The HTTP status your endpoint answered; absent when it did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<i64>,
    /// `connect`, `timeout`, `request` or `gone` when there was no success.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    duration_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    /// The `webhook-id` of every attempt.
    #[schema(example = "msg_3f1c9a…")]
    id: String,
    #[schema(example = "purchase.cancelled")]
    event_type: String,
    /// `pending`, `delivered` or `failed` (given up after three days).
    state: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    delivered_at: Option<String>,
    /// While pending: the next attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    next_attempt_at: Option<String>,
    attempts: Vec<Attempt>,
}

/// The delivery log: your messages and every attempt.
#[utoipa::path(
    get,
    path = "/v1/webhooks/deliveries",
    tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    params(LogQuery),
    security(("api_key" = ["webhooks:manage"])),
    responses(
        (status = 200, description = "Newest first", body = Vec<Delivery>),
        (status = 403, description = "The client lacks `webhooks:manage`", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn deliveries(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    let answer = async {
        let client = client_of(&caller)?;
        let limit = match query {
            Ok(Query(LogQuery { limit: None })) => 50,
            Ok(Query(LogQuery { limit: Some(n) })) if (1..=100).contains(&n) => n,
            Ok(_) => return Err(AppError::invalid("limit", Reason::OutOfRange)),
            Err(_) => return Err(AppError::invalid("limit", Reason::Malformed)),
        };
        let log = state.webhooks.log(client, limit).await?;
        Ok(log.into_iter().map(delivery).collect())
    }
    .await;
    Ok(Json(
        answered(&state, &caller, "webhooks.deliveries", answer).await?,
    ))
}

fn delivery(m: DeliveryView) -> Delivery {
    Delivery {
        id: m.msg_id,
        event_type: m.event_type,
        state: m.state.as_str().to_string(),
        created_at: rfc3339_utc(m.created_at_ms),
        delivered_at: m.delivered_at_ms.map(rfc3339_utc),
        next_attempt_at: m.next_at_ms.map(rfc3339_utc),
        attempts: m
            .attempts
            .into_iter()
            .map(|a| Attempt {
                at: rfc3339_utc(a.at_ms),
                status: a.status,
                error: a.error,
                duration_ms: a.duration_ms,
            })
            .collect(),
    }
}

/// Send a message again now, under its own `webhook-id`.
#[utoipa::path(
    post,
    path = "/v1/webhooks/deliveries/{id}/resend",
    tag = "webhooks",
    operation_id = "resend_webhook",
    params(
        ("id" = String, Path, description = "The message's id (`msg_…`)"),
    ),
    security(("api_key" = ["webhooks:manage"])),
    responses(
        (status = 202, description = "Queued"),
        (status = 403, description = "The client lacks `webhooks:manage`", body = ErrorBody),
        (status = 404, description = "No message of yours has this id", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn resend(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    IdPath(id): IdPath<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    let answer = async {
        let client = client_of(&caller)?;
        state.webhooks.resend(client, &id).await
    }
    .await;
    answered(&state, &caller, "webhooks.resend", answer).await?;
    Ok(axum::http::StatusCode::ACCEPTED)
}

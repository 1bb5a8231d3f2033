//! How the machine API answers a refusal: the `AppError` JSON with its HTTP
//! status (`Retry-After` on a 429). An internal error carries only the
//! reference its cause was logged under.

use axum::{
    extract::{
        rejection::{JsonRejection, PathRejection},
        FromRequestParts,
    },
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use shared::{AppError, Reason};

/// When to try again after a 503: the database's own lock waits end by then.
const UNAVAILABLE_RETRY_S: u32 = 5;

#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<crate::error::Error> for ApiError {
    fn from(e: crate::error::Error) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = match &self.0 {
            AppError::RateLimited { retry_after_s } => Some(*retry_after_s),
            AppError::Unavailable => Some(UNAVAILABLE_RETRY_S),
            _ => None,
        };
        let mut res = (status, Json(self.0)).into_response();
        if let Some(v) = retry.and_then(|r| HeaderValue::from_str(&r.to_string()).ok()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// The error body as the OpenAPI document describes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// `invalid`, `not_found`, `unauthenticated`, `forbidden`, `conflict`,
    /// `rate_limited`, `unavailable` or `internal`.
    code: String,
    /// With `invalid`: the field refused.
    field: Option<String>,
    /// With `invalid` and `conflict`: why, as a stable code.
    reason: Option<String>,
    /// With `rate_limited`: seconds to wait (also the `Retry-After` header).
    retry_after_s: Option<u32>,
    /// With `internal`: the reference the cause was logged under.
    reference: Option<String>,
}

/// A JSON body as the handler's type, or `invalid body malformed` for
/// anything that is not (bad JSON, a missing or unknown field, a wrong type).
pub fn body<T>(json: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    json.map(|Json(b)| b)
        .map_err(|_| AppError::invalid("body", Reason::Malformed))
}

/// A path's id as the handler's type. One that cannot be is no id of the
/// caller's: the JSON 404 any unknown id gets, not axum's plain-text 400.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct IdPath<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError(AppError::NotFound)
    }
}

pub async fn not_found() -> ApiError {
    ApiError(AppError::NotFound)
}

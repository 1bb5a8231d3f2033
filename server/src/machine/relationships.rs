//! `GET /v1/relationships/guardianship`: is the holder of one account the
//! verified guardian of the holder of another? For a remittance system,
//! before a guardian pays a minor. Yes with the date, or no, nothing more.

use axum::{
    extract::{rejection::QueryRejection, Query, State},
    Json,
};
use serde::{Deserialize, Serialize};
use shared::{AppError, Reason};
use utoipa::{IntoParams, ToSchema};

use super::{
    auth::{answered, ApiCaller},
    error::{ApiError, ErrorBody},
};
use crate::{http::AppState, identity::clock::rfc3339_utc};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GuardianshipQuery {
    /// The guardian's account number (7 digits).
    #[param(example = "0000012", pattern = "^[0-9]{7}$")]
    guardian: String,
    /// The minor's account number (7 digits).
    #[param(example = "0000011", pattern = "^[0-9]{7}$")]
    minor: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Guardianship {
    /// Whether the guardian's link to the minor is verified.
    verified: bool,
    /// Since when, in RFC 3339 (UTC); absent when not verified.
    #[schema(format = DateTime, example = "2026-11-22T09:00:00Z")]
    #[serde(skip_serializing_if = "Option::is_none")]
    verified_since: Option<String>,
}

/// Is the holder of `guardian` the verified guardian of the holder of `minor`?
///
/// An unknown account, no link and a link not yet verified all answer
/// `verified: false`, so the answer says nothing else about anyone.
#[utoipa::path(
    get,
    path = "/v1/relationships/guardianship",
    tag = "relationships",
    operation_id = "guardianship",
    params(GuardianshipQuery),
    security(("api_key" = ["relationships:read"])),
    responses(
        (status = 200, description = "The answer", body = Guardianship),
        (status = 403, description = "The client lacks `relationships:read`", body = ErrorBody),
        (status = 422, description = "An account number that is not 7 digits", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn guardianship(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    query: Result<Query<GuardianshipQuery>, QueryRejection>,
) -> Result<Json<Guardianship>, ApiError> {
    let answer = async {
        let Query(q) = query.map_err(|_| AppError::invalid("query", Reason::Required))?;
        let since = state
            .guardians
            .verified_since(&caller, &q.guardian, &q.minor)
            .await?;
        Ok::<_, AppError>(Guardianship {
            verified: since.is_some(),
            verified_since: since.map(rfc3339_utc),
        })
    }
    .await;
    Ok(Json(
        answered(&state, &caller, "relationships.guardianship", answer).await?,
    ))
}

//! `/v1/purchases`: a merchant reports a minor's purchase (charged to the
//! minor's Anshin account, or paid elsewhere), reads it back, and confirms
//! a refund the guardian asked for. What happens in between reaches the
//! merchant as webhooks.

use axum::{
    extract::{rejection::JsonRejection, State},
    http::StatusCode,
    Json,
};
use serde::Deserialize;
use shared::{ids::PurchaseId, AppError, Reason};
use utoipa::ToSchema;

use super::{
    auth::{answered, ApiCaller},
    error::{body, ApiError, ErrorBody, IdPath},
};
use crate::{
    http::AppState,
    purchases::{
        wire::{wire, ApiPurchase},
        NewPurchase,
    },
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseRequest {
    /// The minor's account number (7 digits).
    #[schema(example = "0000011", pattern = "^[0-9]{7}$")]
    minor: String,
    /// In minor units of `currency` (yen), 1 to 1,000,000.
    #[schema(example = 1200, minimum = 1, maximum = 1_000_000)]
    amount: i64,
    /// `JPY`.
    #[schema(example = "JPY", pattern = "^JPY$")]
    currency: String,
    /// `food`, `books`, `stationery`, `clothing`, `toys`, `games`,
    /// `in_game_items`, `electronics`, `transport`, `entertainment`,
    /// `alcohol`, `tobacco`, `gambling` or `other`.
    #[schema(
        example = "books",
        pattern = "^(food|books|stationery|clothing|toys|games|in_game_items|electronics|transport|entertainment|alcohol|tobacco|gambling|other)$"
    )]
    category: String,
    /// What was bought, as the minor and guardian will read it (1–200 characters).
    #[schema(example = "Manga, volume 3", min_length = 1, max_length = 200)]
    description: String,
    /// Your reference, such as the order number (1–64 characters).
    #[schema(example = "order-2026-0001", min_length = 1, max_length = 64)]
    reference: String,
    /// `anshin`: charge the minor's account (they confirm on their phone);
    /// `elsewhere`: paid by other means, reported for the guardian.
    #[schema(example = "anshin", pattern = "^(anshin|elsewhere)$")]
    payment: String,
}

/// Report a minor's purchase.
///
/// Checked at once against the guardian's conditions: a purchase that
/// breaks one is answered `cancelled` with the `condition`. One above the
/// guardian's "ask me first" amount waits in `awaiting_guardian`. Charged to
/// Anshin, it waits in `awaiting_minor` for the minor's passkey; then the
/// money is reserved while the guardian may cancel (`in_window`) and paid
/// to you when the window ends (`completed`). Paid elsewhere, it is
/// `in_window` at once. Send an `Idempotency-Key`: a retry gets the first
/// answer.
#[utoipa::path(
    post,
    path = "/v1/purchases",
    tag = "purchases",
    operation_id = "report_purchase",
    request_body = PurchaseRequest,
    security(("api_key" = ["purchases:write"])),
    responses(
        (status = 201, description = "Reported (also when cancelled by a condition)", body = ApiPurchase),
        (status = 200, description = "A replay: the first answer", body = ApiPurchase),
        (status = 403, description = "The client lacks `purchases:write`", body = ErrorBody),
        (status = 409, description = "The key was used with another request, or is still being answered", body = ErrorBody),
        (status = 422, description = "A field refused (`field`, `reason`): unknown minor, no verified guardian, over the balance…", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn report(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: axum::http::HeaderMap,
    json: Result<Json<PurchaseRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<ApiPurchase>), ApiError> {
    let answer = async {
        let r = body(json)?;
        let new = NewPurchase::parse(
            &r.minor,
            r.amount,
            &r.currency,
            &r.category,
            &r.description,
            &r.reference,
            &r.payment,
        )?;
        let key = headers
            .get(super::idempotency::HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or(AppError::invalid("Idempotency-Key", Reason::Required))?;
        state.purchases.report(&caller, key, new).await
    }
    .await;
    let reported = answered(&state, &caller, "purchases.report", answer).await?;
    let status = if reported.fresh {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(wire(&reported.stored))))
}

/// One of your purchases, as it stands now.
#[utoipa::path(
    get,
    path = "/v1/purchases/{id}",
    tag = "purchases",
    operation_id = "get_purchase",
    params(("id" = i64, Path, description = "The purchase's id")),
    security(("api_key" = ["purchases:write"])),
    responses(
        (status = 200, description = "The purchase", body = ApiPurchase),
        (status = 403, description = "The client lacks `purchases:write`", body = ErrorBody),
        (status = 404, description = "No purchase of yours has this id", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    IdPath(id): IdPath<i64>,
) -> Result<Json<ApiPurchase>, ApiError> {
    let answer = state.purchases.for_merchant(&caller, PurchaseId(id)).await;
    let found = answered(&state, &caller, "purchases.get", answer).await?;
    Ok(Json(wire(&found)))
}

/// Confirm that you refunded a purchase paid elsewhere.
///
/// Only after the guardian cancelled it (`refund_requested`, also sent as
/// the `purchase.refund_requested` webhook). Send an `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/v1/purchases/{id}/refund",
    tag = "purchases",
    operation_id = "confirm_refund",
    params(
        ("id" = i64, Path, description = "The purchase's id"),
    ),
    security(("api_key" = ["purchases:write"])),
    responses(
        (status = 200, description = "Refunded", body = ApiPurchase),
        (status = 403, description = "The client lacks `purchases:write`", body = ErrorBody),
        (status = 404, description = "No purchase of yours has this id", body = ErrorBody),
        (status = 409, description = "No refund was asked for (`refund_not_requested`)", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn refund(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    IdPath(id): IdPath<i64>,
) -> Result<Json<ApiPurchase>, ApiError> {
    let answer = state.purchases.refunded(&caller, PurchaseId(id)).await;
    let done = answered(&state, &caller, "purchases.refund", answer).await?;
    Ok(Json(wire(&done)))
}

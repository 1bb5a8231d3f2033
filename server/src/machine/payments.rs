//! `/v1/payment-requests` and `/v1/payments` (flow F5), shaped like OpenID
//! CIBA: a shop terminal or an agent names a user by nickname
//! (`login_hint`), says what it asks for (`authorization_details`: a
//! payment), shows a `binding_message`, and gets an `auth_req_id`. It polls
//! that (answers `authorization_pending`, `slow_down`, `access_denied`,
//! `expired_token`, or the payment token), or waits for a ping (the
//! `payment_request.updated` webhook). The payee redeems the token at
//! `/v1/payments`.

use axum::{
    extract::{rejection::JsonRejection, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use shared::{delegation::RequestState, money::Money, ports::Caller, AppError, Reason};
use utoipa::ToSchema;

use super::{
    auth::{answered, audit_call, ApiCaller},
    error::{body, ApiError, ErrorBody, IdPath},
};
use crate::{
    delegation::{store::Request, Ciba, NewRequest, Refused},
    http::AppState,
    identity::clock::rfc3339_utc,
};

/// Where the requester is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceIn {
    /// The place's name as the user will read it (1–80 characters).
    #[schema(
        example = "Anshin Mart, Shibuya 2-chome",
        min_length = 1,
        max_length = 80
    )]
    name: String,
    #[schema(example = 35.659, minimum = -90, maximum = 90)]
    lat: f64,
    #[schema(example = 139.7005, minimum = -180, maximum = 180)]
    lon: f64,
}

/// What is asked for (RFC 9396 style): one payment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationDetail {
    /// `payment`.
    #[serde(rename = "type")]
    #[schema(example = "payment", pattern = "^payment$")]
    kind: String,
    /// In minor units of `currency` (yen), 1 to 1,000,000.
    #[schema(example = 1200, minimum = 1, maximum = 1_000_000)]
    amount: i64,
    /// `JPY`.
    #[schema(example = "JPY", pattern = "^JPY$")]
    currency: String,
    /// The API client id of the merchant to be paid. A shop terminal may
    /// leave it out to be paid itself; an agent must name one.
    #[schema(example = 3, minimum = 1)]
    payee: Option<i64>,
    /// What is paid for, as the user will read it (1–200 characters).
    #[schema(example = "Lunch set", min_length = 1, max_length = 200)]
    description: String,
}

/// A backchannel authentication request (OpenID CIBA), for a payment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequestIn {
    /// The user's public nickname.
    #[schema(example = "hanako", min_length = 1, max_length = 80)]
    login_hint: String,
    /// The user's secret code, when they set one (4–8 digits).
    #[schema(pattern = "^[0-9]{4,8}$")]
    user_code: Option<String>,
    /// A short code shown on your screen and on the user's phone (1–20
    /// characters), so they can tell your request from any other.
    #[schema(example = "K7-42", min_length = 1, max_length = 20)]
    binding_message: String,
    /// Exactly one item, of `type` `payment`.
    #[schema(min_items = 1, max_items = 1)]
    authorization_details: Vec<AuthorizationDetail>,
    /// Seconds the user has to decide: 10 to 600, 120 when left out.
    #[schema(example = 120, minimum = 10, maximum = 600)]
    requested_expiry: Option<i64>,
    /// Where you are, shown to the user with its distance from them.
    place: Option<PlaceIn>,
}

/// The request was accepted: poll it, or wait for the ping.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentRequestAccepted {
    #[schema(example = "ar_3q2-…")]
    auth_req_id: String,
    /// Seconds until the request expires unanswered.
    #[schema(example = 120)]
    expires_in: i64,
    /// Seconds to wait between polls.
    #[schema(example = 2)]
    interval: i64,
}

/// An answer in OpenID CIBA's words (HTTP 400).
#[derive(Debug, Serialize, ToSchema)]
pub struct CibaError {
    /// `unknown_user_id` (no such nickname, or one that may not be asked),
    /// `missing_user_code`, `invalid_user_code`, `invalid_binding_message`;
    /// when polling: `authorization_pending`, `slow_down`, `access_denied`
    /// (declined or withdrawn), `expired_token`.
    #[schema(example = "authorization_pending")]
    error: String,
    /// With `slow_down`: seconds to wait between polls.
    #[serde(skip_serializing_if = "Option::is_none")]
    interval: Option<i64>,
}

/// The payment once redeemed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentOut {
    #[schema(example = 1200)]
    amount: i64,
    #[schema(example = "JPY")]
    currency: String,
    /// The payee's reference given when redeeming.
    reference: String,
    #[schema(format = DateTime, example = "2026-12-07T09:00:00Z")]
    paid_at: String,
}

/// A decided request.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentRequestOut {
    auth_req_id: String,
    /// `approved` (the token is live), `paid` or `revoked` (by the user).
    #[schema(example = "approved")]
    status: String,
    /// The single-use payment token, while it is live: hand it to the payee.
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_token: Option<String>,
    /// Seconds the token has left (0 once it is used or revoked).
    token_expires_in: i64,
    /// The most the token pays.
    #[schema(example = 1200)]
    max_amount: i64,
    #[schema(example = "JPY")]
    currency: String,
    /// The API client id that may redeem the token.
    payee: i64,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment: Option<PaymentOut>,
}

/// A token to redeem.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemIn {
    #[schema(example = "pt_…", min_length = 1, max_length = 128)]
    payment_token: String,
    /// In minor units: at most what the user approved.
    #[schema(example = 1200, minimum = 1, maximum = 1_000_000)]
    amount: i64,
    #[schema(example = "JPY", pattern = "^JPY$")]
    currency: String,
    /// Your reference, such as the receipt number (1–64 characters).
    #[schema(example = "receipt-0042", min_length = 1, max_length = 64)]
    reference: String,
}

fn payment_of(r: &Request) -> Option<PaymentOut> {
    Some(PaymentOut {
        amount: r.paid?.amount_minor,
        currency: r.amount.currency.code().to_string(),
        reference: r.paid_reference.clone()?,
        paid_at: rfc3339_utc(r.paid_at_ms?),
    })
}

fn out(r: Request, token_expires_in: i64) -> PaymentRequestOut {
    let live = r.state == RequestState::Approved;
    PaymentRequestOut {
        payment: payment_of(&r),
        status: r.state.as_str().to_string(),
        payment_token: r.token.clone().filter(|_| live),
        token_expires_in,
        max_amount: r.amount.amount_minor,
        currency: r.amount.currency.code().to_string(),
        payee: r.payee.0,
        description: r.description,
        auth_req_id: r.auth_req_id,
    }
}

/// Audits the call, then answers a CIBA refusal as CIBA does.
async fn ciba_answered<T: Serialize>(
    state: &AppState,
    caller: &Caller,
    action: &str,
    answer: Result<T, Refused>,
    ok: StatusCode,
    interval: i64,
) -> Result<Response, ApiError> {
    match answer {
        Ok(v) => {
            audit_call(state, caller, action, ok.as_u16()).await?;
            Ok((ok, Json(v)).into_response())
        }
        Err(Refused::App(e)) => {
            audit_call(state, caller, action, e.http_status()).await?;
            Err(ApiError(e))
        }
        Err(Refused::Ciba(c)) => {
            audit_call(state, caller, action, 400).await?;
            let body = CibaError {
                error: c.code().to_string(),
                interval: (c == Ciba::SlowDown).then_some(interval),
            };
            Ok((StatusCode::BAD_REQUEST, Json(body)).into_response())
        }
    }
}

/// Ask a user, by nickname, to approve a payment.
///
/// The user sees who you are (as the bank registered you), what, where,
/// your `binding_message` and a countdown on their phone, and approves with
/// a passkey; declining needs nothing. An unknown nickname and one its
/// owner hid get the same `unknown_user_id`. Requests are limited per
/// client and per nickname. Send an `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/v1/payment-requests",
    tag = "payment_requests",
    operation_id = "request_payment",
    request_body = PaymentRequestIn,
    security(("api_key" = ["payments:request"])),
    responses(
        (status = 200, description = "Accepted: poll it or wait for the ping", body = PaymentRequestAccepted),
        (status = 400, description = "Refused in CIBA's words", body = CibaError),
        (status = 403, description = "The client lacks `payments:request`", body = ErrorBody),
        (status = 409, description = "The key was used with another request, or is still being answered", body = ErrorBody),
        (status = 422, description = "A field refused (`field`, `reason`)", body = ErrorBody),
        (status = 429, description = "Over a rate limit (the client's, or the nickname's)", body = ErrorBody),
    )
)]
pub async fn request(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    json: Result<Json<PaymentRequestIn>, JsonRejection>,
) -> Result<Response, ApiError> {
    let answer = async {
        let r = body(json)?;
        let [detail] = <[AuthorizationDetail; 1]>::try_from(r.authorization_details)
            .map_err(|_| AppError::invalid("authorization_details", Reason::OutOfRange))?;
        if detail.kind != "payment" {
            return Err(AppError::invalid("authorization_details.type", Reason::Unknown).into());
        }
        let new = NewRequest::parse(
            r.login_hint,
            r.user_code,
            &r.binding_message,
            detail.amount,
            &detail.currency,
            &detail.description,
            detail.payee,
            r.place.map(|p| (p.name, p.lat, p.lon)),
            r.requested_expiry,
        )?;
        let accepted = state.delegation.request(&caller, new).await?;
        Ok(PaymentRequestAccepted {
            auth_req_id: accepted.auth_req_id,
            expires_in: accepted.expires_in,
            interval: accepted.interval,
        })
    }
    .await;
    let interval = crate::delegation::POLL_INTERVAL_S;
    ciba_answered(
        &state,
        &caller,
        "payments.request",
        answer,
        StatusCode::OK,
        interval,
    )
    .await
}

/// Poll one of your requests.
///
/// 400 with `authorization_pending` while the user has not decided (poll
/// no faster than `interval`, or get `slow_down`), `access_denied` when
/// they declined (or you withdrew it), `expired_token` when nobody decided
/// in time or the token's deadline passed. Once approved: the payment
/// token, for the payee to redeem.
#[utoipa::path(
    get,
    path = "/v1/payment-requests/{auth_req_id}",
    tag = "payment_requests",
    operation_id = "poll_payment_request",
    params(("auth_req_id" = String, Path, description = "The id you were given")),
    security(("api_key" = ["payments:request"])),
    responses(
        (status = 200, description = "Decided: approved (with the token), paid or revoked", body = PaymentRequestOut),
        (status = 400, description = "Not (or no longer) approved, in CIBA's words", body = CibaError),
        (status = 403, description = "The client lacks `payments:request`", body = ErrorBody),
        (status = 404, description = "No request of yours has this id", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn poll(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    IdPath(id): IdPath<String>,
) -> Result<Response, ApiError> {
    let answer = state
        .delegation
        .poll(&caller, &id)
        .await
        .map(|o| out(o.request, o.token_expires_in));
    let interval = crate::delegation::POLL_INTERVAL_S;
    ciba_answered(
        &state,
        &caller,
        "payments.poll",
        answer,
        StatusCode::OK,
        interval,
    )
    .await
}

/// Withdraw a request the user has not decided yet.
///
/// Their phone's card goes away. Send an `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/v1/payment-requests/{auth_req_id}/cancel",
    tag = "payment_requests",
    operation_id = "cancel_payment_request",
    params(
        ("auth_req_id" = String, Path, description = "The id you were given"),
    ),
    security(("api_key" = ["payments:request"])),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 403, description = "The client lacks `payments:request`", body = ErrorBody),
        (status = 404, description = "No request of yours has this id", body = ErrorBody),
        (status = 409, description = "Already decided or ended (`request_not_open`)", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    IdPath(id): IdPath<String>,
) -> Result<StatusCode, ApiError> {
    let answer = state.delegation.cancel(&caller, &id).await;
    answered(&state, &caller, "payments.cancel", answer).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Redeem a payment token: the money moves to your settlement account.
///
/// Only the payee the token names may redeem it, once, before its
/// deadline, for at most the approved amount, and within the user's own
/// ceilings for the requester. Send an `Idempotency-Key`: a retry gets the
/// first answer.
#[utoipa::path(
    post,
    path = "/v1/payments",
    tag = "payment_requests",
    operation_id = "redeem_payment_token",
    request_body = RedeemIn,
    security(("api_key" = ["payments:redeem"])),
    responses(
        (status = 201, description = "Paid", body = PaymentOut),
        (status = 403, description = "The client lacks `payments:redeem`", body = ErrorBody),
        (status = 409, description = "`token_used`, `token_expired`, `token_revoked` or `ceiling_reached`", body = ErrorBody),
        (status = 422, description = "A field refused: an unknown token (or another payee's), `over_token_amount`, `insufficient_funds`…", body = ErrorBody),
        (status = 429, description = "Over the client's rate limit", body = ErrorBody),
    )
)]
pub async fn redeem(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    json: Result<Json<RedeemIn>, JsonRejection>,
) -> Result<(StatusCode, Json<PaymentOut>), ApiError> {
    let answer = async {
        let r = body(json)?;
        if r.currency != shared::money::Currency::Jpy.code() {
            return Err(AppError::invalid("currency", Reason::CurrencyMismatch));
        }
        let paid = state
            .delegation
            .redeem(
                &caller,
                &r.payment_token,
                Money::jpy(r.amount),
                &r.reference,
            )
            .await?;
        payment_of(&paid.request).ok_or(AppError::Unavailable)
    }
    .await;
    let paid = answered(&state, &caller, "payments.redeem", answer).await?;
    Ok((StatusCode::CREATED, Json(paid)))
}

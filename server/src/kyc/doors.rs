//! How identity checks and relationships are reached: the port in the
//! views' server functions' context, and the staff's (or owner's) view of
//! an uploaded document at `GET /documents/{id}`.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
};
use leptos::prelude::provide_context;
use shared::{ids::DocumentId, kyc::port::KycPort};
use std::sync::Arc;

use super::Kyc;
use crate::{
    flow::Flow,
    http::{AppState, IntoJson},
};

impl Flow for Kyc {
    fn provide_ports(&self) {
        provide_context::<Arc<dyn KycPort>>(Arc::new(self.clone()));
    }
}

/// The image as stored, with the type its bytes proved on upload; never
/// cached, and shown inline only (`nosniff` is set for every answer).
pub async fn document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let cookies = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let caller = state.identity.caller_for_cookie(cookies).await;
    match state.kyc.document(&caller, DocumentId(id)).await {
        Ok((media_type, bytes)) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_str(&media_type)
                        .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, no-store"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("inline"),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => e.into_response_json(),
    }
}

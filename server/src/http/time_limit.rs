//! The time limit on every request. An answer not ready within its limit is
//! given up (its task is dropped, so its open transaction rolls back) and the
//! caller told `503` with the JSON error and `Retry-After`, as for a busy
//! database: tower's own timeout answers an empty `408`, which says the
//! client was slow when it was the server.

use axum::{
    extract::Request,
    middleware::Next,
    response::{IntoResponse, Response},
};
use shared::AppError;
use std::time::Duration;

use crate::machine::ApiError;

/// Runs the rest of the stack for at most `limit`.
pub async fn within(limit: Duration, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(%path, limit_s = limit.as_secs(), "request over its time limit");
            ApiError(AppError::Unavailable).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{body::Body, middleware, routing::get, Router};
    use tower::ServiceExt;

    #[tokio::test(start_paused = true)]
    async fn an_answer_past_the_limit_is_a_503_the_client_can_read() {
        let app = Router::new()
            .route(
                "/slow",
                get(|| tokio::time::sleep(Duration::from_secs(3600))),
            )
            .route("/quick", get(|| async { "done" }))
            .layer(middleware::from_fn(|req, next| {
                within(Duration::from_secs(30), req, next)
            }));
        let ask = |path: &str| Request::get(path).body(Body::empty()).unwrap();
        let res = app.clone().oneshot(ask("/slow")).await.unwrap();
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["retry-after"], "5");
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        let error: AppError = serde_json::from_slice(&body).unwrap();
        assert_eq!(error, AppError::Unavailable);
        assert_eq!(app.oneshot(ask("/quick")).await.unwrap().status(), 200);
    }
}

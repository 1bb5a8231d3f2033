//! `GET /healthz`: for load balancers and people; 200 when the database answers, 503 otherwise.

use axum::{extract::State, http::StatusCode, Json};
use serde_json::{json, Value};

use super::AppState;
use crate::system::VERSION;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let ok = state.system.database_ok().await;
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ok { "ok" } else { "degraded" },
        "version": VERSION,
        "database": { "engine": state.system.engine().name(), "ok": ok },
    });
    (status, Json(body))
}

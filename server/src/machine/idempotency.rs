//! `Idempotency-Key` on every machine API POST, with the ledger's meaning:
//! the first answer to a key is kept, a replay with the same request gets
//! it again (marked `Idempotent-Replayed: true`), the same key with another
//! request is a 409 `idempotency_conflict`, and a key still being answered
//! a 409 `request_in_progress`. Keys are per API client, and answers are
//! kept for seven days (`housekeeping`). An answer that
//! was a server error is not kept, so a retry runs again; the flows below
//! are idempotent on the same key themselves, so a crash between their
//! commit and the answer being kept does no harm either.
//!
//! The middleware authenticates the caller itself (so a key is counted
//! once, and only a known client's keys are stored) and hands the caller
//! on to the handler's extractor.

use axum::{
    body::{to_bytes, Body},
    extract::{MatchedPath, Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use shared::{ids::ApiClientId, ledger::IdempotencyKey, ports::Caller, AppError, Reason};
use sqlx::Row;
use std::{collections::HashSet, sync::Arc};

use super::{auth::Authenticated, error::ApiError};
use crate::{db::Db, http::AppState, system::now_ms};

pub const HEADER: &str = "idempotency-key";
/// Largest request body the machine API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// A key left "in progress" longer than this may be run again: no request
/// lives longer than the server's time limit, so its server stopped mid-way.
const ABANDONED_MS: i64 = crate::http::REQUEST_TIMEOUT.as_millis() as i64 + 5_000;

enum Begun {
    Fresh,
    Replay(u16, String),
    Conflict,
    /// Still being answered (or abandoned by a server that stopped) until this time.
    InProgress {
        until_ms: i64,
    },
}

async fn begin(
    db: &Db,
    client: ApiClientId,
    key: &str,
    digest: &str,
    now: i64,
) -> crate::error::Result<Begun> {
    let inserted = sqlx::query(
        "INSERT INTO api_requests (client_id, request_key, digest, created_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (client_id, request_key) DO NOTHING",
    )
    .bind(client.0)
    .bind(key)
    .bind(digest)
    .bind(now)
    .execute(db.pool())
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Begun::Fresh);
    }
    let row = sqlx::query(
        "SELECT digest, status, body, created_at_ms FROM api_requests WHERE client_id = $1 AND request_key = $2",
    )
    .bind(client.0)
    .bind(key)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        // Forgotten after a server error just now: begin again.
        return Box::pin(begin(db, client, key, digest, now)).await;
    };
    let (kept, status, body, at): (String, Option<i64>, Option<String>, i64) = (
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
    );
    if kept != digest {
        return Ok(Begun::Conflict);
    }
    match (status, body) {
        (Some(status), Some(body)) => Ok(Begun::Replay(status as u16, body)),
        _ if at + ABANDONED_MS < now => {
            let taken = sqlx::query(
                "UPDATE api_requests SET created_at_ms = $4 WHERE client_id = $1 AND request_key = $2 \
                 AND status IS NULL AND created_at_ms = $3",
            )
            .bind(client.0)
            .bind(key)
            .bind(at)
            .bind(now)
            .execute(db.pool())
            .await?;
            Ok(if taken.rows_affected() == 1 {
                Begun::Fresh
            } else {
                Begun::InProgress {
                    until_ms: now + ABANDONED_MS,
                }
            })
        }
        _ => Ok(Begun::InProgress {
            until_ms: at + ABANDONED_MS,
        }),
    }
}

async fn keep(
    db: &Db,
    client: ApiClientId,
    key: &str,
    status: u16,
    body: &str,
) -> crate::error::Result<()> {
    sqlx::query(
        "UPDATE api_requests SET status = $3, body = $4 WHERE client_id = $1 AND request_key = $2",
    )
    .bind(client.0)
    .bind(key)
    .bind(i64::from(status))
    .bind(body)
    .execute(db.pool())
    .await?;
    Ok(())
}

async fn forget(db: &Db, client: ApiClientId, key: &str) -> crate::error::Result<()> {
    sqlx::query("DELETE FROM api_requests WHERE client_id = $1 AND request_key = $2")
        .bind(client.0)
        .bind(key)
        .execute(db.pool())
        .await?;
    Ok(())
}

fn json(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The paths the document says take a POST: only those carry a key. A
/// POST to any other path is left to the router, whose answer is a 405
/// naming the methods the path takes.
#[derive(Debug, Clone)]
pub struct Posts(Arc<HashSet<String>>);

impl Posts {
    pub fn of(api: &utoipa::openapi::OpenApi) -> Posts {
        let paths = api
            .paths
            .paths
            .iter()
            .filter(|(_, item)| item.post.is_some());
        Posts(Arc::new(paths.map(|(path, _)| path.clone()).collect()))
    }

    fn take(&self, req: &Request) -> bool {
        req.method() == Method::POST
            && req
                .extensions()
                .get::<MatchedPath>()
                .is_some_and(|p| self.0.contains(p.as_str()))
    }
}

pub async fn idempotent(
    State((state, posts)): State<(AppState, Posts)>,
    req: Request,
    next: Next,
) -> Response {
    if !posts.take(&req) {
        return next.run(req).await;
    }
    match run(&state, req, next).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn run(state: &AppState, req: Request, next: Next) -> Result<Response, ApiError> {
    let (mut parts, body) = req.into_parts();
    let caller = super::auth::caller_from(&parts.headers, state).await?;
    let Caller::Client { id: client, .. } = caller else {
        return Err(AppError::Unauthenticated.into());
    };
    let key = parts
        .headers
        .get(HEADER)
        .ok_or(AppError::invalid("Idempotency-Key", Reason::Required))?
        .to_str()
        .ok()
        .and_then(|k| IdempotencyKey::parse(k).ok())
        .ok_or(AppError::invalid("Idempotency-Key", Reason::Malformed))?;
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        // The client's mistake, answered as the views' functions answer it.
        let refusal = axum::Json(AppError::invalid("body", Reason::TooBig));
        return Ok((StatusCode::PAYLOAD_TOO_LARGE, refusal).into_response());
    };
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str());
    hash.update(b" ");
    hash.update(parts.uri.path_and_query().map_or("", |p| p.as_str()));
    hash.update(b"\n");
    hash.update(&bytes);
    let digest = crate::identity::session::hex(&hash.finalize());
    let db = &state.db;
    match begin(db, client, key.as_str(), &digest, now_ms()).await? {
        Begun::Fresh => {}
        Begun::Replay(status, body) => {
            super::auth::audit_call(state, &caller, "replay", status).await?;
            let mut res = json(status, body);
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return Ok(res);
        }
        Begun::Conflict => {
            return Err(AppError::Conflict {
                reason: Reason::IdempotencyConflict,
            }
            .into())
        }
        Begun::InProgress { until_ms } => {
            // When to ask again: by then the first answer is kept, or the
            // attempt counts as abandoned and the retry runs afresh.
            let mut res = ApiError(AppError::Conflict {
                reason: Reason::RequestInProgress,
            })
            .into_response();
            let wait_s = ((until_ms - now_ms()).max(0) + 999) / 1000;
            if let Ok(v) = HeaderValue::from_str(&wait_s.max(1).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(res);
        }
    }
    parts.extensions.insert(Authenticated(caller));
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = res.into_parts();
    // Our own answer, read whole however long (it is never outside input),
    // so a replay is exactly what the first caller was sent. One that cannot
    // be read is a server error like any other: not kept, retried afresh.
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(cause) => {
            forget(db, client, key.as_str()).await?;
            return Ok(ApiError(crate::error::internal("api answer", cause)).into_response());
        }
    };
    let status = parts.status.as_u16();
    if status >= 500 {
        forget(db, client, key.as_str()).await?;
    } else {
        keep(
            db,
            client,
            key.as_str(),
            status,
            &String::from_utf8_lossy(&bytes),
        )
        .await?;
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

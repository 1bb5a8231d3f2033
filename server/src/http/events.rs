//! `GET /api/events`: the signed-in person's live channel (Server-Sent Events).
//!
//! Each event carries its number as the SSE `id`, so a browser that
//! reconnects sends `Last-Event-ID` and gets everything after it from the
//! inbox before live events resume; `?after=N` does the same for a first
//! connection. Transient messages (a call's signalling) come as SSE events
//! of type `transient`, with no id, and are never replayed. The stream ends
//! when the session does.

use axum::{
    extract::{Query, State},
    http::{header, HeaderMap},
    response::{
        sse::{Event as SseEvent, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use shared::Reason;
use shared::{events::Notification, ids::UserId, ports::Caller, AppError};
use std::{convert::Infallible, time::Duration};
use tokio::sync::{broadcast::error::RecvError, mpsc};

use super::AppState;
use crate::notify::Signal;

/// Events read from the inbox per catch-up query.
const CATCH_UP_BATCH: i64 = 500;
/// How often an idle channel checks that its session is still valid.
const SESSION_CHECK: Duration = Duration::from_secs(10);

#[derive(Debug, serde::Deserialize)]
pub struct Resume {
    after: Option<i64>,
    /// Whom the page believes is signed in: a page left open while someone
    /// else signed in elsewhere in the browser must not resume as them.
    user: Option<i64>,
}

pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
) -> Response {
    let cookies = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let caller = state.identity.caller_for_cookie(cookies.as_deref()).await;
    let Caller::User { id: user, .. } = caller else {
        return AppError::Unauthenticated.into_response_json();
    };
    if resume.user.is_some_and(|u| u != user.0) {
        return AppError::Conflict {
            reason: Reason::SomeoneElseSignedIn,
        }
        .into_response_json();
    }
    // Counted per session: a browser's tabs share its cookie.
    let session = crate::identity::session::token_from_cookies(cookies.as_deref().unwrap_or(""))
        .map(|token| crate::identity::session::hash(&token))
        .unwrap_or_default();
    let held = match state.live_channels.open(&session) {
        Ok(held) => held,
        Err(refusal) => return super::rate_limit::too_many(refusal),
    };
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    // Subscribe before reading the inbox, so nothing falls between the two.
    let hub = state.notifier.subscribe();
    let newest = match state.notifier.last_seq(user).await {
        Ok(seq) => seq,
        Err(e) => return crate::error::internal("events", e).into_response_json(),
    };
    // A number beyond this person's newest cannot be theirs: start from their newest.
    let after = last_event_id
        .or(resume.after)
        .map_or(newest, |seq| seq.clamp(0, newest));
    let (out, rx) = mpsc::channel::<SseEvent>(64);
    tokio::spawn(async move {
        pump(state, user, cookies, after, hub, out).await;
        drop(held);
    });
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Sse::new(body)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// An error as the JSON answer with the status that fits it.
pub(crate) trait IntoJson {
    fn into_response_json(self) -> Response;
}

impl IntoJson for AppError {
    fn into_response_json(self) -> Response {
        let status = http::StatusCode::from_u16(self.http_status())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self)).into_response()
    }
}

fn sse(n: &Notification) -> Option<SseEvent> {
    let data = serde_json::to_string(n).ok()?;
    Some(SseEvent::default().id(n.seq.to_string()).data(data))
}

/// Feeds one channel until the page goes away or the session ends.
async fn pump(
    state: AppState,
    user: UserId,
    cookies: Option<String>,
    mut last: i64,
    mut hub: tokio::sync::broadcast::Receiver<Signal>,
    out: mpsc::Sender<SseEvent>,
) {
    // Reconnect quickly after a drop; the id makes it lossless.
    let hello = SseEvent::default()
        .retry(Duration::from_millis(1000))
        .comment("live");
    if out.send(hello).await.is_err() {
        return;
    }
    if !catch_up(&state, user, &mut last, &out).await {
        return;
    }
    let mut check = tokio::time::interval(SESSION_CHECK);
    check.tick().await;
    loop {
        tokio::select! {
            signal = hub.recv() => {
                let ok = match signal {
                    Ok(Signal::Event(d)) if d.user == user => {
                        let seq = d.notification.seq;
                        if seq == last + 1 {
                            last = seq;
                            match sse(&d.notification) {
                                Some(e) => out.send(e).await.is_ok(),
                                None => true,
                            }
                        } else if seq > last + 1 {
                            catch_up(&state, user, &mut last, &out).await
                        } else {
                            true
                        }
                    }
                    Ok(Signal::Event(_)) => true,
                    // Not numbered: `last` and Last-Event-ID are untouched by it.
                    Ok(Signal::Transient(p)) if p.user == user => {
                        match serde_json::to_string(&p.message) {
                            Ok(data) => out.send(SseEvent::default().event("transient").data(data)).await.is_ok(),
                            Err(_) => true,
                        }
                    }
                    Ok(Signal::Transient(_)) => true,
                    Ok(Signal::Resync) | Err(RecvError::Lagged(_)) => {
                        catch_up(&state, user, &mut last, &out).await
                    }
                    Err(RecvError::Closed) => false,
                };
                if !ok {
                    return;
                }
            }
            _ = out.closed() => return,
            _ = check.tick() => {
                let caller = state.identity.caller_for_cookie(cookies.as_deref()).await;
                if !matches!(caller, Caller::User { id, .. } if id == user) {
                    return;
                }
            }
        }
    }
}

/// Sends every stored event after `last`; `false` once the page has gone.
async fn catch_up(
    state: &AppState,
    user: UserId,
    last: &mut i64,
    out: &mpsc::Sender<SseEvent>,
) -> bool {
    loop {
        let batch = match state.notifier.after(user, *last, CATCH_UP_BATCH).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, %user, "could not read the inbox for a live channel");
                return false;
            }
        };
        let full = batch.len() as i64 == CATCH_UP_BATCH;
        for n in &batch {
            *last = n.seq;
            if let Some(e) = sse(n) {
                if out.send(e).await.is_err() {
                    return false;
                }
            }
        }
        if !full {
            return true;
        }
    }
}

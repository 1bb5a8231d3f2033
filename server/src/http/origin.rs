//! Cross-site request protection for state-changing requests.
//!
//! Server functions accept plain form posts, which any site can make a
//! browser send with the user's cookies. A browser always names the page's
//! origin in `Origin` (or at least `Referer`) on such a request, so a
//! request from a page of ours names our own host; anything else — another
//! site, an opaque `null` origin, or no origin at all — is refused with 403
//! before the function runs.

use axum::{
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use super::AppState;

pub async fn require_same_origin(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if is_safe(req.method()) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match claimed {
        Some(claimed) if is_allowed(claimed, host, &state.allowed_origins) => next.run(req).await,
        _ => {
            tracing::warn!(origin = ?claimed, ?host, path = %req.uri().path(), "cross-origin request refused");
            refuse(claimed)
        }
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Same host and port as the request was sent to, or an explicitly allowed origin.
fn is_allowed(claimed: &str, host: Option<&str>, allowed: &[String]) -> bool {
    let Some(origin) = origin_of(claimed) else {
        return false;
    };
    if allowed.iter().any(|a| a.trim_end_matches('/') == origin) {
        return true;
    }
    let authority = origin.split_once("://").map(|(_, a)| a);
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// `scheme://authority` of an Origin or Referer value; `None` for `null` or garbage.
fn origin_of(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    (end > 0).then(|| &value[..scheme.len() + 3 + end])
}

fn refuse(claimed: Option<&str>) -> Response {
    let message = match claimed {
        Some(origin) => format!(
            "Cross-origin request refused: {origin} may not call this endpoint. \
             Requests must come from Anshin's own pages."
        ),
        None => "Cross-origin request refused: the request names no Origin or Referer. \
                 Requests must come from Anshin's own pages."
            .to_string(),
    };
    // `code` matches shared::AppError::Forbidden, so the app decodes it as one.
    (
        StatusCode::FORBIDDEN,
        Json(json!({ "code": "forbidden", "message": message })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_our_own_host() {
        let none: &[String] = &[];
        assert!(is_allowed(
            "http://localhost:3000",
            Some("localhost:3000"),
            none
        ));
        assert!(is_allowed(
            "http://localhost:3000/customer?x=1",
            Some("localhost:3000"),
            none
        ));
        assert!(!is_allowed(
            "http://evil.example",
            Some("localhost:3000"),
            none
        ));
        assert!(!is_allowed(
            "http://localhost:3000.evil.example",
            Some("localhost:3000"),
            none
        ));
        assert!(!is_allowed(
            "http://localhost:3001",
            Some("localhost:3000"),
            none
        ));
        assert!(!is_allowed("null", Some("localhost:3000"), none));
        assert!(!is_allowed("http://localhost:3000", None, none));
    }

    #[test]
    fn accepts_configured_origins() {
        let allowed = vec!["https://bank.example/".to_string()];
        assert!(is_allowed(
            "https://bank.example",
            Some("10.0.0.5:3000"),
            &allowed
        ));
        assert!(!is_allowed(
            "http://bank.example",
            Some("10.0.0.5:3000"),
            &allowed
        ));
    }
}

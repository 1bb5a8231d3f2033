//! The error that crosses the wire.
//!
//! Policy: every failure a user can meet is one of these variants. Each carries
//! only what is safe to show; the app turns its [`ErrorCode`] into a translated
//! sentence. Causes (SQL text, I/O errors) stay in the server's logs: an
//! internal failure reaches the browser as `Internal` with an opaque reference
//! the user can quote to support, which the server logged beside the cause.

use serde::{Deserialize, Serialize};

use crate::Reason;
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// Input failed validation; `reason` is a stable machine code.
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: Reason },
    #[error("not found")]
    NotFound,
    #[error("sign-in required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    /// The request clashes with the current state (e.g. a reused idempotency key).
    #[error("conflict: {reason}")]
    Conflict { reason: Reason },
    #[error("too many requests; retry after {retry_after_s}s")]
    RateLimited { retry_after_s: u32 },
    /// A dependency (usually the database) is down; retrying later may work.
    #[error("service unavailable")]
    Unavailable,
    /// Something broke on the server; the cause is logged under `reference`.
    #[error("internal error (reference {reference})")]
    Internal { reference: String },
    /// The request never got a proper answer (network down, bad response).
    /// Made on the client side only.
    #[error("request failed: {detail}")]
    Transport { detail: String },
}

/// The kind of an [`AppError`], used to pick the translated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Invalid,
    NotFound,
    Unauthenticated,
    Forbidden,
    Conflict,
    RateLimited,
    Unavailable,
    Internal,
    Transport,
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Invalid { .. } => ErrorCode::Invalid,
            AppError::NotFound => ErrorCode::NotFound,
            AppError::Unauthenticated => ErrorCode::Unauthenticated,
            AppError::Forbidden => ErrorCode::Forbidden,
            AppError::Conflict { .. } => ErrorCode::Conflict,
            AppError::RateLimited { .. } => ErrorCode::RateLimited,
            AppError::Unavailable => ErrorCode::Unavailable,
            AppError::Internal { .. } => ErrorCode::Internal,
            AppError::Transport { .. } => ErrorCode::Transport,
        }
    }

    /// The HTTP status an API answer with this error carries.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Invalid { .. } => 422,
            AppError::NotFound => 404,
            AppError::Unauthenticated => 401,
            AppError::Forbidden => 403,
            AppError::Conflict { .. } => 409,
            AppError::RateLimited { .. } => 429,
            AppError::Unavailable => 503,
            AppError::Internal { .. } | AppError::Transport { .. } => 500,
        }
    }

    pub fn invalid(field: impl Into<String>, reason: Reason) -> Self {
        AppError::Invalid {
            field: field.into(),
            reason,
        }
    }

    pub fn conflict(reason: Reason) -> Self {
        AppError::Conflict { reason }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Raised by the server-fn machinery on the server; its text may
            // name internals, so it is not passed on.
            ServerFnErrorErr::ServerError(_)
            | ServerFnErrorErr::MiddlewareError(_)
            | ServerFnErrorErr::Registration(_) => AppError::Internal {
                reference: "server-fn".into(),
            },
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::invalid("request", Reason::Malformed)
            }
            other => AppError::Transport {
                detail: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_with_a_stable_code() {
        let err = AppError::RateLimited { retry_after_s: 30 };
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(json, r#"{"code":"rate_limited","retry_after_s":30}"#);
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }

    #[test]
    fn internal_errors_carry_only_a_reference() {
        let err = AppError::Internal {
            reference: "r-1".into(),
        };
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(json, r#"{"code":"internal","reference":"r-1"}"#);
        assert_eq!(err.http_status(), 500);
    }

    #[test]
    fn server_side_machinery_errors_do_not_leak_their_text() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::ServerError(
            "relation \"users\" does not exist".into(),
        ));
        assert_eq!(err.code(), ErrorCode::Internal);
        assert!(!err.to_string().contains("relation"));
    }
}

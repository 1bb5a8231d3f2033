//! Keys for requests that move money: one per attempt, kept for a retry
//! whose first answer never came, so the server does it at most once.

pub fn browser_now() -> i64 {
    js_sys::Date::now() as i64
}

/// A fresh key for one attempt.
pub fn attempt_key() -> String {
    format!(
        "{}-{}",
        browser_now(),
        (js_sys::Math::random() * 1e9) as i64
    )
}

/// Whether a failed request may still have been done (no answer, or a
/// server error): a retry must then use the same key.
pub fn outcome_unknown(e: &shared::AppError) -> bool {
    matches!(
        e,
        shared::AppError::Transport { .. }
            | shared::AppError::Internal { .. }
            | shared::AppError::Unavailable
    )
}

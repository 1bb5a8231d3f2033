//! Payments that a shop terminal or an AI agent asks a user for by
//! nickname (F5): what the user controls (their nickname's visibility, a
//! user code, a ceiling per requester, blocked requesters, live tokens) and
//! how a request reaches their phone's approval card.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{
    ids::{ApiClientId, PaymentRequestId},
    machine::ClientKind,
    money::Money,
    ports::Caller,
    AppError, Reason,
};

/// A user code is this many digits.
pub const USER_CODE_DIGITS: std::ops::RangeInclusive<usize> = 4..=8;
/// Longest binding message (CIBA keeps it short enough to compare at a glance).
pub const MAX_BINDING_CHARS: usize = 20;
/// Largest payment a requester may ask for, in yen.
pub const MAX_REQUEST_YEN: i64 = 1_000_000;

codes! {
    /// Where a payment request is in its life.
    RequestState {
        Pending = "pending",
        /// Approved: a payment token is live.
        Approved = "approved",
        Declined = "declined",
        Expired = "expired",
        Cancelled = "cancelled",
        /// The payee redeemed the token.
        Paid = "paid",
        /// The user revoked the live token.
        Revoked = "revoked",
    }
}

/// What the approval card shows besides the generic request: who asked,
/// as the bank registered them, and the code both screens show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegated {
    pub request: PaymentRequestId,
    pub client: ApiClientId,
    pub kind: ClientKind,
    pub binding_message: String,
    /// The user has never approved this requester before.
    pub first_time: bool,
}

/// A user code as typed: digits only.
pub fn parse_user_code(code: &str) -> Result<String, Reason> {
    let code = code.trim();
    if !USER_CODE_DIGITS.contains(&code.chars().count()) {
        return Err(Reason::OutOfRange);
    }
    if !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(Reason::Malformed);
    }
    Ok(code.to_string())
}

/// A ceiling as typed: none, or 1 to [`MAX_REQUEST_YEN`] × 31.
pub fn check_ceiling(ceiling: Option<Money>) -> Result<Option<Money>, Reason> {
    match ceiling {
        Some(m) if m.amount_minor <= 0 => Err(Reason::NotPositive),
        Some(m) if m.amount_minor > MAX_REQUEST_YEN * 31 => Err(Reason::AmountTooLarge),
        other => Ok(other),
    }
}

/// One requester as the user sees it on their settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub client: ApiClientId,
    pub name: String,
    pub kind: ClientKind,
    pub blocked: bool,
    pub day_ceiling: Option<Money>,
    pub month_ceiling: Option<Money>,
    /// Paid to or through this requester today and this month (Japan time).
    pub spent_today: Money,
    pub spent_month: Money,
}

/// An approved request whose token the payee has not used yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveToken {
    pub request: PaymentRequestId,
    pub requester: String,
    pub payee: String,
    pub max_amount: Money,
    pub description: String,
    pub expires_at_ms: i64,
}

/// Everything on the user's settings page for requests made for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegationSettings {
    pub server_now_ms: i64,
    pub nickname: String,
    pub hidden: bool,
    pub has_user_code: bool,
    pub requesters: Vec<Requester>,
    pub live_tokens: Vec<LiveToken>,
}

/// What the views may do about requests made on the user's behalf.
#[async_trait]
pub trait DelegationPort: Send + Sync {
    async fn delegation_settings(&self, caller: &Caller) -> Result<DelegationSettings, AppError>;
    async fn set_nickname(&self, caller: &Caller, nickname: &str) -> Result<(), AppError>;
    async fn set_hidden(&self, caller: &Caller, hidden: bool) -> Result<(), AppError>;
    /// Sets the user code, or removes it with `None`.
    async fn set_user_code(&self, caller: &Caller, code: Option<String>) -> Result<(), AppError>;
    async fn set_ceilings(
        &self,
        caller: &Caller,
        client: ApiClientId,
        day: Option<Money>,
        month: Option<Money>,
    ) -> Result<(), AppError>;
    async fn set_blocked(
        &self,
        caller: &Caller,
        client: ApiClientId,
        blocked: bool,
    ) -> Result<(), AppError>;
    /// Ends a live token: the payee can no longer redeem it.
    async fn revoke_token(
        &self,
        caller: &Caller,
        request: PaymentRequestId,
    ) -> Result<(), AppError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_four_to_eight_digits() {
        assert_eq!(parse_user_code(" 1234 "), Ok("1234".into()));
        assert_eq!(parse_user_code("123"), Err(Reason::OutOfRange));
        assert_eq!(parse_user_code("123456789"), Err(Reason::OutOfRange));
        assert_eq!(parse_user_code("12a4"), Err(Reason::Malformed));
        assert_eq!(parse_user_code("１２３４"), Err(Reason::Malformed));
    }

    #[test]
    fn ceilings_are_positive_and_bounded() {
        assert_eq!(check_ceiling(None), Ok(None));
        assert_eq!(check_ceiling(Some(Money::jpy(0))), Err(Reason::NotPositive));
        assert!(check_ceiling(Some(Money::jpy(MAX_REQUEST_YEN * 32))).is_err());
        assert_eq!(
            check_ceiling(Some(Money::jpy(5000))),
            Ok(Some(Money::jpy(5000)))
        );
    }

    #[test]
    fn states_round_trip() {
        for s in RequestState::ALL {
            assert_eq!(RequestState::parse(s.as_str()), Some(*s));
        }
    }
}

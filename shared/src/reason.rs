//! Why a request was refused: one stable machine code per reason, the same
//! on the wire (its snake_case name) and in code (a variant), so the app
//! matches variants, not strings, and translates each one.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! reasons {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Reason {
            $($(#[$doc])* $variant,)*
        }

        impl Reason {
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)*];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Reason::$variant => $code,)*
                }
            }

            pub fn parse(code: &str) -> Option<Reason> {
                match code {
                    $($code => Some(Reason::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

reasons! {
    // What was sent is not well formed or out of bounds.
    Malformed = "malformed",
    Required = "required",
    Empty = "empty",
    TooShort = "too_short",
    TooLong = "too_long",
    TooBig = "too_big",
    EmptyOrTooLong = "empty_or_too_long",
    OutOfRange = "out_of_range",
    /// Values that must rise in order (thresholds) do not.
    OutOfOrder = "out_of_order",
    /// The same thing given twice where once is allowed.
    Duplicate = "duplicate",
    BadCharacter = "bad_character",
    BadCharacters = "bad_characters",
    BadSeparator = "bad_separator",
    Reserved = "reserved",
    /// A nickname mixing scripts that look alike (UTS #39).
    MixedScripts = "mixed_scripts",
    NotADate = "not_a_date",
    TooOld = "too_old",
    InTheFuture = "in_the_future",
    NeedsAPlace = "needs_a_place",
    TooImprecise = "too_imprecise",
    Unknown = "unknown",
    InvalidOrUsed = "invalid_or_used",
    Rejected = "rejected",
    NotVerified = "not_verified",
    /// A passkey ceremony (or another short-lived step) ran out of time.
    Expired = "expired",
    // Amounts and limits.
    NotPositive = "not_positive",
    NotWholeThousands = "not_whole_thousands",
    OverWithdrawalLimit = "over_withdrawal_limit",
    OverDailyLimit = "over_daily_limit",
    InsufficientFunds = "insufficient_funds",
    InsufficientCash = "insufficient_cash",
    // Withdrawal passwords.
    NotDigits = "not_digits",
    WrongLength = "wrong_length",
    OneDigit = "one_digit",
    StraightRun = "straight_run",
    RepeatedPattern = "repeated_pattern",
    // The ledger's rules.
    AmountNotPositive = "amount_not_positive",
    AmountTooLarge = "amount_too_large",
    UnknownAccount = "unknown_account",
    CurrencyMismatch = "currency_mismatch",
    SameAccount = "same_account",
    ReferenceTooLong = "reference_too_long",
    BadTimeout = "bad_timeout",
    UnknownTransfer = "unknown_transfer",
    NotAHold = "not_a_hold",
    HoldNotPending = "hold_not_pending",
    HoldExpired = "hold_expired",
    ExceedsHold = "exceeds_hold",
    IdempotencyConflict = "idempotency_conflict",
    /// Never sent: the ledger's own name for a database it cannot reach.
    Unavailable = "unavailable",
    /// Never sent: the ledger's own name for a failure that is logged.
    Internal = "internal",
    // Identity.
    NicknameTaken = "nickname_taken",
    NoPasskey = "no_passkey",
    NotACustomer = "not_a_customer",
    SomeoneElseSignedIn = "someone_else_signed_in",
    // Approvals.
    ApprovalBusy = "approval_busy",
    ApprovalExpired = "approval_expired",
    ApprovalApproved = "approval_approved",
    ApprovalDeclined = "approval_declined",
    ApprovalCancelled = "approval_cancelled",
    ApprovalTooFar = "approval_too_far",
    // Why the kiosk did not pay a cardless withdrawal out.
    NotConfirmed = "not_confirmed",
    DeclinedByUser = "declined_by_user",
    TooFar = "too_far",
    Cancelled = "cancelled",
    // ATMs and codes.
    AtmLocked = "atm_locked",
    AtmRevoked = "atm_revoked",
    AtmShortOfCash = "atm_short_of_cash",
    CodeExpired = "code_expired",
    CodeUsed = "code_used",
    CodeCancelled = "code_cancelled",
    // Cardless withdrawals.
    WithdrawalNotOpen = "withdrawal_not_open",
    WithdrawalNotReady = "withdrawal_not_ready",
    // Consultations and the withdrawals arranged in them.
    ConsultationEnded = "consultation_ended",
    ConsultationNotActive = "consultation_not_active",
    ConsultationOpen = "consultation_open",
    ConsultationTaken = "consultation_taken",
    FormClosed = "form_closed",
    FormOpen = "form_open",
    NotFunded = "not_funded",
    NotLocked = "not_locked",
    NotDue = "not_due",
    PasswordChanged = "password_changed",
    SubAccountLocked = "sub_account_locked",
    // Transfers to other people.
    OverTransferLimit = "over_transfer_limit",
    OwnAccount = "own_account",
    UnknownRecipient = "unknown_recipient",
    TransferNotOpen = "transfer_not_open",
    WarningNotAcknowledged = "warning_not_acknowledged",
    TransferRefused = "transfer_refused",
    /// Someone saved a newer version of the risk rules since the draft was loaded.
    RulesChanged = "rules_changed",
    // The machine API.
    /// The API client was revoked: it can be neither used nor changed.
    Revoked = "revoked",
    /// The same Idempotency-Key is still being answered: retry shortly.
    RequestInProgress = "request_in_progress",
    // Guardians and minors' purchases (F4).
    /// The minor has no verified guardian, so no purchase can be reported for them.
    NoVerifiedGuardian = "no_verified_guardian",
    /// The purchase is past the point where this can be done.
    PurchaseNotOpen = "purchase_not_open",
    /// The cancellation window has ended.
    WindowClosed = "window_closed",
    /// A refund was confirmed for a purchase nobody asked a refund for.
    RefundNotRequested = "refund_not_requested",
    // Payments asked for on a user's behalf (F5).
    /// The request was already decided, withdrawn or ended.
    RequestNotOpen = "request_not_open",
    /// The payment token was redeemed already.
    TokenUsed = "token_used",
    /// The payment token's deadline passed.
    TokenExpired = "token_expired",
    /// The user revoked the payment token.
    TokenRevoked = "token_revoked",
    /// More than the user approved.
    OverTokenAmount = "over_token_amount",
    /// The user's ceiling for this requester (per day or month) would be passed.
    CeilingReached = "ceiling_reached",
    // Identity checks and relationships (F4).
    /// An upload is not a JPEG, PNG or WebP image.
    NotAnImage = "not_an_image",
    /// An image too small to read.
    TooSmall = "too_small",
    /// A check is already waiting for staff, or approved.
    CheckPending = "check_pending",
    /// Someone's identity check is not approved yet.
    IdentityNotChecked = "identity_not_checked",
    /// Only a minor, or an adult ward, can have a guardian.
    NotAMinor = "not_a_minor",
    /// A minor cannot be someone's guardian.
    NotAnAdult = "not_an_adult",
    /// The relationship is not at the step this answers.
    LinkNotOpen = "link_not_open",
    /// Staff already gave their verdict on this.
    AlreadyReviewed = "already_reviewed",
    /// A refusal needs a reason.
    ReasonRequired = "reason_required",
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Reason::parse(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown reason {code:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_round_trips_under_its_own_code() {
        let mut seen = std::collections::HashSet::new();
        for r in Reason::ALL {
            assert!(seen.insert(r.as_str()), "{r} twice");
            let json = serde_json::to_string(r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), *r);
        }
        assert!(serde_json::from_str::<Reason>("\"no_such_reason\"").is_err());
    }
}

//! Why the ledger refused a request. Each variant is a rule a caller broke
//! (nothing was written) except `Database`, whose cause is logged and never
//! shown; see `From<LedgerError> for AppError` for what callers are told.

use shared::{
    ids::AccountId, ids::TransferId, ledger::TransferState, money::Currency, AppError, Reason,
};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("amount must be positive")]
    NonPositiveAmount,
    #[error("amount exceeds the largest allowed ({max})")]
    AmountTooLarge { max: i64 },
    #[error("an account's totals would overflow")]
    Overflow,
    #[error("account {0} does not exist")]
    UnknownAccount(AccountId),
    #[error("currency {amount} does not match account {account}'s {account_currency}")]
    CurrencyMismatch {
        account: AccountId,
        account_currency: Currency,
        amount: Currency,
    },
    #[error("debit and credit are the same account")]
    SameAccount,
    #[error("reference is longer than {max} characters")]
    ReferenceTooLong { max: usize },
    #[error("hold timeout must be between 1 ms and {max_ms} ms")]
    BadTimeout { max_ms: i64 },
    #[error("account {0} has insufficient funds")]
    InsufficientFunds(AccountId),
    #[error("account {0} does not hold enough cash")]
    InsufficientCash(AccountId),
    #[error("transfer {0} does not exist")]
    UnknownTransfer(TransferId),
    #[error("transfer {0} is not a hold")]
    NotAHold(TransferId),
    #[error("hold {id} is already {state:?}")]
    HoldNotPending {
        id: TransferId,
        state: TransferState,
    },
    #[error("hold {0} has expired")]
    HoldExpired(TransferId),
    #[error("cannot post {requested}, the hold is for {held}")]
    ExceedsHold { requested: i64, held: i64 },
    #[error("idempotency key was already used for a different request")]
    IdempotencyConflict,
    #[error("linked transfer {index} failed: {cause}")]
    LinkedFailed {
        index: usize,
        cause: Box<LedgerError>,
    },
    #[error("the ledger is shutting down")]
    ShuttingDown,
    /// The database stayed too busy for the batch, however often it ran
    /// (a conflict lost every time, a lock or statement time limit).
    #[error("the database is too busy")]
    Busy,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl LedgerError {
    /// The machine code a client sees (and the app translates).
    pub fn reason(&self) -> Reason {
        match self {
            LedgerError::NonPositiveAmount => Reason::AmountNotPositive,
            LedgerError::AmountTooLarge { .. } | LedgerError::Overflow => Reason::AmountTooLarge,
            LedgerError::UnknownAccount(_) => Reason::UnknownAccount,
            LedgerError::CurrencyMismatch { .. } => Reason::CurrencyMismatch,
            LedgerError::SameAccount => Reason::SameAccount,
            LedgerError::ReferenceTooLong { .. } => Reason::ReferenceTooLong,
            LedgerError::BadTimeout { .. } => Reason::BadTimeout,
            LedgerError::InsufficientFunds(_) => Reason::InsufficientFunds,
            LedgerError::InsufficientCash(_) => Reason::InsufficientCash,
            LedgerError::UnknownTransfer(_) => Reason::UnknownTransfer,
            LedgerError::NotAHold(_) => Reason::NotAHold,
            LedgerError::HoldNotPending { .. } => Reason::HoldNotPending,
            LedgerError::HoldExpired(_) => Reason::HoldExpired,
            LedgerError::ExceedsHold { .. } => Reason::ExceedsHold,
            LedgerError::IdempotencyConflict => Reason::IdempotencyConflict,
            LedgerError::LinkedFailed { cause, .. } => cause.reason(),
            LedgerError::ShuttingDown | LedgerError::Busy => Reason::Unavailable,
            LedgerError::Database(_) => Reason::Internal,
        }
    }

    /// The field of the request the error is about.
    fn field(&self) -> &'static str {
        match self {
            LedgerError::NonPositiveAmount
            | LedgerError::AmountTooLarge { .. }
            | LedgerError::Overflow
            | LedgerError::CurrencyMismatch { .. }
            | LedgerError::ExceedsHold { .. } => "amount",
            LedgerError::UnknownAccount(_) | LedgerError::SameAccount => "account",
            LedgerError::ReferenceTooLong { .. } => "reference",
            LedgerError::BadTimeout { .. } => "timeout_ms",
            LedgerError::InsufficientFunds(_) | LedgerError::InsufficientCash(_) => "amount",
            LedgerError::UnknownTransfer(_)
            | LedgerError::NotAHold(_)
            | LedgerError::HoldNotPending { .. }
            | LedgerError::HoldExpired(_) => "pending_id",
            LedgerError::LinkedFailed { cause, .. } => cause.field(),
            _ => "request",
        }
    }
}

impl From<LedgerError> for AppError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Database(cause) => crate::error::database("ledger", cause),
            LedgerError::ShuttingDown | LedgerError::Busy => AppError::Unavailable,
            LedgerError::IdempotencyConflict => AppError::Conflict {
                reason: Reason::IdempotencyConflict,
            },
            LedgerError::HoldNotPending { .. } => AppError::Conflict {
                reason: Reason::HoldNotPending,
            },
            other => AppError::invalid(other.field(), other.reason()),
        }
    }
}

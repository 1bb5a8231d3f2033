//! Allowance: money a guardian sends a minor in their care from their own
//! account, allowed only while the bank has verified the relationship —
//! the same check a remittance system asks through the machine API.

use async_trait::async_trait;

use crate::{ids::UserId, ledger::Transfer, money::Money, ports::Caller, AppError};

/// Largest allowance sent at once, in yen.
pub const MAX_ALLOWANCE_YEN: i64 = 100_000;

#[async_trait]
pub trait AllowancePort: Send + Sync {
    /// Sends `amount` to `minor`; `key` is the client's idempotency key, so
    /// a retried send moves the money once.
    async fn send_allowance(
        &self,
        caller: &Caller,
        minor: UserId,
        amount: Money,
        key: String,
    ) -> Result<Transfer, AppError>;
}

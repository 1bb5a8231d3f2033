//! Cardless withdrawals (flow F2): prepared on the phone, where the amount
//! is reserved at once and a single-use code is shown; taken at an ATM that
//! scans the code, once the phone confirms.

pub mod port;

use serde::{Deserialize, Serialize};

use crate::{
    ids::{AccountId, WithdrawalId},
    money::Money,
};

/// Largest single withdrawal, in yen.
pub const MAX_PER_WITHDRAWAL_YEN: i64 = 500_000;
/// Most that may be withdrawn in one day (Japan time), in yen, counting reservations.
pub const MAX_PER_DAY_YEN: i64 = 1_000_000;
/// Notes only: amounts are whole thousands.
pub const STEP_YEN: i64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalState {
    /// Reserved; the code waits for an ATM.
    Ready,
    /// An ATM scanned it; the phone must confirm.
    AwaitingPhone,
    /// The ATM gave out the cash.
    Dispensed,
    Cancelled,
    Expired,
}

impl WithdrawalState {
    pub const ALL: [WithdrawalState; 5] = [
        WithdrawalState::Ready,
        WithdrawalState::AwaitingPhone,
        WithdrawalState::Dispensed,
        WithdrawalState::Cancelled,
        WithdrawalState::Expired,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            WithdrawalState::Ready => "ready",
            WithdrawalState::AwaitingPhone => "awaiting_phone",
            WithdrawalState::Dispensed => "dispensed",
            WithdrawalState::Cancelled => "cancelled",
            WithdrawalState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<WithdrawalState> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Still holding money and able to change.
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            WithdrawalState::Ready | WithdrawalState::AwaitingPhone
        )
    }
}

/// A withdrawal as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub id: WithdrawalId,
    pub account: AccountId,
    pub amount: Money,
    /// Charged with the withdrawal: reserved with it, and taken only when the cash is.
    pub fee: Money,
    pub state: WithdrawalState,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    /// When it was dispensed, cancelled or expired.
    pub ended_at_ms: Option<i64>,
}

impl Withdrawal {
    /// What leaves the account: the cash and its fee.
    pub fn total(&self) -> Money {
        Money::jpy(self.amount.amount_minor + self.fee.amount_minor)
    }
}

/// The Cash page: what a withdrawal costs, what today's limit still allows,
/// and the latest withdrawals, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashOverview {
    pub fee: Money,
    pub left_today: Money,
    pub recent: Vec<Withdrawal>,
}

/// A freshly prepared withdrawal with its codes, shown only now: the QR
/// payload (high entropy, for the ATM's camera) and the short code (for
/// typing at the ATM when the camera cannot read the screen): the
/// withdrawal's number, a dash, and six secret digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepared {
    pub withdrawal: Withdrawal,
    pub qr_payload: String,
    pub short_code: String,
}

/// The amount to withdraw, or why it cannot be, before any money is reserved.
pub fn check_amount(amount: crate::Yen) -> Result<Money, crate::Reason> {
    let yen = amount.0;
    if yen <= 0 {
        Err(crate::Reason::NotPositive)
    } else if yen % STEP_YEN != 0 {
        Err(crate::Reason::NotWholeThousands)
    } else if yen > MAX_PER_WITHDRAWAL_YEN {
        Err(crate::Reason::OverWithdrawalLimit)
    } else {
        Ok(amount.money())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_whole_thousands_within_the_limit() {
        assert_eq!(check_amount(crate::Yen(20_000)), Ok(Money::jpy(20_000)));
        assert_eq!(
            check_amount(crate::Yen(MAX_PER_WITHDRAWAL_YEN)),
            Ok(Money::jpy(MAX_PER_WITHDRAWAL_YEN))
        );
        assert_eq!(check_amount(crate::Yen(0)), Err(crate::Reason::NotPositive));
        assert_eq!(
            check_amount(crate::Yen(-1_000)),
            Err(crate::Reason::NotPositive)
        );
        assert_eq!(
            check_amount(crate::Yen(1_500)),
            Err(crate::Reason::NotWholeThousands)
        );
        assert_eq!(
            check_amount(crate::Yen(MAX_PER_WITHDRAWAL_YEN + 1_000)),
            Err(crate::Reason::OverWithdrawalLimit)
        );
    }

    #[test]
    fn states_round_trip_and_only_two_are_open() {
        for s in WithdrawalState::ALL {
            assert_eq!(WithdrawalState::parse(s.as_str()), Some(s));
        }
        let open: Vec<_> = WithdrawalState::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .collect();
        assert_eq!(
            open,
            [WithdrawalState::Ready, WithdrawalState::AwaitingPhone]
        );
    }
}

/// Where a scanned withdrawal stands, as its kiosk shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum KioskStep {
    /// The phone has until `deadline_ms` to confirm.
    AwaitingPhone { deadline_ms: i64 },
    /// Confirmed: the machine gives out the cash (the receipt's time is `at_ms`).
    Dispensing { at_ms: i64 },
    /// The phone said no, or was too far away, or did not answer in time.
    Refused { reason: crate::Reason },
}

/// A withdrawal at the kiosk that scanned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KioskWithdrawal {
    pub id: crate::ids::WithdrawalId,
    pub amount: Money,
    pub fee: Money,
    pub step: KioskStep,
}

//! Purchases by minors (and adult wards) that merchants report (flow F4):
//! what a purchase is, the states it passes through, and why one was
//! cancelled, as codes the app translates. The guardian's conditions are in
//! [`conditions`]; what the views may do in [`port`].

pub mod conditions;
pub mod port;

use serde::{Deserialize, Serialize};

use crate::{
    ids::{ApiClientId, PurchaseId, UserId},
    money::Money,
};

/// Longest description or merchant reference a purchase may carry.
pub const MAX_DESCRIPTION_CHARS: usize = 200;
pub const MAX_REFERENCE_CHARS: usize = 64;
/// Largest purchase a merchant may report, in yen.
pub const MAX_PURCHASE_YEN: i64 = 1_000_000;

codes! {
    /// What was bought, as the merchant classes it.
    Category {
        Food = "food",
        Books = "books",
        Stationery = "stationery",
        Clothing = "clothing",
        Toys = "toys",
        Games = "games",
        InGameItems = "in_game_items",
        Electronics = "electronics",
        Transport = "transport",
        Entertainment = "entertainment",
        Alcohol = "alcohol",
        Tobacco = "tobacco",
        Gambling = "gambling",
        Other = "other",
    }
}

codes! {
    /// How the purchase is paid.
    Payment {
        /// From the minor's Anshin account, which the minor confirms.
        Anshin = "anshin",
        /// Cash or a card at the till: reported so the guardian sees it; a
        /// cancel asks the merchant for a refund.
        Elsewhere = "elsewhere",
    }
}

codes! {
    /// Where a purchase stands.
    PurchaseState {
        /// Above the guardian's "ask me first" amount: waiting for them.
        AwaitingGuardian = "awaiting_guardian",
        /// Paid through Anshin: waiting for the minor's passkey.
        AwaitingMinor = "awaiting_minor",
        /// Made; the guardian may cancel it until the window ends (money
        /// paid through Anshin is reserved until then).
        InWindow = "in_window",
        /// The window ended: paid to the merchant, or final.
        Completed = "completed",
        Cancelled = "cancelled",
        /// Cancelled after it was paid elsewhere: the merchant is asked to refund.
        RefundRequested = "refund_requested",
        /// The merchant confirmed the refund.
        Refunded = "refunded",
    }
}

impl PurchaseState {
    /// Whether the purchase counts against the guardian's limits.
    pub fn counts(self) -> bool {
        !matches!(
            self,
            PurchaseState::Cancelled | PurchaseState::RefundRequested | PurchaseState::Refunded
        )
    }

    /// Whether a guardian may still cancel it.
    pub fn cancellable(self) -> bool {
        matches!(
            self,
            PurchaseState::AwaitingGuardian
                | PurchaseState::AwaitingMinor
                | PurchaseState::InWindow
        )
    }
}

/// A condition of the guardian's that a purchase broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "condition", rename_all = "snake_case")]
pub enum Broken {
    PerPurchase {
        limit: Money,
    },
    /// `spent` is what the day held before this purchase.
    PerDay {
        limit: Money,
        spent: Money,
    },
    PerMonth {
        limit: Money,
        spent: Money,
    },
    BlockedCategory {
        category: Category,
    },
    BlockedMerchant,
    /// Outside the hours the guardian allows (Japan time, `from` to `to`).
    Hours {
        from: u8,
        to: u8,
    },
}

/// Why a purchase ended without being paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Cancelled {
    /// Cancelled at once: it broke one of the guardian's conditions.
    Condition { broken: Broken },
    /// The guardian cancelled it within the window.
    ByGuardian,
    /// The guardian said no when asked first.
    GuardianDeclined,
    /// The guardian did not answer in time.
    GuardianDidNotAnswer,
    /// The minor said no on their phone.
    MinorDeclined,
    /// The minor did not confirm in time.
    MinorDidNotConfirm,
}

impl Cancelled {
    pub fn code(&self) -> &'static str {
        match self {
            Cancelled::Condition { .. } => "condition",
            Cancelled::ByGuardian => "by_guardian",
            Cancelled::GuardianDeclined => "guardian_declined",
            Cancelled::GuardianDidNotAnswer => "guardian_did_not_answer",
            Cancelled::MinorDeclined => "minor_declined",
            Cancelled::MinorDidNotConfirm => "minor_did_not_confirm",
        }
    }
}

/// A purchase as its minor and guardians see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    pub id: PurchaseId,
    pub merchant: ApiClientId,
    pub merchant_name: String,
    /// The merchant's own reference (an order number).
    pub reference: String,
    pub minor: UserId,
    pub minor_nickname: String,
    pub amount: Money,
    pub category: Category,
    pub description: String,
    pub payment: Payment,
    pub state: PurchaseState,
    pub cancelled: Option<Cancelled>,
    pub created_at_ms: i64,
    /// While waiting for someone: until when.
    pub deadline_ms: Option<i64>,
    /// While in the window: when it ends.
    pub window_ends_ms: Option<i64>,
}

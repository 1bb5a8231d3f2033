//! Approval requests: "ask this person to decide", one engine for every flow
//! (an ATM confirmation, a warning about a stranger, a guardian's veto, a
//! clerk's or an agent's request). A request is decided exactly once.

use serde::{Deserialize, Serialize};

use crate::{geo::LatLon, ids::ApprovalId, money::Money};

/// What is being asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    /// Cash from an ATM without a card (F2).
    CardlessWithdrawal,
    /// Cash prepared with a clerk (F1).
    ConsultationWithdrawal,
    /// A transfer to someone new or risky (F3).
    RiskyTransfer,
    /// A minor's purchase, for their guardian (F4).
    WardPurchase,
    /// A payment someone asked for on the user's behalf (F5).
    DelegatedPayment,
    /// A practice request the demo raises on demand.
    Practice,
}

impl ApprovalKind {
    pub const ALL: [ApprovalKind; 6] = [
        ApprovalKind::CardlessWithdrawal,
        ApprovalKind::ConsultationWithdrawal,
        ApprovalKind::RiskyTransfer,
        ApprovalKind::WardPurchase,
        ApprovalKind::DelegatedPayment,
        ApprovalKind::Practice,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ApprovalKind::CardlessWithdrawal => "cardless_withdrawal",
            ApprovalKind::ConsultationWithdrawal => "consultation_withdrawal",
            ApprovalKind::RiskyTransfer => "risky_transfer",
            ApprovalKind::WardPurchase => "ward_purchase",
            ApprovalKind::DelegatedPayment => "delegated_payment",
            ApprovalKind::Practice => "practice",
        }
    }

    pub fn parse(s: &str) -> Option<ApprovalKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a request is in its life. Only `Pending` ever changes, and only once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    Approved,
    Declined,
    Expired,
    Cancelled,
}

impl ApprovalState {
    pub const fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Declined => "declined",
            ApprovalState::Expired => "expired",
            ApprovalState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ApprovalState> {
        [
            ApprovalState::Pending,
            ApprovalState::Approved,
            ApprovalState::Declined,
            ApprovalState::Expired,
            ApprovalState::Cancelled,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Why a request ended the way it did, beyond its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Approved with a passkey (and location, where asked).
    Approved,
    /// The person said no.
    DeclinedByUser,
    /// The device was too far from the place the request names.
    TooFar,
    /// Nobody decided before the deadline.
    Expired,
    /// The requester withdrew it.
    Cancelled,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::DeclinedByUser => "declined_by_user",
            Outcome::TooFar => "too_far",
            Outcome::Expired => "expired",
            Outcome::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        [
            Outcome::Approved,
            Outcome::DeclinedByUser,
            Outcome::TooFar,
            Outcome::Expired,
            Outcome::Cancelled,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub const fn state(self) -> ApprovalState {
        match self {
            Outcome::Approved => ApprovalState::Approved,
            Outcome::DeclinedByUser | Outcome::TooFar => ApprovalState::Declined,
            Outcome::Expired => ApprovalState::Expired,
            Outcome::Cancelled => ApprovalState::Cancelled,
        }
    }
}

/// A warning shown with a request; the app words each one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// "If someone on the phone asked you to do this, decline."
    PhoneScam,
    /// The payee has never been paid before.
    NewPayee,
    /// More than this person usually moves.
    LargeAmount,
    /// Someone else started this on the person's behalf.
    OnBehalf,
}

/// A named place the decision must be made near.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub name: String,
    pub at: LatLon,
}

/// What the person needs to know to decide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ApprovalContext {
    pub amount: Option<Money>,
    /// Charged on top of the amount, when there is a fee.
    #[serde(default)]
    pub fee: Option<Money>,
    pub payee: Option<String>,
    pub place: Option<Place>,
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// The requester's own words (already free text: a clerk's note, a merchant's order line).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// A payment a shop terminal or an agent asked for (F5).
    #[serde(default)]
    pub delegated: Option<crate::delegation::Delegated>,
}

/// The proof an approval needs besides a passkey with user verification.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NearRule {
    /// Must be within this many metres of the context's place.
    pub within_m: u32,
}

/// A request as its decider sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub id: ApprovalId,
    pub kind: ApprovalKind,
    pub state: ApprovalState,
    pub outcome: Option<Outcome>,
    /// Who is asking, as shown (an ATM's name, a clerk, a shop).
    pub requester: String,
    pub context: ApprovalContext,
    pub near: Option<NearRule>,
    pub created_at_ms: i64,
    pub deadline_ms: i64,
    pub decided_at_ms: Option<i64>,
}

/// The caller's requests, with the server's clock so countdowns agree with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalList {
    pub server_now_ms: i64,
    /// Pending first (soonest deadline first), then the latest decided.
    pub items: Vec<Approval>,
}

/// A fix from the browser's Geolocation API.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
    /// Metres, as the browser reports it.
    pub accuracy_m: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ApprovalKind::ALL {
            assert_eq!(ApprovalKind::parse(k.as_str()), Some(k));
        }
        for o in [
            Outcome::Approved,
            Outcome::DeclinedByUser,
            Outcome::TooFar,
            Outcome::Expired,
            Outcome::Cancelled,
        ] {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(ApprovalState::parse(o.state().as_str()), Some(o.state()));
        }
        assert_eq!(ApprovalKind::parse("nope"), None);
    }
}

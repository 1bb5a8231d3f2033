//! The ATM fleet as staff and kiosks see it: where each machine stands, how
//! much cash it holds, and whether a kiosk browser is enrolled as it.

use serde::{Deserialize, Serialize};

use crate::{geo::LatLon, ids::AtmId, money::Money};

/// Where a machine is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AtmState {
    /// Registered; no kiosk has used its enrollment code yet.
    AwaitingKiosk,
    /// A kiosk is enrolled and serving.
    Active,
    /// Stopped after repeated bad codes; staff must look at it.
    Locked,
    /// Taken out of service by staff; its kiosk credential no longer works.
    Revoked,
}

impl AtmState {
    pub const ALL: [AtmState; 4] = [
        AtmState::AwaitingKiosk,
        AtmState::Active,
        AtmState::Locked,
        AtmState::Revoked,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AtmState::AwaitingKiosk => "awaiting_kiosk",
            AtmState::Active => "active",
            AtmState::Locked => "locked",
            AtmState::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<AtmState> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One machine, as staff list them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Atm {
    pub id: AtmId,
    pub name: String,
    pub address: String,
    pub at: LatLon,
    pub state: AtmState,
    /// What its cash cassette holds now (available to dispense).
    pub cash: Money,
    pub last_seen_ms: Option<i64>,
}

/// What staff give to register a machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAtm {
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    /// Cash loaded at registration.
    pub cash_yen: crate::Yen,
}

/// A machine and the one-time code a kiosk enters to become it (shown once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtmEnrollment {
    pub atm: Atm,
    pub code: String,
    pub expires_at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        for s in AtmState::ALL {
            assert_eq!(AtmState::parse(s.as_str()), Some(s));
        }
        assert_eq!(AtmState::parse("broken"), None);
    }
}

//! Remote consultations (flow F1): a customer asks to talk to the bank, the
//! request waits in the staff queue until a clerk takes it, and the two talk
//! (video, and a chat kept with the consultation) until either ends it.

use serde::{Deserialize, Serialize};

use crate::ids::{ConsultationId, MessageId};

/// Longest topic a customer may give when asking.
pub const MAX_TOPIC_CHARS: usize = 200;
/// Longest chat message.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationState {
    /// Asked for; waiting in the staff queue.
    Waiting,
    /// A clerk took it; the two are talking.
    Active,
    /// Either side ended it (or the customer withdrew the request).
    Ended,
}

impl ConsultationState {
    pub const ALL: [ConsultationState; 3] = [
        ConsultationState::Waiting,
        ConsultationState::Active,
        ConsultationState::Ended,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ConsultationState::Waiting => "waiting",
            ConsultationState::Active => "active",
            ConsultationState::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<ConsultationState> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Which side of a consultation someone is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Customer,
    Clerk,
}

impl Side {
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Customer => "customer",
            Side::Clerk => "clerk",
        }
    }

    pub fn parse(s: &str) -> Option<Side> {
        [Side::Customer, Side::Clerk]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A consultation as either side sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    pub id: ConsultationId,
    pub state: ConsultationState,
    /// The customer's display name and what they want to talk about.
    pub customer_name: String,
    pub topic: String,
    /// The clerk who took it, once one has.
    pub clerk_name: Option<String>,
    pub asked_at_ms: i64,
    pub taken_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    /// Who ended it, once it has ended.
    pub ended_by: Option<Side>,
}

/// A STUN or TURN server the browsers use to reach each other for video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub credential: Option<String>,
}

/// One chat line, kept with its consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: MessageId,
    pub consultation: ConsultationId,
    pub from: Side,
    pub author: String,
    pub text: String,
    pub at_ms: i64,
}

/// Why a topic or message cannot be taken, before anything is stored.
pub fn check_text(text: &str, max_chars: usize) -> Result<&str, crate::Reason> {
    let text = text.trim();
    if text.is_empty() {
        Err(crate::Reason::Empty)
    } else if text.chars().count() > max_chars {
        Err(crate::Reason::TooLong)
    } else {
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_sides_round_trip() {
        for s in ConsultationState::ALL {
            assert_eq!(ConsultationState::parse(s.as_str()), Some(s));
        }
        for s in [Side::Customer, Side::Clerk] {
            assert_eq!(Side::parse(s.as_str()), Some(s));
        }
        assert_eq!(ConsultationState::parse("lost"), None);
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(check_text("  hello  ", 10), Ok("hello"));
        assert_eq!(check_text("   ", 10), Err(crate::Reason::Empty));
        assert_eq!(
            check_text("あいうえおかきくけこ", 10),
            Ok("あいうえおかきくけこ")
        );
        assert_eq!(
            check_text("あいうえおかきくけこさ", 10),
            Err(crate::Reason::TooLong)
        );
    }
}

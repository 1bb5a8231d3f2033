//! A transfer to another person as the views see it: the form, the review
//! before the passkey, the transfer's state, payees and the conversation
//! between two customers.

use serde::{Deserialize, Serialize};

use super::{name_check::NameCheck, risk::Assessment};
use crate::{
    identity::Ceremony,
    ids::{AccountId, DirectMessageId, PayeeId, SendId},
    money::Money,
    Reason, Yen,
};

/// Most one transfer may move, in yen.
pub const MAX_PER_TRANSFER_YEN: i64 = 1_000_000;
/// Most a person may send to others in a day (Japan time), in yen.
pub const MAX_PER_DAY_YEN: i64 = 2_000_000;
/// Longest message between two customers, and longest proof message.
pub const MAX_MESSAGE_CHARS: usize = 500;
/// Longest name a payee may be saved under.
pub const MAX_LABEL_CHARS: usize = 40;

/// An account number as shown: seven digits.
pub fn account_number(id: AccountId) -> String {
    format!("{:07}", id.0)
}

/// Whom the sender typed: seven digits are an account number, anything else a nickname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum To {
    Account(AccountId),
    Nickname(String),
}

impl To {
    pub fn parse(typed: &str) -> Result<To, Reason> {
        let t = typed.trim();
        if t.is_empty() {
            return Err(Reason::Required);
        }
        let digits: String = t.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
        if digits.len() == 7 && digits.chars().all(|c| c.is_ascii_digit()) {
            return Ok(To::Account(AccountId(
                digits.parse().map_err(|_| Reason::Malformed)?,
            )));
        }
        // "@ hanako" and a lone "@" are what people type, not names.
        match t.trim_start_matches(|c: char| c == '@' || c.is_whitespace()) {
            "" => Err(Reason::Required),
            name => Ok(To::Nickname(name.to_string())),
        }
    }
}

/// Checks an amount to send.
pub fn check_amount(yen: Yen) -> Result<Money, Reason> {
    match yen.0 {
        y if y <= 0 => Err(Reason::NotPositive),
        y if y > MAX_PER_TRANSFER_YEN => Err(Reason::OverTransferLimit),
        y => Ok(Money::jpy(y)),
    }
}

/// What the sender filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendForm {
    pub from: AccountId,
    /// An account number or a nickname.
    pub to: String,
    pub yen: Yen,
    /// The name the sender expects the account to be in; empty skips the check.
    pub expected_name: String,
    /// Chosen by the page for this transfer: a retry sends once.
    pub key: String,
}

/// What a payment is for, as the sender answers a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    FamilyOrFriend,
    GoodsOrServices,
    Investment,
    /// Someone said they were the bank, the police or an official and asked for it.
    AskedByOfficial,
    /// Someone met online asked for it.
    AskedOnline,
    Other,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Purpose::FamilyOrFriend,
        Purpose::GoodsOrServices,
        Purpose::Investment,
        Purpose::AskedByOfficial,
        Purpose::AskedOnline,
        Purpose::Other,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Purpose::FamilyOrFriend => "family_or_friend",
            Purpose::GoodsOrServices => "goods_or_services",
            Purpose::Investment => "investment",
            Purpose::AskedByOfficial => "asked_by_official",
            Purpose::AskedOnline => "asked_online",
            Purpose::Other => "other",
        }
    }

    /// The answers that are how scams go: they raise the decision to a hold.
    pub const fn is_scam_pattern(self) -> bool {
        matches!(self, Purpose::AskedByOfficial | Purpose::Investment)
    }
}

/// How likely a scam is, as a warning says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScamLikelihood {
    Some,
    High,
}

/// The recipient as the sender may see them: never their name, unless the
/// name check answered a close match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientView {
    pub account_number: String,
    pub nickname: String,
    pub name_check: Option<NameCheck>,
    pub saved_payee: bool,
}

/// What the sender sees before confirming with the passkey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub recipient: RecipientView,
    pub amount: Money,
    pub assessment: Assessment,
    /// Set when the sender must acknowledge a warning before sending.
    pub likelihood: Option<ScamLikelihood>,
    pub left_today: Money,
    /// The passkey challenge, bound to this recipient, amount and key;
    /// none when the transfer would be refused.
    pub ceremony: Option<Ceremony>,
}

/// Where a transfer is. Only the waiting states change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    /// The recipient is asked to prove who they are; the money is reserved.
    AwaitingRecipient,
    /// The recipient's proof is back; the sender confirms or gives up.
    AwaitingSender,
    /// Staff review it; the money is reserved.
    InReview,
    Settled,
    Refused,
    /// The sender gave up.
    Abandoned,
    /// The recipient or staff said no.
    Declined,
    Expired,
}

impl SendState {
    pub const ALL: [SendState; 8] = [
        SendState::AwaitingRecipient,
        SendState::AwaitingSender,
        SendState::InReview,
        SendState::Settled,
        SendState::Refused,
        SendState::Abandoned,
        SendState::Declined,
        SendState::Expired,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            SendState::AwaitingRecipient => "awaiting_recipient",
            SendState::AwaitingSender => "awaiting_sender",
            SendState::InReview => "in_review",
            SendState::Settled => "settled",
            SendState::Refused => "refused",
            SendState::Abandoned => "abandoned",
            SendState::Declined => "declined",
            SendState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<SendState> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Still waiting, with the money reserved.
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            SendState::AwaitingRecipient | SendState::AwaitingSender | SendState::InReview
        )
    }
}

/// The warning the sender acknowledged, as evidence for a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledged {
    pub likelihood: ScamLikelihood,
    pub purpose: Purpose,
    pub at_ms: i64,
}

/// A transfer to another person, as its sender sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    pub id: SendId,
    pub from: AccountId,
    pub to_account_number: String,
    pub to_nickname: String,
    pub amount: Money,
    pub state: SendState,
    pub assessment: Assessment,
    pub name_check: Option<NameCheck>,
    pub acknowledged: Option<Acknowledged>,
    /// The recipient's own words, signed with their passkey.
    pub proof_message: Option<String>,
    pub proof_at_ms: Option<i64>,
    pub created_at_ms: i64,
    /// When a waiting transfer gives up by itself.
    pub deadline_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
}

/// A transfer the recipient is asked to prove who they are for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofRequest {
    pub id: SendId,
    pub from_nickname: String,
    pub amount: Money,
    pub state: SendState,
    pub created_at_ms: i64,
    pub deadline_ms: Option<i64>,
}

/// A transfer waiting for staff, with what they need to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub sent: Sent,
    pub from_nickname: String,
    /// Completed transfers between the two accounts, either way.
    pub between_count: u32,
    pub between_total: Money,
}

/// Someone the sender pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payee {
    pub id: PayeeId,
    pub label: String,
    pub account_number: String,
    pub nickname: String,
    pub last_paid_at_ms: Option<i64>,
}

/// A message between two customers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectMessage {
    pub id: DirectMessageId,
    pub mine: bool,
    pub body: String,
    pub at_ms: i64,
}

/// The conversation with one other customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub with_nickname: String,
    pub started_at_ms: Option<i64>,
    pub messages: Vec<DirectMessage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_digits_are_an_account_anything_else_a_nickname() {
        assert_eq!(To::parse("0000012"), Ok(To::Account(AccountId(12))));
        assert_eq!(To::parse(" 000-0012 "), Ok(To::Account(AccountId(12))));
        assert_eq!(To::parse("@hanako"), Ok(To::Nickname("hanako".into())));
        assert_eq!(To::parse("12"), Ok(To::Nickname("12".into())));
        assert_eq!(To::parse("  "), Err(Reason::Required));
        assert_eq!(To::parse("@"), Err(Reason::Required));
        assert_eq!(To::parse("@ hanako"), Ok(To::Nickname("hanako".into())));
        assert_eq!(account_number(AccountId(12)), "0000012");
    }

    #[test]
    fn amounts_are_positive_and_within_the_limit() {
        assert_eq!(check_amount(Yen(0)), Err(Reason::NotPositive));
        assert_eq!(check_amount(Yen(-5)), Err(Reason::NotPositive));
        assert_eq!(
            check_amount(Yen(MAX_PER_TRANSFER_YEN + 1)),
            Err(Reason::OverTransferLimit)
        );
        assert_eq!(check_amount(Yen(1)), Ok(Money::jpy(1)));
    }

    #[test]
    fn states_round_trip() {
        for s in SendState::ALL {
            assert_eq!(SendState::parse(s.as_str()), Some(s));
        }
    }
}

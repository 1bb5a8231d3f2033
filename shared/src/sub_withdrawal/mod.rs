//! Withdrawals arranged in a consultation (flow F1): the clerk pushes a form
//! onto the customer's screen, the customer fills in the amount and confirms
//! with a passkey, and the money moves into a withdrawal sub-account with a
//! number and a password for the ATM. The password is the customer's alone:
//! nothing in this module's types that a clerk receives ever carries it.

pub mod port;

use serde::{Deserialize, Serialize};

use crate::{
    ids::{AccountId, ConsultationId, SubWithdrawalId},
    money::Money,
};

/// Wrong passwords in a row that lock a sub-account.
pub const MAX_TRIES: u32 = 5;
/// Password length, in digits.
pub const PASSWORD_MIN: usize = 6;
pub const PASSWORD_MAX: usize = 8;
/// Scheme of the QR code that carries a sub-account number and its password.
pub const QR_PREFIX: &str = "anshin:sw:";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubWithdrawalState {
    /// The clerk pushed the form; the customer's screen shows it.
    Pushed,
    /// The customer opened it (it is on their screen).
    Opened,
    /// The customer sent the amount and is confirming with a passkey.
    Submitted,
    /// Confirmed: the money is in the sub-account, waiting for an ATM (the
    /// row and the money moved in one transaction).
    Ready,
    /// Five wrong passwords: no ATM will pay it until the customer unlocks it.
    Locked,
    /// An ATM paid it out (the row and the payout committed together; the
    /// ATM hands out cash only after that).
    Dispensed,
    /// It expired unclaimed; the money went back to the main account.
    Returned,
    /// Withdrawn before confirmation (by the clerk, or declined by the customer).
    Withdrawn,
}

impl SubWithdrawalState {
    pub const ALL: [SubWithdrawalState; 8] = [
        SubWithdrawalState::Pushed,
        SubWithdrawalState::Opened,
        SubWithdrawalState::Submitted,
        SubWithdrawalState::Ready,
        SubWithdrawalState::Locked,
        SubWithdrawalState::Dispensed,
        SubWithdrawalState::Returned,
        SubWithdrawalState::Withdrawn,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            SubWithdrawalState::Pushed => "pushed",
            SubWithdrawalState::Opened => "opened",
            SubWithdrawalState::Submitted => "submitted",
            SubWithdrawalState::Ready => "ready",
            SubWithdrawalState::Locked => "locked",
            SubWithdrawalState::Dispensed => "dispensed",
            SubWithdrawalState::Returned => "returned",
            SubWithdrawalState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<SubWithdrawalState> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Still a form: nothing has moved yet.
    pub const fn is_form(self) -> bool {
        matches!(
            self,
            SubWithdrawalState::Pushed | SubWithdrawalState::Opened | SubWithdrawalState::Submitted
        )
    }

    /// Money sits in the sub-account.
    pub const fn is_funded(self) -> bool {
        matches!(self, SubWithdrawalState::Ready | SubWithdrawalState::Locked)
    }
}

/// A pushed form and, once confirmed, its sub-account, as either side sees
/// it. It never holds the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubWithdrawal {
    pub id: SubWithdrawalId,
    pub consultation: ConsultationId,
    pub state: SubWithdrawalState,
    /// What the clerk suggested, if anything.
    pub suggested: Option<Money>,
    /// What the customer confirmed.
    pub amount: Option<Money>,
    /// This kind of withdrawal's own fee, fixed when the form is pushed.
    pub fee: Money,
    /// The sub-account holding the money, and the number quoted at the ATM.
    pub sub_account: Option<AccountId>,
    pub number: Option<String>,
    pub created_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    /// Wrong passwords in a row so far.
    pub failed_tries: u32,
}

/// A password shown to the customer, once: after confirming, or after a
/// fresh passkey check asked for a new one. Its `Debug` leaves the secret
/// out, so a log line or a panic message cannot carry it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revealed {
    pub withdrawal: SubWithdrawal,
    pub password: String,
    /// For the ATM's camera: the number and the password together.
    pub qr_payload: String,
}

impl std::fmt::Debug for Revealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revealed")
            .field("withdrawal", &self.withdrawal)
            .field("password", &"<redacted>")
            .field("qr_payload", &"<redacted>")
            .finish()
    }
}

/// How the customer wants the password set. `Debug` leaves a chosen one out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "digits", rename_all = "snake_case")]
pub enum PasswordChoice {
    Generate,
    Chosen(String),
}

impl std::fmt::Debug for PasswordChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordChoice::Generate => f.write_str("Generate"),
            PasswordChoice::Chosen(_) => f.write_str("Chosen(<redacted>)"),
        }
    }
}

/// What an ATM paid out with a sub-account's number and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeReceipt {
    pub id: SubWithdrawalId,
    pub amount: Money,
    pub fee: Money,
    pub at_ms: i64,
}

/// A past consultation and what came of it, for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationRecord {
    pub consultation: crate::consultation::Consultation,
    /// The withdrawals pushed in it, oldest first.
    pub withdrawals: Vec<SubWithdrawal>,
    pub messages: i64,
}

/// The QR payload for a sub-account's number and password.
pub fn qr_payload(number: &str, password: &str) -> String {
    format!("{QR_PREFIX}{number}:{password}")
}

/// The number and password a QR payload carries, if it is one of ours.
pub fn parse_qr(payload: &str) -> Option<(&str, &str)> {
    payload.trim().strip_prefix(QR_PREFIX)?.split_once(':')
}

/// Why a chosen password cannot be used: 6 to 8 digits, and not easy to
/// guess (one digit repeated, a straight run up or down, or a short block
/// repeated, such as 121212).
pub fn check_password(p: &str) -> Result<(), crate::Reason> {
    let digits: Vec<u8> = p.bytes().collect();
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(crate::Reason::NotDigits);
    }
    if digits.len() < PASSWORD_MIN || digits.len() > PASSWORD_MAX {
        return Err(crate::Reason::WrongLength);
    }
    let steps: Vec<i16> = digits
        .windows(2)
        .map(|w| w[1] as i16 - w[0] as i16)
        .collect();
    if steps.iter().all(|&s| s == 0) {
        return Err(crate::Reason::OneDigit);
    }
    if steps.iter().all(|&s| s == 1 || s == -9) || steps.iter().all(|&s| s == -1 || s == 9) {
        return Err(crate::Reason::StraightRun);
    }
    let repeats = |block: usize| {
        digits.len().is_multiple_of(block) && digits.chunks(block).all(|c| c == &digits[..block])
    };
    if (2..=digits.len() / 2).any(repeats) {
        return Err(crate::Reason::RepeatedPattern);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        for s in SubWithdrawalState::ALL {
            assert_eq!(SubWithdrawalState::parse(s.as_str()), Some(s));
        }
        assert!(SubWithdrawalState::Opened.is_form());
        assert!(!SubWithdrawalState::Ready.is_form());
        assert!(SubWithdrawalState::Locked.is_funded());
        assert!(!SubWithdrawalState::Returned.is_funded());
    }

    #[test]
    fn debug_output_never_shows_a_password() {
        let choice = PasswordChoice::Chosen("407193".into());
        assert!(!format!("{choice:?}").contains("407193"));
        let shown = Revealed {
            withdrawal: SubWithdrawal {
                id: SubWithdrawalId(1),
                consultation: ConsultationId(1),
                state: SubWithdrawalState::Ready,
                suggested: None,
                amount: Some(Money::jpy(10_000)),
                fee: Money::jpy(220),
                sub_account: Some(AccountId(9)),
                number: Some("12345678".into()),
                created_at_ms: 0,
                expires_at_ms: None,
                ended_at_ms: None,
                failed_tries: 0,
            },
            password: "407193".into(),
            qr_payload: qr_payload("12345678", "407193"),
        };
        let printed = format!("{shown:?}");
        assert!(!printed.contains("407193"), "{printed}");
        assert!(printed.contains("12345678"), "{printed}");
    }

    #[test]
    fn easy_passwords_are_refused() {
        assert_eq!(check_password("40719"), Err(crate::Reason::WrongLength));
        assert_eq!(check_password("407193251"), Err(crate::Reason::WrongLength));
        assert_eq!(check_password("40a193"), Err(crate::Reason::NotDigits));
        assert_eq!(check_password("777777"), Err(crate::Reason::OneDigit));
        assert_eq!(check_password("123456"), Err(crate::Reason::StraightRun));
        assert_eq!(check_password("87654321"), Err(crate::Reason::StraightRun));
        assert_eq!(check_password("890123"), Err(crate::Reason::StraightRun));
        assert_eq!(
            check_password("121212"),
            Err(crate::Reason::RepeatedPattern)
        );
        assert_eq!(
            check_password("12341234"),
            Err(crate::Reason::RepeatedPattern)
        );
        assert_eq!(check_password("407193"), Ok(()));
        assert_eq!(check_password("5820317"), Ok(()));
    }

    #[test]
    fn the_qr_carries_number_and_password() {
        let payload = qr_payload("48213907", "407193");
        assert_eq!(parse_qr(&payload), Some(("48213907", "407193")));
        assert_eq!(parse_qr("anshin:cw:abc"), None);
    }
}

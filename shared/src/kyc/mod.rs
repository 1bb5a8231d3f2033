//! Identity checks (KYC) and guardian–ward relationships (flow F4): the
//! details a person gives with an image of their identity document, the
//! states a check passes through under staff review, and a relationship's
//! path from a guardian's invitation through the ward's answer to staff's
//! verification against a document. Reasons travel as codes the app
//! translates. What the views may do is in [`port`].

pub mod port;

use serde::{Deserialize, Serialize};

use crate::{age::Date, ids::UserId, Reason};

/// Longest name and address a check may carry, in characters.
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_ADDRESS_CHARS: usize = 200;
/// Largest document image accepted, in bytes (a phone photo of a card).
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;
/// Smallest document image (each side, in pixels) staff can still read.
pub const MIN_DOCUMENT_SIDE: u32 = 200;
/// The document image types accepted, by their media type.
pub const DOCUMENT_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

codes! {
    /// Where a person's identity check stands.
    CheckState {
        /// Waiting for staff.
        Submitted = "submitted",
        Approved = "approved",
        /// Refused for good: the person may submit a new check.
        Rejected = "rejected",
        /// Staff ask for a new document (unreadable, cut off…).
        Resubmit = "resubmit",
    }
}

codes! {
    /// Why staff refused a check or a relationship, or asked again.
    ReviewReason {
        Unreadable = "unreadable",
        DetailsMismatch = "details_mismatch",
        DocumentExpired = "document_expired",
        WrongDocument = "wrong_document",
    }
}

codes! {
    /// Where a guardian–ward relationship stands.
    LinkState {
        /// The guardian asked; the ward has not answered.
        Invited = "invited",
        /// The ward said yes; staff have not verified the document.
        Accepted = "accepted",
        Verified = "verified",
        Declined = "declined",
        /// Staff found the document did not prove the relationship.
        Rejected = "rejected",
    }
}

codes! {
    /// What makes the guardian a guardian, and so which document proves it.
    Relation {
        /// A parent with parental authority: a family register extract (koseki).
        Parent = "parent",
        /// Appointed by a family court: the court's order.
        CourtAppointed = "court_appointed",
    }
}

codes! {
    /// What a person is told about their check or a relationship.
    IdentityEvent {
        CheckApproved = "check_approved",
        CheckRejected = "check_rejected",
        CheckResubmit = "check_resubmit",
        /// A guardian asks to be linked to them.
        Invited = "invited",
        InvitationAccepted = "invitation_accepted",
        InvitationDeclined = "invitation_declined",
        LinkVerified = "link_verified",
        LinkRejected = "link_rejected",
        /// For staff: a check or a relationship waits for their review.
        ReviewWaiting = "review_waiting",
    }
}

impl LinkState {
    /// Still on its way: a new invitation between the same two would repeat it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            LinkState::Invited | LinkState::Accepted | LinkState::Verified
        )
    }
}

/// What a person states about themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityDetails {
    pub full_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    pub address: String,
}

impl IdentityDetails {
    /// The details trimmed and checked field by field against `today`.
    pub fn parse(&self, today: Date) -> Result<IdentityDetails, (&'static str, Reason)> {
        let text = |field: &'static str, s: &str, max: usize| {
            let s = s.trim();
            if s.is_empty() {
                Err((field, Reason::Required))
            } else if s.chars().count() > max {
                Err((field, Reason::TooLong))
            } else if s.chars().any(char::is_control) {
                Err((field, Reason::BadCharacter))
            } else {
                Ok(s.to_string())
            }
        };
        let full_name = text("full_name", &self.full_name, MAX_NAME_CHARS)?;
        let address = text("address", &self.address, MAX_ADDRESS_CHARS)?;
        let birth = Date::parse(&self.birth_date).ok_or(("birth_date", Reason::NotADate))?;
        if birth > today {
            return Err(("birth_date", Reason::InTheFuture));
        }
        if today.year - birth.year > 130 {
            return Err(("birth_date", Reason::TooOld));
        }
        Ok(IdentityDetails {
            full_name,
            birth_date: format!("{:04}-{:02}-{:02}", birth.year, birth.month, birth.day),
            address,
        })
    }
}

/// Someone on one side of a relationship, as the other side and staff see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub user: UserId,
    pub nickname: String,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(name: &str, birth: &str, address: &str) -> IdentityDetails {
        IdentityDetails {
            full_name: name.into(),
            birth_date: birth.into(),
            address: address.into(),
        }
    }

    const TODAY: Date = Date {
        year: 2026,
        month: 12,
        day: 6,
    };

    #[test]
    fn details_are_trimmed_and_the_date_written_in_full() {
        let d = details("  Taro Suzuki ", "2012-8-3", " Tokyo ")
            .parse(TODAY)
            .unwrap();
        assert_eq!(d, details("Taro Suzuki", "2012-08-03", "Tokyo"));
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (
                details("", "2012-08-03", "x"),
                ("full_name", Reason::Required),
            ),
            (
                details("a", "2012-08-03", " "),
                ("address", Reason::Required),
            ),
            (
                details("a", "2012-02-30", "x"),
                ("birth_date", Reason::NotADate),
            ),
            (
                details("a", "2027-01-01", "x"),
                ("birth_date", Reason::InTheFuture),
            ),
            (
                details("a", "1890-01-01", "x"),
                ("birth_date", Reason::TooOld),
            ),
            (
                details("a\u{7}", "2012-08-03", "x"),
                ("full_name", Reason::BadCharacter),
            ),
            (
                details(&"名".repeat(MAX_NAME_CHARS + 1), "2012-08-03", "x"),
                ("full_name", Reason::TooLong),
            ),
        ];
        for (d, want) in cases {
            assert_eq!(d.parse(TODAY), Err(want), "{d:?}");
        }
        assert!(details(&"名".repeat(MAX_NAME_CHARS), "2012-08-03", "x")
            .parse(TODAY)
            .is_ok());
    }

    #[test]
    fn codes_round_trip() {
        for s in LinkState::ALL {
            assert_eq!(LinkState::parse(s.as_str()), Some(*s));
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for s in CheckState::ALL {
            assert_eq!(CheckState::parse(s.as_str()), Some(*s));
        }
        for s in IdentityEvent::ALL {
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
    }
}

//! Identity checks and relationships in words: states, staff's reasons,
//! relations, and the refusals a person can mend themselves.

use shared::{
    kyc::{CheckState, LinkState, Relation, ReviewReason},
    AppError, Reason,
};

use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

pub fn check_state_text(i18n: I18n, s: CheckState) -> &'static str {
    match s {
        CheckState::Submitted => t_string!(i18n, kyc.check_submitted),
        CheckState::Approved => t_string!(i18n, kyc.check_approved),
        CheckState::Rejected => t_string!(i18n, kyc.check_rejected),
        CheckState::Resubmit => t_string!(i18n, kyc.check_resubmit),
    }
}

pub fn link_state_text(i18n: I18n, s: LinkState) -> &'static str {
    match s {
        LinkState::Invited => t_string!(i18n, kyc.link_invited),
        LinkState::Accepted => t_string!(i18n, kyc.link_accepted),
        LinkState::Verified => t_string!(i18n, kyc.link_verified),
        LinkState::Declined => t_string!(i18n, kyc.link_declined),
        LinkState::Rejected => t_string!(i18n, kyc.link_rejected),
    }
}

pub fn review_reason_text(i18n: I18n, r: ReviewReason) -> &'static str {
    match r {
        ReviewReason::Unreadable => t_string!(i18n, kyc.why_unreadable),
        ReviewReason::DetailsMismatch => t_string!(i18n, kyc.why_details_mismatch),
        ReviewReason::DocumentExpired => t_string!(i18n, kyc.why_document_expired),
        ReviewReason::WrongDocument => t_string!(i18n, kyc.why_wrong_document),
    }
}

pub fn relation_text(i18n: I18n, r: Relation) -> &'static str {
    match r {
        Relation::Parent => t_string!(i18n, kyc.relation_parent),
        Relation::CourtAppointed => t_string!(i18n, kyc.relation_court),
    }
}

/// A refusal the person can act on, in words; `None` for the rest, which
/// the general error notice explains.
pub fn refusal_text(i18n: I18n, e: &AppError) -> Option<&'static str> {
    let reason = match e {
        AppError::Invalid { reason, .. } | AppError::Conflict { reason } => *reason,
        _ => return None,
    };
    Some(match reason {
        Reason::NotAnImage => t_string!(i18n, kyc.error_not_an_image),
        Reason::TooBig => t_string!(i18n, kyc.error_too_big),
        Reason::TooSmall => t_string!(i18n, kyc.error_too_small),
        Reason::Required | Reason::Empty => t_string!(i18n, kyc.error_required),
        Reason::TooLong => t_string!(i18n, kyc.error_too_long),
        Reason::NotADate | Reason::InTheFuture | Reason::TooOld => {
            t_string!(i18n, kyc.error_birth_date)
        }
        Reason::CheckPending => t_string!(i18n, kyc.error_check_pending),
        Reason::Unknown => t_string!(i18n, kyc.error_unknown_nickname),
        Reason::NotAMinor => t_string!(i18n, kyc.error_not_a_minor),
        Reason::NotAnAdult => t_string!(i18n, kyc.error_not_an_adult),
        Reason::OwnAccount => t_string!(i18n, kyc.error_self),
        Reason::Duplicate => t_string!(i18n, kyc.error_duplicate),
        Reason::IdentityNotChecked => t_string!(i18n, kyc.error_not_checked),
        Reason::LinkNotOpen | Reason::AlreadyReviewed => t_string!(i18n, kyc.error_moved_on),
        Reason::ReasonRequired => t_string!(i18n, kyc.error_reason_required),
        _ => return None,
    })
}

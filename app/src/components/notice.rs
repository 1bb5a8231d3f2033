//! A notice in words: the server sends a code with its particulars, and
//! the reader's language decides how it reads (amounts formatted for it).

use leptos::prelude::*;
use shared::{events::Notice, kyc::IdentityEvent, lang::Lang, transfer::send::SendState};

use crate::i18n::*;

/// `lang` is read as the page renders, so amounts follow a change of language.
pub fn notice_text(
    i18n: leptos_i18n::I18nContext<Locale>,
    lang: impl Fn() -> Lang + Copy + Send + Sync + 'static,
    notice: &Notice,
) -> AnyView {
    match notice.clone() {
        Notice::CashCodeRefused { atm, address } => {
            t!(i18n, notice.cash_code_refused, atm, address).into_any()
        }
        Notice::CashCodeAtmShort { atm, address } => {
            t!(i18n, notice.cash_code_atm_short, atm, address).into_any()
        }
        Notice::SubAccountLocked { number, tries, atm } => {
            t!(i18n, notice.sub_account_locked, number, tries, atm).into_any()
        }
        Notice::NewPasswordAsked { clerk, number } => {
            t!(i18n, notice.new_password_asked, clerk, number).into_any()
        }
        Notice::SubAccountTaken { amount, fee, atm } => {
            let (amount, fee) = (move || amount.format(lang()), move || fee.format(lang()));
            t!(i18n, notice.sub_account_taken, amount, fee, atm).into_any()
        }
        Notice::SubAccountReturned { amount, returned } => {
            let (amount, returned) = (
                move || amount.format(lang()),
                move || returned.format(lang()),
            );
            t!(i18n, notice.sub_account_returned, amount, returned).into_any()
        }
        Notice::AtmLocked { atm, after } => t!(i18n, notice.atm_locked, atm, after).into_any(),
        Notice::ProofAsked { from, amount } => {
            let amount = move || amount.format(lang());
            t!(i18n, notice.proof_asked, from, amount).into_any()
        }
        Notice::ProofGiven { to, amount } => {
            let amount = move || amount.format(lang());
            t!(i18n, notice.proof_given, to, amount).into_any()
        }
        Notice::TransferHeld { from, to, amount } => {
            let amount = move || amount.format(lang());
            t!(i18n, notice.transfer_held, from, to, amount).into_any()
        }
        Notice::TransferReceived { from, amount } => {
            let amount = move || amount.format(lang());
            t!(i18n, notice.transfer_received, from, amount).into_any()
        }
        Notice::TransferEnded { to, amount, state } => {
            let amount = move || amount.format(lang());
            match state {
                SendState::Settled => {
                    t!(i18n, notice.transfer_ended_settled, to, amount).into_any()
                }
                SendState::Expired => {
                    t!(i18n, notice.transfer_ended_expired, to, amount).into_any()
                }
                _ => t!(i18n, notice.transfer_ended_declined, to, amount).into_any(),
            }
        }
        Notice::MessageReceived { from } => t!(i18n, notice.message_received, from).into_any(),
        Notice::Purchase {
            minor,
            merchant,
            amount,
            state,
            ..
        } => {
            // One string in a language-neutral layout of translated parts: an
            // interpolated translation costs every page kilobytes of view code.
            let text = move || {
                format!(
                    "{} · {minor} · {merchant} · {} · {}",
                    t_string!(i18n, notice.purchase),
                    amount.format(lang()),
                    super::purchase_words::state_text(i18n, state)
                )
            };
            text.into_any()
        }
        Notice::Identity { event, name } => {
            let text = move || {
                let what = identity_event_text(i18n, event);
                match name.is_empty() {
                    true => what.to_string(),
                    false => format!("{what} · {name}"),
                }
            };
            text.into_any()
        }
        Notice::DelegatedPaid {
            requester,
            payee,
            amount,
        } => {
            let text = move || {
                format!(
                    "{} · {requester} → {payee} · {}",
                    t_string!(i18n, notice.delegated_paid),
                    amount.format(lang())
                )
            };
            text.into_any()
        }
        Notice::LegacyText { text } => text.into_any(),
    }
}

fn identity_event_text(i18n: leptos_i18n::I18nContext<Locale>, e: IdentityEvent) -> &'static str {
    match e {
        IdentityEvent::CheckApproved => t_string!(i18n, notice.id_check_approved),
        IdentityEvent::CheckRejected => t_string!(i18n, notice.id_check_rejected),
        IdentityEvent::CheckResubmit => t_string!(i18n, notice.id_check_resubmit),
        IdentityEvent::Invited => t_string!(i18n, notice.id_invited),
        IdentityEvent::InvitationAccepted => t_string!(i18n, notice.id_accepted),
        IdentityEvent::InvitationDeclined => t_string!(i18n, notice.id_declined),
        IdentityEvent::LinkVerified => t_string!(i18n, notice.id_link_verified),
        IdentityEvent::LinkRejected => t_string!(i18n, notice.id_link_rejected),
        IdentityEvent::ReviewWaiting => t_string!(i18n, notice.id_review_waiting),
    }
}

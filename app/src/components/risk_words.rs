//! A transfer's risk in words: each reason the server gives as a code with
//! its particulars, the sender's answer, and the transfer's state.

use leptos::prelude::*;
use shared::{
    lang::Lang,
    transfer::{
        risk::RiskReason,
        send::{Purpose, SendState},
    },
};

use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

pub fn reason_text(
    i18n: I18n,
    lang: impl Fn() -> Lang + Copy + Send + Sync + 'static,
    reason: &RiskReason,
) -> AnyView {
    match reason.clone() {
        RiskReason::KnownRecipient {
            transfers,
            total,
            first_days_ago,
        } => {
            let (total, days) = (move || total.format(lang()), first_days_ago);
            t!(i18n, risk.known_recipient, transfers, total, days).into_any()
        }
        RiskReason::NoHistory => t!(i18n, risk.no_history).into_any(),
        RiskReason::TrivialHistory { transfers, total } => {
            let total = move || total.format(lang());
            t!(i18n, risk.trivial_history, transfers, total).into_any()
        }
        RiskReason::RecipientAccountNew { age_days } => {
            let days = age_days;
            t!(i18n, risk.recipient_account_new, days).into_any()
        }
        RiskReason::RecipientManyNewSenders { last_24h, last_7d } => {
            let (day, week) = (last_24h, last_7d);
            t!(i18n, risk.recipient_many_new_senders, day, week).into_any()
        }
        RiskReason::RecipientReported { reports } => {
            t!(i18n, risk.recipient_reported, reports).into_any()
        }
        RiskReason::NotSavedPayee => t!(i18n, risk.not_saved_payee).into_any(),
        RiskReason::NameNoMatch => t!(i18n, risk.name_no_match).into_any(),
        RiskReason::NameCloseMatch => t!(i18n, risk.name_close_match).into_any(),
        RiskReason::NameNotChecked => t!(i18n, risk.name_not_checked).into_any(),
        RiskReason::ConversationNew {
            started_minutes_ago,
            recipient_wrote_first,
        } => {
            let minutes = started_minutes_ago;
            if recipient_wrote_first {
                t!(i18n, risk.conversation_new_they, minutes).into_any()
            } else {
                t!(i18n, risk.conversation_new_you, minutes).into_any()
            }
        }
        RiskReason::UnusualAmount { amount, usual } => {
            let (amount, usual) = (move || amount.format(lang()), move || usual.format(lang()));
            t!(i18n, risk.unusual_amount, amount, usual).into_any()
        }
        RiskReason::LargeForRecipient {
            amount,
            largest_before,
        } => {
            let (amount, largest) = (
                move || amount.format(lang()),
                move || largest_before.format(lang()),
            );
            t!(i18n, risk.large_for_recipient, amount, largest).into_any()
        }
    }
}

/// The reasons as a list.
#[component]
pub fn Reasons(reasons: Vec<RiskReason>) -> impl IntoView {
    let i18n = use_i18n();
    let lang = crate::components::lang::use_lang();
    view! {
        <ul class="reasons">
            {reasons
                .iter()
                .map(|r| view! { <li>{reason_text(i18n, lang, r)}</li> })
                .collect_view()}
        </ul>
    }
}

pub fn purpose_text(i18n: I18n, p: Purpose) -> String {
    match p {
        Purpose::FamilyOrFriend => t_string!(i18n, send.purpose_family_or_friend),
        Purpose::GoodsOrServices => t_string!(i18n, send.purpose_goods_or_services),
        Purpose::Investment => t_string!(i18n, send.purpose_investment),
        Purpose::AskedByOfficial => t_string!(i18n, send.purpose_asked_by_official),
        Purpose::AskedOnline => t_string!(i18n, send.purpose_asked_online),
        Purpose::Other => t_string!(i18n, send.purpose_other),
    }
    .to_string()
}

pub fn state_text(i18n: I18n, s: SendState) -> String {
    match s {
        SendState::AwaitingRecipient => t_string!(i18n, send.state_awaiting_recipient),
        SendState::AwaitingSender => t_string!(i18n, send.state_awaiting_sender),
        SendState::InReview => t_string!(i18n, send.state_in_review),
        SendState::Settled => t_string!(i18n, send.state_settled),
        SendState::Refused => t_string!(i18n, send.state_refused),
        SendState::Abandoned => t_string!(i18n, send.state_abandoned),
        SendState::Declined => t_string!(i18n, send.state_declined),
        SendState::Expired => t_string!(i18n, send.state_expired),
    }
    .to_string()
}

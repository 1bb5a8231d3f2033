//! A guardian–ward relationship as one side sees it: the other person, the
//! relation, where it stands (with staff's reason if they rejected it), and
//! for the ward an invitation's accept and decline.

use leptos::prelude::*;
use shared::{
    ids::UserId,
    kyc::{port::Link, LinkState},
};

use super::{
    approval_card::date_time,
    kyc_words::{link_state_text, relation_text, review_reason_text},
};
use crate::i18n::*;

/// `as_ward`: the card shows the guardian and, while invited, `answer`'s buttons.
#[component]
pub fn LinkCard(
    link: Link,
    as_ward: bool,
    #[prop(optional)] answer: Option<Callback<(UserId, bool)>>,
    #[prop(optional)] busy: Option<Signal<bool>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let other = if as_ward { &link.guardian } else { &link.ward };
    let heading = format!("link-{}-{}", link.guardian.user, link.ward.user);
    let (state, relation, reason) = (link.state, link.relation, link.reason);
    let guardian = link.guardian.user;
    let busy = busy.unwrap_or(Signal::derive(|| false));
    let verified = link.verified_at_ms.map(date_time);
    let heading_ref = heading.clone();
    view! {
        <li class="panel link-card" aria-labelledby=heading_ref>
            <h3 id=heading>{other.name.clone()} " (" {other.nickname.clone()} ")"</h3>
            <p>{move || relation_text(i18n, relation)}</p>
            <span class=format!("badge badge--{}", state.as_str())>{move || link_state_text(i18n, state)}</span>
            {verified.map(|date| view! { <p>{t!(i18n, guardian.since, date)}</p> })}
            {reason.map(|r| view! { <p>{t!(i18n, kyc.reason_label)} " " {move || review_reason_text(i18n, r)}</p> })}
            {(as_ward && state == LinkState::Invited).then_some(answer).flatten().map(|answer| view! {
                <p>{t!(i18n, kyc.invited_body)}</p>
                <div class="form__actions">
                    <button type="button" class="button button--primary" disabled=move || busy.get()
                        on:click=move |_| answer.run((guardian, true))>{t!(i18n, kyc.accept)}</button>
                    <button type="button" class="button button--secondary" disabled=move || busy.get()
                        on:click=move |_| answer.run((guardian, false))>{t!(i18n, kyc.decline)}</button>
                </div>
            })}
        </li>
    }
}

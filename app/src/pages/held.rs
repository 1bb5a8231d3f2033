//! For staff: transfers held for review, oldest first, each with every
//! reason the risk check gave, the sender's answer and the history between
//! the two accounts; release or decline, each audited. A transfer held
//! while the page is open appears at once (staff are told live).

use leptos::{prelude::*, task::spawn_local};
use shared::{events::Notice, ids::SendId, transfer::send::Held, AppError};

use crate::api::{fetch_held_transfers, review_held_transfer};
use crate::components::{
    approval_card::date_time,
    empty_state::EmptyState,
    error_notice::ErrorNotice,
    lang::use_lang,
    risk_words::{purpose_text, Reasons},
};
use crate::i18n::*;
use crate::live::use_live;

#[component]
pub fn HeldTransfers() -> impl IntoView {
    let i18n = use_i18n();
    let list = LocalResource::new(fetch_held_transfers);
    use_live().refetch_on(list, |n| matches!(n, Notice::TransferHeld { .. }));
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let done = RwSignal::new(false);
    let decide = move |id: SendId, release: bool| {
        busy.set(true);
        done.set(false);
        spawn_local(async move {
            match review_held_transfer(id, release).await {
                Ok(_) => {
                    failed.set(None);
                    done.set(true);
                }
                Err(e) => failed.set(Some(e)),
            }
            list.refetch();
            busy.set(false);
        });
    };
    view! {
        <section class="panel held" aria-labelledby="held-heading">
            <h2 id="held-heading" class="section-heading">{t!(i18n, staff.held_title)}</h2>
            <Show when=move || done.get()>
                <p class="notice notice--ok" role="status">{t!(i18n, staff.held_done)}</p>
            </Show>
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
            {move || match list.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error on_retry=Callback::new(move |_| list.refetch()) /> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! {
                    <EmptyState title=t!(i18n, staff.held_title).into_any() body=t!(i18n, staff.held_empty).into_any() />
                }.into_any(),
                Some(Ok(items)) => view! {
                    <ul class="held-list">
                        {items.into_iter().map(|h| view! { <HeldItem h busy decide /> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn HeldItem(
    h: Held,
    busy: RwSignal<bool>,
    decide: impl Fn(SendId, bool) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let lang = use_lang();
    let s = h.sent;
    let id = s.id;
    let (amount, total, count) = (s.amount, h.between_total, h.between_count);
    let (from, to) = (h.from_nickname, s.to_nickname.clone());
    let score = s.assessment.score;
    let at = date_time(s.created_at_ms);
    view! {
        <li class="held-item" data-transfer=id.to_string()>
            <h3>{t!(i18n, staff.held_line, from, to, amount = move || amount.format(lang()))}</h3>
            <p><time>{at}</time></p>
            <p>{t!(i18n, send.score, score)}</p>
            <Reasons reasons=s.assessment.reasons.clone() />
            <p>{t!(i18n, staff.held_history, count, total = move || total.format(lang()))}</p>
            {s.acknowledged.map(|a| view! {
                <p>{t!(i18n, staff.held_purpose, purpose = move || purpose_text(i18n, a.purpose))}</p>
            })}
            <div class="form__actions">
                <button type="button" class="button" disabled=move || busy.get() on:click=move |_| decide(id, true)>
                    {t!(i18n, staff.held_release)}
                </button>
                <button type="button" class="button button--danger" disabled=move || busy.get() on:click=move |_| decide(id, false)>
                    {t!(i18n, staff.held_decline)}
                </button>
            </div>
        </li>
    }
}

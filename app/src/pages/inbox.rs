//! The customer's notifications: every live event, newest first, with
//! unread ones marked; new ones appear at the top as they happen.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;
use shared::{
    approval::Outcome,
    consultation::ConsultationState,
    events::{Event, Notification},
    AppError,
};

use crate::api::{fetch_inbox, mark_read};
use crate::components::{
    approval_card::{kind_label, local_time},
    empty_state::EmptyState,
    error_notice::ErrorNotice,
    live_state::LiveState,
    notice::notice_text,
};
use crate::i18n::*;
use crate::live::use_live;

#[derive(Debug, Clone)]
enum Loading {
    Busy,
    Idle,
    Failed(AppError),
}

fn text(i18n: leptos_i18n::I18nContext<Locale>, event: &Event) -> AnyView {
    match event {
        Event::ApprovalRequested {
            requester, kind, ..
        } => {
            // Worded as the page renders, so it follows a change of language.
            let (requester, kind) = (requester.clone(), *kind);
            let kind = move || kind_label(i18n, kind);
            t!(i18n, inbox.requested, requester, kind).into_any()
        }
        Event::ApprovalEnded { outcome, .. } => match outcome {
            Outcome::Approved => t_string!(i18n, inbox.ended_approved).to_string(),
            Outcome::DeclinedByUser => t_string!(i18n, inbox.ended_declined).to_string(),
            Outcome::TooFar => t_string!(i18n, inbox.ended_too_far).to_string(),
            Outcome::Expired => t_string!(i18n, inbox.ended_expired).to_string(),
            Outcome::Cancelled => t_string!(i18n, inbox.ended_cancelled).to_string(),
        }
        .into_any(),
        Event::Notice { notice } => notice_text(i18n, crate::components::lang::use_lang(), notice),
        Event::ConsultationChanged { consultation: c } => {
            let (customer, clerk) = (
                c.customer_name.clone(),
                c.clerk_name.clone().unwrap_or_default(),
            );
            match c.state {
                ConsultationState::Waiting => {
                    t!(i18n, inbox.consultation_waiting, customer).into_any()
                }
                ConsultationState::Active => {
                    t!(i18n, inbox.consultation_active, customer, clerk).into_any()
                }
                ConsultationState::Ended => t!(i18n, inbox.consultation_ended, customer).into_any(),
            }
        }
        Event::ConsultationMessage { message } => {
            let (author, text) = (message.author.clone(), message.text.clone());
            t!(i18n, inbox.consultation_message, author, text).into_any()
        }
        Event::SubWithdrawalChanged { withdrawal } => {
            let state = crate::components::code_card::state_label(i18n, withdrawal.state);
            t!(i18n, inbox.sub_withdrawal, state).into_any()
        }
    }
}

#[component]
pub fn Inbox() -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let items = RwSignal::new(Vec::<Notification>::new());
    let next = RwSignal::new(None::<i64>);
    let state = RwSignal::new(Loading::Busy);
    let load = move |before: Option<i64>| {
        state.set(Loading::Busy);
        spawn_local(async move {
            match fetch_inbox(before).await {
                Ok(page) => {
                    items.update(|l| {
                        for n in page.items {
                            if !l.iter().any(|m| m.seq == n.seq) {
                                l.push(n);
                            }
                        }
                        l.sort_by_key(|n| std::cmp::Reverse(n.seq));
                    });
                    next.set(page.next_before);
                    state.set(Loading::Idle);
                }
                Err(e) => state.set(Loading::Failed(e)),
            }
        });
    };
    load(None);
    Effect::new(move |_| {
        if let Some(n) = live.latest.get() {
            items.update(|l| {
                if !l.iter().any(|m| m.seq == n.seq) {
                    l.insert(0, n);
                }
            });
        }
    });
    let read_all = move |_| {
        let Some(top) = items.with_untracked(|l| l.first().map(|n| n.seq)) else {
            return;
        };
        spawn_local(async move {
            match mark_read(top).await {
                Ok(unread) => {
                    live.read_all(unread);
                    items.update(|l| {
                        l.iter_mut()
                            .filter(|n| n.seq <= top)
                            .for_each(|n| n.read = true)
                    });
                }
                Err(e) => state.set(Loading::Failed(e)),
            }
        });
    };
    view! {
        <LiveState />
        <div class="inbox-bar">
            <h2 class="section-heading">{t!(i18n, inbox.title)}</h2>
            <Show when=move || { live.unread.get() > 0 }>
                <button type="button" class="button button--secondary" on:click=read_all>
                    {t!(i18n, inbox.mark_all_read)}
                </button>
            </Show>
        </div>
        <Show
            when=move || !items.with(Vec::is_empty)
            fallback=move || match state.get() {
                Loading::Busy => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Loading::Failed(error) => view! { <ErrorNotice error on_retry=Callback::new(move |_| load(None)) /> }.into_any(),
                Loading::Idle => view! {
                    <EmptyState
                        title=t!(i18n, inbox.empty_title).into_any()
                        body=t!(i18n, inbox.empty_body).into_any()
                    />
                }.into_any(),
            }
        >
            <ul class="inbox" aria-live="polite">
                <For each=move || items.get() key=|n| (n.seq, n.read) let:n>
                    <li class="inbox__item" class:inbox__item--unread=!n.read data-seq=n.seq.to_string()>
                        {(!n.read).then(|| view! { <span class="badge badge--new">{t!(i18n, inbox.unread_badge)}</span> })}
                        <span class="inbox__text">{text(i18n, &n.event)}</span>
                        <time class="inbox__at">{local_time(n.at_us / 1000)}</time>
                        {matches!(n.event, Event::ApprovalRequested { .. }).then(|| view! {
                            <A href="/customer/approvals" attr:class="inbox__link">{t!(i18n, inbox.open_approvals)}</A>
                        })}
                    </li>
                </For>
            </ul>
            {move || match (state.get(), next.get()) {
                (Loading::Failed(error), _) => view! { <ErrorNotice error on_retry=Callback::new(move |_| load(next.get_untracked())) /> }.into_any(),
                (Loading::Busy, _) => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                (Loading::Idle, Some(before)) => view! {
                    <button type="button" class="button button--secondary" on:click=move |_| load(Some(before))>
                        {t!(i18n, inbox.load_more)}
                    </button>
                }.into_any(),
                (Loading::Idle, None) => view! { <p class="list-end">{t!(i18n, inbox.end)}</p> }.into_any(),
            }}
        </Show>
    }
}

//! The staff view (desktop): consultations, held transfers and the risk
//! rules, the ATM fleet, the machine API's clients, people, the audit trail.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    consultation::{Consultation, ConsultationState, Side},
    events::Event,
    ids::ConsultationId,
    AppError,
};

use crate::api::{end_consultation, fetch_consultation_queue, take_consultation};
use crate::components::{
    approval_card::local_time,
    chat::Chat,
    clerk_form::ClerkForm,
    empty_state::EmptyState,
    error_notice::ErrorNotice,
    live_state::LiveState,
    page_title::use_page_title,
    video_call::VideoCall,
    view_shell::{Section, ViewShell},
};
use crate::i18n::*;
use crate::live::use_live;

#[component]
pub fn StaffShell() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || Some(t_string!(i18n, staff.title)));
    let sections = vec![
        Section {
            href: "/staff",
            label: t!(i18n, staff.consultations).into_any(),
        },
        Section {
            href: "/staff/history",
            label: t!(i18n, staff.history).into_any(),
        },
        Section {
            href: "/staff/transfers",
            label: t!(i18n, staff.transfers).into_any(),
        },
        Section {
            href: "/staff/rules",
            label: t!(i18n, staff.rules).into_any(),
        },
        Section {
            href: "/staff/atms",
            label: t!(i18n, staff.atms).into_any(),
        },
        Section {
            href: "/staff/api-clients",
            label: t!(i18n, staff.clients).into_any(),
        },
        Section {
            href: "/staff/reviews",
            label: t!(i18n, staff.reviews).into_any(),
        },
        Section {
            href: "/staff/people",
            label: t!(i18n, staff.people).into_any(),
        },
        Section {
            href: "/staff/audit",
            label: t!(i18n, staff.audit).into_any(),
        },
    ];
    view! {
        <ViewShell
            kind="staff"
            title=t!(i18n, staff.title).into_any()
            nav_label=Signal::derive(move || t_string!(i18n, staff.title).to_string())
            sections
        />
    }
}

/// The consultation console: customers waiting (oldest first) to take, and
/// the consultations this clerk is in, each with its chat. It follows the
/// live channel, so a new request or another clerk taking one shows at once.
#[component]
pub fn Consultations() -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let queue = LocalResource::new(fetch_consultation_queue);
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        let changed = live.latest.with(|n| {
            matches!(
                n.as_ref().map(|n| &n.event),
                Some(Event::ConsultationChanged { .. })
            )
        });
        if changed {
            queue.refetch();
        }
    });
    let act = move |id: ConsultationId, take: bool| {
        busy.set(true);
        spawn_local(async move {
            let result = if take {
                take_consultation(id).await
            } else {
                end_consultation(id).await
            };
            failed.try_set(result.err());
            queue.refetch();
            busy.try_set(false);
        });
    };
    // Kept apart from the loading states, so a refetch keeps each card (and
    // its video call) where it is instead of drawing the list again.
    let list = move || queue.get().and_then(Result::ok).unwrap_or_default();
    view! {
        <LiveState />
        {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
        {move || match queue.get() {
            None => Some(view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any()),
            Some(Err(error)) => Some(view! { <ErrorNotice error on_retry=Callback::new(move |_| queue.refetch()) /> }.into_any()),
            Some(Ok(l)) if l.is_empty() => Some(view! {
                <EmptyState
                    title=t!(i18n, staff.consultations_empty_title).into_any()
                    body=t!(i18n, staff.consultations_empty_body).into_any()
                />
            }.into_any()),
            Some(Ok(_)) => None,
        }}
        <Show when=move || !list().is_empty()>
            <h2 class="section-heading">{t!(i18n, consult.queue)}</h2>
            <ul class="consult-queue">
                <For each=list key=|c| (c.id, c.state) let:c>
                    <li>
                        <ConsultationCard c busy on_take=Callback::new(move |id| act(id, true))
                            on_end=Callback::new(move |id| act(id, false)) />
                    </li>
                </For>
            </ul>
        </Show>
    }
}

#[component]
fn ConsultationCard(
    c: Consultation,
    busy: RwSignal<bool>,
    on_take: Callback<ConsultationId>,
    on_end: Callback<ConsultationId>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = c.id;
    let customer = c.customer_name.clone();
    let heading_id = format!("consultation-{id}");
    let heading = match c.state {
        ConsultationState::Active => t!(i18n, consult.talking_to, customer).into_any(),
        _ => customer.into_any(),
    };
    view! {
        <article class="consult-card" aria-labelledby=heading_id.clone() data-consultation=id.to_string()>
            <h3 id=heading_id.clone()>{heading}</h3>
            <dl class="approval__facts">
                <div><dt>{t!(i18n, consult.topic_label)}</dt><dd>{c.topic.clone()}</dd></div>
                <div><dt>{t!(i18n, consult.asked_at)}</dt><dd>{local_time(c.asked_at_ms)}</dd></div>
            </dl>
            {match c.state {
                ConsultationState::Waiting => view! {
                    <button type="button" class="button" disabled=move || busy.get() on:click=move |_| on_take.run(id)>
                        {t!(i18n, consult.take)}
                    </button>
                }.into_any(),
                _ => view! {
                    <VideoCall id me=Side::Clerk />
                    <Chat id me=Side::Clerk />
                    <ClerkForm consultation=id />
                    <button type="button" class="button button--danger" disabled=move || busy.get() on:click=move |_| on_end.run(id)>
                        {t!(i18n, consult.end)}
                    </button>
                }.into_any(),
            }}
        </article>
    }
}

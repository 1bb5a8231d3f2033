//! The customer's Approvals page: requests waiting for their decision,
//! updated live as requests arrive and end, with recent decisions below.

use leptos::{callback::Callable, prelude::*, task::spawn_local};
use shared::{
    approval::{Approval, ApprovalState, Outcome},
    events::Event,
    AppError,
};

use crate::api::{fetch_my_approvals, fetch_service_status, raise_practice};
use crate::components::{
    approval_card::{kind_label, local_time, ApprovalCard, Concluded, ConcludedNotice},
    empty_state::EmptyState,
    error_notice::ErrorNotice,
    live_state::LiveState,
    money::MoneyText,
};
use crate::i18n::*;
use crate::live::use_live;

fn browser_now() -> i64 {
    js_sys::Date::now() as i64
}

#[component]
pub fn Approvals() -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let pending = RwSignal::new(Vec::<Approval>::new());
    let decided = RwSignal::new(Vec::<Approval>::new());
    let loaded = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let skew = RwSignal::new(0i64);
    let now = RwSignal::new(browser_now());
    // Loads may overlap (an event arrives while one is in flight): only the
    // latest one started may show its answer, or an older list could win.
    let generation = StoredValue::new(0u64);
    let load = move || {
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        spawn_local(async move {
            let result = fetch_my_approvals().await;
            // Gone (the page was left) or overtaken: drop the answer.
            if generation.try_get_value() != Some(mine) {
                return;
            }
            match result {
                Ok(list) => {
                    skew.set(list.server_now_ms - browser_now());
                    let (p, d): (Vec<Approval>, Vec<Approval>) = list
                        .items
                        .into_iter()
                        .partition(|a| a.state == ApprovalState::Pending);
                    pending.set(p);
                    decided.set(d);
                    failed.set(None);
                }
                Err(e) => failed.set(Some(e)),
            }
            loaded.set(true);
        });
    };
    load();
    // Any request arriving or ending reloads the list. A new request that
    // came with its details shows at once, before the list is back.
    Effect::new(move |_| {
        let (relevant, arrived) = live.latest.with(|n| match n.as_ref().map(|n| &n.event) {
            Some(Event::ApprovalRequested { request, .. }) => (true, request.clone()),
            Some(Event::ApprovalEnded { .. }) => (true, None),
            _ => (false, None),
        });
        // Only a request still open: a replayed event may name one long decided.
        let open = |r: &Approval| {
            r.state == ApprovalState::Pending
                && r.deadline_ms > browser_now() + skew.get_untracked()
        };
        if let Some(request) = arrived.filter(|r| loaded.get_untracked() && open(r)) {
            pending.update(|list| {
                if !list.iter().any(|a| a.id == request.id) {
                    list.push(*request);
                }
            });
        }
        if relevant {
            load();
        }
    });
    if let Ok(tick) = set_interval_with_handle(
        move || now.set(browser_now()),
        std::time::Duration::from_millis(250),
    ) {
        on_cleanup(move || tick.clear());
    }
    let concluded = RwSignal::new(None::<Concluded>);
    let on_decided = Callback::new(move |c: Concluded| {
        concluded.set(Some(c));
        load();
    });
    view! {
        {move || concluded.get().map(|c| view! { <ConcludedNotice concluded=c /> })}
        <LiveState />
        {move || failed.get().map(|error| view! { <ErrorNotice error on_retry=Callback::new(move |_| load()) /> })}
        <Show
            when=move || loaded.get()
            fallback=move || view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }
        >
            <section aria-labelledby="pending-heading">
                <h2 id="pending-heading" class="section-heading">{t!(i18n, approvals.heading)}</h2>
                <Show
                    when=move || !pending.with(Vec::is_empty)
                    fallback=move || view! {
                        <EmptyState
                            title=t!(i18n, approvals.empty_title).into_any()
                            body=t!(i18n, approvals.empty_body).into_any()
                        />
                    }
                >
                    // Keyed: a card in the middle of a passkey prompt keeps its state when others change.
                    <ul class="approval-list">
                        <For each=move || pending.get() key=|a| a.id let:a>
                            <li>
                                <ApprovalCard approval=a skew_ms=skew.into() now_ms=now.into() on_decided />
                            </li>
                        </For>
                    </ul>
                </Show>
            </section>
            {move || {
                let items = decided.get();
                (!items.is_empty()).then(|| view! { <Decided items /> })
            }}
        </Show>
        <Practice on_raised=Callback::new(move |_| load()) />
    }
}

#[component]
fn Decided(items: Vec<Approval>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section aria-labelledby="decided-heading">
            <h2 id="decided-heading" class="section-heading">{t!(i18n, approvals.decided)}</h2>
            <ul class="decided-list">
                {items.into_iter().map(|a| {
                    let outcome = match a.outcome {
                        Some(Outcome::Approved) => t_string!(i18n, approvals.state_approved),
                        Some(Outcome::TooFar) => t_string!(i18n, approvals.state_too_far),
                        Some(Outcome::Expired) => t_string!(i18n, approvals.state_expired),
                        Some(Outcome::Cancelled) => t_string!(i18n, approvals.state_cancelled),
                        Some(Outcome::DeclinedByUser) | None => t_string!(i18n, approvals.state_declined),
                    };
                    let state = a.state.as_str();
                    view! {
                        <li class="decided" data-approval=a.id.to_string()>
                            <span class="decided__kind">{kind_label(i18n, a.kind)}</span>
                            {a.context.amount.map(|m| view! { <MoneyText money=m /> })}
                            <span class=format!("badge badge--{state}")>{outcome}</span>
                            <time class="decided__at">{a.decided_at_ms.map(local_time)}</time>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Demo mode only: send yourself a practice request.
#[component]
fn Practice(on_raised: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let status = LocalResource::new(fetch_service_status);
    let failed = RwSignal::new(None::<AppError>);
    let send = move |near_atm: bool| {
        spawn_local(async move {
            match raise_practice(near_atm, 180).await {
                Ok(_) => {
                    failed.set(None);
                    on_raised.try_run(());
                }
                Err(e) => failed.set(Some(e)),
            }
        });
    };
    let demo = move || status.get().and_then(|s| s.ok()).is_some_and(|s| s.demo);
    view! {
        <Show when=demo>
            <section class="practice" aria-labelledby="practice-heading">
                <h2 id="practice-heading" class="section-heading">
                    {t!(i18n, approvals.practice_title)}
                    <span class="demo-badge">{t!(i18n, demo_badge)}</span>
                </h2>
                <p>{t!(i18n, approvals.practice_body)}</p>
                <div class="practice__actions">
                    <button type="button" class="button button--secondary" on:click=move |_| send(false)>
                        {t!(i18n, approvals.practice_anywhere)}
                    </button>
                    <button type="button" class="button button--secondary" on:click=move |_| send(true)>
                        {t!(i18n, approvals.practice_atm)}
                    </button>
                </div>
                {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
            </section>
        </Show>
    }
}

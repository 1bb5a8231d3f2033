//! The guardian's live list of their minors' purchases: a countdown and a
//! cancel (asked twice) for each still in its window, "allow" or "say no"
//! for each above "ask me first".

use leptos::{prelude::*, task::spawn_local};
use shared::{
    ids::PurchaseId,
    purchase::{Purchase, PurchaseState},
    AppError,
};

use super::{live_overview, with_overview};
use crate::api::{answer_purchase, cancel_purchase};
use crate::attempt::browser_now;
use crate::components::{
    empty_state::EmptyState, error_notice::ErrorNotice, live_state::LiveState,
    purchase_line::PurchaseLine,
};
use crate::i18n::*;

#[component]
pub fn Purchases() -> impl IntoView {
    let i18n = use_i18n();
    let overview = live_overview();
    let failed = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let now = RwSignal::new(browser_now());
    if let Ok(tick) = set_interval_with_handle(
        move || now.set(browser_now()),
        std::time::Duration::from_millis(1000),
    ) {
        on_cleanup(move || tick.clear());
    }
    let act = Callback::new(move |(id, what): (PurchaseId, Act)| {
        busy.set(true);
        spawn_local(async move {
            let result = match what {
                Act::Cancel => cancel_purchase(id).await,
                Act::Answer(yes) => answer_purchase(id, yes).await,
            };
            failed.try_set(result.err());
            busy.try_set(false);
            overview.refetch();
        });
    });
    view! {
        <section class="panel" aria-labelledby="purchases-heading">
            <h2 id="purchases-heading" class="section-heading">{t!(i18n, guardian.live_purchases)}</h2>
            <LiveState />
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
            {with_overview(overview, move |o| {
                let skew = o.server_now_ms - browser_now();
                let several = o.wards.len() > 1;
                if o.purchases.is_empty() {
                    return view! {
                        <EmptyState
                            title=t!(i18n, guardian.purchases_empty_title).into_any()
                            body=t!(i18n, guardian.purchases_empty_body).into_any()
                        />
                    }.into_any();
                }
                view! {
                    <ul class="purchases">
                        {o.purchases.into_iter().map(|p| view! {
                            <GuardianItem p several skew now busy act />
                        }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </section>
    }
}

#[derive(Debug, Clone, Copy)]
enum Act {
    Cancel,
    Answer(bool),
}

#[component]
fn GuardianItem(
    p: Purchase,
    several: bool,
    skew: i64,
    now: RwSignal<i64>,
    busy: RwSignal<bool>,
    act: Callback<(PurchaseId, Act)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = p.id;
    let state = p.state;
    let end = match state {
        PurchaseState::InWindow => p.window_ends_ms,
        PurchaseState::AwaitingGuardian | PurchaseState::AwaitingMinor => p.deadline_ms,
        _ => None,
    };
    let left_ms = move || end.map(|e| (e - (now.get() + skew)).max(0));
    let asking = RwSignal::new(false);
    let countdown = move || {
        left_ms().filter(|l| *l > 0).map(|l| {
            let (minutes, seconds) = (l / 60_000, l / 1000 % 60);
            view! { <p class="purchase__countdown" role="timer">{t!(i18n, purchase.left, minutes, seconds)}</p> }
        })
    };
    let open = move || left_ms().is_some_and(|l| l > 0);
    view! {
        <PurchaseLine p show_minor=several>
            {countdown}
            <Show when=move || open() && state == PurchaseState::AwaitingGuardian>
                <div class="form__actions">
                    <button type="button" class="button" disabled=move || busy.get()
                        on:click=move |_| act.run((id, Act::Answer(true)))>{t!(i18n, purchase.approve)}</button>
                    <button type="button" class="button button--secondary" disabled=move || busy.get()
                        on:click=move |_| act.run((id, Act::Answer(false)))>{t!(i18n, purchase.refuse)}</button>
                </div>
            </Show>
            <Show when=move || open() && state.cancellable() && state != PurchaseState::AwaitingGuardian>
                <Show
                    when=move || asking.get()
                    fallback=move || view! {
                        <button type="button" class="button button--danger" disabled=move || busy.get()
                            on:click=move |_| asking.set(true)>{t!(i18n, purchase.cancel)}</button>
                    }
                >
                    <div class="notice notice--warning" role="alertdialog" aria-label=move || t_string!(i18n, purchase.cancel).to_string()>
                        <p>{t!(i18n, purchase.cancel_confirm)}</p>
                        <div class="form__actions">
                            <button type="button" class="button button--danger" disabled=move || busy.get()
                                on:click=move |_| { asking.set(false); act.run((id, Act::Cancel)) }>{t!(i18n, purchase.cancel_yes)}</button>
                            <button type="button" class="button button--secondary"
                                on:click=move |_| asking.set(false)>{t!(i18n, purchase.keep)}</button>
                        </div>
                    </div>
                </Show>
            </Show>
        </PurchaseLine>
    }
}

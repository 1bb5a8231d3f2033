//! The minor's own purchases: what waits for their passkey (confirm or
//! decline), what a guardian can still cancel, and why something was
//! cancelled. New purchases appear as the shop reports them.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    events::Notice,
    ids::PurchaseId,
    purchase::{Purchase, PurchaseState},
};

use crate::api::{begin_purchase_confirm, confirm_purchase, decline_purchase, fetch_my_purchases};
use crate::components::{
    empty_state::EmptyState,
    error_notice::ErrorNotice,
    live_state::LiveState,
    passkey::{no_passkey, sign, NoPasskeyHere, Problem},
    purchase_line::PurchaseLine,
};
use crate::i18n::*;
use crate::live::use_live;

async fn confirm(id: PurchaseId) -> Result<Purchase, Problem> {
    let ceremony = begin_purchase_confirm(id).await.map_err(Problem::Other)?;
    let credential = sign(&ceremony.options_json).await?;
    confirm_purchase(id, ceremony.id, credential)
        .await
        .map_err(Problem::Other)
}

#[component]
pub fn MyPurchases() -> impl IntoView {
    let i18n = use_i18n();
    let list = LocalResource::new(fetch_my_purchases);
    use_live().refetch_on(list, |n| matches!(n, Notice::Purchase { .. }));
    let busy = RwSignal::new(None::<PurchaseId>);
    let problem = RwSignal::new(None::<Problem>);
    // The purchase whose confirmation found no passkey: confirmed once one is set up.
    let waiting_for_passkey = RwSignal::new(None::<PurchaseId>);
    let act = Callback::new(move |(id, yes): (PurchaseId, bool)| {
        busy.set(Some(id));
        problem.set(None);
        waiting_for_passkey.set(yes.then_some(id));
        spawn_local(async move {
            let result = if yes {
                confirm(id).await
            } else {
                decline_purchase(id).await.map_err(Problem::Other)
            };
            problem.try_set(result.err());
            busy.try_set(None);
            list.refetch();
        });
    });
    view! {
        <section class="panel" aria-labelledby="my-purchases-heading">
            <h2 id="my-purchases-heading" class="section-heading">{t!(i18n, purchase.mine_title)}</h2>
            <LiveState />
            {move || problem.get().map(|p| match p {
                Problem::Other(e) if no_passkey(&e) => {
                    let on_added = Callback::new(move |_| {
                        if let Some(id) = waiting_for_passkey.get_untracked() {
                            act.run((id, true));
                        }
                    });
                    view! { <NoPasskeyHere on_added /> }.into_any()
                }
                Problem::Other(error) => view! { <ErrorNotice error /> }.into_any(),
                Problem::PasskeyCancelled | Problem::PasskeyFailed => {
                    view! { <p class="notice notice--warning" role="alert">{t!(i18n, purchase.passkey_cancelled)}</p> }.into_any()
                }
            })}
            {move || match list.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error on_retry=Callback::new(move |_| list.refetch()) /> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! {
                    <EmptyState title=t!(i18n, purchase.mine_empty_title).into_any() body=t!(i18n, purchase.mine_empty_body).into_any() />
                }.into_any(),
                Some(Ok(items)) => view! {
                    <ul class="purchases">
                        {items.into_iter().map(|p| {
                            let id = p.id;
                            let waiting = p.state == PurchaseState::AwaitingMinor;
                            let mine_busy = move || busy.get() == Some(id);
                            view! {
                                <PurchaseLine p>
                                    {waiting.then(|| view! {
                                        <div class="form__actions">
                                            <button type="button" class="button" disabled=move || busy.get().is_some()
                                                on:click=move |_| act.run((id, true))>
                                                {move || if mine_busy() { t!(i18n, purchase.confirming).into_any() } else { t!(i18n, purchase.confirm).into_any() }}
                                            </button>
                                            <button type="button" class="button button--secondary" disabled=move || busy.get().is_some()
                                                on:click=move |_| act.run((id, false))>{t!(i18n, purchase.decline)}</button>
                                        </div>
                                    })}
                                </PurchaseLine>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

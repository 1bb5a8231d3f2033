//! The sender's payees: add one by account number or nickname under a
//! name of their own, rename, remove; each with when it was last paid, a
//! way to send to it and the conversation with its holder.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;
use shared::{transfer::send::Payee, AppError};

use crate::api::{add_payee, fetch_payees, remove_payee, rename_payee};
use crate::components::{
    approval_card::date_time, empty_state::EmptyState, error_notice::ErrorNotice,
};
use crate::i18n::*;

#[component]
pub fn Payees() -> impl IntoView {
    let i18n = use_i18n();
    let list = LocalResource::new(fetch_payees);
    let to = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let saved = RwSignal::new(false);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        saved.set(false);
        spawn_local(async move {
            match add_payee(to.get_untracked(), label.get_untracked()).await {
                Ok(_) => {
                    failed.set(None);
                    saved.set(true);
                    to.set(String::new());
                    label.set(String::new());
                    list.refetch();
                }
                Err(e) => failed.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let refresh = Callback::new(move |_| list.refetch());
    view! {
        <section class="panel payees" aria-labelledby="payees-heading">
            <h2 id="payees-heading" class="section-heading">{t!(i18n, send.payees_page)}</h2>
            {move || match list.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error on_retry=refresh /> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! {
                    <EmptyState title=t!(i18n, send.payees_title).into_any() body=t!(i18n, send.no_payees).into_any() />
                }.into_any(),
                Some(Ok(items)) => view! {
                    <ul class="payee-list">
                        {items.into_iter().map(|p| view! { <PayeeItem p refresh /> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
        <section class="panel" aria-labelledby="payee-add-heading">
            <h2 id="payee-add-heading" class="section-heading">{t!(i18n, send.payee_add_title)}</h2>
            <form class="form" on:submit=add>
                <label>
                    <span>{t!(i18n, send.to)}</span>
                    <input type="text" required autocomplete="off" prop:value=move || to.get()
                        on:input=move |ev| to.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{t!(i18n, send.payee_label)}</span>
                    <input type="text" required maxlength="40" prop:value=move || label.get()
                        on:input=move |ev| label.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="button" disabled=move || busy.get()>{t!(i18n, send.payee_add)}</button>
            </form>
            <Show when=move || saved.get()>
                <p class="notice notice--ok" role="status">{t!(i18n, send.payee_saved)}</p>
            </Show>
            {move || failed.get().map(|e| super::problem_view(i18n, e))}
        </section>
    }
}

#[component]
fn PayeeItem(p: Payee, refresh: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let editing = RwSignal::new(false);
    let label = RwSignal::new(p.label.clone());
    let failed = RwSignal::new(None::<AppError>);
    let id = p.id;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        spawn_local(async move {
            match rename_payee(id, label.get_untracked()).await {
                Ok(_) => {
                    editing.try_set(false);
                    refresh.run(());
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
        });
    };
    let remove = move |_| {
        spawn_local(async move {
            match remove_payee(id).await {
                Ok(()) => refresh.run(()),
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
        });
    };
    let shown = p.label.clone();
    let (send_label, talk_label) = (p.label.clone(), p.label.clone());
    let last = p.last_paid_at_ms.map(date_time);
    view! {
        <li class="payee" data-payee=id.to_string()>
            {move || if editing.get() {
                view! {
                    <form class="form form--inline" on:submit=save>
                        <label>
                            <span>{t!(i18n, send.payee_label)}</span>
                            <input type="text" required maxlength="40" prop:value=move || label.get()
                                on:input=move |ev| label.set(event_target_value(&ev)) />
                        </label>
                        <button type="submit" class="button button--small">{t!(i18n, send.payee_save)}</button>
                        <button type="button" class="button button--secondary button--small" on:click=move |_| editing.set(false)>
                            {t!(i18n, send.payee_cancel)}
                        </button>
                    </form>
                }.into_any()
            } else {
                view! { <strong class="payee__label">{shown.clone()}</strong> }.into_any()
            }}
            <span class="payee__who">{format!("{} · {}", p.nickname, p.account_number)}</span>
            <span class="payee__last">
                {match last.clone() {
                    Some(at) => t!(i18n, send.payee_last_paid, at).into_any(),
                    None => t!(i18n, send.payee_never).into_any(),
                }}
            </span>
            <div class="form__actions">
                <A href=format!("/customer/send?to={}", p.account_number)>
                    {t!(i18n, send.payee_send, label = send_label.clone())}
                </A>
                <A href=format!("/customer/messages/{}", p.nickname)>
                    {t!(i18n, send.payee_messages, label = talk_label.clone())}
                </A>
                <button type="button" class="button button--secondary button--small" on:click=move |_| editing.set(true)>
                    {t!(i18n, send.payee_rename)}
                </button>
                <button type="button" class="button button--danger button--small" on:click=remove>
                    {t!(i18n, send.payee_remove)}
                </button>
            </div>
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
        </li>
    }
}

//! The clerk's side of a pushed withdrawal form, inside a consultation card:
//! push it (with a suggested amount, if any) and watch the customer's
//! progress live: opened, submitted, confirmed, and later paid, locked or
//! returned. The clerk sees the amount and state, never the password: no
//! answer this page receives carries it.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    events::Event,
    ids::{ConsultationId, SubWithdrawalId},
    AppError,
};

use crate::api::{
    ask_new_code_password, cancel_withdrawal_form, fetch_withdrawal_forms, push_withdrawal_form,
};
use crate::components::{
    code_card::state_label,
    error_notice::ErrorNotice,
    lang::use_lang,
    money::{parse_yen, MoneyText},
};
use crate::i18n::*;
use crate::live::use_live;

#[component]
pub fn ClerkForm(consultation: ConsultationId) -> impl IntoView {
    let i18n = use_i18n();
    let _lang = use_lang();
    let live = use_live();
    let forms = LocalResource::new(move || fetch_withdrawal_forms(consultation));
    let suggested = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        let here = live.latest.with(|n| {
            matches!(n.as_ref().map(|n| &n.event),
                Some(Event::SubWithdrawalChanged { withdrawal }) if withdrawal.consultation == consultation)
        });
        if here {
            forms.refetch();
        }
    });
    let push = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = suggested.get_untracked();
        let yen = (!text.trim().is_empty()).then(|| parse_yen(&text));
        busy.set(true);
        spawn_local(async move {
            match push_withdrawal_form(consultation, yen).await {
                Ok(_) => {
                    suggested.try_set(String::new());
                    failed.try_set(None);
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
            forms.refetch();
            busy.try_set(false);
        });
    };
    let withdraw = move |id: SubWithdrawalId| {
        busy.set(true);
        spawn_local(async move {
            let result = cancel_withdrawal_form(id).await;
            failed.try_set(result.err());
            forms.refetch();
            busy.try_set(false);
        });
    };
    let asked = RwSignal::new(None::<SubWithdrawalId>);
    let ask = move |id: SubWithdrawalId| {
        busy.set(true);
        spawn_local(async move {
            match ask_new_code_password(id).await {
                Ok(_) => {
                    asked.try_set(Some(id));
                    failed.try_set(None);
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let list = move || forms.get().and_then(Result::ok).unwrap_or_default();
    let open_form = move || list().into_iter().any(|w| w.state.is_form());
    let heading = format!("clerk-form-{consultation}");
    view! {
        <section class="clerk-form" aria-labelledby=heading.clone()>
            <h4 id=heading.clone()>{t!(i18n, sw.push_title)}</h4>
            <ol class="clerk-form__progress" aria-live="polite">
                <For each=list key=|w| (w.id, w.state, w.failed_tries) let:w>
                    <li data-form-state=w.state.as_str()>
                        <span class="clerk-form__state">{let state = w.state; move || state_label(i18n, state)}</span>
                        {w.amount.or(w.suggested).map(|a| view! { " · " <MoneyText money=a /> })}
                        {(w.failed_tries > 0).then(|| view! { " · " {t!(i18n, sw.wrong_tries, count = w.failed_tries)} })}
                        {(w.state == shared::sub_withdrawal::SubWithdrawalState::Locked).then(|| {
                            let id = w.id;
                            view! {
                                <button type="button" class="button button--secondary button--small"
                                    disabled=move || busy.get() on:click=move |_| ask(id)>
                                    {t!(i18n, sw.ask_new_password)}
                                </button>
                                <Show when=move || asked.get() == Some(id)>
                                    <span role="status">{t!(i18n, sw.asked_new_password)}</span>
                                </Show>
                            }
                        })}
                        {w.state.is_form().then(|| {
                            let id = w.id;
                            view! {
                                <button type="button" class="button button--secondary button--small"
                                    disabled=move || busy.get() on:click=move |_| withdraw(id)>
                                    {t!(i18n, sw.withdraw_form)}
                                </button>
                            }
                        })}
                    </li>
                </For>
            </ol>
            <Show when=move || !open_form()>
                <form class="form form--inline" on:submit=push>
                    <label>
                        <span>{t!(i18n, sw.push_suggest)}</span>
                        <input type="text" inputmode="numeric" autocomplete="off"
                            prop:value=move || suggested.get() on:input=move |ev| suggested.set(event_target_value(&ev)) />
                    </label>
                    <button type="submit" class="button" disabled=move || busy.get()>{t!(i18n, sw.push)}</button>
                </form>
            </Show>
            <p class="hint">{t!(i18n, sw.staff_never_clerk)}</p>
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
        </section>
    }
}

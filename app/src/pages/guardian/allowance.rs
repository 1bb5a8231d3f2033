//! Sending a minor their allowance from the guardian's own account. The
//! form keeps one idempotency key until the money has moved, so pressing
//! the button again after a lost answer sends it once.

use leptos::{prelude::*, task::spawn_local};
use shared::{allowance::MAX_ALLOWANCE_YEN, ids::UserId, money::Money, AppError, Reason};

use crate::api::send_allowance;
use crate::components::{error_notice::ErrorNotice, lang::use_lang};
use crate::i18n::*;

fn new_key() -> String {
    format!("allowance-{}", (js_sys::Math::random() * 1e15) as u64)
}

#[component]
pub fn AllowanceForm(minor: UserId) -> impl IntoView {
    let i18n = use_i18n();
    let lang = use_lang();
    let yen = RwSignal::new(String::new());
    let key = StoredValue::new(new_key());
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let sent = RwSignal::new(None::<Money>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        sent.set(None);
        let Ok(amount) = yen.get_untracked().trim().replace(',', "").parse::<i64>() else {
            failed.set(Some(AppError::invalid("amount", Reason::Malformed)));
            return;
        };
        busy.set(true);
        failed.set(None);
        spawn_local(async move {
            match send_allowance(minor, Money::jpy(amount), key.get_value()).await {
                Ok(t) => {
                    key.set_value(new_key());
                    yen.try_set(String::new());
                    sent.try_set(Some(t.amount));
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let why = move |e: &AppError| match e {
        AppError::Invalid { reason, .. } => match reason {
            Reason::InsufficientFunds => Some(t_string!(i18n, guardian.allowance_funds)),
            Reason::OverTransferLimit => Some(t_string!(i18n, guardian.allowance_limit)),
            Reason::NotPositive | Reason::Malformed => {
                Some(t_string!(i18n, guardian.allowance_amount))
            }
            _ => None,
        },
        _ => None,
    };
    let max = Money::jpy(MAX_ALLOWANCE_YEN);
    view! {
        <form class="form" on:submit=submit>
            <h3>{t!(i18n, guardian.allowance_title)}</h3>
            <label class="field">
                <span class="field__label">{t!(i18n, guardian.allowance_amount_label)}</span>
                <input type="text" inputmode="numeric" autocomplete="off" required
                    prop:value=move || yen.get() on:input=move |ev| yen.set(event_target_value(&ev)) />
                <small>{move || max.format(lang())} " " {t!(i18n, guardian.allowance_at_most)}</small>
            </label>
            <div role="status" aria-live="polite">
                {move || failed.get().map(|e| match why(&e) {
                    Some(text) => view! { <p class="notice notice--error" role="alert">{text}</p> }.into_any(),
                    None => view! { <ErrorNotice error=e /> }.into_any(),
                })}
                {move || sent.get().map(|m| view! {
                    <p class="notice notice--ok">{t!(i18n, guardian.allowance_sent)} " " {move || m.format(lang())}</p>
                })}
            </div>
            <div class="form__actions">
                <button type="submit" class="button button--primary" disabled=move || busy.get()>
                    {move || if busy.get() { t!(i18n, kyc.sending).into_any() } else { t!(i18n, guardian.allowance_send).into_any() }}
                </button>
            </div>
        </form>
    }
}

//! The kiosk's "withdraw with a code" screens: a sub-account's number and
//! password typed on a large on-screen keypad (a hardware keyboard works
//! too), and the receipt for what it paid. The camera path (the customer's
//! QR code) skips the keypad and lands on the same receipt.

use leptos::prelude::*;
use shared::Reason;
use shared::{sub_withdrawal::CodeReceipt, AppError};

use crate::components::lang::use_lang;
use crate::i18n::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Number,
    Password,
}

/// The number and password, typed; `on_submit` gets both. The number is
/// the caller's, so a wrong password does not make the customer type it again.
#[component]
pub fn CodeEntry(
    number: RwSignal<String>,
    busy: Signal<bool>,
    on_submit: Callback<(String, String)>,
    on_back: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let password = RwSignal::new(String::new());
    let focus = RwSignal::new(if number.with_untracked(String::is_empty) {
        Field::Number
    } else {
        Field::Password
    });
    let field = move |f: Field| match f {
        Field::Number => number,
        Field::Password => password,
    };
    let press = move |digit: char| {
        field(focus.get_untracked()).update(|v| {
            if v.len() < 8 {
                v.push(digit);
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if number.get_untracked().is_empty() {
            focus.set(Field::Number);
            return;
        }
        if password.get_untracked().is_empty() {
            focus.set(Field::Password);
            return;
        }
        if busy.get_untracked() {
            return;
        }
        on_submit.run((number.get_untracked(), password.get_untracked()));
        password.set(String::new());
    };
    let key = move |d: char| {
        view! {
            <button type="button" class="kiosk__key" on:click=move |_| press(d)>{d.to_string()}</button>
        }
    };
    view! {
        <h1 class="kiosk__welcome kiosk__welcome--small">{t!(i18n, atm.code_title)}</h1>
        <p class="kiosk__message">{t!(i18n, atm.code_body)}</p>
        <form class="kiosk__form kiosk__form--code" on:submit=submit>
            <label>
                <span>{t!(i18n, atm.code_number)}</span>
                <input type="text" inputmode="numeric" autocomplete="off" maxlength="8"
                    class:kiosk__input--active=move || focus.get() == Field::Number
                    on:focus=move |_| focus.set(Field::Number)
                    prop:value=move || number.get() on:input=move |ev| number.set(event_target_value(&ev)) />
            </label>
            <label>
                <span>{t!(i18n, atm.code_password)}</span>
                <input type="password" inputmode="numeric" autocomplete="off" maxlength="8"
                    class:kiosk__input--active=move || focus.get() == Field::Password
                    on:focus=move |_| focus.set(Field::Password)
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
            </label>
            <div class="kiosk__keypad" role="group" aria-label=move || t_string!(i18n, atm.code_keypad)>
                {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map(key)}
                <button type="button" class="kiosk__key kiosk__key--wide"
                    on:click=move |_| field(focus.get_untracked()).set(String::new())>
                    {t!(i18n, atm.code_clear)}
                </button>
                {key('0')}
                <button type="button" class="kiosk__key kiosk__key--wide"
                    on:click=move |_| field(focus.get_untracked()).update(|v| { v.pop(); })>
                    {t!(i18n, atm.code_delete)}
                </button>
            </div>
            <button type="submit" class="button kiosk__button" disabled=move || busy.get()>
                {move || if focus.get() == Field::Number && password.with(String::is_empty) {
                    t_string!(i18n, atm.code_next)
                } else {
                    t_string!(i18n, atm.code_submit)
                }}
            </button>
        </form>
        <button type="button" class="button button--secondary kiosk__button" on:click=move |_| on_back.run(())>
            {t!(i18n, atm.back)}
        </button>
    }
}

/// The kiosk's words for why a code withdrawal was refused.
pub fn code_error(i18n: leptos_i18n::I18nContext<Locale>, e: &AppError) -> Option<String> {
    let AppError::Conflict { reason } = e else {
        return None;
    };
    Some(
        match reason {
            Reason::SubAccountLocked => t_string!(i18n, atm.code_locked),
            _ => return None,
        }
        .to_string(),
    )
}

/// What a code withdrawal paid, with its own fee.
#[component]
pub fn CodeReceiptView(
    receipt: CodeReceipt,
    atm_name: String,
    when: String,
    on_done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let lang = use_lang();
    let total = shared::Money::jpy(receipt.amount.amount_minor + receipt.fee.amount_minor);
    view! {
        <h1 class="kiosk__welcome">{t!(i18n, atm.receipt_title)}</h1>
        <dl class="kiosk__receipt" aria-label=move || t_string!(i18n, atm.receipt_title)>
            <div><dt>{t!(i18n, atm.receipt_amount)}</dt><dd>{receipt.amount.format(lang())}</dd></div>
            <div><dt>{t!(i18n, atm.receipt_code_fee)}</dt><dd>{receipt.fee.format(lang())}</dd></div>
            <div><dt>{t!(i18n, atm.receipt_total)}</dt><dd>{total.format(lang())}</dd></div>
            <div><dt>{t!(i18n, atm.receipt_atm)}</dt><dd>{atm_name}</dd></div>
            <div><dt>{t!(i18n, atm.receipt_when)}</dt><dd>{when}</dd></div>
            <div><dt>{t!(i18n, atm.receipt_number)}</dt><dd>{format!("S-{}", receipt.id)}</dd></div>
        </dl>
        <button type="button" class="button kiosk__button" autofocus on:click=move |_| on_done.run(())>
            {t!(i18n, atm.receipt)}
        </button>
    }
}

//! The ATM kiosk: a full-screen, touch-sized screen with no site navigation.
//!
//! A kiosk browser that is not yet a machine asks for the one-time code
//! staff were given when they registered it; once enrolled it serves
//! cardless withdrawals (see `kiosk_flow`).

use leptos::{prelude::*, task::spawn_local};
use leptos_router::components::A;
use shared::{atm::Atm, AppError};

use super::kiosk_flow::KioskFlow;
use crate::api::{enroll_kiosk, fetch_this_kiosk};
use crate::components::{error_notice::ErrorNotice, lang::LangSwitch, page_title::use_page_title};
use crate::i18n::*;

#[component]
pub fn Kiosk() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || Some(t_string!(i18n, atm.title)));
    let this = LocalResource::new(fetch_this_kiosk);
    let enrolled = RwSignal::new(None::<Atm>);
    view! {
        <div class="kiosk">
            <header class="kiosk__bar">
                <span class="kiosk__brand">{t!(i18n, brand)} " ATM"</span>
                <LangSwitch />
            </header>
            <main id="content" class="kiosk__screen" tabindex="-1">
                {move || match (enrolled.get(), this.get()) {
                    (Some(atm), _) | (None, Some(Ok(Some(atm)))) => view! { <KioskFlow atm /> }.into_any(),
                    (None, None) => view! { <p class="kiosk__message" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                    (None, Some(Err(error))) => view! { <ErrorNotice error on_retry=Callback::new(move |_| this.refetch()) /> }.into_any(),
                    (None, Some(Ok(None))) => view! { <Enroll enrolled /> }.into_any(),
                }}
            </main>
            <footer class="kiosk__footer">
                <A href="/" attr:class="kiosk__exit">{t!(i18n, atm.exit)}</A>
            </footer>
        </div>
    }
}

#[component]
fn Enroll(enrolled: RwSignal<Option<Atm>>) -> impl IntoView {
    let i18n = use_i18n();
    let code = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        spawn_local(async move {
            match enroll_kiosk(code.get_untracked()).await {
                Ok(atm) => enrolled.set(Some(atm)),
                Err(e) => failed.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <h1 class="kiosk__welcome">{t!(i18n, atm.welcome)}</h1>
        <p class="kiosk__message">{t!(i18n, atm.not_enrolled)}</p>
        <p class="kiosk__hint">{t!(i18n, atm.enroll_hint)}</p>
        <form class="kiosk__form" on:submit=submit>
            <label>
                <span>{t!(i18n, atm.code_label)}</span>
                <input type="text" autocomplete="off" autocapitalize="characters" required
                    prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
            </label>
            <button type="submit" class="button kiosk__button" disabled=move || busy.get()>{t!(i18n, atm.enroll)}</button>
        </form>
        {move || failed.get().map(|e| match e {
            AppError::Invalid { .. } => view! { <p class="notice notice--error" role="alert">{t!(i18n, atm.bad_code)}</p> }.into_any(),
            error => view! { <ErrorNotice error /> }.into_any(),
        })}
    }
}

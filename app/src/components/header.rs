//! The page header: brand, the four views, the language switch.

use leptos::prelude::*;
use leptos_router::components::A;
use wasm_bindgen::JsCast;

use super::lang::LangSwitch;
use crate::i18n::*;
use crate::{api::sign_out, live::use_live, session::use_session};

/// Moves focus to the page's main region. Done by hand because the router
/// takes over in-page links and would only change the URL.
fn focus_main(ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
    if let Some(main) = document()
        .get_element_by_id("content")
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = main.focus();
    }
}

/// "Sign in", or who is signed in with a way to sign out.
#[component]
fn SessionControls() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let live = use_live();
    let navigate = leptos_router::hooks::use_navigate();
    let leave = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match sign_out().await {
                Ok(()) => {
                    // Leave first: pages that show the person's data must not refetch it signed out.
                    navigate("/", Default::default());
                    session.me.set(None);
                }
                Err(e) => leptos::logging::warn!("sign-out failed: {e}"),
            }
        });
    };
    view! {
        <div class="session">
            {move || match session.me.get() {
                Some(me) => view! {
                    <A href="/customer/activity" attr:class="bell">
                        <svg class="bell__icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                            <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-5-1.6-1.6V10a5.4 5.4 0 0 0-4.4-5.3V4a1 1 0 1 0-2 0v.7A5.4 5.4 0 0 0 6.6 10v5.4L5 17v1h14v-1Z" />
                        </svg>
                        <span class="visually-hidden">{t!(i18n, inbox.bell)}</span>
                        <Show when=move || { live.unread.get() > 0 }>
                            <span class="bell__count" aria-hidden="true">{move || live.unread.get()}</span>
                            <span class="visually-hidden">
                                " (" {t!(i18n, inbox.unread_count, count = move || live.unread.get())} ")"
                            </span>
                        </Show>
                    </A>
                    <span class="session__who">
                        <span class="visually-hidden">{t!(i18n, session.signed_in_as)} " "</span>
                        {me.display_name}
                    </span>
                    <button type="button" class="session__out" on:click=leave.clone()>
                        {t!(i18n, session.sign_out)}
                    </button>
                }.into_any(),
                None => view! { <A href="/signin" attr:class="session__in">{t!(i18n, session.sign_in)}</A> }.into_any(),
            }}
        </div>
    }
}

#[component]
pub fn AppHeader() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <a class="skip-link" href="#content" on:click=focus_main>
            {t!(i18n, skip_to_content)}
        </a>
        <header class="app-header">
            <A href="/" attr:class="brand">
                <span class="brand__mark" aria-hidden="true">"安"</span>
                <span class="brand__name">{t!(i18n, brand)}</span>
            </A>
            <nav class="app-nav" aria-label=move || t_string!(i18n, nav.main)>
                <A href="/customer">{t!(i18n, nav.customer)}</A>
                <A href="/guardian">{t!(i18n, nav.guardian)}</A>
                <A href="/staff">{t!(i18n, nav.staff)}</A>
                <A href="/atm">{t!(i18n, nav.atm)}</A>
            </nav>
            <SessionControls />
            <LangSwitch />
        </header>
    }
}

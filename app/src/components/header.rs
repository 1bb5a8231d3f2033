//! The page header: brand, the four views, the language switch.

use leptos::prelude::*;
use leptos_router::components::A;
use wasm_bindgen::JsCast;

use super::lang::LangSwitch;
use crate::i18n::*;

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
            <LangSwitch />
        </header>
    }
}

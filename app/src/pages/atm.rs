//! The ATM kiosk: a full-screen, touch-sized screen with no site navigation.
//!
//! Until staff enroll the kiosk it can only say so; later flows add scanning,
//! code entry and dispensing here.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{lang::LangSwitch, page_title::use_page_title};
use crate::i18n::*;

#[component]
pub fn Kiosk() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || Some(t_string!(i18n, atm.title)));
    view! {
        <div class="kiosk">
            <header class="kiosk__bar">
                <span class="kiosk__brand">{t!(i18n, brand)} " ATM"</span>
                <LangSwitch />
            </header>
            <main id="content" class="kiosk__screen" tabindex="-1">
                <h1 class="kiosk__welcome">{t!(i18n, atm.welcome)}</h1>
                <p class="kiosk__message">{t!(i18n, atm.not_enrolled)}</p>
                <p class="kiosk__hint">{t!(i18n, atm.enroll_hint)}</p>
            </main>
            <footer class="kiosk__footer">
                <A href="/" attr:class="kiosk__exit">{t!(i18n, atm.exit)}</A>
            </footer>
        </div>
    }
}

//! Shown for any address no route matches.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{header::AppHeader, page_title::use_page_title};
use crate::i18n::*;

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || Some(t_string!(i18n, not_found.title)));
    view! {
        <div class="view view--not-found">
            <AppHeader />
            <main id="content" class="not-found" tabindex="-1">
                <h1>{t!(i18n, not_found.title)}</h1>
                <p>{t!(i18n, not_found.body)}</p>
                <A href="/" attr:class="button">{t!(i18n, not_found.home)}</A>
            </main>
        </div>
    }
}

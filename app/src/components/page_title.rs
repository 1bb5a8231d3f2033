//! Keeps `document.title` in step with the page and the language.

use leptos::prelude::*;

use crate::i18n::*;

/// Sets the tab title to `page · Anshin` (or just the brand for the landing page).
pub fn use_page_title(page: impl Fn() -> Option<&'static str> + 'static) {
    let i18n = use_i18n();
    Effect::new(move |_| {
        let brand = t_string!(i18n, brand);
        let title = match page() {
            Some(page) => format!("{page} · {brand}"),
            None => brand.to_string(),
        };
        document().set_title(&title);
    });
}

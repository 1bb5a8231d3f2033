//! The language switch, and the current language as the shared `Lang`.

use leptos::prelude::*;
use shared::Lang;

use crate::i18n::*;

/// The current language, for formatting that lives outside the translation files.
pub fn use_lang() -> impl Fn() -> Lang + Copy + 'static {
    let i18n = use_i18n();
    move || match i18n.get_locale() {
        Locale::ja => Lang::Ja,
        Locale::en => Lang::En,
    }
}

/// A labelled select; each language is named in itself, as people look for their own.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let on_change = move |ev: leptos::ev::Event| {
        if let Ok(locale) = event_target_value(&ev).parse::<Locale>() {
            i18n.set_locale(locale);
        }
    };
    view! {
        <label class="lang-switch">
            <span class="visually-hidden">{t!(i18n, language)}</span>
            <select
                aria-label=move || t_string!(i18n, language)
                on:change=on_change
                prop:value=move || i18n.get_locale().as_str()
            >
                <option value="ja" lang="ja">"日本語"</option>
                <option value="en" lang="en">"English"</option>
            </select>
        </label>
    }
}

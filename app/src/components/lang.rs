//! The language switch, the language remembered from an earlier visit, and
//! the current language as the shared `Lang`.

use leptos::prelude::*;
use shared::Lang;
use wasm_bindgen::JsCast;
use web_sys::HtmlDocument;

use crate::i18n::*;

/// The current language, for formatting that lives outside the translation files.
pub fn use_lang() -> impl Fn() -> Lang + Copy + 'static {
    let i18n = use_i18n();
    move || match i18n.get_locale() {
        Locale::ja => Lang::Ja,
        Locale::en => Lang::En,
    }
}

// A cookie of our own rather than the i18n crate's, whose cookie support
// brings a date-time library into every bundle for one preference.
const COOKIE: &str = "anshin_lang";
const ONE_YEAR_SECONDS: u32 = 365 * 24 * 60 * 60;

fn html_document() -> Option<HtmlDocument> {
    document().dyn_into::<HtmlDocument>().ok()
}

fn remembered() -> Option<Locale> {
    let cookies = html_document()?.cookie().ok()?;
    cookies
        .split(';')
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .and_then(|value| value.parse().ok())
}

fn remember(locale: Locale) {
    if let Some(doc) = html_document() {
        let cookie = format!(
            "{COOKIE}={}; Path=/; Max-Age={ONE_YEAR_SECONDS}; SameSite=Lax",
            locale.as_str()
        );
        let _ = doc.set_cookie(&cookie);
    }
}

/// Switches to the language chosen on an earlier visit.
#[component]
pub fn RememberedLang() -> impl IntoView {
    let i18n = use_i18n();
    // An effect, as the provider's own first effect sets the browser's
    // language; effects run in the order they were made, so this one wins.
    Effect::new(move |_| {
        if let Some(locale) = remembered() {
            i18n.set_locale(locale);
        }
    });
}

/// A labelled select; each language is named in itself, as people look for their own.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let on_change = move |ev: leptos::ev::Event| {
        if let Ok(locale) = event_target_value(&ev).parse::<Locale>() {
            i18n.set_locale(locale);
            remember(locale);
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

//! The staff view of the audit trail: every entry with its place in the
//! hash chain, newest first, a page at a time.

use leptos::{prelude::*, task::spawn_local};
use shared::{audit::AuditEntry, AppError};

use crate::api::fetch_audit_page;
use crate::components::{empty_state::EmptyState, error_notice::ErrorNotice, lang::use_lang};
use crate::i18n::*;

#[component]
pub fn AuditTrail() -> impl IntoView {
    let i18n = use_i18n();
    let entries = RwSignal::new(Vec::<AuditEntry>::new());
    let next = RwSignal::new(None::<i64>);
    let busy = RwSignal::new(true);
    let failed = RwSignal::new(None::<AppError>);
    let load = move |before: Option<i64>| {
        busy.set(true);
        failed.set(None);
        spawn_local(async move {
            match fetch_audit_page(before).await {
                Ok(page) => {
                    entries.update(|e| e.extend(page.entries));
                    next.set(page.next);
                }
                Err(e) => failed.set(Some(e)),
            }
            busy.set(false);
        });
    };
    load(None);
    view! {
        {move || failed.get().map(|error| {
            let before = next.get_untracked();
            view! { <ErrorNotice error on_retry=Callback::new(move |_| load(before)) /> }
        })}
        <Show when=move || !busy.get() && failed.with(Option::is_none) && entries.with(Vec::is_empty)>
            <EmptyState
                title=t!(i18n, staff.audit_empty_title).into_any()
                body=t!(i18n, staff.audit_empty_body).into_any()
            />
        </Show>
        <Show when=move || entries.with(|e| !e.is_empty())>
            // A region that scrolls sideways on a phone: focusable, so the
            // keyboard can scroll it too, and named by the table's caption.
            <div class="table-scroll" tabindex="0" role="region" aria-labelledby="audit-caption">
                <table class="audit-table">
                    <caption id="audit-caption" class="visually-hidden">{t!(i18n, staff.audit)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"#"</th>
                            <th scope="col">{t!(i18n, staff.audit_when)}</th>
                            <th scope="col">{t!(i18n, staff.audit_actor)}</th>
                            <th scope="col">{t!(i18n, staff.audit_action)}</th>
                            <th scope="col">{t!(i18n, staff.audit_subject)}</th>
                            <th scope="col">{t!(i18n, staff.audit_hash)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || entries.get() key=|e| e.seq let:entry>
                            <AuditRow entry />
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
        {move || {
            if busy.get() {
                view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any()
            } else if let Some(before) = next.get() {
                view! {
                    <button type="button" class="button button--secondary load-more" on:click=move |_| load(Some(before))>
                        {t!(i18n, staff.audit_older)}
                    </button>
                }
                .into_any()
            } else {
                ().into_any()
            }
        }}
    }
}

#[component]
fn AuditRow(entry: AuditEntry) -> impl IntoView {
    let lang = use_lang();
    let at = entry.at_ms;
    let when = move || {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
        String::from(date.to_locale_string(lang().tag(), &wasm_bindgen::JsValue::UNDEFINED))
    };
    let short_hash = entry.hash.chars().take(12).collect::<String>();
    view! {
        <tr>
            <td>{entry.seq}</td>
            <td>{when}</td>
            <td>{entry.actor}</td>
            <td><code>{entry.action}</code></td>
            <td title=entry.detail>{entry.subject}</td>
            <td><code title=entry.hash.clone()>{short_hash}"…"</code></td>
        </tr>
    }
}

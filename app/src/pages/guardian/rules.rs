//! The guardian's conditions for each minor: limits per purchase, day and
//! month, "ask me first" above an amount, the allowed hours, blocked
//! categories and blocked shops. A refused field is marked and named.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    ids::ApiClientId,
    purchase::{
        conditions::{Conditions, Hours},
        port::Ward,
        Category, Purchase,
    },
    AppError,
};

use super::{live_overview, with_overview};
use crate::api::set_purchase_conditions;
use crate::components::{error_notice::ErrorNotice, purchase_words::category_text};
use crate::i18n::*;

#[component]
pub fn Rules() -> impl IntoView {
    let overview = live_overview();
    with_overview(overview, |o| {
        let purchases = o.purchases;
        view! {
            {o.wards.into_iter().map(|w| {
                let shops = shops_of(&purchases, &w);
                view! { <RulesForm w shops /> }
            }).collect_view()}
        }
        .into_any()
    })
}

/// The shops that reported a purchase for this minor, each once.
fn shops_of(purchases: &[Purchase], w: &Ward) -> Vec<(ApiClientId, String)> {
    let mut shops: Vec<(ApiClientId, String)> = purchases
        .iter()
        .filter(|p| p.minor == w.minor)
        .map(|p| (p.merchant, p.merchant_name.clone()))
        .collect();
    shops.sort();
    shops.dedup_by_key(|s| s.0);
    shops
}

fn text(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// An empty field is no limit; anything else must be a whole number.
fn number(field: &'static str, s: &str) -> Result<Option<i64>, AppError> {
    let s = s.trim().replace([',', '，'], "");
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| AppError::invalid(field, shared::Reason::Malformed))
}

#[component]
fn RulesForm(w: Ward, shops: Vec<(ApiClientId, String)>) -> impl IntoView {
    let i18n = use_i18n();
    let c = w.conditions.clone();
    let minor = w.minor;
    let prefix = format!("rules-{minor}");
    let per_purchase = RwSignal::new(text(c.per_purchase_yen));
    let per_day = RwSignal::new(text(c.per_day_yen));
    let per_month = RwSignal::new(text(c.per_month_yen));
    let ask_above = RwSignal::new(text(c.ask_above_yen));
    let from = RwSignal::new(c.hours.map(|h| h.from.to_string()).unwrap_or_default());
    let to = RwSignal::new(c.hours.map(|h| h.to.to_string()).unwrap_or_default());
    let categories = RwSignal::new(c.blocked_categories.clone());
    let merchants = RwSignal::new(c.blocked_merchants.clone());
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let saved = RwSignal::new(false);
    let bad = move |field: &'static str| move || matches!(failed.get(), Some(AppError::Invalid { field: f, .. }) if f == field);
    let read = move || -> Result<Conditions, AppError> {
        let hours = match (number("hours", &from.get())?, number("hours", &to.get())?) {
            (None, None) => None,
            (Some(f), Some(t)) if (0..=24).contains(&f) && (0..=24).contains(&t) => Some(Hours {
                from: f as u8,
                to: t as u8,
            }),
            _ => return Err(AppError::invalid("hours", shared::Reason::OutOfOrder)),
        };
        Ok(Conditions {
            per_purchase_yen: number("per_purchase_yen", &per_purchase.get())?,
            per_day_yen: number("per_day_yen", &per_day.get())?,
            per_month_yen: number("per_month_yen", &per_month.get())?,
            ask_above_yen: number("ask_above_yen", &ask_above.get())?,
            hours,
            blocked_categories: categories.get(),
            blocked_merchants: merchants.get(),
        })
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let conditions = match read() {
            Ok(c) => c,
            Err(e) => return failed.set(Some(e)),
        };
        busy.set(true);
        spawn_local(async move {
            match set_purchase_conditions(minor, conditions).await {
                Ok(_) => {
                    failed.try_set(None);
                    saved.try_set(true);
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let name = w.name.clone();
    let heading = format!("{prefix}-heading");
    let field = move |key: &'static str,
                      label: AnyView,
                      value: RwSignal<String>,
                      bad_when: &'static str| {
        let id = format!("{prefix}-{key}");
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id type="text" inputmode="numeric" autocomplete="off"
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    aria-invalid=move || bad(bad_when)().then_some("true") />
            </div>
        }
    };
    let heading_ref = heading.clone();
    view! {
        <form class="panel form rules" aria-labelledby=heading_ref on:submit=save novalidate>
            <h2 id=heading class="section-heading">{t!(i18n, guardian.rules_for, name)}</h2>
            <p class="field__hint">{t!(i18n, guardian.no_limit_hint)}</p>
            {field("per-purchase", t!(i18n, guardian.per_purchase).into_any(), per_purchase, "per_purchase_yen")}
            {field("per-day", t!(i18n, guardian.per_day).into_any(), per_day, "per_day_yen")}
            {field("per-month", t!(i18n, guardian.per_month).into_any(), per_month, "per_month_yen")}
            {field("ask-above", t!(i18n, guardian.ask_above).into_any(), ask_above, "ask_above_yen")}
            <fieldset class="field">
                <legend>{t!(i18n, guardian.hours)}</legend>
                {field("from", t!(i18n, guardian.hours_from).into_any(), from, "hours")}
                {field("to", t!(i18n, guardian.hours_to).into_any(), to, "hours")}
            </fieldset>
            <fieldset class="field checks">
                <legend>{t!(i18n, guardian.blocked_categories)}</legend>
                {Category::ALL.iter().map(|c| {
                    let c = *c;
                    let checked = move || categories.with(|l| l.contains(&c));
                    view! {
                        <label class="check">
                            <input type="checkbox" prop:checked=checked on:change=move |_| categories.update(|l| {
                                if let Some(i) = l.iter().position(|x| *x == c) { l.remove(i); } else { l.push(c); }
                            }) />
                            {move || category_text(i18n, c)}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <fieldset class="field checks">
                <legend>{t!(i18n, guardian.blocked_merchants)}</legend>
                {shops.is_empty().then(|| view! { <p class="field__hint">{t!(i18n, guardian.no_merchants)}</p> })}
                {shops.into_iter().map(|(id, shop)| {
                    let checked = move || merchants.with(|l| l.contains(&id));
                    view! {
                        <label class="check">
                            <input type="checkbox" prop:checked=checked on:change=move |_| merchants.update(|l| {
                                if let Some(i) = l.iter().position(|x| *x == id) { l.remove(i); } else { l.push(id); }
                            }) />
                            {shop}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
            <Show when=move || saved.get()>
                <p class="notice notice--ok" role="status">{t!(i18n, guardian.saved)}</p>
            </Show>
            <div class="form__actions">
                <button type="submit" class="button" disabled=move || busy.get()>
                    {move || if busy.get() { t!(i18n, guardian.saving).into_any() } else { t!(i18n, guardian.save).into_any() }}
                </button>
            </div>
        </form>
    }
}

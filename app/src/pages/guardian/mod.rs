//! The guardian view (phone or desktop): the minors in their care with this
//! month's spending by category and by week, their purchases live (cancel
//! within the window, answer "ask me first"), and the conditions.

mod allowance;
mod family;
mod purchases;
mod rules;

pub use family::Family;
pub use purchases::Purchases;
pub use rules::Rules;

use leptos::prelude::*;
use shared::{
    events::Notice,
    purchase::port::{GuardianOverview, Ward},
    AppError,
};

use crate::api::fetch_guardian_overview;
use crate::components::{
    approval_card::date_time,
    empty_state::EmptyState,
    error_notice::ErrorNotice,
    lang::use_lang,
    page_title::use_page_title,
    purchase_words::category_text,
    view_shell::{Section, ViewShell},
};
use crate::i18n::*;
use crate::live::use_live;

#[component]
pub fn GuardianShell() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || Some(t_string!(i18n, guardian.title)));
    let sections = vec![
        Section {
            href: "/guardian",
            label: t!(i18n, guardian.wards).into_any(),
        },
        Section {
            href: "/guardian/purchases",
            label: t!(i18n, guardian.purchases).into_any(),
        },
        Section {
            href: "/guardian/rules",
            label: t!(i18n, guardian.rules).into_any(),
        },
        Section {
            href: "/guardian/family",
            label: t!(i18n, guardian.family).into_any(),
        },
    ];
    view! {
        <ViewShell
            kind="guardian"
            title=t!(i18n, guardian.title).into_any()
            nav_label=Signal::derive(move || t_string!(i18n, guardian.title).to_string())
            sections
        />
    }
}

/// The overview, fetched again whenever a purchase notice arrives.
pub(super) fn live_overview() -> LocalResource<Result<GuardianOverview, AppError>> {
    let overview = LocalResource::new(fetch_guardian_overview);
    use_live().refetch_on(overview, |n| {
        matches!(n, Notice::Purchase { .. } | Notice::Identity { .. })
    });
    overview
}

/// Shows `body` with the overview once loaded; loading and errors otherwise.
pub(super) fn with_overview(
    overview: LocalResource<Result<GuardianOverview, AppError>>,
    body: impl Fn(GuardianOverview) -> AnyView + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    move || match overview.get() {
        None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }
            .into_any(),
        Some(Err(error)) => {
            view! { <ErrorNotice error on_retry=Callback::new(move |_| overview.refetch()) /> }
                .into_any()
        }
        Some(Ok(o)) if o.wards.is_empty() => view! {
            <EmptyState
                title=t!(i18n, guardian.wards_empty_title).into_any()
                body=t!(i18n, guardian.wards_empty_body).into_any()
            />
        }
        .into_any(),
        Some(Ok(o)) => body(o),
    }
}

#[component]
pub fn Wards() -> impl IntoView {
    let overview = live_overview();
    with_overview(overview, |o| {
        view! {
            <ul class="wards">
                {o.wards.into_iter().map(|w| view! { <WardCard w /> }).collect_view()}
            </ul>
        }
        .into_any()
    })
}

/// The date in Japan of `ms` (weeks begin at midnight there, whatever this device's zone).
fn japan_date(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        (ms + 9 * 3_600_000) as f64,
    ));
    format!(
        "{}-{:02}-{:02}",
        d.get_utc_full_year(),
        d.get_utc_month() + 1,
        d.get_utc_date()
    )
}

#[component]
fn WardCard(w: Ward) -> impl IntoView {
    let i18n = use_i18n();
    let lang = use_lang();
    let heading = format!("ward-{}", w.minor);
    let date = date_time(w.verified_since_ms);
    let largest = w
        .by_category
        .iter()
        .map(|(_, m)| m.amount_minor)
        .max()
        .unwrap_or(0);
    let week_largest = w
        .by_week
        .iter()
        .map(|(_, m)| m.amount_minor)
        .max()
        .unwrap_or(0);
    let categories = w.by_category.clone();
    let heading_ref = heading.clone();
    view! {
        <li class="panel ward" aria-labelledby=heading_ref>
            <h2 id=heading class="section-heading">{w.name.clone()} " (" {w.nickname.clone()} ")"</h2>
            <p class="ward__since">{t!(i18n, guardian.since, date)}</p>
            <allowance::AllowanceForm minor=w.minor />
            <h3>{t!(i18n, guardian.this_month)}</h3>
            <Show
                when=move || !categories.is_empty()
                fallback=move || view! { <p>{t!(i18n, guardian.no_spending)}</p> }
            >
                <ul class="chart">
                    {w.by_category.iter().map(|(c, m)| {
                        let (c, m) = (*c, *m);
                        view! {
                            <li class="chart__row">
                                <span class="chart__label">{move || category_text(i18n, c)}</span>
                                <meter class="chart__bar" min="0" max=largest.max(1) value=m.amount_minor aria-hidden="true"></meter>
                                <span class="chart__value">{move || m.format(lang())}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
            <h3>{t!(i18n, guardian.by_week)}</h3>
            <ul class="chart chart--weeks">
                {w.by_week.iter().map(|(start, m)| {
                    let (date, m) = (japan_date(*start), *m);
                    view! {
                        <li class="chart__row">
                            <span class="chart__label">{t!(i18n, guardian.week_of, date)}</span>
                            <meter class="chart__bar" min="0" max=week_largest.max(1) value=m.amount_minor aria-hidden="true"></meter>
                            <span class="chart__value">{move || m.format(lang())}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </li>
    }
}

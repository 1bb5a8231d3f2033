//! The guardian view (phone or desktop): the people in their care, their purchases, spending rules.

use leptos::prelude::*;

use crate::components::{
    empty_state::EmptyState,
    page_title::use_page_title,
    view_shell::{Section, ViewShell},
};
use crate::i18n::*;

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

#[component]
pub fn Wards() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <EmptyState
            title=t!(i18n, guardian.wards_empty_title).into_any()
            body=t!(i18n, guardian.wards_empty_body).into_any()
        />
    }
}

#[component]
pub fn Purchases() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <EmptyState
            title=t!(i18n, guardian.purchases_empty_title).into_any()
            body=t!(i18n, guardian.purchases_empty_body).into_any()
        />
    }
}

#[component]
pub fn Rules() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <EmptyState
            title=t!(i18n, guardian.rules_empty_title).into_any()
            body=t!(i18n, guardian.rules_empty_body).into_any()
        />
    }
}

//! The staff view (desktop): consultations, the ATM fleet, people, the audit trail.

use leptos::prelude::*;

use crate::components::{
    empty_state::EmptyState,
    page_title::use_page_title,
    view_shell::{Section, ViewShell},
};
use crate::i18n::*;

#[component]
pub fn StaffShell() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || Some(t_string!(i18n, staff.title)));
    let sections = vec![
        Section {
            href: "/staff",
            label: t!(i18n, staff.consultations).into_any(),
        },
        Section {
            href: "/staff/atms",
            label: t!(i18n, staff.atms).into_any(),
        },
        Section {
            href: "/staff/people",
            label: t!(i18n, staff.people).into_any(),
        },
        Section {
            href: "/staff/audit",
            label: t!(i18n, staff.audit).into_any(),
        },
    ];
    view! {
        <ViewShell
            kind="staff"
            title=t!(i18n, staff.title).into_any()
            nav_label=Signal::derive(move || t_string!(i18n, staff.title).to_string())
            sections
        />
    }
}

#[component]
pub fn Consultations() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <EmptyState
            title=t!(i18n, staff.consultations_empty_title).into_any()
            body=t!(i18n, staff.consultations_empty_body).into_any()
        />
    }
}

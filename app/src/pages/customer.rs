//! The customer view (mobile-first): accounts, approvals, cash, consultations, activity.

use leptos::prelude::*;

use crate::components::{
    page_title::use_page_title,
    view_shell::{Section, ViewShell},
};
use crate::i18n::*;

#[component]
pub fn CustomerShell() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || Some(t_string!(i18n, customer.title)));
    let sections = vec![
        Section {
            href: "/customer",
            label: t!(i18n, customer.accounts).into_any(),
        },
        Section {
            href: "/customer/send",
            label: t!(i18n, customer.send).into_any(),
        },
        Section {
            href: "/customer/purchases",
            label: t!(i18n, customer.purchases).into_any(),
        },
        Section {
            href: "/customer/approvals",
            label: t!(i18n, customer.approvals).into_any(),
        },
        Section {
            href: "/customer/cash",
            label: t!(i18n, customer.cash).into_any(),
        },
        Section {
            href: "/customer/consult",
            label: t!(i18n, customer.consult).into_any(),
        },
        Section {
            href: "/customer/delegation",
            label: t!(i18n, customer.delegation).into_any(),
        },
        Section {
            href: "/customer/activity",
            label: t!(i18n, customer.activity).into_any(),
        },
    ];
    view! {
        <ViewShell
            kind="customer"
            title=t!(i18n, customer.title).into_any()
            nav_label=Signal::derive(move || t_string!(i18n, customer.title).to_string())
            sections
        />
    }
}

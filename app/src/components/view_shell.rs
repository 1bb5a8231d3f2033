//! The frame of a view (customer, guardian, staff): header, the view's own
//! section tabs, and the routed section below them.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use super::header::AppHeader;

/// One tab of a view's section navigation.
pub struct Section {
    pub href: &'static str,
    pub label: AnyView,
}

#[component]
pub fn ViewShell(
    /// Names the view for assistive technology and styling (`customer`, …).
    kind: &'static str,
    title: AnyView,
    nav_label: Signal<String>,
    sections: Vec<Section>,
) -> impl IntoView {
    view! {
        <div class=format!("view view--{kind}")>
            <AppHeader />
            <div class="view__title">
                <h1>{title}</h1>
            </div>
            <nav class="section-nav" aria-label=move || nav_label.get()>
                {sections
                    .into_iter()
                    .map(|s| view! { <A href=s.href exact=true>{s.label}</A> })
                    .collect_view()}
            </nav>
            <main id="content" class="view__body" tabindex="-1">
                <Outlet />
            </main>
        </div>
    }
}

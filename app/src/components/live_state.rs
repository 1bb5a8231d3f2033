//! Says whether this page is receiving live updates right now.

use leptos::prelude::*;

use crate::{i18n::*, live::use_live};

#[component]
pub fn LiveState() -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    view! {
        <p class="live-state" role="status">
            <span class="live-state__dot" class:live-state__dot--on=move || live.connected.get() aria-hidden="true"></span>
            {move || if live.connected.get() {
                t_string!(i18n, approvals.live).to_string()
            } else {
                t_string!(i18n, approvals.reconnecting).to_string()
            }}
        </p>
    }
}

//! What a section shows when it has nothing yet: what will appear, and why not now.

use leptos::prelude::*;

#[component]
pub fn EmptyState(title: AnyView, body: AnyView) -> impl IntoView {
    view! {
        <div class="empty-state" role="status">
            <div class="empty-state__mark" aria-hidden="true"></div>
            <h2>{title}</h2>
            <p>{body}</p>
        </div>
    }
}

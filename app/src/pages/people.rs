//! Staff: people's standing. Marking an adult customer as a ward of
//! restricted capacity (a guardianship order) is a staff action, audited.

use leptos::{prelude::*, task::spawn_local};
use shared::{identity::Me, AppError};

use crate::api::flag_adult_ward;
use crate::components::error_notice::ErrorNotice;
use crate::i18n::*;

#[component]
pub fn People() -> impl IntoView {
    let i18n = use_i18n();
    let nickname = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let result = RwSignal::new(None::<Result<(Me, bool), AppError>>);
    let submit = move |ward: bool| {
        busy.set(true);
        let name = nickname.get_untracked();
        spawn_local(async move {
            result.set(Some(flag_adult_ward(name, ward).await.map(|me| (me, ward))));
            busy.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="ward-heading">
            <h2 id="ward-heading" class="section-heading">{t!(i18n, staff.ward_title)}</h2>
            <p>{t!(i18n, staff.ward_body)}</p>
            <form class="form" on:submit=move |ev| { ev.prevent_default(); submit(true); }>
                <label class="field">
                    <span class="field__label">{t!(i18n, staff.ward_nickname)}</span>
                    <input
                        type="text"
                        required
                        autocomplete="off"
                        prop:value=move || nickname.get()
                        on:input=move |ev| nickname.set(event_target_value(&ev))
                    />
                </label>
                <div class="form__actions">
                    <button type="submit" class="button button--primary" disabled=move || busy.get()>
                        {t!(i18n, staff.ward_flag)}
                    </button>
                    <button type="button" class="button button--secondary" disabled=move || busy.get()
                        on:click=move |_| submit(false)>
                        {t!(i18n, staff.ward_clear)}
                    </button>
                </div>
            </form>
            <div role="status" aria-live="polite">
                {move || match result.get() {
                    None => ().into_any(),
                    Some(Ok((me, true))) => view! { <p class="notice notice--ok">{t!(i18n, staff.ward_done_on, name = me.display_name.clone())}</p> }.into_any(),
                    Some(Ok((me, false))) => view! { <p class="notice notice--ok">{t!(i18n, staff.ward_done_off, name = me.display_name.clone())}</p> }.into_any(),
                    Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                }}
            </div>
        </section>
    }
}

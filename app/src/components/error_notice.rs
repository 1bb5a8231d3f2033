//! Turns an `AppError` into a translated sentence, with a retry where it helps.
//!
//! Only the error's code and its safe fields are shown; anything else stays
//! in the browser console for whoever debugs it.

use leptos::prelude::*;
use shared::AppError;

use crate::i18n::*;

#[component]
pub fn ErrorNotice(
    error: AppError,
    #[prop(optional)] on_retry: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    leptos::logging::warn!("request failed: {error}");
    let message = match error {
        AppError::Invalid { .. } => t!(i18n, error.invalid).into_any(),
        AppError::NotFound => t!(i18n, error.not_found).into_any(),
        AppError::Unauthenticated => view! {
            {t!(i18n, error.unauthenticated)}
            " "
            <leptos_router::components::A href="/signin">{t!(i18n, session.sign_in)}</leptos_router::components::A>
        }
        .into_any(),
        AppError::Forbidden => t!(i18n, error.forbidden).into_any(),
        AppError::Conflict { .. } => t!(i18n, error.conflict).into_any(),
        AppError::RateLimited { .. } => t!(i18n, error.rate_limited).into_any(),
        AppError::Unavailable => t!(i18n, error.unavailable).into_any(),
        AppError::Internal { reference } => t!(i18n, error.internal, reference).into_any(),
        AppError::Transport { .. } => t!(i18n, error.transport).into_any(),
    };
    view! {
        <div class="notice notice--error" role="alert">
            <p>{message}</p>
            {on_retry.map(|retry| view! {
                <button type="button" class="button button--secondary" on:click=move |_| retry.run(())>
                    {t!(i18n, retry)}
                </button>
            })}
        </div>
    }
}

//! The passkey steps of a confirmation: an assertion for a challenge the
//! server issued, and a passkey set up on this device for someone who has
//! none yet (a demo persona, say), with the notice that offers it.

use leptos::{prelude::*, task::spawn_local};
use shared::AppError;

use crate::api::{begin_add_passkey, finish_add_passkey};
use crate::components::error_notice::ErrorNotice;
use crate::i18n::*;
use crate::webauthn::{self, PasskeyError};

#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    PasskeyCancelled,
    PasskeyFailed,
    Other(AppError),
}

impl From<PasskeyError> for Problem {
    fn from(e: PasskeyError) -> Self {
        match e {
            PasskeyError::Cancelled => Problem::PasskeyCancelled,
            PasskeyError::Failed(_) => Problem::PasskeyFailed,
        }
    }
}

pub async fn sign(options_json: &str) -> Result<String, Problem> {
    Ok(webauthn::get(options_json).await?)
}

pub async fn add_here() -> Result<(), Problem> {
    let ceremony = begin_add_passkey().await.map_err(Problem::Other)?;
    let credential = webauthn::create(&ceremony.options_json).await?;
    finish_add_passkey(ceremony.id, credential)
        .await
        .map_err(Problem::Other)
}

pub fn no_passkey(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Conflict {
            reason: shared::Reason::NoPasskey
        }
    )
}

/// Offers to set a passkey up on this device; `on_added` (if given) goes
/// on with what needed it, else the person tries again.
#[component]
pub fn NoPasskeyHere(#[prop(optional)] on_added: Option<Callback<()>>) -> impl IntoView {
    let i18n = use_i18n();
    let busy = RwSignal::new(false);
    let added = RwSignal::new(None::<Result<(), AppError>>);
    let add = move |_| {
        busy.set(true);
        spawn_local(async move {
            let result = match add_here().await {
                Ok(()) => Some(Ok(())),
                Err(Problem::Other(e)) => Some(Err(e)),
                Err(_) => None,
            };
            let ok = matches!(result, Some(Ok(())));
            added.try_set(result);
            busy.try_set(false);
            if let (true, Some(then)) = (ok, on_added) {
                then.run(());
            }
        });
    };
    view! {
        <div class="notice notice--warning" role="alert">
            <p>{t!(i18n, send.no_passkey)}</p>
            <Show when=move || !matches!(added.get(), Some(Ok(())))>
                <button type="button" class="button" on:click=add disabled=move || busy.get()>{t!(i18n, send.add_passkey)}</button>
            </Show>
            {move || match added.get() {
                Some(Err(error)) => Some(view! { <ErrorNotice error /> }.into_any()),
                _ => None,
            }}
        </div>
    }
}

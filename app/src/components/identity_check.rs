//! One's own identity check: where it stands (with staff's reason when
//! they refused it or asked again), and the form to submit one — name,
//! date of birth, address and an image of the identity document — while
//! none is waiting or approved.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    kyc::{port::IdentityCheck, CheckState, IdentityDetails},
    AppError,
};

use super::{
    document_input::DocumentInput,
    error_notice::ErrorNotice,
    kyc_words::{check_state_text, refusal_text, review_reason_text},
};
use crate::api::submit_identity_check;
use crate::i18n::*;

/// A refusal in words where the person can mend it, else the general notice.
pub fn refusal_view(error: AppError) -> AnyView {
    let i18n = use_i18n();
    match refusal_text(i18n, &error) {
        Some(text) => view! { <p class="notice notice--error" role="alert">{text}</p> }.into_any(),
        None => view! { <ErrorNotice error /> }.into_any(),
    }
}

#[component]
pub fn IdentityCheckPanel(check: Option<IdentityCheck>, on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let open = check
        .as_ref()
        .is_none_or(|c| matches!(c.state, CheckState::Rejected | CheckState::Resubmit));
    let status = check.map(|c| {
        let state = c.state;
        let reason = c.reason;
        view! {
            <p>
                <span class=format!("badge badge--{}", state.as_str())>{move || check_state_text(i18n, state)}</span>
            </p>
            {reason.map(|r| view! { <p>{t!(i18n, kyc.reason_label)} " " {move || review_reason_text(i18n, r)}</p> })}
            {(state == CheckState::Submitted).then(|| view! { <p>{t!(i18n, kyc.check_waiting_body)}</p> })}
        }
    });
    view! {
        <section class="panel" aria-labelledby="kyc-heading">
            <h2 id="kyc-heading" class="section-heading">{t!(i18n, kyc.check_title)}</h2>
            {match status {
                Some(s) => s.into_any(),
                None => view! { <p>{t!(i18n, kyc.check_none_body)}</p> }.into_any(),
            }}
            {open.then(|| view! { <CheckForm on_done /> })}
        </section>
    }
}

#[component]
fn CheckForm(on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let (name, birth, address) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let document = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(doc) = document.get_untracked() else {
            failed.set(Some(AppError::invalid(
                "document",
                shared::Reason::Required,
            )));
            return;
        };
        let details = IdentityDetails {
            full_name: name.get_untracked(),
            birth_date: birth.get_untracked(),
            address: address.get_untracked(),
        };
        busy.set(true);
        failed.set(None);
        spawn_local(async move {
            match submit_identity_check(details, doc).await {
                Ok(_) => on_done.run(()),
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    let text =
        move |label: AnyView, value: RwSignal<String>, kind: &'static str, auto: &'static str| {
            view! {
                <label class="field">
                    <span class="field__label">{label}</span>
                    <input type=kind required autocomplete=auto
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev)) />
                </label>
            }
        };
    view! {
        <form class="form" on:submit=submit>
            {text(t!(i18n, kyc.full_name).into_any(), name, "text", "name")}
            {text(t!(i18n, kyc.birth_date).into_any(), birth, "date", "bday")}
            {text(t!(i18n, kyc.address).into_any(), address, "text", "street-address")}
            <DocumentInput
                id="kyc-document"
                label=t!(i18n, kyc.document).into_any()
                hint=t!(i18n, kyc.document_hint).into_any()
                value=document
            />
            <div role="status" aria-live="polite">
                {move || failed.get().map(refusal_view)}
            </div>
            <div class="form__actions">
                <button type="submit" class="button button--primary" disabled=move || busy.get()>
                    {move || if busy.get() { t!(i18n, kyc.sending).into_any() } else { t!(i18n, kyc.submit).into_any() }}
                </button>
            </div>
        </form>
    }
}

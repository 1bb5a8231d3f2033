//! For the recipient: someone sending money asks them to confirm who they
//! are. They write a short message, sign it with their passkey, and it goes
//! to the sender; or they say they do not know the sender, which releases
//! the money. Follows new requests live.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    events::Notice,
    transfer::send::{ProofRequest, SendState},
};

use crate::api::{begin_proof, decline_proof, fetch_proof_requests, give_proof};
use crate::components::passkey::{self, NoPasskeyHere, Problem};
use crate::components::{
    empty_state::EmptyState, error_notice::ErrorNotice, lang::use_lang, risk_words::state_text,
};
use crate::i18n::*;
use crate::live::Live;

#[component]
pub fn Proofs() -> impl IntoView {
    let i18n = use_i18n();
    let list = LocalResource::new(fetch_proof_requests);
    expect_context::<Live>().refetch_on(list, |n| matches!(n, Notice::ProofAsked { .. }));
    let refresh = Callback::new(move |_| list.refetch());
    // What the page shows changes only with loading, failure and emptiness,
    // so a refetch keeps the list, and the list keeps each request that did
    // not change (keyed by id and state), with the message being typed in it.
    let shown = Memo::new(move |_| list.get().map(|r| r.map(|items| items.is_empty())));
    let items = move || list.get().and_then(Result::ok).unwrap_or_default();
    view! {
        <section class="panel proofs" aria-labelledby="proofs-heading">
            <h2 id="proofs-heading" class="section-heading">{t!(i18n, send.proofs_title)}</h2>
            {move || match shown.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error on_retry=refresh /> }.into_any(),
                Some(Ok(true)) => view! {
                    <EmptyState title=t!(i18n, send.proofs_title).into_any() body=t!(i18n, send.proofs_empty).into_any() />
                }.into_any(),
                Some(Ok(false)) => view! {
                    <ul class="proof-list">
                        <For each=items key=|r| (r.id, r.state) let(r)>
                            <ProofItem r refresh />
                        </For>
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ProofItem(r: ProofRequest, refresh: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let lang = use_lang();
    let message = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<Problem>);
    let id = r.id;
    let state = r.state;
    let sent_by = r.from_nickname.clone();
    let send = move || {
        let text = message.get_untracked();
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            let result = async {
                let ceremony = begin_proof(id, text.clone())
                    .await
                    .map_err(Problem::Other)?;
                let credential = passkey::sign(&ceremony.options_json).await?;
                give_proof(id, text, ceremony.id, credential)
                    .await
                    .map_err(Problem::Other)
            }
            .await;
            busy.try_set(false);
            match result {
                Ok(_) => refresh.run(()),
                Err(p) => {
                    problem.try_set(Some(p));
                }
            }
        });
    };
    let give = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send();
    };
    // A passkey set up on the spot goes on with the sending.
    let go_on = Callback::new(move |_| send());
    let decline = move |_| {
        busy.set(true);
        spawn_local(async move {
            let result = decline_proof(id).await;
            busy.try_set(false);
            match result {
                Ok(_) => refresh.run(()),
                Err(e) => {
                    problem.try_set(Some(Problem::Other(e)));
                }
            }
        });
    };
    let (amount, nickname) = (r.amount, sent_by.clone());
    let asked = t!(
        i18n,
        send.proof_asked,
        nickname,
        amount = move || amount.format(lang())
    );
    let field_nick = sent_by.clone();
    let done_nick = sent_by;
    view! {
        <li class="proof-item" data-transfer=id.to_string()>
            <p>{asked}</p>
            <p><span class=format!("badge badge--{}", state.as_str())>{move || state_text(i18n, state)}</span></p>
            {(state == SendState::AwaitingSender).then(|| {
                let nickname = done_nick.clone();
                view! { <p class="notice notice--ok" role="status">{t!(i18n, send.proof_sent, nickname)}</p> }
            })}
            {(state == SendState::AwaitingRecipient).then(|| {
                let nickname = field_nick.clone();
                view! {
                    <form class="form" on:submit=give>
                        <label>
                            <span>{t!(i18n, send.proof_message, nickname)}</span>
                            <textarea required maxlength="500" prop:value=move || message.get()
                                on:input=move |ev| message.set(event_target_value(&ev))></textarea>
                            <small>{t!(i18n, send.proof_hint)}</small>
                        </label>
                        <div class="form__actions">
                            <button type="submit" class="button" disabled=move || busy.get()>{t!(i18n, send.proof_send)}</button>
                            <button type="button" class="button button--danger" disabled=move || busy.get() on:click=decline>
                                {t!(i18n, send.proof_decline)}
                            </button>
                        </div>
                    </form>
                }
            })}
            {move || problem.get().map(|p| match p {
                Problem::PasskeyCancelled => view! { <p class="notice notice--error" role="alert">{t!(i18n, send.passkey_cancelled)}</p> }.into_any(),
                Problem::PasskeyFailed => view! { <p class="notice notice--error" role="alert">{t!(i18n, send.passkey_failed)}</p> }.into_any(),
                Problem::Other(e) if passkey::no_passkey(&e) => view! { <NoPasskeyHere on_added=go_on /> }.into_any(),
                Problem::Other(e) => super::problem_view(i18n, e),
            })}
        </li>
    }
}

//! The guardian's family page: their own identity check, an invitation to
//! link a minor (by nickname, with the document that proves the
//! relationship), and every link they asked for with its state. A second
//! guardian of the same minor invites from their own account.

use leptos::{prelude::*, task::spawn_local};
use shared::{events::Notice, kyc::Relation, AppError};

use crate::api::{fetch_my_identity, invite_ward};
use crate::components::{
    document_input::DocumentInput,
    empty_state::EmptyState,
    error_notice::ErrorNotice,
    identity_check::{refusal_view, IdentityCheckPanel},
    kyc_words::relation_text,
    link_card::LinkCard,
};
use crate::i18n::*;
use crate::live::use_live;

#[component]
pub fn Family() -> impl IntoView {
    let i18n = use_i18n();
    let mine = LocalResource::new(fetch_my_identity);
    use_live().refetch_on(mine, |n| matches!(n, Notice::Identity { .. }));
    let refetch = Callback::new(move |_| mine.refetch());
    view! {
        {move || match mine.get() {
            None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error on_retry=refetch /> }.into_any(),
            Some(Ok(me)) => view! { <IdentityCheckPanel check=me.check on_done=refetch /> }.into_any(),
        }}
        // Outside the refetched part, so what was typed and sent stays on screen.
        <InviteForm on_done=refetch />
        {move || mine.get().and_then(Result::ok).map(|me| view! {
            <section class="panel" aria-labelledby="my-wards-heading">
                <h2 id="my-wards-heading" class="section-heading">{t!(i18n, kyc.my_links)}</h2>
                {if me.wards.is_empty() {
                    view! {
                        <EmptyState
                            title=t!(i18n, kyc.no_links_title).into_any()
                            body=t!(i18n, kyc.no_links_body).into_any()
                        />
                    }.into_any()
                } else {
                    view! {
                        <ul class="links">
                            {me.wards.into_iter().map(|link| view! { <LinkCard link as_ward=false /> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        })}
    }
}

#[component]
fn InviteForm(on_done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let nickname = RwSignal::new(String::new());
    let relation = RwSignal::new(Relation::Parent);
    let document = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let sent = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        sent.set(false);
        let Some(doc) = document.get_untracked() else {
            failed.set(Some(AppError::invalid(
                "document",
                shared::Reason::Required,
            )));
            return;
        };
        busy.set(true);
        failed.set(None);
        let (name, rel) = (nickname.get_untracked(), relation.get_untracked());
        spawn_local(async move {
            match invite_ward(name, rel, doc).await {
                Ok(_) => {
                    sent.try_set(true);
                    on_done.run(());
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="invite-heading">
            <h2 id="invite-heading" class="section-heading">{t!(i18n, kyc.invite_title)}</h2>
            <p>{t!(i18n, kyc.invite_body)}</p>
            <form class="form" on:submit=submit>
                <label class="field">
                    <span class="field__label">{t!(i18n, kyc.invite_nickname)}</span>
                    <input type="text" required autocomplete="off" autocapitalize="none"
                        prop:value=move || nickname.get()
                        on:input=move |ev| nickname.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span class="field__label">{t!(i18n, kyc.relation)}</span>
                    <select on:change=move |ev| {
                        if let Some(r) = Relation::parse(&event_target_value(&ev)) { relation.set(r) }
                    }>
                        {Relation::ALL.iter().map(|r| {
                            let r = *r;
                            view! {
                                <option value=r.as_str() selected=move || relation.get() == r>
                                    {move || relation_text(i18n, r)}
                                </option>
                            }
                        }).collect_view()}
                    </select>
                </label>
                <DocumentInput
                    id="relation-document"
                    label=t!(i18n, kyc.relation_document).into_any()
                    hint=t!(i18n, kyc.relation_document_hint).into_any()
                    value=document
                />
                <div role="status" aria-live="polite">
                    {move || failed.get().map(refusal_view)}
                    <Show when=move || sent.get()>
                        <p class="notice notice--ok">{t!(i18n, kyc.invite_sent)}</p>
                    </Show>
                </div>
                <div class="form__actions">
                    <button type="submit" class="button button--primary" disabled=move || busy.get()>
                        {move || if busy.get() { t!(i18n, kyc.sending).into_any() } else { t!(i18n, kyc.invite_send).into_any() }}
                    </button>
                </div>
            </form>
        </section>
    }
}

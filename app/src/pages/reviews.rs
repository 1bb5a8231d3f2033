//! Staff: identity checks and relationships waiting for review. A check is
//! shown with its document beside the date of birth the person signed up
//! with; staff approve it, ask for a new document or reject it, giving a
//! reason. A relationship the minor accepted is verified against its
//! document once both people's checks are approved. Every verdict is
//! audited; the queue refreshes as new ones arrive.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    events::Notice,
    kyc::{
        port::{CheckToReview, LinkToReview, Verdict},
        CheckState, ReviewReason,
    },
    AppError,
};

use crate::api::{fetch_review_queue, review_identity_check, review_link};
use crate::components::{
    approval_card::date_time,
    empty_state::EmptyState,
    error_notice::ErrorNotice,
    identity_check::refusal_view,
    kyc_words::{check_state_text, relation_text, review_reason_text},
};
use crate::i18n::*;
use crate::live::use_live;

#[component]
pub fn Reviews() -> impl IntoView {
    let i18n = use_i18n();
    let queue = LocalResource::new(fetch_review_queue);
    use_live().refetch_on(queue, |n| matches!(n, Notice::Identity { .. }));
    let done = Callback::new(move |_| queue.refetch());
    view! {
        {move || match queue.get() {
            None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error on_retry=done /> }.into_any(),
            Some(Ok(q)) => view! {
                <section class="panel" aria-labelledby="checks-heading">
                    <h2 id="checks-heading" class="section-heading">{t!(i18n, kyc.queue_checks)}</h2>
                    {if q.checks.is_empty() {
                        view! { <EmptyState title=t!(i18n, kyc.queue_empty_title).into_any() body=t!(i18n, kyc.queue_checks_empty).into_any() /> }.into_any()
                    } else {
                        view! { <ul class="links">{q.checks.into_iter().map(|c| view! { <CheckReview c done /> }).collect_view()}</ul> }.into_any()
                    }}
                </section>
                <section class="panel" aria-labelledby="links-heading">
                    <h2 id="links-heading" class="section-heading">{t!(i18n, kyc.queue_links)}</h2>
                    {if q.links.is_empty() {
                        view! { <EmptyState title=t!(i18n, kyc.queue_empty_title).into_any() body=t!(i18n, kyc.queue_links_empty).into_any() /> }.into_any()
                    } else {
                        view! { <ul class="links">{q.links.into_iter().map(|l| view! { <LinkReview l done /> }).collect_view()}</ul> }.into_any()
                    }}
                </section>
            }.into_any(),
        }}
    }
}

/// The reason picker every refusal needs; `label` names it for its card.
/// `who` follows the translated "Reason for", in the reader's language as it changes.
fn reason_picker(who: String, reason: RwSignal<Option<ReviewReason>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="form"><label class="field">
            <span class="field__label">{t!(i18n, kyc.reason_for)} " " {who}</span>
            <select on:change=move |ev| reason.set(ReviewReason::parse(&event_target_value(&ev)))>
                <option value="" selected=move || reason.get().is_none()>{t!(i18n, kyc.reason_choose)}</option>
                {ReviewReason::ALL.iter().map(|r| {
                    let r = *r;
                    view! { <option value=r.as_str() selected=move || reason.get() == Some(r)>{move || review_reason_text(i18n, r)}</option> }
                }).collect_view()}
            </select>
        </label></div>
    }
}

/// A verdict's round trip: busy while it runs, the queue refreshed when it
/// is taken, the refusal kept on the card when it is not.
fn run_verdict<T: 'static>(
    busy: RwSignal<bool>,
    failed: RwSignal<Option<AppError>>,
    done: Callback<()>,
    call: impl std::future::Future<Output = Result<T, AppError>> + 'static,
) {
    busy.set(true);
    failed.set(None);
    spawn_local(async move {
        match call.await {
            Ok(_) => done.run(()),
            Err(e) => {
                failed.try_set(Some(e));
            }
        }
        busy.try_set(false);
    });
}

/// The uploaded image, opening in full in a tab of its own; `who` names it.
fn document_image(doc: shared::ids::DocumentId, who: &str) -> impl IntoView {
    let i18n = use_i18n();
    let alt = t_string!(i18n, kyc.document_of).to_string() + " " + who;
    let (href, src) = (format!("/documents/{doc}"), format!("/documents/{doc}"));
    view! { <a href=href target="_blank" rel="noopener"><img class="document-full" src=src alt=alt /></a> }
}

#[component]
fn CheckReview(c: CheckToReview, done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let reason = RwSignal::new(None::<ReviewReason>);
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let id = c.check.id;
    let decide = move |verdict: Verdict| {
        let call = review_identity_check(id, verdict, reason.get_untracked());
        run_verdict(busy, failed, done, call);
    };
    let heading = format!("check-{id}");
    let who = format!("{} ({})", c.person.name, c.person.nickname);
    let d = c.check.details.clone();
    let mismatch = d.birth_date != c.registered_birth_date;
    let image = c.document.map(|doc| document_image(doc, &who));
    let heading_ref = heading.clone();
    view! {
        <li class="panel link-card" aria-labelledby=heading_ref>
            <h3 id=heading>{who.clone()}</h3>
            <dl class="review-facts">
                <dt>{t!(i18n, kyc.full_name)}</dt><dd>{d.full_name}</dd>
                <dt>{t!(i18n, kyc.birth_date)}</dt><dd>{d.birth_date}</dd>
                <dt>{t!(i18n, kyc.registered_birth_date)}</dt><dd>{c.registered_birth_date}</dd>
                <dt>{t!(i18n, kyc.address)}</dt><dd>{d.address}</dd>
                <dt>{t!(i18n, kyc.submitted_at)}</dt><dd>{date_time(c.check.submitted_at_ms)}</dd>
            </dl>
            {mismatch.then(|| view! { <p class="notice notice--warning">{t!(i18n, kyc.birth_mismatch)}</p> })}
            {image}
            {reason_picker(who.clone(), reason)}
            <div role="status" aria-live="polite">{move || failed.get().map(refusal_view)}</div>
            <div class="form__actions">
                <button type="button" class="button button--primary" disabled=move || busy.get()
                    on:click=move |_| decide(Verdict::Approve)>{t!(i18n, kyc.approve)}</button>
                <button type="button" class="button button--secondary" disabled=move || busy.get()
                    on:click=move |_| decide(Verdict::AskAgain)>{t!(i18n, kyc.ask_again)}</button>
                <button type="button" class="button button--secondary" disabled=move || busy.get()
                    on:click=move |_| decide(Verdict::Reject)>{t!(i18n, kyc.reject)}</button>
            </div>
        </li>
    }
}

#[component]
fn LinkReview(l: LinkToReview, done: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let reason = RwSignal::new(None::<ReviewReason>);
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let (g, w) = (l.link.guardian.clone(), l.link.ward.clone());
    let (gid, wid) = (g.user, w.user);
    let decide = move |verify: bool| {
        let call = review_link(gid, wid, verify, reason.get_untracked());
        run_verdict(busy, failed, done, call);
    };
    let check = move |state: Option<CheckState>| {
        match state {
        Some(s) => view! { <span class=format!("badge badge--{}", s.as_str())>{move || check_state_text(i18n, s)}</span> }.into_any(),
        None => view! { <span class="badge badge--expired">{t!(i18n, kyc.check_missing)}</span> }.into_any(),
    }
    };
    let both = l.guardian_check == Some(CheckState::Approved)
        && l.ward_check == Some(CheckState::Approved);
    let relation = l.link.relation;
    let who = format!("{} → {}", g.name, w.name);
    let heading = format!("review-link-{gid}-{wid}");
    let image = l.document.map(|doc| document_image(doc, &who));
    let heading_ref = heading.clone();
    view! {
        <li class="panel link-card" aria-labelledby=heading_ref>
            <h3 id=heading>{who.clone()}</h3>
            <dl class="review-facts">
                <dt>{t!(i18n, kyc.relation)}</dt><dd>{move || relation_text(i18n, relation)}</dd>
                <dt>{t!(i18n, kyc.guardian_check)}</dt><dd>{g.nickname.clone()} " " {check(l.guardian_check)}</dd>
                <dt>{t!(i18n, kyc.ward_check)}</dt><dd>{w.nickname.clone()} " " {check(l.ward_check)}</dd>
                <dt>{t!(i18n, kyc.invited_at)}</dt><dd>{date_time(l.link.invited_at_ms)}</dd>
            </dl>
            {(!both).then(|| view! { <p class="notice notice--warning">{t!(i18n, kyc.error_not_checked)}</p> })}
            {image}
            {reason_picker(who.clone(), reason)}
            <div role="status" aria-live="polite">{move || failed.get().map(refusal_view)}</div>
            <div class="form__actions">
                <button type="button" class="button button--primary" disabled=move || busy.get() || !both
                    on:click=move |_| decide(true)>{t!(i18n, kyc.verify)}</button>
                <button type="button" class="button button--secondary" disabled=move || busy.get()
                    on:click=move |_| decide(false)>{t!(i18n, kyc.reject)}</button>
            </div>
        </li>
    }
}

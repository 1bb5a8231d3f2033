//! One transfer, for its sender: where it stands, the recipient's signed
//! message and the choice to send or give up, the release of a waiting
//! transfer, and the record of what the sender was shown and answered,
//! printable for a claim. It follows the transfer live.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_params_map;
use shared::{
    events::Event,
    ids::SendId,
    transfer::send::{ScamLikelihood, SendState, Sent},
    AppError,
};

use crate::api::{fetch_transfer, finish_transfer, report_account};
use crate::components::{
    approval_card::date_time,
    error_notice::ErrorNotice,
    money::MoneyText,
    risk_words::{purpose_text, state_text, Reasons},
};
use crate::i18n::*;
use crate::live::Live;

#[component]
pub fn TransferPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .with(|p| p.get("id").and_then(|v| v.parse().ok()))
            .map(SendId)
    };
    let found = LocalResource::new(move || async move {
        match id() {
            Some(id) => fetch_transfer(id).await,
            None => Err(AppError::NotFound),
        }
    });
    // A notice about a transfer (a proof given, an end) may be about this one.
    let live = expect_context::<Live>();
    Effect::new(move |_| {
        if live
            .latest
            .with(|n| matches!(n.as_ref().map(|n| &n.event), Some(Event::Notice { .. })))
        {
            found.refetch();
        }
    });
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let finish = move |id: SendId, go_ahead: bool| {
        busy.set(true);
        spawn_local(async move {
            match finish_transfer(id, go_ahead).await {
                Ok(_) => failed.set(None),
                Err(e) => failed.set(Some(e)),
            }
            found.refetch();
            busy.set(false);
        });
    };
    view! {
        <section class="panel transfer">
            {move || match found.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                Some(Ok(s)) => view! { <Details s busy finish /> }.into_any(),
            }}
            {move || failed.get().map(|e| super::problem_view(i18n, e))}
        </section>
    }
}

#[component]
fn Details(
    s: Sent,
    busy: RwSignal<bool>,
    finish: impl Fn(SendId, bool) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let state = s.state;
    let id = s.id;
    let nickname = s.to_nickname.clone();
    let heading_nick = nickname.clone();
    let created = date_time(s.created_at_ms);
    view! {
        <h2 class="section-heading">{t!(i18n, send.transfer_title, nickname = heading_nick)}</h2>
        <p class="approval__amount"><MoneyText money=s.amount /></p>
        <p><span class=format!("badge badge--{}", state.as_str())>{move || state_text(i18n, state)}</span></p>
        <p>{t!(i18n, send.created, at = created)}</p>
        {(state.is_open()).then(|| s.deadline_ms.map(|d| {
            let at = date_time(d);
            view! { <p>{t!(i18n, send.until, at)}</p> }
        }))}
        {(state == SendState::AwaitingRecipient).then(|| {
            let nickname = nickname.clone();
            view! { <p class="notice" role="status">{t!(i18n, send.proof_waiting, nickname)}</p> }
        })}
        {s.proof_message.clone().map(|message| {
            let nickname = nickname.clone();
            view! {
                <figure class="proof">
                    <figcaption>{t!(i18n, send.proof_from, nickname)}</figcaption>
                    <blockquote data-testid="proof-message">{message}</blockquote>
                </figure>
            }
        })}
        <p>
            <leptos_router::components::A href=format!("/customer/messages/{}", s.to_nickname)>
                {t!(i18n, send.payee_messages, label = s.to_nickname.clone())}
            </leptos_router::components::A>
        </p>
        <div class="form__actions">
            {(state == SendState::AwaitingSender).then(|| view! {
                <button type="button" class="button" disabled=move || busy.get() on:click=move |_| finish(id, true)>
                    {t!(i18n, send.go_ahead)}
                </button>
            })}
            {state.is_open().then(|| view! {
                <button type="button" class="button button--danger" disabled=move || busy.get() on:click=move |_| finish(id, false)>
                    {t!(i18n, send.give_up)}
                </button>
            })}
        </div>
        <ReportButton to=s.to_account_number.clone() />
        <section class="evidence" aria-labelledby="evidence-heading">
            <h3 id="evidence-heading">{t!(i18n, send.evidence_title)}</h3>
            {s.acknowledged.clone().map(|a| match a.likelihood {
                ScamLikelihood::Some => view! { <p class="warning__title">{t!(i18n, send.warn_some)}</p> }.into_any(),
                ScamLikelihood::High => view! { <p class="warning__title">{t!(i18n, send.warn_high)}</p> }.into_any(),
            })}
            {s.acknowledged.clone().map(|a| {
                let at = date_time(a.at_ms);
                view! { <p>{t!(i18n, send.evidence_ack, purpose = move || purpose_text(i18n, a.purpose), at)}</p> }
            })}
            {
                let score = s.assessment.score;
                view! { <p>{t!(i18n, send.score, score)}</p> }
            }
            <Reasons reasons=s.assessment.reasons.clone() />
            <button type="button" class="button button--secondary no-print"
                on:click=move |_| { let _ = window().print(); }>
                {t!(i18n, send.print)}
            </button>
        </section>
    }
}

/// Lets the sender report the account as used for fraud (once is enough).
#[component]
fn ReportButton(to: String) -> impl IntoView {
    let i18n = use_i18n();
    let reported = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let report = move |_| {
        let to = to.clone();
        spawn_local(async move {
            match report_account(to).await {
                Ok(()) => {
                    reported.try_set(true);
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <Show
            when=move || reported.get()
            fallback=move || view! {
                <button type="button" class="button button--secondary no-print" on:click=report.clone()>
                    {t!(i18n, send.report)}
                </button>
            }
        >
            <p class="notice notice--ok" role="status">{t!(i18n, send.reported)}</p>
        </Show>
        {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
    }
}

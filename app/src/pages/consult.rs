//! The customer's consultation page: ask to talk to the bank, wait to be
//! connected (or withdraw the request), then talk with the clerk who took
//! it until either side ends it. It follows the live channel, so the clerk
//! taking or ending it shows at once.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use shared::{
    consultation::{Consultation, ConsultationState, Side},
    events::Event,
    AppError,
};

use crate::api::{ask_consultation, end_consultation, fetch_my_consultation};
use crate::components::{
    chat::Chat, code_card::CodeWithdrawals, error_notice::ErrorNotice, live_state::LiveState,
    video_call::VideoCall, withdrawal_form::PushedForms,
};
use crate::i18n::*;
use crate::live::use_live;

#[component]
pub fn Consult() -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let mine = LocalResource::new(fetch_my_consultation);
    let topic = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let ended = RwSignal::new(false);
    Effect::new(move |_| {
        let changed = live.latest.with(|n| match n.as_ref().map(|n| &n.event) {
            Some(Event::ConsultationChanged { consultation }) => Some(consultation.state),
            _ => None,
        });
        if let Some(state) = changed {
            ended.set(state == ConsultationState::Ended);
            mine.refetch();
        }
    });
    let ask = move |ev: SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        spawn_local(async move {
            match ask_consultation(topic.get_untracked()).await {
                Ok(_) => {
                    failed.try_set(None);
                    ended.try_set(false);
                    topic.try_set(String::new());
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
            mine.refetch();
            busy.try_set(false);
        });
    };
    let end = move |c: Consultation| {
        busy.set(true);
        spawn_local(async move {
            match end_consultation(c.id).await {
                Ok(_) => {
                    ended.try_set(true);
                    failed.try_set(None);
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
            mine.refetch();
            busy.try_set(false);
        });
    };
    view! {
        <section class="panel consult" aria-labelledby="consult-heading">
            <h2 id="consult-heading" class="section-heading">{t!(i18n, consult.title)}</h2>
            <LiveState />
            {move || match mine.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error on_retry=Callback::new(move |_| mine.refetch()) /> }.into_any(),
                Some(Ok(None)) => view! {
                    <Show when=move || ended.get()>
                        <p class="notice notice--ok" role="status">{t!(i18n, consult.ended)}</p>
                    </Show>
                    <p>{t!(i18n, consult.body)}</p>
                    <form class="form" on:submit=ask>
                        <label>
                            <span>{t!(i18n, consult.topic)}</span>
                            <input type="text" required maxlength="200" prop:value=move || topic.get()
                                on:input=move |ev| topic.set(event_target_value(&ev)) />
                        </label>
                        <button type="submit" class="button" disabled=move || busy.get()>{t!(i18n, consult.ask)}</button>
                    </form>
                }.into_any(),
                Some(Ok(Some(c))) if c.state == ConsultationState::Waiting => {
                    let withdraw = c.clone();
                    view! {
                        <p class="notice" role="status">{t!(i18n, consult.waiting)}</p>
                        <p class="consult__topic">{c.topic.clone()}</p>
                        <button type="button" class="button button--secondary" disabled=move || busy.get()
                            on:click=move |_| end(withdraw.clone())>
                            {t!(i18n, consult.withdraw)}
                        </button>
                    }.into_any()
                }
                Some(Ok(Some(c))) => {
                    let clerk = c.clerk_name.clone().unwrap_or_default();
                    let finish = c.clone();
                    view! {
                        <p class="notice notice--ok" role="status">{t!(i18n, consult.talking_with, clerk)}</p>
                        <p class="consult__topic">{c.topic.clone()}</p>
                        <VideoCall id=c.id me=Side::Customer />
                        <PushedForms consultation=c.id />
                        <Chat id=c.id me=Side::Customer />
                        <button type="button" class="button button--danger" disabled=move || busy.get()
                            on:click=move |_| end(finish.clone())>
                            {t!(i18n, consult.end)}
                        </button>
                    }.into_any()
                }
            }}
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
        </section>
        <CodeWithdrawals />
    }
}

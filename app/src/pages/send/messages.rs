//! The conversation with another customer, kept and live: what each wrote
//! and when, and a box to write. What it shows (who wrote first, since
//! when) is what the risk check reads.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_params_map};
use shared::{
    events::{Event, Notice},
    AppError,
};

use crate::api::{fetch_conversation, write_message};
use crate::components::{approval_card::date_time, error_notice::ErrorNotice};
use crate::i18n::*;
use crate::live::Live;

#[component]
pub fn Messages() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let with = move || params.with(|p| p.get("nickname")).unwrap_or_default();
    let found = LocalResource::new(move || fetch_conversation(with()));
    let live = expect_context::<Live>();
    Effect::new(move |_| {
        let news = live.latest.with(|n| {
            matches!(
                n.as_ref().map(|n| &n.event),
                Some(Event::Notice {
                    notice: Notice::MessageReceived { .. }
                })
            )
        });
        if news {
            found.refetch();
        }
    });
    let body = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let write = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        spawn_local(async move {
            match write_message(with(), body.get_untracked()).await {
                Ok(_) => {
                    failed.set(None);
                    body.set(String::new());
                    found.refetch();
                }
                Err(e) => failed.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="panel messages" aria-labelledby="messages-heading">
            {move || match found.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                Some(Ok(c)) => {
                    let nickname = c.with_nickname.clone();
                    let send_to = format!("/customer/send?to={}", c.with_nickname);
                    view! {
                        <h2 id="messages-heading" class="section-heading">{t!(i18n, send.messages_title, nickname)}</h2>
                        {c.started_at_ms.map(|at| {
                            let at = date_time(at);
                            view! { <p class="messages__since">{t!(i18n, send.messages_since, at)}</p> }
                        })}
                        {if c.messages.is_empty() {
                            view! { <p class="list-end">{t!(i18n, send.messages_empty)}</p> }.into_any()
                        } else {
                            view! {
                                <ol class="chat__lines" aria-live="polite">
                                    {c.messages.into_iter().map(|m| view! {
                                        <li class="chat__line" class:chat__line--mine=m.mine>
                                            <span class="chat__who">
                                                {if m.mine { t_string!(i18n, send.message_mine).to_string() } else { c.with_nickname.clone() }}
                                            </span>
                                            <p>{m.body}</p>
                                            <time>{date_time(m.at_ms)}</time>
                                        </li>
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }}
                        <A href=send_to>{t!(i18n, send.title)}</A>
                    }.into_any()
                }
            }}
            <form class="form" on:submit=write>
                <label>
                    <span>{t!(i18n, send.message_label)}</span>
                    <textarea required maxlength="500" prop:value=move || body.get()
                        on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                </label>
                <button type="submit" class="button" disabled=move || busy.get()>{t!(i18n, send.message_send)}</button>
            </form>
            {move || failed.get().map(|e| super::problem_view(i18n, e))}
        </section>
    }
}

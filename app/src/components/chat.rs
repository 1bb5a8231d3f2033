//! A consultation's chat, the same for either side: the lines so far, new
//! ones as they arrive, and a box to write in. A live event only says that
//! something was said; the panel then asks for every line after the last it
//! has, so lines that arrive together are never lost.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};
use shared::{
    consultation::{ChatMessage, Side},
    events::Event,
    ids::{ConsultationId, MessageId},
    AppError,
};

use crate::api::{fetch_consultation_messages, say_in_consultation};
use crate::components::{approval_card::local_time, error_notice::ErrorNotice};
use crate::i18n::*;
use crate::live::use_live;

/// Adds `new` lines after the last one held, in order, once each.
fn merge(lines: &mut Vec<ChatMessage>, new: Vec<ChatMessage>) {
    for m in new {
        if lines.last().is_none_or(|last| m.id > last.id) {
            lines.push(m);
        }
    }
}

#[component]
pub fn Chat(
    id: ConsultationId,
    /// The side of whoever reads this page: their own lines sit on the right.
    me: Side,
) -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let lines = RwSignal::new(Vec::<ChatMessage>::new());
    let draft = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let catch_up = move || {
        let after: Option<MessageId> = lines.with_untracked(|l| l.last().map(|m| m.id));
        spawn_local(async move {
            match fetch_consultation_messages(id, after).await {
                Ok(new) => {
                    lines.try_update(|l| merge(l, new));
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
        });
    };
    catch_up();
    Effect::new(move |_| {
        let said_here = live.latest.with(|n| {
            matches!(n.as_ref().map(|n| &n.event),
                Some(Event::ConsultationMessage { message }) if message.consultation == id)
        });
        if said_here {
            catch_up();
        }
    });
    let send = move |ev: SubmitEvent| {
        ev.prevent_default();
        let text = draft.get_untracked();
        if text.trim().is_empty() || sending.get_untracked() {
            return;
        }
        sending.set(true);
        spawn_local(async move {
            match say_in_consultation(id, text).await {
                Ok(_) => {
                    draft.try_set(String::new());
                    failed.try_set(None);
                    catch_up();
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
            sending.try_set(false);
        });
    };
    view! {
        <section class="chat" aria-labelledby="chat-heading">
            <h3 id="chat-heading" class="section-heading">{t!(i18n, consult.chat)}</h3>
            <Show when=move || !lines.with(Vec::is_empty) fallback=move || view! {
                <p class="chat__empty">{t!(i18n, consult.no_messages)}</p>
            }>
                <ol class="chat__lines" aria-live="polite">
                    <For each=move || lines.get() key=|m| m.id let:m>
                        <li class="chat__line" class:chat__line--mine=m.from == me
                            class:chat__line--clerk=m.from == Side::Clerk>
                            <span class="chat__author">{m.author.clone()}</span>
                            <p class="chat__text">{m.text.clone()}</p>
                            <time class="chat__at">{local_time(m.at_ms)}</time>
                        </li>
                    </For>
                </ol>
            </Show>
            <form class="chat__form" on:submit=send>
                <label class="chat__field">
                    <span class="visually-hidden">{t!(i18n, consult.message_label)}</span>
                    <input type="text" autocomplete="off" maxlength="2000"
                        prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="button" disabled=move || sending.get()>{t!(i18n, consult.send)}</button>
            </form>
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
        </section>
    }
}

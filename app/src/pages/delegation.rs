//! "Requests for me" (F5): what shop terminals and AI agents may ask this
//! person for by nickname. The nickname itself (change it, hide it), a user
//! code a requester must also give, each requester who asked (what it was
//! paid today and this month, ceilings per day and month, block), and the
//! payment tokens that are still live (revoke).

use leptos::{prelude::*, task::spawn_local};
use shared::{
    delegation::{DelegationSettings, LiveToken, Requester},
    events::Notice,
    machine::ClientKind,
    AppError, Reason,
};

use crate::api::{
    fetch_delegation_settings, revoke_payment_token, set_nickname, set_nickname_hidden,
    set_requester_blocked, set_requester_ceilings, set_user_code,
};
use crate::components::{
    empty_state::EmptyState,
    error_notice::ErrorNotice,
    money::{parse_yen, MoneyText},
};
use crate::i18n::*;
use crate::live::use_live;

/// What the last change did, for the status line.
#[derive(Debug, Clone, PartialEq)]
enum Said {
    Saved,
    Failed(AppError),
}

#[component]
pub fn Delegation() -> impl IntoView {
    let i18n = use_i18n();
    let settings = LocalResource::new(fetch_delegation_settings);
    use_live().refetch_on(settings, |n| matches!(n, Notice::DelegatedPaid { .. }));
    let said = RwSignal::new(None::<Said>);
    let busy = RwSignal::new(false);
    // Runs one change, then reloads the page's figures.
    let go = Callback::new(move |change: Change| {
        busy.set(true);
        said.set(None);
        spawn_local(async move {
            let result = change.await;
            said.try_set(Some(match result {
                Ok(()) => Said::Saved,
                Err(e) => Said::Failed(e),
            }));
            busy.try_set(false);
            settings.refetch();
        });
    });
    view! {
        <section class="panel" aria-labelledby="delegation-heading">
            <h2 id="delegation-heading" class="section-heading">{t!(i18n, delegation.title)}</h2>
            <p class="hint">{t!(i18n, delegation.intro)}</p>
            <div role="status" aria-live="polite">
                {move || said.get().map(|s| match s {
                    Said::Saved => view! { <p class="notice notice--ok">{t!(i18n, delegation.saved)}</p> }.into_any(),
                    Said::Failed(AppError::Invalid { reason: Reason::NicknameTaken, .. }) => view! {
                        <p class="notice notice--error" role="alert">{t!(i18n, delegation.nickname_taken)}</p>
                    }.into_any(),
                    Said::Failed(AppError::Invalid { field, .. }) if field == "nickname" => view! {
                        <p class="notice notice--error" role="alert">{t!(i18n, delegation.nickname_bad)}</p>
                    }.into_any(),
                    Said::Failed(AppError::Invalid { field, .. }) if field == "user_code" => view! {
                        <p class="notice notice--error" role="alert">{t!(i18n, delegation.user_code_bad)}</p>
                    }.into_any(),
                    Said::Failed(AppError::Invalid { .. }) => view! {
                        <p class="notice notice--error" role="alert">{t!(i18n, delegation.ceiling_bad)}</p>
                    }.into_any(),
                    Said::Failed(error) => view! { <ErrorNotice error /> }.into_any(),
                })}
            </div>
            {move || match settings.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error on_retry=Callback::new(move |_| settings.refetch()) /> }.into_any(),
                Some(Ok(s)) => view! { <Settings s busy go /> }.into_any(),
            }}
        </section>
    }
}

type Change = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>>>>;

#[component]
fn Settings(s: DelegationSettings, busy: RwSignal<bool>, go: Callback<Change>) -> impl IntoView {
    let i18n = use_i18n();
    let nickname = RwSignal::new(s.nickname.clone());
    let hidden = s.hidden;
    let code = RwSignal::new(String::new());
    let now = s.server_now_ms;
    let save_nickname = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        go.run(Box::pin(set_nickname(nickname.get_untracked())));
    };
    let save_code = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        go.run(Box::pin(set_user_code(code.get_untracked())));
    };
    view! {
        <h3 class="subheading">{t!(i18n, delegation.nickname_heading)}</h3>
        <form class="form" on:submit=save_nickname>
            <label>
                <span>{t!(i18n, delegation.nickname)}</span>
                <input type="text" autocomplete="off" required
                    prop:value=move || nickname.get() on:input=move |ev| nickname.set(event_target_value(&ev)) />
            </label>
            <div class="form__actions">
                <button type="submit" class="button" disabled=move || busy.get()>{t!(i18n, delegation.save_nickname)}</button>
            </div>
        </form>
        <label class="check">
            <input type="checkbox" prop:checked=hidden disabled=move || busy.get()
                on:change=move |ev| go.run(Box::pin(set_nickname_hidden(event_target_checked(&ev)))) />
            <span>{t!(i18n, delegation.hide)}</span>
        </label>
        <p class="hint">{if hidden { t!(i18n, delegation.hidden_now).into_any() } else { t!(i18n, delegation.visible_now).into_any() }}</p>

        <h3 class="subheading">{t!(i18n, delegation.user_code_heading)}</h3>
        <p class="hint">{if s.has_user_code { t!(i18n, delegation.user_code_set).into_any() } else { t!(i18n, delegation.user_code_none).into_any() }}</p>
        <form class="form" on:submit=save_code>
            <label>
                <span>{t!(i18n, delegation.user_code)}</span>
                <input type="password" inputmode="numeric" autocomplete="off" minlength="4" maxlength="8" required
                    prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
            </label>
            <div class="form__actions">
                <button type="submit" class="button" disabled=move || busy.get()>{t!(i18n, delegation.save_user_code)}</button>
                {s.has_user_code.then(|| view! {
                    <button type="button" class="button button--secondary" disabled=move || busy.get()
                        on:click=move |_| go.run(Box::pin(set_user_code(String::new())))>{t!(i18n, delegation.remove_user_code)}</button>
                })}
            </div>
        </form>

        <h3 class="subheading">{t!(i18n, delegation.tokens_heading)}</h3>
        {if s.live_tokens.is_empty() {
            view! { <p class="hint">{t!(i18n, delegation.no_tokens)}</p> }.into_any()
        } else {
            view! {
                <ul class="list">
                    {s.live_tokens.into_iter().map(|t| view! { <TokenLine t busy go now /> }).collect_view()}
                </ul>
            }.into_any()
        }}

        <h3 class="subheading">{t!(i18n, delegation.requesters_heading)}</h3>
        {if s.requesters.is_empty() {
            view! {
                <EmptyState title=t!(i18n, delegation.no_requesters_title).into_any() body=t!(i18n, delegation.no_requesters_body).into_any() />
            }.into_any()
        } else {
            view! {
                <ul class="list">
                    {s.requesters.into_iter().map(|r| view! { <RequesterLine r busy go /> }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

#[component]
fn TokenLine(t: LiveToken, busy: RwSignal<bool>, go: Callback<Change>, now: i64) -> impl IntoView {
    let i18n = use_i18n();
    let id = t.request;
    let minutes = ((t.expires_at_ms - now).max(0) + 59_999) / 60_000;
    view! {
        <li class="list__item">
            <p><strong>{t.payee.clone()}</strong> " · " <MoneyText money=t.max_amount /></p>
            <p class="hint">{t.description.clone()} " · " {t.requester.clone()}</p>
            <p class="hint">{t!(i18n, delegation.token_ends, minutes = minutes)}</p>
            <button type="button" class="button button--secondary" disabled=move || busy.get()
                on:click=move |_| go.run(Box::pin(revoke_payment_token(id)))>{t!(i18n, delegation.revoke)}</button>
        </li>
    }
}

#[component]
fn RequesterLine(r: Requester, busy: RwSignal<bool>, go: Callback<Change>) -> impl IntoView {
    let i18n = use_i18n();
    let client = r.client;
    let blocked = r.blocked;
    let text =
        |m: Option<shared::money::Money>| m.map(|m| m.amount_minor.to_string()).unwrap_or_default();
    let day = RwSignal::new(text(r.day_ceiling));
    let month = RwSignal::new(text(r.month_ceiling));
    let heading = format!("requester-{client}");
    let labelled_by = heading.clone();
    let kind = match r.kind {
        ClientKind::ShopTerminal => t!(i18n, delegation.kind_shop).into_any(),
        ClientKind::Agent => t!(i18n, delegation.kind_agent).into_any(),
        _ => t!(i18n, delegation.kind_other).into_any(),
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parse = |s: String| (!s.trim().is_empty()).then(|| parse_yen(&s).money());
        let (d, m) = (parse(day.get_untracked()), parse(month.get_untracked()));
        go.run(Box::pin(set_requester_ceilings(client, d, m)));
    };
    view! {
        <li class="list__item" aria-labelledby=labelled_by>
            <p id=heading><strong>{r.name.clone()}</strong> " · " {kind}
                {blocked.then(|| view! { " · " <span class="badge">{t!(i18n, delegation.blocked)}</span> })}
            </p>
            <p class="hint">
                {t!(i18n, delegation.spent_today)} " " <MoneyText money=r.spent_today />
                " · " {t!(i18n, delegation.spent_month)} " " <MoneyText money=r.spent_month />
            </p>
            <form class="form" on:submit=save>
                <label>
                    <span>{t!(i18n, delegation.day_ceiling)}</span>
                    <input type="text" inputmode="numeric" autocomplete="off"
                        prop:value=move || day.get() on:input=move |ev| day.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{t!(i18n, delegation.month_ceiling)}</span>
                    <input type="text" inputmode="numeric" autocomplete="off"
                        prop:value=move || month.get() on:input=move |ev| month.set(event_target_value(&ev)) />
                </label>
                <p class="hint">{t!(i18n, delegation.ceiling_hint)}</p>
                <div class="form__actions">
                    <button type="submit" class="button" disabled=move || busy.get()>{t!(i18n, delegation.save_ceilings)}</button>
                    <button type="button" class="button button--secondary" disabled=move || busy.get()
                        on:click=move |_| go.run(Box::pin(set_requester_blocked(client, !blocked)))>
                        {if blocked { t!(i18n, delegation.unblock).into_any() } else { t!(i18n, delegation.block).into_any() }}
                    </button>
                </div>
            </form>
        </li>
    }
}

//! The customer's accounts: balances at a glance, and each account's
//! statement, newest first, a page at a time.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_params_map};
use shared::{
    ids::{AccountId, TransferId},
    ledger::{AccountBalance, StatementLine, TransferKind, TransferState},
    AppError,
};

use crate::api::{fetch_my_accounts, fetch_statement};
use crate::components::{
    account_name::account_name, empty_state::EmptyState, error_notice::ErrorNotice, lang::use_lang,
    money::MoneyText,
};
use crate::i18n::*;

#[component]
pub fn Accounts() -> impl IntoView {
    let i18n = use_i18n();
    // Signing in or out always navigates, which mounts this page afresh.
    let accounts = LocalResource::new(fetch_my_accounts);
    view! {
        // Sub-accounts of finished code withdrawals are kept for the ledger, not listed.
        {move || match accounts.get().map(|r| r.map(|l| {
            l.into_iter().filter(|a| !a.is_spent_sub_account()).collect::<Vec<_>>()
        })) {
            None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
            Some(Err(error)) => view! {
                <ErrorNotice error on_retry=Callback::new(move |_| accounts.refetch()) />
            }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <EmptyState
                    title=t!(i18n, customer.accounts_empty_title).into_any()
                    body=t!(i18n, customer.accounts_empty_body).into_any()
                />
            }.into_any(),
            Some(Ok(list)) => view! {
                <ul class="account-list">
                    {list.into_iter().map(|a| view! { <li><AccountCard account=a link=true /></li> }).collect_view()}
                </ul>
                <p><A href="/customer/identity">{t!(i18n, kyc.page_title)}</A></p>
            }.into_any(),
        }}
    }
}

/// One account's figures; `link` makes it lead to the statement.
#[component]
fn AccountCard(account: AccountBalance, link: bool) -> impl IntoView {
    let i18n = use_i18n();
    let (incoming, outgoing) = account.pending();
    let href = format!("/customer/accounts/{}", account.id);
    let label = StoredValue::new(account.label.clone());
    let title = move || label.with_value(|l| account_name(i18n, l));
    let name = if link {
        view! { <A href=href>{title}</A> }.into_any()
    } else {
        title.into_any()
    };
    view! {
        <article class="account-card" aria-label=title>
            <h2 class="account-card__name">{name}</h2>
            <p class="account-card__available">
                <span class="label">{t!(i18n, customer.available)}</span>
                <MoneyText money=account.available() />
            </p>
            <dl class="account-card__figures">
                <div><dt>{t!(i18n, customer.posted)}</dt><dd><MoneyText money=account.posted() /></dd></div>
                <Show when=move || outgoing.is_positive()>
                    <div><dt>{t!(i18n, customer.on_hold)}</dt><dd><MoneyText money=outgoing /></dd></div>
                </Show>
                <Show when=move || incoming.is_positive()>
                    <div><dt>{t!(i18n, customer.incoming)}</dt><dd><MoneyText money=incoming /></dd></div>
                </Show>
            </dl>
        </article>
    }
}

#[derive(Debug, Clone)]
enum Loading {
    Busy,
    Idle,
    Failed(AppError),
}

#[component]
pub fn Statement() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let account = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse().ok())
            .map(AccountId)
    };
    let accounts = LocalResource::new(fetch_my_accounts);
    let lines = RwSignal::new(Vec::<StatementLine>::new());
    let next = RwSignal::new(None::<TransferId>);
    let state = RwSignal::new(Loading::Busy);
    let load = move |before: Option<TransferId>| {
        let Some(id) = account() else {
            state.set(Loading::Failed(AppError::NotFound));
            return;
        };
        state.set(Loading::Busy);
        spawn_local(async move {
            match fetch_statement(id, before).await {
                Ok(page) => {
                    lines.update(|l| l.extend(page.lines));
                    next.set(page.next);
                    state.set(Loading::Idle);
                }
                Err(e) => state.set(Loading::Failed(e)),
            }
        });
    };
    load(None);
    let header = move || {
        let id = account()?;
        let list = accounts.get()?.ok()?;
        list.into_iter().find(|a| a.id == id)
    };
    view! {
        <A href="/customer" attr:class="back-link">{t!(i18n, customer.back_to_accounts)}</A>
        {move || header().map(|a| view! { <AccountCard account=a link=false /> })}
        <section class="statement" aria-labelledby="statement-title">
            <h2 id="statement-title">{t!(i18n, customer.statement)}</h2>
            <Show when=move || lines.with(Vec::is_empty) && matches!(state.get(), Loading::Idle)>
                <EmptyState
                    title=t!(i18n, customer.statement_empty_title).into_any()
                    body=t!(i18n, customer.statement_empty_body).into_any()
                />
            </Show>
            <ol class="statement__lines">
                <For each=move || lines.get() key=|l| l.transfer.id let:line>
                    <StatementRow line />
                </For>
            </ol>
            {move || match state.get() {
                Loading::Busy => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Loading::Failed(error) => {
                    let before = next.get_untracked();
                    view! { <ErrorNotice error on_retry=Callback::new(move |_| load(before)) /> }.into_any()
                }
                Loading::Idle => match next.get() {
                    Some(before) => view! {
                        <button type="button" class="button button--secondary load-more" on:click=move |_| load(Some(before))>
                            {t!(i18n, customer.load_more)}
                        </button>
                    }.into_any(),
                    None if !lines.with(Vec::is_empty) => view! {
                        <p class="statement__end">{t!(i18n, customer.statement_end)}</p>
                    }.into_any(),
                    None => ().into_any(),
                },
            }}
        </section>
    }
}

#[component]
fn StatementRow(line: StatementLine) -> impl IntoView {
    let i18n = use_i18n();
    let lang = use_lang();
    let t = line.transfer;
    let when = move || format_date(t.created_at_ms, lang().tag());
    let what = match (t.kind, t.state) {
        (TransferKind::Pending, TransferState::Pending) => {
            Some(t!(i18n, customer.hold_pending).into_any())
        }
        (TransferKind::Pending, _) => Some(t!(i18n, customer.hold_settled).into_any()),
        (TransferKind::VoidPending, _) => Some(t!(i18n, customer.hold_released).into_any()),
        (TransferKind::ExpirePending, _) => Some(t!(i18n, customer.hold_expired).into_any()),
        _ => None,
    };
    let (sign, amount) = match line.signed_amount.amount_minor {
        0 => ("hold", t.amount),
        n if n > 0 => ("in", line.signed_amount),
        _ => ("out", line.signed_amount),
    };
    view! {
        <li class=format!("statement-line statement-line--{sign}")>
            <div class="statement-line__main">
                <span class="statement-line__ref">{t.reference.clone()}</span>
                <span class="statement-line__when">{when}</span>
            </div>
            <div class="statement-line__side">
                <span class="statement-line__amount">
                    {(sign == "in").then_some("+")}
                    <MoneyText money=amount />
                </span>
                {what.map(|w| view! { <span class="tag">{w}</span> })}
            </div>
        </li>
    }
}

/// A date in the reader's language, from Unix milliseconds.
fn format_date(ms: i64, lang: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    String::from(date.to_locale_date_string(lang, &wasm_bindgen::JsValue::UNDEFINED))
}

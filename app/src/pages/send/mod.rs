//! Sending money to another customer (flow F3), phone first: the form (a
//! payee, an account number or a nickname, the amount, the name to check),
//! then the review the server gives (the name check, the risk and why, a
//! warning to answer where there is one), then the passkey; and the latest
//! transfers. A refusal, a wait for the recipient's proof or for staff is
//! said plainly, with the money's state.

mod messages;
mod payees;
mod proofs;
mod review;
mod transfer;

pub use messages::Messages;
pub use payees::Payees;
pub use proofs::Proofs;
pub use transfer::TransferPage;

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_query_map};
use shared::{
    ids::AccountId,
    ledger::AccountKind,
    transfer::send::{Review, SendForm, Sent},
    AppError, Reason,
};

use crate::api::{fetch_my_accounts, fetch_my_transfers, fetch_payees, review_transfer};
use crate::attempt::{attempt_key, outcome_unknown};
use crate::components::passkey::{self, NoPasskeyHere};
use crate::components::{
    account_name::account_name,
    approval_card::date_time,
    error_notice::ErrorNotice,
    money::{chosen_or_main, parse_yen, MoneyText},
    risk_words::state_text,
};
use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

/// A sentence for a refusal the sender can act on.
pub(crate) fn send_problem(i18n: I18n, e: &AppError) -> Option<String> {
    let text = match e {
        AppError::Invalid { field, reason } => match (field.as_str(), reason) {
            ("to", Reason::OwnAccount) => t_string!(i18n, send.error_own),
            ("to", Reason::UnknownRecipient) => t_string!(i18n, send.error_unknown),
            ("amount", Reason::NotPositive) => t_string!(i18n, send.error_positive),
            ("amount", Reason::OverTransferLimit) => t_string!(i18n, send.error_over_limit),
            ("amount", Reason::OverDailyLimit) => t_string!(i18n, send.error_daily),
            ("amount", Reason::InsufficientFunds) => t_string!(i18n, send.error_funds),
            ("purpose", Reason::WarningNotAcknowledged) => t_string!(i18n, send.error_ack),
            _ => return None,
        },
        AppError::Conflict {
            reason: Reason::TransferNotOpen,
        } => t_string!(i18n, send.error_not_open),
        AppError::Conflict {
            reason: Reason::IdempotencyConflict,
        } => t_string!(i18n, send.error_changed),
        _ => return None,
    };
    Some(text.to_string())
}

/// An error as a sentence of ours where there is one, else the general notice.
pub(crate) fn problem_view(i18n: I18n, error: AppError) -> AnyView {
    match send_problem(i18n, &error) {
        Some(text) => view! { <p class="notice notice--error" role="alert">{text}</p> }.into_any(),
        None => view! { <ErrorNotice error /> }.into_any(),
    }
}

/// Where the page is: filling the form, reviewing it, or done.
#[derive(Debug, Clone)]
enum Stage {
    Form,
    Review(SendForm, Box<Review>),
    Done(Sent),
}

#[component]
pub fn Send() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let accounts = LocalResource::new(fetch_my_accounts);
    let payees = LocalResource::new(fetch_payees);
    let recent = LocalResource::new(fetch_my_transfers);
    let account = RwSignal::new(None::<AccountId>);
    let to = RwSignal::new(query.with_untracked(|q| q.get("to")).unwrap_or_default());
    let amount = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let stage = RwSignal::new(Stage::Form);
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    // The key of a transfer whose outcome is unknown, with what it was for.
    let key = StoredValue::new(attempt_key());
    let last_form = StoredValue::new(None::<SendForm>);
    let run_review = move |form: SendForm| {
        busy.set(true);
        last_form.set_value(Some(form.clone()));
        spawn_local(async move {
            match review_transfer(form.clone()).await {
                Ok(review) => {
                    failed.set(None);
                    stage.set(Stage::Review(form, Box::new(review)));
                }
                Err(e) => failed.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(from) = chosen_or_main(account.get_untracked(), accounts.get_untracked()) else {
            return;
        };
        run_review(SendForm {
            from,
            to: to.get_untracked(),
            yen: parse_yen(&amount.get_untracked()),
            expected_name: name.get_untracked(),
            key: key.get_value(),
        });
    };
    // Someone with no passkey yet sets one up here, and the review goes on.
    let passkey_added = Callback::new(move |_| {
        if let Some(form) = last_form.get_value() {
            run_review(form);
        }
    });
    let on_done = Callback::new(move |result: Result<Sent, AppError>| match result {
        Ok(sent) => {
            key.set_value(attempt_key());
            stage.set(Stage::Done(sent));
            recent.refetch();
            payees.refetch();
        }
        Err(e) => {
            // A refusal is an answer: the next try is a new transfer.
            if !outcome_unknown(&e) {
                key.set_value(attempt_key());
            }
            failed.set(Some(e));
            stage.set(Stage::Form);
        }
    });
    let back = Callback::new(move |_| stage.set(Stage::Form));
    let again = move |_| {
        amount.set(String::new());
        name.set(String::new());
        to.set(String::new());
        stage.set(Stage::Form);
    };
    view! {
        <section class="panel send" aria-labelledby="send-heading">
            <h2 id="send-heading" class="section-heading">{t!(i18n, send.title)}</h2>
            <p class="send__links">
                <A href="/customer/payees">{t!(i18n, send.manage_payees)}</A>
                " · "
                <A href="/customer/proofs">{t!(i18n, send.proofs_link)}</A>
            </p>
            {move || match stage.get() {
                Stage::Review(form, review) => view! {
                    <review::ReviewStep form review=*review on_done back />
                }.into_any(),
                Stage::Done(sent) => view! {
                    <Outcome sent />
                    <button type="button" class="button button--secondary" on:click=again>{t!(i18n, send.another)}</button>
                }.into_any(),
                Stage::Form => view! {
                    <PayeePicks payees to />
                    <form class="form" on:submit=submit>
                        <label>
                            <span>{t!(i18n, send.from)}</span>
                            <select on:change=move |ev| account.set(event_target_value(&ev).parse().ok().map(AccountId))>
                                {move || accounts.get().and_then(|r| r.ok()).unwrap_or_default().into_iter()
                                    .filter(|a| a.kind == AccountKind::CustomerMain)
                                    .map(|a| view! { <option value=a.id.to_string()>{account_name(i18n, &a.label)}</option> })
                                    .collect_view()}
                            </select>
                        </label>
                        <label>
                            <span>{t!(i18n, send.to)}</span>
                            <input type="text" required autocomplete="off" prop:value=move || to.get()
                                on:input=move |ev| to.set(event_target_value(&ev)) />
                            <small>{t!(i18n, send.to_hint)}</small>
                        </label>
                        <label>
                            <span>{t!(i18n, send.amount)}</span>
                            <input type="text" inputmode="numeric" required prop:value=move || amount.get()
                                on:input=move |ev| amount.set(event_target_value(&ev)) />
                        </label>
                        <label>
                            <span>{t!(i18n, send.name)}</span>
                            <input type="text" autocomplete="off" prop:value=move || name.get()
                                on:input=move |ev| name.set(event_target_value(&ev)) />
                            <small>{t!(i18n, send.name_hint)}</small>
                        </label>
                        <button type="submit" class="button" disabled=move || busy.get()>
                            {move || if busy.get() { t_string!(i18n, send.checking) } else { t_string!(i18n, send.check) }}
                        </button>
                    </form>
                }.into_any(),
            }}
            {move || failed.get().map(|error| if passkey::no_passkey(&error) {
                view! { <NoPasskeyHere on_added=passkey_added /> }.into_any()
            } else {
                problem_view(i18n, error)
            })}
        </section>
        <section aria-labelledby="transfers-heading">
            <h2 id="transfers-heading" class="section-heading">{t!(i18n, send.recent_title)}</h2>
            {move || match recent.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error on_retry=Callback::new(move |_| recent.refetch()) /> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="list-end">{t!(i18n, send.no_transfers)}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="decided-list">
                        {list.into_iter().map(|s| {
                            let state = s.state;
                            view! {
                                <li class="decided" data-transfer=s.id.to_string()>
                                    <A href=format!("/customer/transfers/{}", s.id)>{s.to_nickname.clone()}</A>
                                    <MoneyText money=s.amount />
                                    <span class=format!("badge badge--{}", state.as_str())>{move || state_text(i18n, state)}</span>
                                    <time class="decided__at">{date_time(s.created_at_ms)}</time>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

/// Saved payees as one-tap choices for the "to" field.
#[component]
fn PayeePicks(
    payees: LocalResource<Result<Vec<shared::transfer::send::Payee>, AppError>>,
    to: RwSignal<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="payee-picks" role="group" aria-label=move || t_string!(i18n, send.payees_title)>
            {move || match payees.get() {
                Some(Ok(list)) if !list.is_empty() => list.into_iter().map(|p| {
                    let number = p.account_number.clone();
                    view! {
                        <button type="button" class="button button--secondary button--small"
                            aria-pressed=move || (to.get() == number).to_string()
                            on:click=move |_| to.set(p.account_number.clone())>
                            {p.label.clone()}
                        </button>
                    }
                }).collect_view().into_any(),
                Some(Ok(_)) => view! { <p class="list-end">{t!(i18n, send.no_payees)}</p> }.into_any(),
                _ => ().into_any(),
            }}
        </div>
    }
}

/// What became of a transfer just confirmed.
#[component]
pub(crate) fn Outcome(sent: Sent) -> impl IntoView {
    use shared::transfer::send::SendState;
    let i18n = use_i18n();
    let (amount, nickname) = (sent.amount, sent.to_nickname.clone());
    let lang = crate::components::lang::use_lang();
    let amount = move || amount.format(lang());
    let text = match sent.state {
        SendState::Settled => t!(i18n, send.done_settled, amount, nickname).into_any(),
        SendState::AwaitingRecipient | SendState::AwaitingSender => {
            t!(i18n, send.done_waiting, nickname).into_any()
        }
        SendState::InReview => t!(i18n, send.done_review).into_any(),
        _ => t!(i18n, send.done_refused).into_any(),
    };
    let ok = sent.state == SendState::Settled;
    view! {
        <div class="notice" class:notice--ok=ok class:notice--warning=!ok role="status">
            <p>{text}</p>
            <A href=format!("/customer/transfers/{}", sent.id)>{t!(i18n, send.open_transfer)}</A>
        </div>
    }
}

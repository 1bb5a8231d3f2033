//! The customer's cardless cash page: choose an account and an amount, get
//! a QR code and a short code for the ATM with a countdown, or cancel; and
//! the latest withdrawals with where each stands.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    cardless::{Prepared, Withdrawal, WithdrawalState},
    ids::{AccountId, WithdrawalId},
    ledger::AccountKind,
    money::Money,
    AppError, Reason, Yen,
};

use crate::api::{cancel_withdrawal, fetch_my_accounts, fetch_my_withdrawals, prepare_withdrawal};
use crate::attempt::{attempt_key, browser_now, outcome_unknown};
use crate::components::account_name::account_name;
use crate::components::{
    approval_card::local_time,
    code_card::CodeWithdrawals,
    error_notice::ErrorNotice,
    money::{chosen_or_main, parse_yen, MoneyText},
};
use crate::i18n::*;

/// A QR code as inline SVG, sized for a phone screen and a kiosk camera.
pub fn qr_svg(payload: &str) -> String {
    qrcode::QrCode::new(payload.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(240, 240)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

fn state_label(i18n: leptos_i18n::I18nContext<Locale>, s: WithdrawalState) -> String {
    match s {
        WithdrawalState::Ready => t_string!(i18n, customer.cash_state_ready),
        WithdrawalState::AwaitingPhone => t_string!(i18n, customer.cash_state_awaiting_phone),
        WithdrawalState::Dispensed => t_string!(i18n, customer.cash_state_dispensed),
        WithdrawalState::Cancelled => t_string!(i18n, customer.cash_state_cancelled),
        WithdrawalState::Expired => t_string!(i18n, customer.cash_state_expired),
    }
    .to_string()
}

/// A specific message for an amount the server would not reserve.
fn amount_problem(i18n: leptos_i18n::I18nContext<Locale>, e: &AppError) -> Option<String> {
    let AppError::Invalid { field, reason } = e else {
        return None;
    };
    if field != "amount" {
        return None;
    }
    Some(
        match reason {
            Reason::NotWholeThousands => t_string!(i18n, customer.cash_error_thousands),
            Reason::NotPositive => t_string!(i18n, customer.cash_error_positive),
            Reason::OverWithdrawalLimit => t_string!(i18n, customer.cash_error_withdrawal_limit),
            Reason::OverDailyLimit => t_string!(i18n, customer.cash_error_daily_limit),
            Reason::InsufficientFunds => t_string!(i18n, customer.cash_error_funds),
            _ => return None,
        }
        .to_string(),
    )
}

#[component]
pub fn Cash() -> impl IntoView {
    let i18n = use_i18n();
    let accounts = LocalResource::new(fetch_my_accounts);
    // The fee, today's allowance and the latest withdrawals.
    let recent = LocalResource::new(fetch_my_withdrawals);
    let overview = move || recent.get().and_then(Result::ok);
    let account = RwSignal::new(None::<AccountId>);
    let amount = RwSignal::new(String::from("20000"));
    // The key of a request whose outcome is unknown, with what it asked for.
    let unsettled = StoredValue::new(None::<(AccountId, Yen, String)>);
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let prepared = RwSignal::new(None::<(Prepared, i64)>);
    let cancelled = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = chosen_or_main(account.get_untracked(), accounts.get_untracked());
        let Some(chosen) = chosen else { return };
        let yen = parse_yen(&amount.get_untracked());
        busy.set(true);
        cancelled.set(false);
        // The same request again after an unknown outcome keeps its key, so it
        // reserves at most once; a changed request is a new one.
        let key = match unsettled.get_value() {
            Some((a, y, k)) if a == chosen && y == yen => k,
            _ => attempt_key(),
        };
        spawn_local(async move {
            match prepare_withdrawal(chosen, yen, key.clone()).await {
                Ok(p) => {
                    // The server's clock, as far as this browser can tell.
                    let skew = p.withdrawal.created_at_ms - browser_now();
                    prepared.set(Some((p, skew)));
                    failed.set(None);
                    unsettled.set_value(None);
                    recent.refetch();
                }
                Err(e) => {
                    // No answer, or a server error: it may have been done, so a retry
                    // uses the same key. A refusal is an answer: the next try is new.
                    let unknown = outcome_unknown(&e);
                    unsettled.try_set_value(unknown.then_some((chosen, yen, key)));
                    failed.set(Some(e));
                }
            }
            busy.set(false);
        });
    };
    let now = RwSignal::new(browser_now());
    if let Ok(tick) = set_interval_with_handle(
        move || now.set(browser_now()),
        std::time::Duration::from_millis(500),
    ) {
        on_cleanup(move || tick.clear());
    }
    // Any open withdrawal can be cancelled: the one on screen, or one from the list
    // (a code from before a reload, or one the phone declined at the ATM).
    let cancel_one = move |id: WithdrawalId| {
        busy.set(true);
        spawn_local(async move {
            match cancel_withdrawal(id).await {
                Ok(_) => {
                    // The page may have been left while the answer was on its way.
                    let on_screen = prepared
                        .try_with_untracked(|p| {
                            p.as_ref().is_some_and(|(p, _)| p.withdrawal.id == id)
                        })
                        .unwrap_or(false);
                    if on_screen {
                        prepared.set(None);
                    }
                    cancelled.set(true);
                    failed.set(None);
                    recent.refetch();
                }
                Err(e) => failed.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let cancel = move |_| {
        if let Some((p, _)) = prepared.get_untracked() {
            cancel_one(p.withdrawal.id);
        }
    };
    view! {
        <section class="panel cash" aria-labelledby="cash-heading">
            <h2 id="cash-heading" class="section-heading">{t!(i18n, customer.cash_title)}</h2>
            {move || match prepared.get() {
                Some((p, skew)) => {
                    let ttl = p.withdrawal.expires_at_ms - p.withdrawal.created_at_ms;
                    // Never more than the code's whole life, whatever the clocks say.
                    let left = move || (p.withdrawal.expires_at_ms - (now.get() + skew)).min(ttl);
                    let svg = qr_svg(&p.qr_payload);
                    view! {
                        <div class="cash__code">
                            <h3>{t!(i18n, customer.cash_code_title)}</h3>
                            <p class="approval__amount"><MoneyText money=p.withdrawal.amount /></p>
                            {(p.withdrawal.fee.amount_minor > 0).then(|| {
                                let fee = p.withdrawal.fee;
                                view! { <p class="cash__fee">{t!(i18n, customer.cash_plus_fee, fee = move || view! { <MoneyText money=fee /> })}</p> }
                            })}
                            <div class="cash__qr" role="img" aria-label=move || t_string!(i18n, customer.cash_qr_label) inner_html=svg></div>
                            <p>{t!(i18n, customer.cash_short_code)}</p>
                            <p class="cash__short" data-testid="short-code">{p.short_code.clone()}</p>
                            <p class="approval__countdown" class:approval__countdown--over=move || left() <= 0>
                                {move || if left() <= 0 {
                                    t_string!(i18n, customer.cash_expired).to_string()
                                } else {
                                    let s = (left() + 999).min(ttl) / 1000;
                                    format!("{} {}:{:02}", t_string!(i18n, customer.cash_expires), s / 60, s % 60)
                                }}
                            </p>
                            <button type="button" class="button button--danger" on:click=cancel disabled=move || busy.get()>
                                {t!(i18n, customer.cash_cancel)}
                            </button>
                        </div>
                    }.into_any()
                }
                None => view! {
                    <p>{t!(i18n, customer.cash_body)}</p>
                    {move || overview().map(|o| {
                        let (fee, left): (Money, Money) = (o.fee, o.left_today);
                        view! {
                            <p class="cash__fee" data-testid="cash-terms">
                                {t!(i18n, customer.cash_fee_note,
                                    fee = move || view! { <MoneyText money=fee /> },
                                    left = move || view! { <MoneyText money=left /> })}
                            </p>
                        }
                    })}
                    <Show when=move || cancelled.get()>
                        <p class="notice notice--ok" role="status">{t!(i18n, customer.cash_cancelled)}</p>
                    </Show>
                    <form class="form" on:submit=submit>
                        <label>
                            <span>{t!(i18n, customer.cash_account)}</span>
                            <select on:change=move |ev| account.set(event_target_value(&ev).parse().ok().map(AccountId))>
                                {move || accounts.get().and_then(|r| r.ok()).unwrap_or_default().into_iter()
                                    .filter(|a| a.kind == AccountKind::CustomerMain)
                                    .map(|a| view! { <option value=a.id.to_string()>{account_name(i18n, &a.label)}</option> })
                                    .collect_view()}
                            </select>
                        </label>
                        <label>
                            <span>{t!(i18n, customer.cash_amount)}</span>
                            <input type="text" inputmode="numeric" required prop:value=move || amount.get()
                                on:input=move |ev| amount.set(event_target_value(&ev)) />
                        </label>
                        <div class="form__actions">
                            {[10_000, 20_000, 50_000].into_iter().map(|yen| view! {
                                <button type="button" class="button button--secondary" on:click=move |_| amount.set(yen.to_string())>
                                    <MoneyText money=shared::Money::jpy(yen) />
                                </button>
                            }).collect_view()}
                        </div>
                        <button type="submit" class="button" disabled=move || busy.get()>{t!(i18n, customer.cash_prepare)}</button>
                    </form>
                }.into_any(),
            }}
            {move || failed.get().map(|error| match amount_problem(i18n, &error) {
                Some(text) => view! { <p class="notice notice--error" role="alert">{text}</p> }.into_any(),
                None => view! { <ErrorNotice error /> }.into_any(),
            })}
        </section>
        <section aria-labelledby="recent-heading">
            <h2 id="recent-heading" class="section-heading">{t!(i18n, customer.cash_recent)}</h2>
            {move || match recent.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error on_retry=Callback::new(move |_| recent.refetch()) /> }.into_any(),
                Some(Ok(o)) if o.recent.is_empty() => view! { <p class="list-end">{t!(i18n, customer.cash_none)}</p> }.into_any(),
                Some(Ok(o)) => view! {
                    <ul class="decided-list">
                        {o.recent.into_iter().map(|w: Withdrawal| view! {
                            <li class="decided" data-withdrawal=w.id.to_string()>
                                <MoneyText money=w.amount />
                                <span class=format!("badge badge--{}", w.state.as_str())>{let state = w.state; move || state_label(i18n, state)}</span>
                                <time class="decided__at">{local_time(w.created_at_ms)}</time>
                                {w.state.is_open().then(|| view! {
                                    <button type="button" class="button button--secondary button--small"
                                        disabled=move || busy.get() on:click=move |_| cancel_one(w.id)>
                                        {t!(i18n, customer.cash_cancel_one)}
                                    </button>
                                })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
        <CodeWithdrawals />
    }
}

//! The customer's withdrawal codes from consultations: the password shown
//! once (with the QR code that carries it and the sub-account number), and
//! the list of sub-accounts with where each stands. A password is never
//! kept anywhere to show again: after a fresh passkey check the customer
//! gets a new one, and a locked sub-account unlocks the same way.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    events::Event,
    ids::SubWithdrawalId,
    sub_withdrawal::{PasswordChoice, Revealed, SubWithdrawal, SubWithdrawalState},
    AppError,
};

use crate::api::{
    begin_code_passkey, fetch_my_code_withdrawals, renew_code_password, unlock_code_withdrawal,
};
use crate::components::{
    approval_card::date_time, error_notice::ErrorNotice, lang::use_lang, money::MoneyText,
};
use crate::i18n::*;
use crate::live::use_live;
use crate::webauthn;

pub fn state_label(i18n: leptos_i18n::I18nContext<Locale>, s: SubWithdrawalState) -> String {
    match s {
        SubWithdrawalState::Pushed => t_string!(i18n, sw.state_pushed),
        SubWithdrawalState::Opened => t_string!(i18n, sw.state_opened),
        SubWithdrawalState::Submitted => t_string!(i18n, sw.state_submitted),
        SubWithdrawalState::Ready => t_string!(i18n, sw.state_ready),
        SubWithdrawalState::Locked => t_string!(i18n, sw.state_locked),
        SubWithdrawalState::Dispensed => t_string!(i18n, sw.state_dispensed),
        SubWithdrawalState::Returned => t_string!(i18n, sw.state_returned),
        SubWithdrawalState::Withdrawn => t_string!(i18n, sw.state_withdrawn),
    }
    .to_string()
}

/// The password, its QR code and the number, until the customer hides them.
#[component]
pub fn RevealedCode(revealed: Revealed, on_hide: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let w = revealed.withdrawal.clone();
    let svg = crate::pages::cash::qr_svg(&revealed.qr_payload);
    view! {
        <section class="panel code-card" aria-labelledby="code-card-heading">
            <h3 id="code-card-heading" class="section-heading">{t!(i18n, sw.code_title)}</h3>
            <p>{t!(i18n, sw.code_body)}</p>
            <div class="code-card__qr" role="img" aria-label=move || t_string!(i18n, sw.qr_label) inner_html=svg></div>
            <dl class="approval__facts">
                <div><dt>{t!(i18n, sw.number)}</dt><dd class="code-card__number">{w.number.clone().unwrap_or_default()}</dd></div>
                <div><dt>{t!(i18n, sw.password)}</dt><dd class="code-card__password">{revealed.password.clone()}</dd></div>
                {w.amount.map(|a| view! { <div><dt>{t!(i18n, sw.amount)}</dt><dd><MoneyText money=a /></dd></div> })}
                <div><dt>{t!(i18n, sw.fee)}</dt><dd><MoneyText money=w.fee /></dd></div>
                {w.expires_at_ms.map(|t| view! { <div><dt>{t!(i18n, sw.expires)}</dt><dd>{date_time(t)}</dd></div> })}
            </dl>
            <button type="button" class="button button--secondary" on:click=move |_| on_hide.run(())>
                {t!(i18n, sw.hide)}
            </button>
        </section>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    NewPassword,
    Unlock,
}

async fn with_passkey(id: SubWithdrawalId, action: Action) -> Result<Option<Revealed>, AppError> {
    let ceremony = begin_code_passkey(id).await?;
    let credential =
        webauthn::get(&ceremony.options_json)
            .await
            .map_err(|e| AppError::Transport {
                detail: format!("{e:?}"),
            })?;
    match action {
        Action::NewPassword => {
            renew_code_password(id, PasswordChoice::Generate, ceremony.id, credential)
                .await
                .map(Some)
        }
        Action::Unlock => unlock_code_withdrawal(id, ceremony.id, credential)
            .await
            .map(|_| None),
    }
}

/// The customer's withdrawals arranged with a clerk, newest first; follows
/// the live channel, so a lock, a payout or a return shows at once.
#[component]
pub fn CodeWithdrawals() -> impl IntoView {
    let i18n = use_i18n();
    let _lang = use_lang();
    let live = use_live();
    let list = LocalResource::new(fetch_my_code_withdrawals);
    let shown = RwSignal::new(None::<Revealed>);
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        let changed = live.latest.with(|n| {
            matches!(
                n.as_ref().map(|n| &n.event),
                Some(Event::SubWithdrawalChanged { .. })
            )
        });
        if changed {
            list.refetch();
        }
    });
    let act = move |id: SubWithdrawalId, action: Action| {
        busy.set(true);
        spawn_local(async move {
            match with_passkey(id, action).await {
                Ok(revealed) => {
                    failed.try_set(None);
                    if revealed.is_some() {
                        shown.try_set(revealed);
                    }
                }
                Err(e) => {
                    failed.try_set(Some(e));
                }
            }
            list.refetch();
            busy.try_set(false);
        });
    };
    let funded = move || {
        list.get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|w| !w.state.is_form() && w.state != SubWithdrawalState::Withdrawn)
            .collect::<Vec<SubWithdrawal>>()
    };
    view! {
        <section class="panel code-list" aria-labelledby="code-list-heading">
            <h2 id="code-list-heading" class="section-heading">{t!(i18n, sw.list_title)}</h2>
            {move || shown.get().map(|revealed| view! {
                <RevealedCode revealed on_hide=Callback::new(move |_| shown.set(None)) />
            })}
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
            {move || match list.get() {
                None => Some(view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <ErrorNotice error on_retry=Callback::new(move |_| list.refetch()) /> }.into_any()),
                Some(Ok(_)) if funded().is_empty() => Some(view! { <p class="hint">{t!(i18n, sw.none)}</p> }.into_any()),
                Some(Ok(_)) => None,
            }}
            <ul class="code-list__items">
                <For each=funded key=|w| (w.id, w.state, w.failed_tries) let:w>
                    <li class="code-list__item" data-sub-withdrawal=w.id.to_string()>
                        <p>
                            <strong>{w.amount.map(|a| view! { <MoneyText money=a /> })}</strong>
                            " · " {t!(i18n, sw.number)} " " {w.number.clone().unwrap_or_default()}
                        </p>
                        <p class="code-list__state">{let state = w.state; move || state_label(i18n, state)}
                            {w.expires_at_ms.filter(|_| w.state.is_funded()).map(|t| view! {
                                " · " {t!(i18n, sw.expires)} " " {date_time(t)}
                            })}
                        </p>
                        <Show when=move || w.state == SubWithdrawalState::Locked>
                            <p class="notice notice--error">{t!(i18n, sw.locked_note)}</p>
                            <button type="button" class="button" disabled=move || busy.get()
                                on:click=move |_| act(w.id, Action::Unlock)>
                                {t!(i18n, sw.unlock)}
                            </button>
                        </Show>
                        <Show when=move || w.state.is_funded()>
                            <button type="button" class="button button--secondary" disabled=move || busy.get()
                                on:click=move |_| act(w.id, Action::NewPassword)>
                                {t!(i18n, sw.new_password)}
                            </button>
                        </Show>
                    </li>
                </For>
            </ul>
        </section>
    }
}

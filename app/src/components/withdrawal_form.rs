//! The withdrawal form a clerk pushed onto the customer's screen: the
//! account, the amount (the clerk's suggestion filled in), how the ATM
//! password is set, and a passkey to confirm. The answer carries the
//! password, shown here once with its QR code (see `code_card`).

use leptos::{prelude::*, task::spawn_local};
use shared::{
    ids::AccountId,
    ledger::AccountKind,
    sub_withdrawal::{check_password, PasswordChoice, Revealed, SubWithdrawal},
    AppError, Reason, Yen,
};

use crate::api::{
    begin_confirm_withdrawal, cancel_withdrawal_form, confirm_withdrawal, fetch_my_accounts,
    open_withdrawal_form,
};
use crate::components::account_name::account_name;
use crate::components::{
    error_notice::ErrorNotice,
    lang::use_lang,
    money::{chosen_or_main, parse_yen},
    passkey,
};
use crate::i18n::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Filling,
    Passkey,
    Sending,
}

/// Why the form could not be sent, in words for the customer.
#[derive(Debug, Clone, PartialEq)]
enum Problem {
    Password(Reason),
    PasskeyCancelled,
    PasskeyFailed,
    /// This person has no passkey yet: they can add one on this device.
    NoPasskey,
    Other(AppError),
}

/// A sentence for a password the policy refuses.
pub fn password_problem(i18n: leptos_i18n::I18nContext<Locale>, reason: Reason) -> String {
    match reason {
        Reason::WrongLength => t_string!(i18n, sw.password_error_length),
        Reason::NotDigits => t_string!(i18n, sw.password_error_digits),
        Reason::OneDigit => t_string!(i18n, sw.password_error_one_digit),
        Reason::StraightRun => t_string!(i18n, sw.password_error_run),
        _ => t_string!(i18n, sw.password_error_pattern),
    }
    .to_string()
}

/// Amount errors the customer can act on.
fn amount_problem(i18n: leptos_i18n::I18nContext<Locale>, e: &AppError) -> Option<String> {
    let AppError::Invalid { field, reason } = e else {
        return None;
    };
    Some(
        match (field.as_str(), *reason) {
            ("amount", Reason::NotWholeThousands) => t_string!(i18n, customer.cash_error_thousands),
            ("amount", Reason::NotPositive) => t_string!(i18n, customer.cash_error_positive),
            ("amount", Reason::OverWithdrawalLimit) => {
                t_string!(i18n, customer.cash_error_withdrawal_limit)
            }
            ("amount", Reason::InsufficientFunds) => t_string!(i18n, customer.cash_error_funds),
            ("password", r) => return Some(password_problem(i18n, r)),
            _ => return None,
        }
        .to_string(),
    )
}

async fn confirm_flow(
    w: SubWithdrawal,
    account: AccountId,
    yen: Yen,
    choice: PasswordChoice,
    step: RwSignal<Step>,
) -> Result<Revealed, Problem> {
    if let PasswordChoice::Chosen(p) = &choice {
        check_password(p).map_err(Problem::Password)?;
    }
    let ceremony = begin_confirm_withdrawal(w.id, account, yen)
        .await
        .map_err(|e| match e {
            AppError::Conflict {
                reason: Reason::NoPasskey,
            } => Problem::NoPasskey,
            e => Problem::Other(e),
        })?;
    // The form may be gone by now (its own live event can close it first): never set a disposed signal.
    step.try_set(Step::Passkey);
    let credential = passkey::sign(&ceremony.options_json).await?;
    step.try_set(Step::Sending);
    confirm_withdrawal(w.id, choice, ceremony.id, credential)
        .await
        .map_err(Problem::Other)
}

async fn add_passkey() -> Result<(), Problem> {
    Ok(passkey::add_here().await?)
}

impl From<passkey::Problem> for Problem {
    fn from(p: passkey::Problem) -> Self {
        match p {
            passkey::Problem::PasskeyCancelled => Problem::PasskeyCancelled,
            passkey::Problem::PasskeyFailed => Problem::PasskeyFailed,
            passkey::Problem::Other(e) => Problem::Other(e),
        }
    }
}

#[component]
pub fn WithdrawalForm(
    w: SubWithdrawal,
    /// Gets the password, once, when the customer has confirmed.
    on_confirmed: Callback<Revealed>,
) -> impl IntoView {
    let i18n = use_i18n();
    let lang = use_lang();
    let accounts = LocalResource::new(fetch_my_accounts);
    let account = RwSignal::new(None::<AccountId>);
    let amount = RwSignal::new(
        w.amount
            .or(w.suggested)
            .map(|m| m.amount_minor.to_string())
            .unwrap_or_default(),
    );
    let generate = RwSignal::new(true);
    let chosen = RwSignal::new(String::new());
    let step = RwSignal::new(Step::Filling);
    let problem = RwSignal::new(None::<Problem>);
    let added = RwSignal::new(false);
    // The clerk sees that the form reached the customer's screen.
    if w.state == shared::sub_withdrawal::SubWithdrawalState::Pushed {
        let id = w.id;
        spawn_local(async move {
            if let Err(e) = open_withdrawal_form(id).await {
                leptos::logging::warn!("could not mark the form opened: {e}");
            }
        });
    }
    let form = w.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let main = chosen_or_main(account.get_untracked(), accounts.get_untracked());
        let Some(main) = main else { return };
        let yen = parse_yen(&amount.get_untracked());
        let choice = if generate.get_untracked() {
            PasswordChoice::Generate
        } else {
            PasswordChoice::Chosen(chosen.get_untracked().trim().to_string())
        };
        let w = form.clone();
        step.set(Step::Filling);
        problem.set(None);
        spawn_local(async move {
            match confirm_flow(w, main, yen, choice, step).await {
                Ok(revealed) => on_confirmed.run(revealed),
                Err(p) => {
                    problem.try_set(Some(p));
                }
            }
            step.try_set(Step::Filling);
        });
    };
    let id = w.id;
    let decline = move |_| {
        spawn_local(async move {
            if let Err(e) = cancel_withdrawal_form(id).await {
                problem.try_set(Some(Problem::Other(e)));
            }
        });
    };
    let fee = w.fee.format(lang());
    view! {
        <section class="panel withdrawal-form" aria-labelledby="withdrawal-form-heading">
            <h3 id="withdrawal-form-heading" class="section-heading">{t!(i18n, sw.form_title)}</h3>
            <p>{t!(i18n, sw.form_body)}</p>
            {w.suggested.map(|s| view! {
                <p class="withdrawal-form__suggested">{t!(i18n, sw.suggested)} " " {s.format(lang())}</p>
            })}
            <form class="form" on:submit=submit>
                <label>
                    <span>{t!(i18n, customer.cash_account)}</span>
                    <select on:change=move |ev| account.set(event_target_value(&ev).parse().ok().map(AccountId))>
                        {move || accounts.get().and_then(Result::ok).unwrap_or_default().into_iter()
                            .filter(|a| a.kind == AccountKind::CustomerMain)
                            .map(|a| view! { <option value=a.id.0.to_string()>{account_name(i18n, &a.label)} " · " {a.available().format(lang())}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    <span>{t!(i18n, sw.amount)}</span>
                    <input type="text" inputmode="numeric" required autocomplete="off"
                        prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) />
                </label>
                <p class="hint">{t!(i18n, sw.fee_note)} " " {fee}</p>
                <fieldset class="withdrawal-form__password">
                    <legend>{t!(i18n, sw.password_legend)}</legend>
                    <label class="radio">
                        <input type="radio" name="password-choice" prop:checked=move || generate.get()
                            on:change=move |_| generate.set(true) />
                        <span>{t!(i18n, sw.password_generate)}</span>
                    </label>
                    <label class="radio">
                        <input type="radio" name="password-choice" prop:checked=move || !generate.get()
                            on:change=move |_| generate.set(false) />
                        <span>{t!(i18n, sw.password_choose)}</span>
                    </label>
                    <Show when=move || !generate.get()>
                        <label>
                            <span>{t!(i18n, sw.password_label)}</span>
                            <input type="password" inputmode="numeric" autocomplete="new-password" maxlength="8"
                                prop:value=move || chosen.get() on:input=move |ev| chosen.set(event_target_value(&ev)) />
                        </label>
                        <small class="hint">{t!(i18n, sw.password_hint)}</small>
                    </Show>
                </fieldset>
                <p class="withdrawal-form__staff-note">{t!(i18n, sw.staff_never)}</p>
                <div class="actions">
                    <button type="submit" class="button" disabled=move || step.get() != Step::Filling>
                        {move || match step.get() {
                            Step::Filling => t_string!(i18n, sw.confirm),
                            Step::Passkey => t_string!(i18n, sw.step_passkey),
                            Step::Sending => t_string!(i18n, sw.step_sending),
                        }}
                    </button>
                    <button type="button" class="button button--secondary" on:click=decline
                        disabled=move || step.get() != Step::Filling>
                        {t!(i18n, sw.decline)}
                    </button>
                </div>
            </form>
            <Show when=move || added.get()>
                <p class="notice notice--ok" role="status">{t!(i18n, sw.passkey_added)}</p>
            </Show>
            {move || problem.get().map(|p| match p {
                Problem::Password(reason) => view! {
                    <p class="notice notice--error" role="alert">{password_problem(i18n, reason)}</p>
                }.into_any(),
                Problem::PasskeyCancelled => view! {
                    <p class="notice notice--error" role="alert">{t!(i18n, sw.passkey_cancelled)}</p>
                }.into_any(),
                Problem::PasskeyFailed => view! {
                    <p class="notice notice--error" role="alert">{t!(i18n, approvals.passkey_failed)}</p>
                }.into_any(),
                Problem::NoPasskey => view! {
                    <div class="notice" role="alert">
                        <p>{t!(i18n, sw.no_passkey)}</p>
                        <button type="button" class="button" on:click=move |_| {
                            spawn_local(async move {
                                match add_passkey().await {
                                    Ok(()) => {
                                        problem.try_set(None);
                                        added.try_set(true);
                                    }
                                    Err(p) => {
                                        problem.try_set(Some(p));
                                    }
                                }
                            });
                        }>{t!(i18n, sw.add_passkey)}</button>
                    </div>
                }.into_any(),
                Problem::Other(e) => match amount_problem(i18n, &e) {
                    Some(text) => view! { <p class="notice notice--error" role="alert">{text}</p> }.into_any(),
                    None => view! { <ErrorNotice error=e /> }.into_any(),
                },
            })}
        </section>
    }
}

/// The forms the clerk pushes in a consultation, as the customer sees them:
/// the open one appears live, and the password shows once after confirming.
#[component]
pub fn PushedForms(consultation: shared::ids::ConsultationId) -> impl IntoView {
    let live = crate::live::use_live();
    let forms = LocalResource::new(move || crate::api::fetch_withdrawal_forms(consultation));
    // The latest state of each form heard of live: the event carries the whole
    // form, so it shows at once while the list is asked for behind it.
    let heard = RwSignal::new(Vec::<SubWithdrawal>::new());
    let revealed = RwSignal::new(None::<Revealed>);
    Effect::new(move |_| {
        let changed = live.latest.with(|n| match n.as_ref().map(|n| &n.event) {
            Some(shared::events::Event::SubWithdrawalChanged { withdrawal })
                if withdrawal.consultation == consultation =>
            {
                Some(withdrawal.clone())
            }
            _ => None,
        });
        if let Some(w) = changed {
            heard.update(|h| {
                h.retain(|x| x.id != w.id);
                h.push(w);
            });
            forms.refetch();
        }
    });
    let open = move || {
        let mut all = forms.get().and_then(Result::ok).unwrap_or_default();
        for w in heard.get() {
            match all.iter_mut().find(|x| x.id == w.id) {
                // A refetch may answer with an older state than the latest event, or a newer one.
                Some(x) if !x.state.is_form() || !w.state.is_form() => {
                    if !w.state.is_form() {
                        *x = w;
                    }
                }
                Some(_) => {}
                None => all.push(w),
            }
        }
        // One being funded stays: its confirming request may still answer
        // with the password, or with why the money could not move.
        all.into_iter().rev().find(|w| w.state.is_form())
    };
    // Made here, not per form: the confirmed form's own live event may remove
    // it before its answer (with the password) arrives, and this must still run.
    let confirmed = Callback::new(move |r| {
        if revealed.try_set(Some(r)).is_none() {
            forms.refetch();
        }
    });
    view! {
        {move || revealed.get().map(|r| view! {
            <crate::components::code_card::RevealedCode revealed=r on_hide=Callback::new(move |_| revealed.set(None)) />
        })}
        // Keyed by the form, so typing is not lost when its progress changes.
        <For each=move || open().into_iter() key=|w| w.id let:w>
            <WithdrawalForm w on_confirmed=confirmed />
        </For>
    }
}

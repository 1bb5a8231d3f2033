//! Staff: the ATM fleet. Each machine's state, cash and last contact;
//! registering one (with its one-time kiosk code, shown once), refilling
//! cash, issuing a new kiosk code, and taking a machine out of service.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    atm::{Atm, AtmEnrollment, AtmState, NewAtm},
    AppError,
};

use crate::api::{fetch_atms, refill_atm, register_atm, reissue_atm_code, revoke_atm};
use crate::components::{
    approval_card::local_time,
    empty_state::EmptyState,
    error_notice::ErrorNotice,
    money::{parse_yen, MoneyText},
};
use crate::i18n::*;

fn state_label(i18n: leptos_i18n::I18nContext<Locale>, s: AtmState) -> String {
    match s {
        AtmState::AwaitingKiosk => t_string!(i18n, staff.fleet_state_awaiting_kiosk),
        AtmState::Active => t_string!(i18n, staff.fleet_state_active),
        AtmState::Locked => t_string!(i18n, staff.fleet_state_locked),
        AtmState::Revoked => t_string!(i18n, staff.fleet_state_revoked),
    }
    .to_string()
}

/// A key for one refill click, so a retried request counts once.
fn refill_key() -> String {
    format!(
        "{}-{}",
        js_sys::Date::now() as i64,
        (js_sys::Math::random() * 1e9) as i64
    )
}

#[component]
pub fn AtmFleet() -> impl IntoView {
    let i18n = use_i18n();
    let atms = LocalResource::new(fetch_atms);
    let code = RwSignal::new(None::<AtmEnrollment>);
    let failed = RwSignal::new(None::<AppError>);
    let done = move |result: Result<Option<AtmEnrollment>, AppError>| match result {
        Ok(enrollment) => {
            failed.set(None);
            if enrollment.is_some() {
                code.set(enrollment);
            }
            atms.refetch();
        }
        Err(e) => failed.set(Some(e)),
    };
    view! {
        {move || code.get().map(|e| view! {
            <section class="notice notice--info enrollment-code" role="status" aria-labelledby="code-heading">
                <h2 id="code-heading">{t!(i18n, staff.fleet_code_title, name = e.atm.name.clone())}</h2>
                <p class="enrollment-code__code">{e.code.clone()}</p>
                <p>{t!(i18n, staff.fleet_code_body)}</p>
            </section>
        })}
        {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
        <h2 class="section-heading">{t!(i18n, staff.fleet_list)}</h2>
        {move || match atms.get() {
            None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error on_retry=Callback::new(move |_| atms.refetch()) /> }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <EmptyState
                    title=t!(i18n, staff.atms_empty_title).into_any()
                    body=t!(i18n, staff.atms_empty_body).into_any()
                />
            }.into_any(),
            Some(Ok(list)) => view! {
                <ul class="fleet">
                    {list.into_iter().map(|atm| view! { <li><AtmRow atm done=Callback::new(done) /></li> }).collect_view()}
                </ul>
            }.into_any(),
        }}
        <RegisterForm done=Callback::new(done) />
    }
}

#[component]
fn AtmRow(atm: Atm, done: Callback<Result<Option<AtmEnrollment>, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let id = atm.id;
    let amount = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let run = move |f: std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Option<AtmEnrollment>, AppError>>>,
    >| {
        busy.set(true);
        spawn_local(async move {
            let result = f.await;
            busy.set(false);
            done.try_run(result);
        });
    };
    let refill = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let yen = parse_yen(&amount.get_untracked());
        run(Box::pin(async move {
            refill_atm(id, yen, refill_key()).await.map(|_| None)
        }));
    };
    let reissue = move |_| {
        run(Box::pin(
            async move { reissue_atm_code(id).await.map(Some) },
        ))
    };
    let revoke = move |_| run(Box::pin(async move { revoke_atm(id).await.map(|_| None) }));
    let state = atm.state;
    let name = atm.name.clone();
    view! {
        <article class="fleet-atm" aria-label=atm.name.clone()>
            <h3>{atm.name.clone()}</h3>
            <p class="fleet-atm__address">{atm.address.clone()}</p>
            <dl class="fleet-atm__facts">
                <div><dt>{t!(i18n, staff.fleet_cash_now)}</dt><dd><MoneyText money=atm.cash /></dd></div>
                <div><dt>{t!(i18n, staff.fleet_last_seen)}</dt><dd>{atm.last_seen_ms.map_or_else(|| t_string!(i18n, staff.fleet_never).to_string(), local_time)}</dd></div>
            </dl>
            <span class=format!("badge badge--{}", state.as_str())>{state_label(i18n, state)}</span>
            <form class="fleet-atm__refill" on:submit=refill>
                <label>
                    <span class="visually-hidden">{t!(i18n, staff.fleet_refill_amount, name = name.clone())}</span>
                    <input type="text" inputmode="numeric" placeholder="100000"
                        prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="button button--secondary" disabled=move || busy.get() || state == AtmState::Revoked>
                    {t!(i18n, staff.fleet_refill)}
                </button>
            </form>
            <div class="form__actions">
                <button type="button" class="button button--secondary" disabled=move || busy.get() on:click=reissue>
                    {t!(i18n, staff.fleet_reissue)}
                </button>
                <button type="button" class="button button--danger" disabled=move || busy.get() || state == AtmState::Revoked on:click=revoke>
                    {t!(i18n, staff.fleet_revoke)}
                </button>
            </div>
        </article>
    }
}

#[component]
fn RegisterForm(done: Callback<Result<Option<AtmEnrollment>, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let address = RwSignal::new(String::new());
    let lat = RwSignal::new(String::new());
    let lon = RwSignal::new(String::new());
    let cash = RwSignal::new(String::from("1000000"));
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let number =
            |s: RwSignal<String>| s.get_untracked().trim().parse::<f64>().unwrap_or(f64::NAN);
        let atm = NewAtm {
            name: name.get_untracked(),
            address: address.get_untracked(),
            lat: number(lat),
            lon: number(lon),
            cash_yen: parse_yen(&cash.get_untracked()),
        };
        busy.set(true);
        spawn_local(async move {
            let result = register_atm(atm).await;
            busy.set(false);
            if result.is_ok() {
                name.set(String::new());
                address.set(String::new());
            }
            done.try_run(result.map(Some));
        });
    };
    let field = move |label: AnyView, value: RwSignal<String>, mode: &'static str| {
        view! {
            <label>
                <span>{label}</span>
                <input type="text" inputmode=mode required prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
            </label>
        }
    };
    view! {
        <section class="panel" aria-labelledby="register-heading">
            <h2 id="register-heading" class="section-heading">{t!(i18n, staff.fleet_register)}</h2>
            <form class="form" on:submit=submit>
                {field(t!(i18n, staff.fleet_name).into_any(), name, "text")}
                {field(t!(i18n, staff.fleet_address).into_any(), address, "text")}
                {field(t!(i18n, staff.fleet_lat).into_any(), lat, "decimal")}
                {field(t!(i18n, staff.fleet_lon).into_any(), lon, "decimal")}
                {field(t!(i18n, staff.fleet_cash).into_any(), cash, "numeric")}
                <button type="submit" class="button" disabled=move || busy.get()>{t!(i18n, staff.fleet_submit)}</button>
            </form>
        </section>
    }
}

//! One pending request: what is asked, by whom, where, the warnings, a
//! countdown kept against the server's clock, and the two answers.
//!
//! Decline comes first and looks primary: saying no is always safe and
//! needs nothing. Approve asks for the device's location where the request
//! names a place, then a passkey bound to this request.

use leptos::{callback::Callable, prelude::*, task::spawn_local};
use shared::{
    approval::{Approval, ApprovalKind, Place, Position, Warning},
    geo::LatLon,
    AppError, Reason,
};

use super::{delegated_facts::DelegatedFacts, error_notice::ErrorNotice, money::MoneyText};
use crate::{
    api::{approve, begin_add_passkey, begin_approve, decline, finish_add_passkey},
    geolocation::{current_position, GeoError},
    i18n::*,
    webauthn::{self, PasskeyError},
};

/// How a decision made on a card ended, for the page to say after the card is gone.
#[derive(Debug, Clone, PartialEq)]
pub enum Concluded {
    Approved,
    Declined,
    TooFar { distance: String, place: String },
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Idle,
    Locating,
    Passkey,
    Sending,
    Approved,
    Declined,
    PasskeyAdded,
    Failed(Problem),
}

#[derive(Debug, Clone, PartialEq)]
enum Problem {
    PasskeyCancelled,
    PasskeyFailed,
    LocationDenied,
    Imprecise,
    TooFar {
        distance: String,
        place: String,
    },
    AlreadyDecided,
    NoPasskey,
    /// Approving would pass the ceiling the person set for this requester.
    Ceiling,
    Other(AppError),
}

/// What the page shows once a card has concluded.
#[component]
pub fn ConcludedNotice(concluded: Concluded) -> impl IntoView {
    let i18n = use_i18n();
    match concluded {
        Concluded::Approved => view! {
            <p class="notice notice--ok" role="status">{t!(i18n, approvals.approved_done)}</p>
        }
        .into_any(),
        Concluded::Declined => view! {
            <p class="notice notice--ok" role="status">{t!(i18n, approvals.declined_done)}</p>
        }
        .into_any(),
        Concluded::TooFar { distance, place } => view! {
            <p class="notice notice--error" role="alert">
                {t!(i18n, approvals.too_far, distance = distance.clone(), place = place.clone())}
            </p>
        }
        .into_any(),
    }
}

impl Step {
    fn busy(&self) -> bool {
        matches!(self, Step::Locating | Step::Passkey | Step::Sending)
    }
}

pub fn kind_label(i18n: leptos_i18n::I18nContext<Locale>, kind: ApprovalKind) -> String {
    match kind {
        ApprovalKind::CardlessWithdrawal => t_string!(i18n, approvals.kind_cardless_withdrawal),
        ApprovalKind::ConsultationWithdrawal => {
            t_string!(i18n, approvals.kind_consultation_withdrawal)
        }
        ApprovalKind::RiskyTransfer => t_string!(i18n, approvals.kind_risky_transfer),
        ApprovalKind::WardPurchase => t_string!(i18n, approvals.kind_ward_purchase),
        ApprovalKind::DelegatedPayment => t_string!(i18n, approvals.kind_delegated_payment),
        ApprovalKind::Practice => t_string!(i18n, approvals.kind_practice),
    }
    .to_string()
}

fn warning_text(i18n: leptos_i18n::I18nContext<Locale>, w: Warning) -> String {
    match w {
        Warning::PhoneScam => t_string!(i18n, approvals.warning_phone_scam),
        Warning::NewPayee => t_string!(i18n, approvals.warning_new_payee),
        Warning::LargeAmount => t_string!(i18n, approvals.warning_large_amount),
        Warning::OnBehalf => t_string!(i18n, approvals.warning_on_behalf),
    }
    .to_string()
}

/// `m:ss` until the deadline.
fn clock(left_ms: i64) -> String {
    let s = (left_ms.max(0) + 999) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Integer arithmetic only: float formatting would add kilobytes to every page.
pub fn distance_text(metres: f64) -> String {
    let m = metres.max(0.0).round() as i64;
    if m >= 1000 {
        let tenths = (m + 50) / 100;
        format!("{}.{} km", tenths / 10, tenths % 10)
    } else {
        format!("{m} m")
    }
}

pub fn local_time(ms: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    let h = date.get_hours();
    let m = date.get_minutes();
    format!("{h:02}:{m:02}")
}

/// A local date and time, as `2026-11-22 14:05`.
pub fn date_time(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!(
        "{}-{:02}-{:02} {}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        local_time(ms)
    )
}

fn problem_of(error: AppError, place: Option<&Place>, at: Option<Position>) -> Problem {
    match &error {
        AppError::Conflict {
            reason: Reason::ApprovalTooFar,
        } => {
            let distance = match (place, at.and_then(|p| LatLon::new(p.lat, p.lon))) {
                (Some(place), Some(here)) => distance_text(place.at.distance_m(here)),
                _ => "?".into(),
            };
            Problem::TooFar {
                distance,
                place: place.map(|p| p.name.clone()).unwrap_or_default(),
            }
        }
        AppError::Conflict {
            reason: Reason::NoPasskey,
        } => Problem::NoPasskey,
        AppError::Conflict {
            reason: Reason::CeilingReached,
        } => Problem::Ceiling,
        AppError::Invalid {
            field,
            reason: Reason::TooImprecise,
        } if field == "position" => Problem::Imprecise,
        AppError::Conflict {
            reason:
                Reason::ApprovalBusy
                | Reason::ApprovalExpired
                | Reason::ApprovalApproved
                | Reason::ApprovalDeclined
                | Reason::ApprovalCancelled,
        } => Problem::AlreadyDecided,
        _ => Problem::Other(error),
    }
}

async fn approve_flow(a: &Approval, step: RwSignal<Step>) -> Result<(), Problem> {
    let mut position = None;
    if a.near.is_some() {
        step.set(Step::Locating);
        position = Some(current_position().await.map_err(|e| match e {
            GeoError::Denied | GeoError::Unavailable(_) => Problem::LocationDenied,
        })?);
    }
    let place = a.context.place.as_ref();
    let ceremony = begin_approve(a.id)
        .await
        .map_err(|e| problem_of(e, place, position))?;
    step.set(Step::Passkey);
    let credential = webauthn::get(&ceremony.options_json)
        .await
        .map_err(|e| match e {
            PasskeyError::Cancelled => Problem::PasskeyCancelled,
            PasskeyError::Failed(_) => Problem::PasskeyFailed,
        })?;
    step.set(Step::Sending);
    approve(
        a.id,
        ceremony.id,
        credential,
        position.map(|p| p.lat),
        position.map(|p| p.lon),
        position.map(|p| p.accuracy_m),
    )
    .await
    .map_err(|e| problem_of(e, place, position))?;
    Ok(())
}

async fn add_passkey_flow() -> Result<(), Problem> {
    let ceremony = begin_add_passkey().await.map_err(Problem::Other)?;
    let credential = webauthn::create(&ceremony.options_json)
        .await
        .map_err(|e| match e {
            PasskeyError::Cancelled => Problem::PasskeyCancelled,
            PasskeyError::Failed(_) => Problem::PasskeyFailed,
        })?;
    finish_add_passkey(ceremony.id, credential)
        .await
        .map_err(Problem::Other)
}

#[component]
pub fn ApprovalCard(
    approval: Approval,
    /// The server's clock minus this browser's, in ms.
    skew_ms: Signal<i64>,
    /// This browser's clock, ticking.
    now_ms: Signal<i64>,
    /// Called once a decision went through (or the place check ended the request).
    on_decided: Callback<Concluded>,
) -> impl IntoView {
    let i18n = use_i18n();
    let step = RwSignal::new(Step::Idle);
    let a = StoredValue::new(approval.clone());
    let deadline = approval.deadline_ms;
    let left = move || deadline - (now_ms.get() + skew_ms.get());
    let over = move || left() <= 0;
    let title_id = format!("approval-{}", approval.id);
    let labelled_by = title_id.clone();
    let kind = approval.kind;
    // Worded in the render, so a switch of language rewords it.
    let title = move || kind_label(i18n, kind);
    let on_approve = move |_| {
        let Some(a) = a.try_get_value() else { return };
        // Busy at once: a second click must not start a second passkey prompt.
        step.set(if a.near.is_some() {
            Step::Locating
        } else {
            Step::Passkey
        });
        spawn_local(async move {
            // The page may have gone by the time an answer comes: `try_run` then does nothing.
            match approve_flow(&a, step).await {
                Ok(()) => {
                    step.set(Step::Approved);
                    on_decided.try_run(Concluded::Approved);
                }
                Err(Problem::TooFar { distance, place }) => {
                    on_decided.try_run(Concluded::TooFar { distance, place });
                }
                Err(p) => step.set(Step::Failed(p)),
            }
        });
    };
    let decline_now = move || {
        let Some(id) = a.try_with_value(|a| a.id) else {
            return;
        };
        step.set(Step::Sending);
        spawn_local(async move {
            match decline(id).await {
                Ok(_) => {
                    step.set(Step::Declined);
                    on_decided.try_run(Concluded::Declined);
                }
                Err(e) => step.set(Step::Failed(problem_of(e, None, None))),
            }
        });
    };
    let on_decline = move |_| decline_now();
    let on_add_passkey = move |_| {
        step.set(Step::Passkey);
        spawn_local(async move {
            match add_passkey_flow().await {
                Ok(()) => step.set(Step::PasskeyAdded),
                Err(p) => step.set(Step::Failed(p)),
            }
        });
    };
    let ctx = approval.context.clone();
    let near = approval.near;
    let place = ctx.place.clone();
    view! {
        <article class="approval" aria-labelledby=labelled_by data-approval=approval.id.to_string()>
            <h2 class="approval__title" id=title_id>{title}</h2>
            {ctx.amount.map(|m| view! {
                <p class="approval__amount">
                    <span class="visually-hidden">{t!(i18n, approvals.amount)} " "</span>
                    <MoneyText money=m />
                </p>
            })}
            <dl class="approval__facts">
                <div><dt>{t!(i18n, approvals.requester)}</dt><dd>{approval.requester.clone()}</dd></div>
                {ctx.fee.map(|fee| view! { <div><dt>{t!(i18n, approvals.fee)}</dt><dd><MoneyText money=fee /></dd></div> })}
                {ctx.payee.clone().map(|p| view! { <div><dt>{t!(i18n, approvals.payee)}</dt><dd>{p}</dd></div> })}
                {place.map(|p| view! {
                    <div>
                        <dt>{t!(i18n, approvals.place)}</dt>
                        <dd>
                            {p.name}
                            {near.map(|n| view! {
                                <span class="approval__near">{t!(i18n, approvals.within, metres = n.within_m)}</span>
                            })}
                        </dd>
                    </div>
                })}
                <div><dt>{t!(i18n, approvals.requested_at)}</dt><dd>{local_time(approval.created_at_ms)}</dd></div>
            </dl>
            {ctx.delegated.clone().map(|d| view! {
                <DelegatedFacts d place=ctx.place.clone() on_blocked=Callback::new(move |_| decline_now()) />
            })}
            {ctx.warnings.iter().copied().map(|w| view! {
                <p class="notice notice--warning approval__warning" role="note">{move || warning_text(i18n, w)}</p>
            }).collect_view()}
            {ctx.reasons.iter().map(|r| view! { <p class="approval__reason">{r.clone()}</p> }).collect_view()}
            <p class="approval__countdown" class:approval__countdown--over=over>
                {move || if over() {
                    t_string!(i18n, approvals.time_up).to_string()
                } else {
                    format!("{} {}", t_string!(i18n, approvals.time_left), clock(left()))
                }}
            </p>
            <div class="approval__actions">
                <button
                    type="button"
                    class="button button--primary"
                    on:click=on_decline
                    disabled=move || step.with(Step::busy) || over()
                >
                    {t!(i18n, approvals.decline)}
                </button>
                <button
                    type="button"
                    class="button button--secondary"
                    on:click=on_approve
                    disabled=move || step.with(Step::busy) || over()
                >
                    {t!(i18n, approvals.approve)}
                </button>
            </div>
            <div class="approval__status" role="status" aria-live="polite">
                {move || match step.get() {
                    // The page announces the outcome: the card goes away with the request.
                    Step::Idle | Step::Approved | Step::Declined => ().into_any(),
                    Step::Locating => t!(i18n, approvals.locating).into_any(),
                    Step::Passkey => t!(i18n, approvals.waiting_passkey).into_any(),
                    Step::Sending => t!(i18n, approvals.sending).into_any(),
                    Step::PasskeyAdded => t!(i18n, approvals.passkey_added).into_any(),
                    Step::Failed(p) => view! { <ProblemNotice problem=p on_add_passkey /> }.into_any(),
                }}
            </div>
        </article>
    }
}

#[component]
fn ProblemNotice(
    problem: Problem,
    on_add_passkey: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let text =
        |s: String| view! { <p class="notice notice--error" role="alert">{s}</p> }.into_any();
    match problem {
        Problem::PasskeyCancelled => text(t_string!(i18n, approvals.passkey_cancelled).into()),
        Problem::PasskeyFailed => text(t_string!(i18n, approvals.passkey_failed).into()),
        Problem::LocationDenied => text(t_string!(i18n, approvals.location_denied).into()),
        Problem::Imprecise => text(t_string!(i18n, approvals.imprecise).into()),
        Problem::AlreadyDecided => text(t_string!(i18n, approvals.already_decided).into()),
        Problem::Ceiling => text(t_string!(i18n, delegation.ceiling_reached).into()),
        // The page says this, as the card goes away with the request.
        Problem::TooFar { .. } => ().into_any(),
        Problem::NoPasskey => view! {
            <div class="notice notice--info" role="alert">
                <p>{t!(i18n, approvals.no_passkey)}</p>
                <button type="button" class="button button--secondary" on:click=on_add_passkey>
                    {t!(i18n, approvals.add_passkey)}
                </button>
            </div>
        }
        .into_any(),
        Problem::Other(error) => view! { <ErrorNotice error /> }.into_any(),
    }
}

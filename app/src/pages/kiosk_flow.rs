//! The enrolled kiosk's withdrawal screens: take a code (read by the camera
//! from the phone's QR, or typed), then "confirm on your phone" with a countdown while
//! the kiosk asks the server every half second, then dispensing, a receipt
//! and back to the start, or a clear reason why not. A kiosk is never left
//! on an ending screen: each goes on by itself after a while.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    atm::Atm,
    cardless::{KioskStep, KioskWithdrawal},
    sub_withdrawal::{parse_qr, CodeReceipt},
    AppError, Reason,
};

use super::kiosk_code::{code_error, CodeEntry, CodeReceiptView};
use crate::api::{kiosk_code_withdraw, kiosk_progress, kiosk_scan};
use crate::camera;
use crate::components::approval_card::date_time;
use crate::components::lang::use_lang;
use crate::i18n::*;

/// How often the kiosk asks where a withdrawal stands.
const POLL_MS: u64 = 500;
/// How long the cash waits to be taken before the receipt shows.
const DISPENSE_MS: i64 = 15_000;
/// How long a receipt or a refusal stays before the kiosk is ready for the next person.
const LINGER_MS: i64 = 20_000;
/// How long past the phone's deadline the kiosk waits for the server to say so itself.
const DEADLINE_GRACE_MS: i64 = 10_000;
/// How long the camera ignores a code it has just read (a phone still held up after a refusal).
const REREAD_AFTER_MS: i64 = 60_000;
/// How long the code keypad waits for someone who walked away.
const ENTRY_MS: i64 = 90_000;

#[derive(Debug, Clone, PartialEq)]
enum Screen {
    Idle,
    Busy,
    Withdrawal(KioskWithdrawal),
    Receipt(KioskWithdrawal),
    Failed(AppError),
    /// Withdrawing with a sub-account's number and password.
    CodeEntry,
    /// The number and password are being checked.
    CodeChecking,
    CodePaid(CodeReceipt),
    CodeReceipt(CodeReceipt),
    CodeFailed(AppError),
}

impl Screen {
    /// Where this screen goes by itself, and after how long; `None` while
    /// it waits for someone or something.
    fn next(&self) -> Option<(i64, Screen)> {
        match self {
            Screen::Withdrawal(w) => match w.step {
                KioskStep::AwaitingPhone { .. } => None,
                KioskStep::Dispensing { .. } => Some((DISPENSE_MS, Screen::Receipt(w.clone()))),
                KioskStep::Refused { .. } => Some((LINGER_MS, Screen::Idle)),
            },
            Screen::Receipt(_)
            | Screen::Failed(_)
            | Screen::CodeReceipt(_)
            | Screen::CodeFailed(_) => Some((LINGER_MS, Screen::Idle)),
            Screen::CodePaid(r) => Some((DISPENSE_MS, Screen::CodeReceipt(r.clone()))),
            Screen::CodeEntry => Some((ENTRY_MS, Screen::Idle)),
            Screen::Idle | Screen::Busy | Screen::CodeChecking => None,
        }
    }
}

fn error_text(i18n: leptos_i18n::I18nContext<Locale>, e: &AppError) -> String {
    match e {
        AppError::Invalid { .. } => t_string!(i18n, atm.error_unknown),
        AppError::Conflict { reason } => match reason {
            Reason::CodeUsed => t_string!(i18n, atm.error_used),
            Reason::CodeExpired => t_string!(i18n, atm.error_expired),
            Reason::CodeCancelled => t_string!(i18n, atm.error_cancelled),
            Reason::AtmShortOfCash => t_string!(i18n, atm.error_short_of_cash),
            Reason::AtmLocked => t_string!(i18n, atm.error_locked),
            _ => t_string!(i18n, error.conflict),
        },
        AppError::RateLimited { .. } => t_string!(i18n, error.rate_limited),
        // Staff enrolled another screen as this ATM, or retired it.
        AppError::Forbidden => t_string!(i18n, atm.error_retired),
        _ => t_string!(i18n, error.transport),
    }
    .to_string()
}

fn refused_text(i18n: leptos_i18n::I18nContext<Locale>, reason: Reason) -> String {
    match reason {
        Reason::DeclinedByUser => t_string!(i18n, atm.refused_declined_by_user),
        Reason::TooFar => t_string!(i18n, atm.refused_too_far),
        Reason::Expired => t_string!(i18n, atm.refused_expired),
        Reason::Cancelled => t_string!(i18n, atm.error_cancelled),
        _ => t_string!(i18n, atm.refused_other),
    }
    .to_string()
}

#[component]
pub fn KioskFlow(atm: Atm) -> impl IntoView {
    let i18n = use_i18n();
    let lang = use_lang();
    let screen = RwSignal::new(Screen::Idle);
    let code = RwSignal::new(String::new());
    // Kept while the customer retries a password; forgotten at the start screen.
    let code_number = RwSignal::new(String::new());
    let now = RwSignal::new(js_sys::Date::now() as i64);
    // When the current screen appeared, for the ones that go on by themselves.
    let shown_at = RwSignal::new(js_sys::Date::now() as i64);
    Effect::new(move |_| {
        if screen.with(|s| *s == Screen::Idle) {
            code_number.set(String::new());
        }
        shown_at.set(js_sys::Date::now() as i64);
    });
    // Someone typing is still there: the walk-away wait starts again.
    let touched = move || shown_at.set(js_sys::Date::now() as i64);
    let moves_on_in = move || {
        screen
            .with(Screen::next)
            // The clock ticks twice a second: never show more than the whole wait.
            .map(|(after, _)| (shown_at.get() + after - now.get()).clamp(0, after))
    };
    let send = move |text: String| {
        screen.set(Screen::Busy);
        spawn_local(async move {
            match kiosk_scan(text).await {
                Ok(w) => screen.set(Screen::Withdrawal(w)),
                Err(e) => screen.set(Screen::Failed(e)),
            }
            code.set(String::new());
        });
    };
    let send_code = move |(number, password): (String, String)| {
        screen.set(Screen::CodeChecking);
        spawn_local(async move {
            match kiosk_code_withdraw(number, password).await {
                Ok(r) => screen.set(Screen::CodePaid(r)),
                Err(e) => screen.set(Screen::CodeFailed(e)),
            }
        });
    };
    let video_ref = NodeRef::<leptos::html::Video>::new();
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    let stream = StoredValue::new_local(None::<web_sys::MediaStream>);
    // The code the camera read last, and when.
    let last_read = StoredValue::new((String::new(), 0i64));
    // The camera starts once the <video> is on the page; without one, typing still works.
    Effect::new(move |_| {
        if let Some(video) = video_ref.get() {
            spawn_local(async move {
                match camera::start(&video).await {
                    Ok(s) => {
                        if stream.try_set_value(Some(s.clone())).is_some() {
                            camera::stop(&s);
                        }
                    }
                    Err(e) => leptos::logging::warn!("no camera; codes can be typed: {e:?}"),
                }
            });
        }
    });
    on_cleanup(move || {
        stream.try_with_value(|s| {
            if let Some(s) = s {
                camera::stop(s);
            }
        });
    });
    if let Ok(tick) = set_interval_with_handle(
        move || {
            let at = js_sys::Date::now() as i64;
            now.set(at);
            if let Some((after, next)) = screen.with_untracked(Screen::next) {
                if at - shown_at.get_untracked() >= after {
                    screen.set(next);
                }
            }
            // The server ends a wait that runs out; a kiosk that cannot hear back stops waiting.
            if let Screen::Withdrawal(w) = screen.get_untracked() {
                if matches!(w.step, KioskStep::AwaitingPhone { deadline_ms } if at > deadline_ms + DEADLINE_GRACE_MS)
                {
                    screen.set(Screen::Withdrawal(KioskWithdrawal {
                        step: KioskStep::Refused {
                            reason: Reason::Expired,
                        },
                        ..w
                    }));
                }
            }
            let camera_on = stream.try_with_value(Option::is_some).unwrap_or(false);
            if camera_on && screen.get_untracked() == Screen::Idle {
                if let (Some(video), Some(canvas)) =
                    (video_ref.get_untracked(), canvas_ref.get_untracked())
                {
                    if let Some(text) = camera::read(&video, &canvas) {
                        let again = last_read
                            .try_with_value(|(seen, when)| {
                                *seen == text && at - when < REREAD_AFTER_MS
                            })
                            .unwrap_or(true);
                        if !again {
                            last_read.try_set_value((text.clone(), at));
                            // The customer's QR from a consultation carries a number and a password.
                            match parse_qr(&text) {
                                Some((number, password)) => {
                                    send_code((number.to_string(), password.to_string()))
                                }
                                None => send(text),
                            }
                        }
                    }
                }
            }
            // While the phone decides, ask where things stand.
            if let Screen::Withdrawal(w) = screen.get_untracked() {
                if matches!(w.step, KioskStep::AwaitingPhone { .. }) {
                    spawn_local(async move {
                        if let Ok(next) = kiosk_progress(w.id).await {
                            if matches!(screen.get_untracked(), Screen::Withdrawal(ref cur) if cur.id == next.id)
                            {
                                screen.set(Screen::Withdrawal(next));
                            }
                        }
                    });
                }
            }
        },
        std::time::Duration::from_millis(POLL_MS),
    ) {
        on_cleanup(move || tick.clear());
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(code.get_untracked());
    };
    let back = move |_| screen.set(Screen::Idle);
    let idle_in = move || {
        moves_on_in().map(|ms| {
            view! { <p class="kiosk__hint" aria-live="off">{t!(i18n, atm.idle_in, seconds = (ms + 999) / 1000)}</p> }
        })
    };
    view! {
        <video
            node_ref=video_ref
            class="kiosk__camera"
            class:kiosk__camera--off=move || screen.get() != Screen::Idle
            autoplay
            playsinline
            aria-label=move || t_string!(i18n, atm.camera_label)
        ></video>
        <canvas node_ref=canvas_ref hidden></canvas>
        {move || match screen.get() {
            Screen::Idle | Screen::Busy => view! {
                <h1 class="kiosk__welcome">{t!(i18n, atm.welcome)}</h1>
                <p class="kiosk__message">{t!(i18n, atm.idle)}</p>
                <form class="kiosk__form" on:submit=submit>
                    <label>
                        <span>{t!(i18n, atm.scan_label)}</span>
                        <input type="text" inputmode="numeric" autocomplete="off" required
                            prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev)) />
                    </label>
                    <small class="kiosk__hint">{t!(i18n, atm.scan_hint)}</small>
                    <button type="submit" class="button kiosk__button" disabled=move || screen.get() == Screen::Busy>
                        {t!(i18n, atm.scan_submit)}
                    </button>
                </form>
                <div class="kiosk__choices">
                    <button type="button" class="button kiosk__button" on:click=move |_| screen.set(Screen::CodeEntry)>
                        {t!(i18n, atm.code_start)}
                    </button>
                </div>
                <p class="kiosk__hint">{t!(i18n, atm.enrolled_as, name = atm.name.clone())}</p>
            }.into_any(),
            Screen::CodeEntry | Screen::CodeChecking => view! {
                <div class="kiosk__code" on:click=move |_| touched() on:input=move |_| touched()>
                    <CodeEntry number=code_number busy=Signal::derive(move || screen.get() == Screen::CodeChecking)
                        on_submit=Callback::new(send_code) on_back=Callback::new(move |_| screen.set(Screen::Idle)) />
                </div>
                {idle_in}
            }.into_any(),
            Screen::CodeFailed(e) => {
                let wrong = matches!(e, AppError::Invalid { .. });
                let text = code_error(i18n, &e).unwrap_or_else(|| match e {
                    AppError::Invalid { .. } => t_string!(i18n, atm.code_wrong).to_string(),
                    ref other => error_text(i18n, other),
                });
                view! {
                    <p class="kiosk__message kiosk__message--error" role="alert">{text}</p>
                    <div class="kiosk__choices">
                        {wrong.then(|| view! {
                            <button type="button" class="button kiosk__button" autofocus
                                on:click=move |_| screen.set(Screen::CodeEntry)>
                                {t!(i18n, atm.code_try_again)}
                            </button>
                        })}
                        <button type="button" class="button kiosk__button" class:button--secondary=wrong
                            autofocus=!wrong on:click=back>{t!(i18n, atm.back)}</button>
                    </div>
                    {idle_in}
                }.into_any()
            }
            Screen::CodePaid(r) => {
                let amount = r.amount.format(lang());
                let taken = r.clone();
                view! {
                    <h1 class="kiosk__welcome">{t!(i18n, atm.dispensing_title)}</h1>
                    <p class="kiosk__message" role="status">{t!(i18n, atm.dispensing_body, amount = amount.clone())}</p>
                    <button type="button" class="button kiosk__button" autofocus
                        on:click=move |_| screen.set(Screen::CodeReceipt(taken.clone()))>
                        {t!(i18n, atm.cash_taken)}
                    </button>
                }.into_any()
            }
            Screen::CodeReceipt(receipt) => view! {
                <CodeReceiptView when=date_time(receipt.at_ms) receipt atm_name=atm.name.clone()
                    on_done=Callback::new(move |_| screen.set(Screen::Idle)) />
                {idle_in}
            }.into_any(),
            Screen::Failed(e) => view! {
                <p class="kiosk__message kiosk__message--error" role="alert">{error_text(i18n, &e)}</p>
                <button type="button" class="button kiosk__button" autofocus on:click=back>{t!(i18n, atm.back)}</button>
                {idle_in}
            }.into_any(),
            Screen::Receipt(w) => {
                let at_ms = match w.step {
                    KioskStep::Dispensing { at_ms } => at_ms,
                    _ => now.get_untracked(),
                };
                let total = shared::Money::jpy(w.amount.amount_minor + w.fee.amount_minor);
                view! {
                    <h1 class="kiosk__welcome">{t!(i18n, atm.receipt_title)}</h1>
                    <dl class="kiosk__receipt" aria-label=move || t_string!(i18n, atm.receipt_title)>
                        <div><dt>{t!(i18n, atm.receipt_amount)}</dt><dd>{w.amount.format(lang())}</dd></div>
                        <div><dt>{t!(i18n, atm.receipt_fee)}</dt><dd>{w.fee.format(lang())}</dd></div>
                        <div><dt>{t!(i18n, atm.receipt_total)}</dt><dd>{total.format(lang())}</dd></div>
                        <div><dt>{t!(i18n, atm.receipt_atm)}</dt><dd>{atm.name.clone()}</dd></div>
                        <div><dt>{t!(i18n, atm.receipt_when)}</dt><dd>{date_time(at_ms)}</dd></div>
                        <div><dt>{t!(i18n, atm.receipt_number)}</dt><dd>{w.id.to_string()}</dd></div>
                    </dl>
                    <button type="button" class="button kiosk__button" autofocus on:click=back>{t!(i18n, atm.receipt)}</button>
                    {idle_in}
                }.into_any()
            }
            Screen::Withdrawal(w) => {
                let amount = w.amount.format(lang());
                match w.step {
                    KioskStep::AwaitingPhone { deadline_ms } => view! {
                        <h1 class="kiosk__welcome">{t!(i18n, atm.confirm_title)}</h1>
                        <p class="kiosk__message" role="status">{t!(i18n, atm.confirm_body, amount = amount.clone())}</p>
                        <p class="kiosk__countdown">
                            {move || {
                                // Rounded down: never more time than the server will allow.
                                let s = (deadline_ms - now.get()).max(0) / 1000;
                                format!("{} {}:{:02}", t_string!(i18n, atm.confirm_left), s / 60, s % 60)
                            }}
                        </p>
                    }.into_any(),
                    KioskStep::Dispensing { .. } => {
                        let taken = w.clone();
                        view! {
                            <h1 class="kiosk__welcome">{t!(i18n, atm.dispensing_title)}</h1>
                            <p class="kiosk__message" role="status">{t!(i18n, atm.dispensing_body, amount = amount.clone())}</p>
                            <button type="button" class="button kiosk__button" autofocus
                                on:click=move |_| screen.set(Screen::Receipt(taken.clone()))>
                                {t!(i18n, atm.cash_taken)}
                            </button>
                        }.into_any()
                    }
                    KioskStep::Refused { reason } => view! {
                        <h1 class="kiosk__welcome">{t!(i18n, atm.refused_title)}</h1>
                        <p class="kiosk__message kiosk__message--error" role="alert">{refused_text(i18n, reason)}</p>
                        <button type="button" class="button kiosk__button" autofocus on:click=back>{t!(i18n, atm.back)}</button>
                        {idle_in}
                    }.into_any(),
                }
            }
        }}
    }
}

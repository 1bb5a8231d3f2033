//! The shop clerk's terminal (F5), full screen in the shop's browser: an
//! API client that staff registered as a shop terminal. The clerk enters a
//! customer's nickname and the amount; the terminal asks Anshin through the
//! machine API (`/v1/payment-requests`), shows the code the customer's
//! phone also shows and a countdown while they decide, then takes the
//! payment with the token they approved (`/v1/payments`, into the shop's
//! settlement account) and says paid, or why not.
//!
//! The terminal's key and its place are kept in this browser only.

use leptos::{prelude::*, task::spawn_local};
use serde_json::{json, Value};

use crate::components::{
    lang::{use_lang, LangSwitch},
    page_title::use_page_title,
};
use crate::geolocation::current_position;
use crate::i18n::*;

const SETUP_KEY: &str = "anshin.shop_terminal";

/// The terminal's own settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Setup {
    key: String,
    place: String,
    lat: Option<f64>,
    lon: Option<f64>,
    /// Seconds a customer has to decide.
    #[serde(default = "usual_expiry")]
    expiry_s: i64,
}

/// The times to decide a terminal may give, in seconds.
const EXPIRIES: [i64; 4] = [30, 60, 120, 300];

fn usual_expiry() -> i64 {
    120
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn load() -> Option<Setup> {
    let text = storage()?.get_item(SETUP_KEY).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

fn store(s: &Setup) {
    if let (Some(st), Ok(text)) = (storage(), serde_json::to_string(s)) {
        let _ = st.set_item(SETUP_KEY, &text);
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Problem {
    UnknownNickname,
    NeedsCode,
    WrongCode,
    BadKey,
    Busy,
    Invalid,
    Unreachable,
}

#[derive(Debug, Clone, PartialEq)]
enum Screen {
    Setup,
    Ready,
    Sending,
    Waiting {
        id: String,
        code: String,
        until_ms: f64,
    },
    Taking,
    Paid {
        amount: i64,
        nickname: String,
    },
    Declined,
    Expired,
    Failed(Problem),
}

fn now() -> f64 {
    js_sys::Date::now()
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A fresh Idempotency-Key or reference.
fn fresh_id(prefix: &str) -> String {
    let r = (js_sys::Math::random() * 1e15) as u64;
    format!("{prefix}-{}-{r:x}", now() as u64)
}

/// Two letters and two digits, for both screens.
fn binding_code() -> String {
    let r = |n: f64| (js_sys::Math::random() * n) as u32;
    let letter = |x: u32| char::from(b'A' + x as u8);
    format!("{}{}-{:02}", letter(r(26.0)), letter(r(26.0)), r(100.0))
}

/// Calls `/v1`: the status and the JSON answer.
async fn call(
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<(u16, Value), Problem> {
    use gloo_net::http::Request;
    let auth = format!("Bearer {key}");
    let builder = match method {
        "POST" => Request::post(path)
            .header("Authorization", &auth)
            .header("Idempotency-Key", &fresh_id("shop")),
        _ => Request::get(path).header("Authorization", &auth),
    };
    let sent = match body {
        Some(b) => builder.json(&b).map_err(|_| Problem::Invalid)?.send().await,
        None => builder.send().await,
    };
    let res = sent.map_err(|_| Problem::Unreachable)?;
    let status = res.status();
    let value = res.json::<Value>().await.unwrap_or(Value::Null);
    Ok((status, value))
}

fn refusal(status: u16, v: &Value) -> Problem {
    match (status, v.get("error").and_then(Value::as_str)) {
        (400, Some("unknown_user_id")) => Problem::UnknownNickname,
        (400, Some("missing_user_code")) => Problem::NeedsCode,
        (400, Some("invalid_user_code")) => Problem::WrongCode,
        (401 | 403, _) => Problem::BadKey,
        (429, _) => Problem::Busy,
        (422 | 400, _) => Problem::Invalid,
        _ => Problem::Unreachable,
    }
}

/// What the clerk typed, kept while screens change (a user code asked for
/// after the first try must not wipe the sale), and the ticking clock.
#[derive(Debug, Clone, Copy)]
struct Form {
    nickname: RwSignal<String>,
    amount: RwSignal<String>,
    description: RwSignal<String>,
    user_code: RwSignal<String>,
    clock: RwSignal<f64>,
}

#[component]
pub fn ShopTerminal() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || Some(t_string!(i18n, shop.title)));
    let form = Form {
        nickname: RwSignal::new(String::new()),
        amount: RwSignal::new(String::new()),
        description: RwSignal::new(String::new()),
        user_code: RwSignal::new(String::new()),
        clock: RwSignal::new(now()),
    };
    let clock = form.clock;
    if let Ok(tick) = set_interval_with_handle(
        move || clock.set(now()),
        std::time::Duration::from_millis(250),
    ) {
        on_cleanup(move || tick.clear());
    }
    let setup = RwSignal::new(load());
    let screen = RwSignal::new(if setup.get_untracked().is_some() {
        Screen::Ready
    } else {
        Screen::Setup
    });
    view! {
        <div class="kiosk shop">
            <header class="kiosk__bar">
                <span class="kiosk__brand">{t!(i18n, shop.title)}</span>
                {move || setup.get().map(|s| view! { <span class="shop__place">{s.place}</span> })}
                <LangSwitch />
            </header>
            <main id="content" class="kiosk__screen" tabindex="-1">
                {move || match screen.get() {
                    Screen::Setup => view! { <SetupForm setup screen /> }.into_any(),
                    other => view! { <Sale setup screen form shown=other /> }.into_any(),
                }}
            </main>
            <footer class="kiosk__footer">
                <button type="button" class="kiosk__exit" on:click=move |_| screen.set(Screen::Setup)>
                    {t!(i18n, shop.settings)}
                </button>
            </footer>
        </div>
    }
}

#[component]
fn SetupForm(setup: RwSignal<Option<Setup>>, screen: RwSignal<Screen>) -> impl IntoView {
    let i18n = use_i18n();
    let was = setup.get_untracked();
    let key = RwSignal::new(was.as_ref().map(|s| s.key.clone()).unwrap_or_default());
    let place = RwSignal::new(was.as_ref().map(|s| s.place.clone()).unwrap_or_default());
    let at = RwSignal::new(was.as_ref().and_then(|s| s.lat.zip(s.lon)));
    let expiry = RwSignal::new(was.as_ref().map_or(usual_expiry(), |s| s.expiry_s));
    let locating = RwSignal::new(false);
    let locate = move |_| {
        locating.set(true);
        spawn_local(async move {
            if let Ok(p) = current_position().await {
                at.try_set(Some((p.lat, p.lon)));
            }
            locating.try_set(false);
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let s = Setup {
            key: key.get_untracked().trim().to_string(),
            place: place.get_untracked().trim().to_string(),
            lat: at.get_untracked().map(|a| a.0),
            lon: at.get_untracked().map(|a| a.1),
            expiry_s: expiry.get_untracked(),
        };
        store(&s);
        setup.set(Some(s));
        screen.set(Screen::Ready);
    };
    view! {
        <h1 class="kiosk__welcome">{t!(i18n, shop.setup_title)}</h1>
        <p class="kiosk__hint">{t!(i18n, shop.setup_hint)}</p>
        <form class="kiosk__form" on:submit=save>
            <label>
                <span>{t!(i18n, shop.key)}</span>
                <input type="password" autocomplete="off" required
                    prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev)) />
            </label>
            <label>
                <span>{t!(i18n, shop.place)}</span>
                <input type="text" autocomplete="off" required maxlength="80"
                    prop:value=move || place.get() on:input=move |ev| place.set(event_target_value(&ev)) />
            </label>
            <label>
                <span>{t!(i18n, shop.expiry)}</span>
                <select on:change=move |ev| {
                    if let Ok(s) = event_target_value(&ev).parse() { expiry.set(s) }
                }>
                    {EXPIRIES.map(|s| view! {
                        <option value=s.to_string() prop:selected=move || expiry.get() == s>
                            {t!(i18n, shop.expiry_option, seconds = s)}
                        </option>
                    })}
                </select>
            </label>
            <p class="kiosk__hint" role="status">
                {move || match at.get() {
                    Some(_) => t!(i18n, shop.located).into_any(),
                    None => t!(i18n, shop.not_located).into_any(),
                }}
            </p>
            <button type="button" class="button button--secondary" on:click=locate disabled=move || locating.get()>
                {t!(i18n, shop.use_location)}
            </button>
            <button type="submit" class="button kiosk__button">{t!(i18n, shop.save)}</button>
        </form>
    }
}

#[component]
fn Sale(
    setup: RwSignal<Option<Setup>>,
    screen: RwSignal<Screen>,
    form: Form,
    shown: Screen,
) -> impl IntoView {
    let i18n = use_i18n();
    let lang = use_lang();
    let Form {
        nickname,
        amount,
        description,
        user_code,
        clock,
    } = form;
    // Polls while `id` is the request on screen; then takes the payment.
    let follow = move |key: String, id: String, yen: i64, who: String| {
        spawn_local(async move {
            let path = format!("/v1/payment-requests/{id}");
            loop {
                sleep(2_000).await;
                let still = matches!(screen.try_get_untracked(), Some(Screen::Waiting { id: ref w, .. }) if *w == id);
                if !still {
                    return;
                }
                let next = match call(&key, "GET", &path, None).await {
                    Ok((200, v)) => {
                        screen.set(Screen::Taking);
                        let token = v["payment_token"].as_str().unwrap_or_default().to_string();
                        let body = json!({ "payment_token": token, "amount": yen, "currency": "JPY", "reference": fresh_id("sale") });
                        match call(&key, "POST", "/v1/payments", Some(body)).await {
                            Ok((201, _)) => Screen::Paid {
                                amount: yen,
                                nickname: who.clone(),
                            },
                            Ok((s, v)) => Screen::Failed(refusal(s, &v)),
                            Err(p) => Screen::Failed(p),
                        }
                    }
                    Ok((400, v)) => match v["error"].as_str() {
                        Some("authorization_pending" | "slow_down") => continue,
                        Some("access_denied") => Screen::Declined,
                        Some("expired_token") => Screen::Expired,
                        _ => Screen::Failed(refusal(400, &v)),
                    },
                    Ok((s, v)) => Screen::Failed(refusal(s, &v)),
                    // A dropped connection: ask again.
                    Err(_) => continue,
                };
                screen.try_set(next);
                return;
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(s) = setup.get_untracked() else {
            return;
        };
        let yen = crate::components::money::parse_yen(&amount.get_untracked()).0;
        let code = binding_code();
        let who = nickname.get_untracked().trim().to_string();
        let mut body = json!({
            "login_hint": who,
            "binding_message": code,
            "requested_expiry": s.expiry_s,
            "authorization_details": [{
                "type": "payment", "amount": yen, "currency": "JPY",
                "description": description.get_untracked().trim(),
            }],
        });
        if let (Some(lat), Some(lon)) = (s.lat, s.lon) {
            body["place"] = json!({ "name": s.place, "lat": lat, "lon": lon });
        }
        let typed = user_code.get_untracked();
        if !typed.trim().is_empty() {
            body["user_code"] = json!(typed.trim());
        }
        screen.set(Screen::Sending);
        spawn_local(async move {
            match call(&s.key, "POST", "/v1/payment-requests", Some(body)).await {
                Ok((200, v)) => {
                    let id = v["auth_req_id"].as_str().unwrap_or_default().to_string();
                    let secs = v["expires_in"].as_f64().unwrap_or(120.0);
                    screen.set(Screen::Waiting {
                        id: id.clone(),
                        code,
                        until_ms: now() + secs * 1000.0,
                    });
                    follow(s.key, id, yen, who);
                }
                Ok((status, v)) => screen.set(Screen::Failed(refusal(status, &v))),
                Err(p) => screen.set(Screen::Failed(p)),
            }
        });
    };
    let cancel = move |id: String| {
        let Some(s) = setup.get_untracked() else {
            return;
        };
        screen.set(Screen::Ready);
        spawn_local(async move {
            let _ = call(
                &s.key,
                "POST",
                &format!("/v1/payment-requests/{id}/cancel"),
                None,
            )
            .await;
        });
    };
    // The next customer starts from an empty form.
    let again = move |_| {
        for field in [nickname, amount, description, user_code] {
            field.set(String::new());
        }
        screen.set(Screen::Ready);
    };
    let needs_code = matches!(
        shown,
        Screen::Failed(Problem::NeedsCode | Problem::WrongCode)
    );
    match shown {
        Screen::Ready | Screen::Failed(Problem::NeedsCode | Problem::WrongCode) | Screen::Sending => view! {
            <h1 class="kiosk__welcome">{t!(i18n, shop.new_sale)}</h1>
            {match screen.get_untracked() {
                Screen::Failed(Problem::NeedsCode) => Some(view! { <p class="notice notice--warning" role="alert">{t!(i18n, shop.needs_code)}</p> }.into_any()),
                Screen::Failed(Problem::WrongCode) => Some(view! { <p class="notice notice--error" role="alert">{t!(i18n, shop.wrong_code)}</p> }.into_any()),
                _ => None,
            }}
            <form class="kiosk__form" on:submit=submit>
                <label>
                    <span>{t!(i18n, shop.nickname)}</span>
                    <input type="text" autocomplete="off" autocapitalize="none" required
                        prop:value=move || nickname.get() on:input=move |ev| nickname.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{t!(i18n, shop.amount)}</span>
                    <input type="text" inputmode="numeric" autocomplete="off" required
                        prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{t!(i18n, shop.description)}</span>
                    <input type="text" autocomplete="off" required maxlength="200"
                        prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
                </label>
                {needs_code.then(|| view! {
                    <label>
                        <span>{t!(i18n, shop.user_code)}</span>
                        <input type="password" inputmode="numeric" autocomplete="off"
                            prop:value=move || user_code.get() on:input=move |ev| user_code.set(event_target_value(&ev)) />
                    </label>
                })}
                <button type="submit" class="button kiosk__button" disabled=move || screen.get() == Screen::Sending>
                    {t!(i18n, shop.ask)}
                </button>
            </form>
        }.into_any(),
        Screen::Waiting { id, code, until_ms } => {
            let left = move || ((until_ms - clock.get()) / 1000.0).ceil().max(0.0) as i64;
            view! {
                <h1 class="kiosk__welcome">{t!(i18n, shop.waiting)}</h1>
                <p class="kiosk__message">{t!(i18n, shop.check_code)}</p>
                <p class="shop__code" aria-label=move || t_string!(i18n, shop.code_label)>{code}</p>
                <p class="kiosk__countdown" role="timer" aria-live="off">
                    {t!(i18n, shop.time_left)} " " {move || format!("{}:{:02}", left() / 60, left() % 60)}
                </p>
                <button type="button" class="button button--secondary kiosk__button" on:click=move |_| cancel(id.clone())>
                    {t!(i18n, shop.cancel)}
                </button>
            }.into_any()
        }
        Screen::Taking => view! { <p class="kiosk__message" role="status" aria-busy="true">{t!(i18n, shop.taking)}</p> }.into_any(),
        Screen::Paid { amount, nickname } => view! {
            <h1 class="kiosk__welcome">{t!(i18n, shop.paid)}</h1>
            <p class="kiosk__message" role="status">
                {move || t!(i18n, shop.paid_detail, amount = shared::money::Money::jpy(amount).format(lang()), nickname = nickname.clone())}
            </p>
            <button type="button" class="button kiosk__button" on:click=again>{t!(i18n, shop.next)}</button>
        }.into_any(),
        Screen::Declined | Screen::Expired | Screen::Failed(_) | Screen::Setup => {
            let message = match shown {
                Screen::Declined => t!(i18n, shop.declined).into_any(),
                Screen::Expired => t!(i18n, shop.expired).into_any(),
                Screen::Failed(Problem::UnknownNickname) => t!(i18n, shop.unknown_nickname).into_any(),
                Screen::Failed(Problem::BadKey) => t!(i18n, shop.bad_key).into_any(),
                Screen::Failed(Problem::Busy) => t!(i18n, shop.busy).into_any(),
                Screen::Failed(Problem::Invalid) => t!(i18n, shop.invalid).into_any(),
                _ => t!(i18n, shop.unreachable).into_any(),
            };
            view! {
                <h1 class="kiosk__welcome">{t!(i18n, shop.not_paid)}</h1>
                <p class="notice notice--error kiosk__message" role="alert">{message}</p>
                <button type="button" class="button kiosk__button" on:click=move |_| screen.set(Screen::Ready)>{t!(i18n, shop.back)}</button>
                <button type="button" class="button button--secondary kiosk__button" on:click=again>{t!(i18n, shop.next)}</button>
            }.into_any()
        }
    }
}

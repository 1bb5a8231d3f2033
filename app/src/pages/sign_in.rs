//! Signing in with a passkey, or signing up: display name, a public
//! nickname and date of birth, then a passkey made on this device.

use leptos::{prelude::*, task::spawn_local};
use leptos_router::{components::A, hooks::use_navigate};
use shared::Reason;
use shared::{identity::SignUpForm, AppError};

use crate::api::{begin_sign_in, begin_sign_up, finish_sign_in, finish_sign_up};
use crate::components::{error_notice::ErrorNotice, header::AppHeader, page_title::use_page_title};
use crate::i18n::*;
use crate::session::use_session;
use crate::webauthn::{self, PasskeyError};

/// Where a ceremony stands, for the button and the message under it.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Idle,
    Waiting,
    Failed(Problem),
}

#[derive(Debug, Clone, PartialEq)]
enum Problem {
    Server(AppError),
    Cancelled,
    Unsupported,
}

impl From<PasskeyError> for Problem {
    fn from(e: PasskeyError) -> Self {
        match e {
            PasskeyError::Cancelled => Problem::Cancelled,
            PasskeyError::Failed(detail) => {
                leptos::logging::warn!("passkey failed: {detail}");
                Problem::Unsupported
            }
        }
    }
}

#[component]
fn ProblemNotice(problem: Problem) -> impl IntoView {
    let i18n = use_i18n();
    let text = match problem {
        Problem::Cancelled => t!(i18n, signin.cancelled).into_any(),
        Problem::Unsupported => t!(i18n, signin.unsupported).into_any(),
        Problem::Server(AppError::Conflict {
            reason: Reason::NicknameTaken,
        }) => t!(i18n, signin.nickname_taken).into_any(),
        Problem::Server(AppError::Invalid { field, .. }) if field == "nickname" => {
            t!(i18n, signin.nickname_invalid).into_any()
        }
        Problem::Server(AppError::Invalid { field, .. }) if field == "birth_date" => {
            t!(i18n, signin.birth_date_invalid).into_any()
        }
        Problem::Server(AppError::Invalid { field, .. }) if field == "enrollment" => {
            t!(i18n, signin.enrollment_invalid).into_any()
        }
        Problem::Server(AppError::Invalid { field, .. }) if field == "display_name" => {
            t!(i18n, signin.display_name_invalid).into_any()
        }
        Problem::Server(error) => return view! { <ErrorNotice error /> }.into_any(),
    };
    view! { <div class="notice notice--error" role="alert"><p>{text}</p></div> }.into_any()
}

/// After a ceremony: signed in and on to the accounts, or the problem shown.
fn conclude(
    result: Result<shared::identity::Me, Problem>,
    step: RwSignal<Step>,
    session: crate::session::Session,
    navigate: impl Fn(&str, leptos_router::NavigateOptions),
) {
    match result {
        Ok(me) => {
            session.me.set(Some(me));
            step.set(Step::Idle);
            navigate("/customer", Default::default());
        }
        Err(p) => step.set(Step::Failed(p)),
    }
}

#[component]
pub fn SignIn() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || Some(t_string!(i18n, signin.title)));
    let session = use_session();
    let navigate = use_navigate();
    let query = leptos_router::hooks::use_query_map();
    // A staff enrollment link: `/signin?enroll=<token>`.
    let enrollment = Memo::new(move |_| query.read().get("enroll").filter(|t| !t.is_empty()));
    let sign_in_step = RwSignal::new(Step::Idle);
    let sign_up_step = RwSignal::new(Step::Idle);
    let (display_name, nickname, birth_date) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );

    let go = navigate.clone();
    let sign_in = move |_| {
        let go = go.clone();
        sign_in_step.set(Step::Waiting);
        spawn_local(async move {
            let result: Result<_, Problem> = async {
                let ceremony = begin_sign_in().await.map_err(Problem::Server)?;
                let credential = webauthn::get(&ceremony.options_json).await?;
                finish_sign_in(ceremony.id, credential)
                    .await
                    .map_err(Problem::Server)
            }
            .await;
            conclude(result, sign_in_step, session, go);
        });
    };
    let sign_up = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let navigate = navigate.clone();
        let form = SignUpForm {
            display_name: display_name.get_untracked(),
            nickname: nickname.get_untracked(),
            birth_date: birth_date.get_untracked(),
            enrollment: enrollment.get_untracked(),
        };
        sign_up_step.set(Step::Waiting);
        spawn_local(async move {
            let result: Result<_, Problem> = async {
                let ceremony = begin_sign_up(form).await.map_err(Problem::Server)?;
                let credential = webauthn::create(&ceremony.options_json).await?;
                finish_sign_up(ceremony.id, credential)
                    .await
                    .map_err(Problem::Server)
            }
            .await;
            conclude(result, sign_up_step, session, navigate);
        });
    };
    let failure = |step: RwSignal<Step>| {
        move || match step.get() {
            Step::Failed(problem) => Some(view! { <ProblemNotice problem /> }),
            _ => None,
        }
    };
    let waiting = |step: RwSignal<Step>| move || step.get() == Step::Waiting;

    view! {
        <div class="view view--signin">
            <AppHeader />
            <main id="content" class="signin" tabindex="-1">
                <h1>{t!(i18n, signin.title)}</h1>
                <Show when=move || session.me.with(Option::is_some)>
                    <p class="notice">
                        {move || session.me.get().map(|m| m.display_name)} " — "
                        <A href="/customer">{t!(i18n, signin.go_to_accounts)}</A>
                    </p>
                </Show>
                <section class="card" aria-labelledby="signin-title">
                    <h2 id="signin-title">{t!(i18n, signin.sign_in_title)}</h2>
                    <p>{t!(i18n, signin.sign_in_body)}</p>
                    <button type="button" class="button" on:click=sign_in disabled=waiting(sign_in_step)>
                        {move || if waiting(sign_in_step)() {
                            t!(i18n, signin.waiting).into_any()
                        } else {
                            t!(i18n, signin.sign_in_button).into_any()
                        }}
                    </button>
                    {failure(sign_in_step)}
                </section>
                <Show when=move || enrollment.with(Option::is_some)>
                    <p class="notice notice--staff" role="note">{t!(i18n, signin.staff_enrollment)}</p>
                </Show>
                <section class="card" aria-labelledby="signup-title">
                    <h2 id="signup-title">{t!(i18n, signin.sign_up_title)}</h2>
                    <p>{t!(i18n, signin.sign_up_body)}</p>
                    <form class="form" on:submit=sign_up>
                        <Show when=move || enrollment.with(Option::is_none)>
                        <label>
                            <span>{t!(i18n, signin.display_name)}</span>
                            <input type="text" name="display_name" required maxlength="50" autocomplete="name"
                                bind:value=display_name />
                        </label>
                        </Show>
                        <label>
                            <span>{t!(i18n, signin.nickname)}</span>
                            <input type="text" name="nickname" required minlength="3" maxlength="20"
                                autocomplete="username" aria-describedby="nickname-hint" bind:value=nickname />
                            <small id="nickname-hint">{t!(i18n, signin.nickname_hint)}</small>
                        </label>
                        <label>
                            <span>{t!(i18n, signin.birth_date)}</span>
                            <input type="date" name="birth_date" required autocomplete="bday" bind:value=birth_date />
                        </label>
                        <button type="submit" class="button" disabled=waiting(sign_up_step)>
                            {move || if waiting(sign_up_step)() {
                                t!(i18n, signin.waiting).into_any()
                            } else {
                                t!(i18n, signin.sign_up_button).into_any()
                            }}
                        </button>
                    </form>
                    {failure(sign_up_step)}
                </section>
            </main>
        </div>
    }
}

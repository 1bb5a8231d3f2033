//! The landing page: what Anshin is, the live service status, and the way into each view.

use leptos::prelude::*;
use leptos_router::components::A;
use shared::system::ServiceStatus;

use crate::api::{demo_sign_in, fetch_service_status};
use crate::components::{error_notice::ErrorNotice, header::AppHeader, page_title::use_page_title};
use crate::i18n::*;
use crate::session::use_session;

#[component]
pub fn Landing() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(|| None);
    let status = LocalResource::new(fetch_service_status);
    let demo = move || matches!(status.get(), Some(Ok(ServiceStatus { demo: true, .. })));
    view! {
        <div class="view view--landing">
            <AppHeader />
            <Show when=demo>
                <p class="demo-banner" role="note">{t!(i18n, demo_badge)}</p>
            </Show>
            <main id="content" class="landing" tabindex="-1">
                <section class="hero">
                    <h1>{t!(i18n, brand)}</h1>
                    <p class="hero__lead">{t!(i18n, tagline)}</p>
                    <p class="hero__more">{t!(i18n, tagline_more)}</p>
                </section>
                <section class="view-cards" aria-labelledby="views-title">
                    <h2 id="views-title">{t!(i18n, landing.title)}</h2>
                    <ul>
                        <li><A href="/customer" attr:class="view-card view-card--customer">
                            <strong>{t!(i18n, nav.customer)}</strong>
                            <span>{t!(i18n, landing.customer_desc)}</span>
                        </A></li>
                        <li><A href="/guardian" attr:class="view-card view-card--guardian">
                            <strong>{t!(i18n, nav.guardian)}</strong>
                            <span>{t!(i18n, landing.guardian_desc)}</span>
                        </A></li>
                        <li><A href="/staff" attr:class="view-card view-card--staff">
                            <strong>{t!(i18n, nav.staff)}</strong>
                            <span>{t!(i18n, landing.staff_desc)}</span>
                        </A></li>
                        <li><A href="/atm" attr:class="view-card view-card--atm">
                            <strong>{t!(i18n, nav.atm)}</strong>
                            <span>{t!(i18n, landing.atm_desc)}</span>
                        </A></li>
                    </ul>
                </section>
                <Show when=demo>
                    <DemoSignIn />
                </Show>
                <section class="status-card" aria-labelledby="status-title">
                    <h2 id="status-title">{t!(i18n, landing.status_title)}</h2>
                    {move || match status.get() {
                        None => view! {
                            <p class="status status--loading" role="status" aria-busy="true">
                                {t!(i18n, landing.status_loading)}
                            </p>
                        }.into_any(),
                        Some(Ok(s)) => status_line(s).into_any(),
                        Some(Err(error)) => view! {
                            <ErrorNotice error on_retry=Callback::new(move |_| status.refetch()) />
                        }.into_any(),
                    }}
                </section>
            </main>
        </div>
    }
}

fn status_line(s: ServiceStatus) -> impl IntoView {
    let i18n = use_i18n();
    let version = s.version;
    if s.database_ok {
        let engine = s.engine.name();
        view! { <p class="status status--ok" role="status">{t!(i18n, landing.status_ok, version, engine)}</p> }
            .into_any()
    } else {
        view! { <p class="status status--warn" role="status">{t!(i18n, landing.status_db_down, version)}</p> }
            .into_any()
    }
}

/// One click to act as a seeded persona; shown only in demo mode.
#[component]
fn DemoSignIn() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let navigate = leptos_router::hooks::use_navigate();
    let failed = RwSignal::new(None::<shared::AppError>);
    let personas = [
        (
            "hanako",
            "/customer",
            t!(i18n, landing.demo_hanako).into_any(),
        ),
        ("taro", "/customer", t!(i18n, landing.demo_taro).into_any()),
        ("yoko", "/guardian", t!(i18n, landing.demo_yoko).into_any()),
        ("sato", "/staff", t!(i18n, landing.demo_sato).into_any()),
        ("yui", "/customer", t!(i18n, landing.demo_yui).into_any()),
    ];
    view! {
        <section class="demo-card" aria-labelledby="demo-title">
            <h2 id="demo-title">{t!(i18n, landing.demo_title)}</h2>
            <p>{t!(i18n, landing.demo_body)}</p>
            <div class="demo-card__people">
                {personas
                    .into_iter()
                    .map(|(persona, to, label)| {
                        let navigate = navigate.clone();
                        let go = move |_| {
                            let navigate = navigate.clone();
                            leptos::task::spawn_local(async move {
                                match demo_sign_in(persona.to_string()).await {
                                    Ok(me) => {
                                        session.me.set(Some(me));
                                        navigate(to, Default::default());
                                    }
                                    Err(e) => failed.set(Some(e)),
                                }
                            });
                        };
                        view! { <button type="button" class="button button--secondary" on:click=go>{label}</button> }
                    })
                    .collect_view()}
            </div>
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
        </section>
    }
}

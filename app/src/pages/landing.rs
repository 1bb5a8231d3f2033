//! The landing page: what Anshin is, the live service status, and the way into each view.

use leptos::prelude::*;
use leptos_router::components::A;
use shared::system::ServiceStatus;

use crate::api::fetch_service_status;
use crate::components::{error_notice::ErrorNotice, header::AppHeader, page_title::use_page_title};
use crate::i18n::*;

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

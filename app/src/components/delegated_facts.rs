//! What a payment requested by a shop terminal or an AI agent adds to its
//! approval card (F5): who asked, as the bank registered them; the code
//! their screen shows; whether this is the first time; how far their
//! place is from this phone, when the person asks; and blocking them.

use leptos::{prelude::*, task::spawn_local};
use shared::{approval::Place, delegation::Delegated, geo::LatLon, machine::ClientKind, AppError};

use super::{approval_card::distance_text, error_notice::ErrorNotice};
use crate::{api::set_requester_blocked, geolocation::current_position, i18n::*};

#[component]
pub fn DelegatedFacts(
    d: Delegated,
    place: Option<Place>,
    /// Called once the requester is blocked: the card then declines.
    on_blocked: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let distance = RwSignal::new(None::<Option<String>>);
    let blocking = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let kind = d.kind;
    let kind_text = move || match kind {
        ClientKind::ShopTerminal => t_string!(i18n, delegation.kind_shop),
        ClientKind::Agent => t_string!(i18n, delegation.kind_agent),
        _ => t_string!(i18n, delegation.kind_other),
    };
    let at = place.map(|p| p.at);
    let measure = move |_| {
        spawn_local(async move {
            let here = current_position().await.ok();
            let text = match (here.and_then(|p| LatLon::new(p.lat, p.lon)), at) {
                (Some(here), Some(at)) => Some(distance_text(at.distance_m(here))),
                _ => None,
            };
            distance.try_set(Some(text));
        });
    };
    let client = d.client;
    let block = move |_| {
        blocking.set(true);
        spawn_local(async move {
            match set_requester_blocked(client, true).await {
                Ok(()) => on_blocked.run(()),
                Err(e) => {
                    failed.try_set(Some(e));
                    blocking.try_set(false);
                }
            }
        });
    };
    view! {
        <div class="approval__delegated">
            <p class="approval__verified">{kind_text} " · " {t!(i18n, delegation.verified)}</p>
            <p class="approval__binding">
                {t!(i18n, delegation.binding)} " "
                <strong class="approval__code">{d.binding_message.clone()}</strong>
            </p>
            {d.first_time.then(|| view! {
                <p class="notice notice--warning" role="note">{t!(i18n, delegation.first_time)}</p>
            })}
            {at.map(|_| view! {
                <p class="approval__distance">
                    <button type="button" class="button button--link" on:click=measure>{t!(i18n, delegation.how_far)}</button>
                    " "
                    <span role="status">{move || distance.get().map(|d| match d {
                        Some(text) => t!(i18n, delegation.away, distance = text.clone()).into_any(),
                        None => t!(i18n, delegation.no_location).into_any(),
                    })}</span>
                </p>
            })}
            <button type="button" class="button button--link approval__block" on:click=block
                disabled=move || blocking.get()>{t!(i18n, delegation.block)}</button>
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
        </div>
    }
}

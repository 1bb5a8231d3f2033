//! For staff: one API client's webhook deliveries, newest first, each with
//! its attempts, and "Send again" for a message the merchant says it lost
//! (it goes under its own `webhook-id`, so a merchant that deduplicates
//! acts once).

use leptos::{prelude::*, task::spawn_local};
use shared::{
    ids::ApiClientId,
    webhook::{DeliveryState, DeliveryView},
    AppError,
};

use crate::api::{fetch_webhook_deliveries, resend_webhook};
use crate::components::{approval_card::date_time, error_notice::ErrorNotice};
use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

fn state_view(i18n: I18n, d: &DeliveryView) -> AnyView {
    let class = match d.state {
        DeliveryState::Pending => "badge badge--pending",
        DeliveryState::Delivered => "badge badge--active",
        DeliveryState::Failed => "badge badge--revoked",
    };
    let label = match d.state {
        DeliveryState::Pending => t!(i18n, staff.deliveries_pending).into_any(),
        DeliveryState::Delivered => t!(i18n, staff.deliveries_delivered).into_any(),
        DeliveryState::Failed => t!(i18n, staff.deliveries_failed).into_any(),
    };
    let next = d.next_at_ms.map(
        |at| view! { <br /><small>{t!(i18n, staff.deliveries_next, at = date_time(at))}</small> },
    );
    view! { <span class=class>{label}</span>{next} }.into_any()
}

/// How many attempts, and how the last one went.
fn attempts_view(i18n: I18n, d: &DeliveryView) -> AnyView {
    let count = d.attempts.len();
    let Some(last) = d.attempts.last().cloned() else {
        return t!(i18n, staff.deliveries_none_yet).into_any();
    };
    match (last.status, last.error.as_deref()) {
        (_, Some("connect")) => t!(i18n, staff.deliveries_error_connect, count).into_any(),
        (_, Some("timeout")) => t!(i18n, staff.deliveries_error_timeout, count).into_any(),
        (_, Some("gone")) => t!(i18n, staff.deliveries_error_gone, count).into_any(),
        (Some(status), _) => {
            let ms = last.duration_ms;
            t!(i18n, staff.deliveries_answered, count, status, ms).into_any()
        }
        (None, _) => t!(i18n, staff.deliveries_error_request, count).into_any(),
    }
}

#[component]
pub fn WebhookLog(client: ApiClientId, name: String) -> impl IntoView {
    let i18n = use_i18n();
    let log = LocalResource::new(move || fetch_webhook_deliveries(client));
    let failed = RwSignal::new(None::<AppError>);
    let resent = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let resend = move |msg_id: String| {
        busy.set(true);
        resent.set(None);
        spawn_local(async move {
            match resend_webhook(client, msg_id.clone()).await {
                Ok(()) => {
                    failed.set(None);
                    resent.set(Some(msg_id));
                    log.refetch();
                }
                Err(e) => failed.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let heading = format!("deliveries-{client}");
    let labelled_by = heading.clone();
    let rows = move |items: Vec<DeliveryView>| {
        items
            .into_iter()
            .map(|d| {
                let state = state_view(i18n, &d);
                let attempts = attempts_view(i18n, &d);
                let id = d.msg_id.clone();
                // The button is named "Send again"; the message's id describes it.
                let described = format!("msg-{}", d.msg_id);
                view! {
                    <tr data-message=d.msg_id.clone()>
                        <td><code>{d.event_type.clone()}</code><br /><small><code id=described.clone()>{d.msg_id.clone()}</code></small></td>
                        <td>{state}</td>
                        <td>{date_time(d.created_at_ms)}</td>
                        <td>{attempts}</td>
                        <td>
                            <button type="button" class="button button--secondary" disabled=move || busy.get()
                                aria-describedby=described.clone() on:click=move |_| resend(id.clone())>
                                {t!(i18n, staff.deliveries_resend)}
                            </button>
                        </td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="webhook-log" aria-labelledby=labelled_by>
            <h4 id=heading>{t!(i18n, staff.deliveries_title, name)}</h4>
            <button type="button" class="button button--secondary" on:click=move |_| log.refetch()>
                {t!(i18n, staff.deliveries_refresh)}
            </button>
            {move || resent.get().map(|id| view! {
                <p class="notice notice--ok" role="status">{t!(i18n, staff.deliveries_resent, id)}</p>
            })}
            {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
            {move || match log.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error on_retry=Callback::new(move |_| log.refetch()) /> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! { <p>{t!(i18n, staff.deliveries_empty)}</p> }.into_any(),
                Some(Ok(items)) => view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-labelledby="deliveries-caption">
                        <table class="audit-table deliveries">
                            <caption id="deliveries-caption">{t!(i18n, staff.deliveries_caption)}</caption>
                            <thead><tr>
                                <th scope="col">{t!(i18n, staff.deliveries_event)}</th>
                                <th scope="col">{t!(i18n, staff.deliveries_state)}</th>
                                <th scope="col">{t!(i18n, staff.deliveries_created)}</th>
                                <th scope="col">{t!(i18n, staff.deliveries_attempts)}</th>
                                <th scope="col">{t!(i18n, staff.deliveries_action)}</th>
                            </tr></thead>
                            <tbody>{rows(items)}</tbody>
                        </table>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

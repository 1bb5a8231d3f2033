//! For staff: the machine API's clients. Register one (a merchant, shop
//! terminal, agent or remittance system) with the scopes it may use and see
//! its key once; rotate a key (the old one keeps working for a day) or
//! revoke a client; each change is audited. A client's webhook deliveries
//! open beneath it.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    ids::ApiClientId,
    machine::{ApiClientView, ClientKind, IssuedKey, NewApiClient, Scope},
    AppError,
};

use crate::api::{fetch_api_clients, register_api_client, revoke_api_client, rotate_api_key};
use crate::components::{
    approval_card::date_time, empty_state::EmptyState, error_notice::ErrorNotice,
};
use crate::i18n::*;
use crate::pages::webhook_log::WebhookLog;

type I18n = leptos_i18n::I18nContext<Locale>;

fn kind_label(i18n: I18n, kind: ClientKind) -> String {
    let text = match kind {
        ClientKind::Merchant => t_string!(i18n, staff.clients_kind_merchant),
        ClientKind::ShopTerminal => t_string!(i18n, staff.clients_kind_shop_terminal),
        ClientKind::Agent => t_string!(i18n, staff.clients_kind_agent),
        ClientKind::RemittanceSystem => t_string!(i18n, staff.clients_kind_remittance_system),
    };
    text.to_string()
}

fn scope_label(i18n: I18n, scope: Scope) -> String {
    match scope {
        Scope::RelationshipsRead => t_string!(i18n, staff.clients_scope_relationships_read),
        Scope::PurchasesWrite => t_string!(i18n, staff.clients_scope_purchases_write),
        Scope::WebhooksManage => t_string!(i18n, staff.clients_scope_webhooks_manage),
        Scope::PaymentsRequest => t_string!(i18n, staff.clients_scope_payments_request),
        Scope::PaymentsRedeem => t_string!(i18n, staff.clients_scope_payments_redeem),
    }
    .to_string()
}

#[component]
pub fn ApiClients() -> impl IntoView {
    let i18n = use_i18n();
    let list = LocalResource::new(fetch_api_clients);
    let issued = RwSignal::new(None::<IssuedKey>);
    let failed = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let act = move |id: ApiClientId, rotate: bool| {
        busy.set(true);
        issued.set(None);
        spawn_local(async move {
            let result = if rotate {
                rotate_api_key(id).await.map(Some)
            } else {
                revoke_api_client(id).await.map(|_| None)
            };
            match result {
                Ok(key) => {
                    failed.set(None);
                    issued.set(key);
                }
                Err(e) => failed.set(Some(e)),
            }
            list.refetch();
            busy.set(false);
        });
    };
    view! {
        <div class="api-clients-page">
        <Register issued failed busy on_done=Callback::new(move |_| list.refetch()) />
        {move || issued.get().map(|k| view! { <ShownOnce issued=k /> })}
        {move || failed.get().map(|error| view! { <ErrorNotice error /> })}
        <section class="panel" aria-labelledby="clients-heading">
            <h2 id="clients-heading" class="section-heading">{t!(i18n, staff.clients_title)}</h2>
            <p><a href="/v1/docs" rel="external">{t!(i18n, staff.clients_docs)}</a></p>
            {move || match list.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error on_retry=Callback::new(move |_| list.refetch()) /> }.into_any(),
                Some(Ok(clients)) if clients.is_empty() => view! {
                    <EmptyState title=t!(i18n, staff.clients_empty_title).into_any() body=t!(i18n, staff.clients_empty_body).into_any() />
                }.into_any(),
                Some(Ok(clients)) => view! {
                    <ul class="api-clients">
                        {clients.into_iter().map(|c| view! { <ClientItem c busy act /> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
        </div>
    }
}

/// The key of a client just registered or rotated: shown now, never again.
#[component]
fn ShownOnce(issued: IssuedKey) -> impl IntoView {
    let i18n = use_i18n();
    let name = issued.client.name.clone();
    view! {
        <section class="notice notice--info enrollment-code" role="status" aria-labelledby="key-heading">
            <h2 id="key-heading">{t!(i18n, staff.clients_key_title, name)}</h2>
            <p>{t!(i18n, staff.clients_key_body)}</p>
            <p><code class="api-key" aria-label=move || t_string!(i18n, staff.clients_key_label).to_string()>{issued.secret}</code></p>
        </section>
    }
}

#[component]
fn Register(
    issued: RwSignal<Option<IssuedKey>>,
    failed: RwSignal<Option<AppError>>,
    busy: RwSignal<bool>,
    on_done: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(ClientKind::Merchant);
    let scopes = RwSignal::new(ClientKind::Merchant.usual_scopes());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewApiClient {
            name: name.get_untracked(),
            kind: kind.get_untracked(),
            scopes: scopes.get_untracked(),
        };
        busy.set(true);
        spawn_local(async move {
            match register_api_client(new).await {
                Ok(key) => {
                    failed.set(None);
                    issued.set(Some(key));
                    name.set(String::new());
                    on_done.run(());
                }
                Err(e) => failed.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let kinds = ClientKind::ALL
        .into_iter()
        .map(|k| {
            let chosen = move || kind.get() == k;
            view! { <option value=k.as_str() prop:selected=chosen>{move || kind_label(i18n, k)}</option> }
        })
        .collect_view();
    let scope_boxes = Scope::ALL
        .into_iter()
        .map(|s| {
            let on = move || scopes.with(|l| l.contains(&s));
            let toggle = move |_| {
                scopes.update(|l| {
                    if l.contains(&s) {
                        l.retain(|x| *x != s);
                    } else {
                        l.push(s);
                    }
                })
            };
            view! {
                <label class="choice">
                    <input type="checkbox" prop:checked=on on:change=toggle />
                    <span>{move || scope_label(i18n, s)}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="panel" aria-labelledby="register-client-heading">
            <h2 id="register-client-heading" class="section-heading">{t!(i18n, staff.clients_register)}</h2>
            <form class="form" on:submit=submit>
                <label>
                    <span>{t!(i18n, staff.clients_name)}</span>
                    <input type="text" required maxlength="80" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label>
                    <span>{t!(i18n, staff.clients_kind)}</span>
                    <select on:change=move |ev| {
                        if let Some(k) = ClientKind::parse(&event_target_value(&ev)) { kind.set(k); scopes.set(k.usual_scopes()) }
                    }>{kinds}</select>
                </label>
                <fieldset class="purpose">
                    <legend>{t!(i18n, staff.clients_scopes)}</legend>
                    {scope_boxes}
                </fieldset>
                <button type="submit" class="button" disabled=move || busy.get()>{t!(i18n, staff.clients_submit)}</button>
            </form>
        </section>
    }
}

#[component]
fn ClientItem(
    c: ApiClientView,
    busy: RwSignal<bool>,
    act: impl Fn(ApiClientId, bool) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = c.id;
    let revoked = c.revoked_at_ms.is_some();
    // Revoking cannot be undone: it is asked twice.
    let asking = RwSignal::new(false);
    let kind = c.kind;
    let scopes = c.scopes.clone();
    // Webhooks go to merchants and to whoever may manage them.
    let has_webhooks = kind == ClientKind::Merchant || scopes.contains(&Scope::WebhooksManage);
    let log_open = RwSignal::new(false);
    let name = c.name.clone();
    let keys = c
        .keys
        .iter()
        .map(|k| {
            let (prefix, created) = (k.prefix.clone(), date_time(k.created_at_ms));
            let used = k.last_used_at_ms.map(date_time);
            let until = k.expires_at_ms.map(date_time);
            view! {
                <li>
                    <code>{prefix}</code>
                    " · " {t!(i18n, staff.clients_key_created, at = created)}
                    {until.map(|at| view! { " · " {t!(i18n, staff.clients_key_until, at)} })}
                    " · " {match used {
                        Some(at) => t!(i18n, staff.clients_key_used, at).into_any(),
                        None => t!(i18n, staff.clients_key_unused).into_any(),
                    }}
                </li>
            }
        })
        .collect_view();
    view! {
        <li class="api-client" data-client=id.to_string()>
            <h3>{c.name.clone()}</h3>
            <p>
                {t!(i18n, staff.clients_id, id = id.0)} " · "
                {move || kind_label(i18n, kind)} " · "
                {move || scopes.iter().map(|s| scope_label(i18n, *s)).collect::<Vec<_>>().join(", ")}
            </p>
            {if revoked {
                view! { <span class="badge badge--revoked">{t!(i18n, staff.clients_revoked)}</span> }.into_any()
            } else {
                view! { <span class="badge badge--active">{t!(i18n, staff.clients_active)}</span> }.into_any()
            }}
            <ul class="api-client__keys">{keys}</ul>
            {has_webhooks.then(|| view! {
                <button type="button" class="button button--secondary" aria-expanded=move || log_open.get().to_string()
                    on:click=move |_| log_open.update(|o| *o = !*o)>
                    {t!(i18n, staff.deliveries_show)}
                </button>
                <Show when=move || log_open.get()>
                    <WebhookLog client=id name=name.clone() />
                </Show>
            })}
            {(!revoked).then(|| view! {
                <div class="form__actions">
                    <button type="button" class="button button--secondary" disabled=move || busy.get() on:click=move |_| act(id, true)>
                        {t!(i18n, staff.clients_rotate)}
                    </button>
                    <Show
                        when=move || asking.get()
                        fallback=move || view! {
                            <button type="button" class="button button--danger" disabled=move || busy.get() on:click=move |_| asking.set(true)>
                                {t!(i18n, staff.clients_revoke)}
                            </button>
                        }
                    >
                        <p role="alert">{t!(i18n, staff.clients_revoke_sure)}</p>
                        <button type="button" class="button button--danger" disabled=move || busy.get() on:click=move |_| act(id, false)>
                            {t!(i18n, staff.clients_revoke_yes)}
                        </button>
                        <button type="button" class="button button--secondary" on:click=move |_| asking.set(false)>
                            {t!(i18n, staff.clients_revoke_keep)}
                        </button>
                    </Show>
                </div>
            })}
        </li>
    }
}

//! For staff: the risk rules of transfers to other people. The version in
//! force starts a draft; staff change thresholds, weights and the reasons
//! that lead to a decision, run the draft over the last days of transfers
//! ("would have warned N, held M"), and save it as the next version with a
//! note. Every version stays listed with who saved it and when, and any of
//! them can be loaded back into the draft.

mod dry_run;
mod form;

use leptos::{prelude::*, task::spawn_local};
use shared::{
    transfer::rules::{DryRun, RulesPage, RulesVersion, DRY_RUN_DAYS},
    AppError, Reason,
};

use crate::api::{dry_run_risk_rules, fetch_risk_rules, save_risk_rules};
use crate::components::{approval_card::date_time, error_notice::ErrorNotice};
use crate::i18n::*;
use dry_run::DryRunResult;
use form::{field_label, NumberField, ReasonsTable, HISTORY, SCORES};

type I18n = leptos_i18n::I18nContext<Locale>;

/// The field names the server's checks use, as the form's controls know them.
fn known_field(field: &str) -> Option<&'static str> {
    SCORES
        .iter()
        .chain(HISTORY.iter())
        .map(|n| n.field)
        .chain(["weights", "floors", "note", "days"])
        .find(|f| *f == field)
}

/// A sentence for a refusal of the draft, naming the field.
fn problem(i18n: I18n, e: &AppError) -> Option<AnyView> {
    let text = match e {
        AppError::Invalid { field, .. } if field == "note" => {
            t!(i18n, staff.rules_error_note).into_any()
        }
        AppError::Invalid { field, reason } => {
            let why = match reason {
                Reason::OutOfRange => t_string!(i18n, staff.rules_why_range),
                Reason::OutOfOrder => t_string!(i18n, staff.rules_why_order),
                Reason::Duplicate => t_string!(i18n, staff.rules_why_duplicate),
                _ => t_string!(i18n, staff.rules_why_other),
            };
            let field = field_label(i18n, field);
            t!(i18n, staff.rules_error_field, field, why).into_any()
        }
        AppError::Conflict {
            reason: Reason::RulesChanged,
        } => t!(i18n, staff.rules_error_changed).into_any(),
        _ => return None,
    };
    Some(text)
}

#[component]
pub fn RiskRules() -> impl IntoView {
    let i18n = use_i18n();
    let page = LocalResource::new(fetch_risk_rules);
    // Kept here: saving reloads the page, which starts a new editor.
    let saved = RwSignal::new(None::<u32>);
    view! {
        <section class="panel rules" aria-labelledby="rules-heading">
            <h2 id="rules-heading" class="section-heading">{t!(i18n, staff.rules_title)}</h2>
            {move || match page.get() {
                None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
                Some(Err(error)) => view! { <ErrorNotice error on_retry=Callback::new(move |_| page.refetch()) /> }.into_any(),
                Some(Ok(loaded)) => view! { <Editor loaded saved reload=Callback::new(move |_| page.refetch()) /> }.into_any(),
            }}
        </section>
    }
}

/// The draft and what can be done with it, starting from the version in force.
#[component]
fn Editor(loaded: RulesPage, saved: RwSignal<Option<u32>>, reload: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let current = loaded.current.clone();
    let based_on = current.version;
    let draft = RwSignal::new(current.rules.clone());
    let from = RwSignal::new(based_on);
    let note = RwSignal::new(String::new());
    let days = RwSignal::new(7u32);
    let busy = RwSignal::new(false);
    let result = RwSignal::new(None::<DryRun>);
    let failed = RwSignal::new(None::<AppError>);
    let invalid = Signal::derive(move || {
        failed.with(|e| match e {
            Some(AppError::Invalid { field, .. }) => known_field(field),
            _ => None,
        })
    });
    let start_from = move |v: &RulesVersion| {
        draft.set(v.rules.clone());
        from.set(v.version);
        result.set(None);
        failed.set(None);
    };
    let run = move |_| {
        busy.set(true);
        saved.set(None);
        spawn_local(async move {
            match dry_run_risk_rules(draft.get_untracked(), days.get_untracked()).await {
                Ok(r) => {
                    failed.set(None);
                    result.set(Some(r));
                }
                Err(e) => failed.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        spawn_local(async move {
            let sent = save_risk_rules(draft.get_untracked(), based_on, note.get_untracked());
            match sent.await {
                Ok(v) => {
                    failed.set(None);
                    saved.set(Some(v.version));
                    reload.run(());
                }
                Err(e) => failed.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let next = based_on + 1;
    let in_force = current.clone();
    let reset = move |_| start_from(&in_force);
    view! {
        <InForce current=current.clone() />
        <Show when=move || from.get() != based_on>
            <p class="notice">{move || t!(i18n, staff.rules_loaded_from, version = from.get())}</p>
        </Show>
        {move || saved.get().map(|version| view! {
            <p class="notice notice--ok" role="status">{t!(i18n, staff.rules_saved, version)}</p>
        })}
        {move || failed.get().map(|error| match problem(i18n, &error) {
            Some(text) => view! { <p class="notice notice--error" role="alert">{text}</p> }.into_any(),
            None => view! { <ErrorNotice error /> }.into_any(),
        })}
        <form class="form rules-form" on:submit=save>
            <fieldset>
                <legend>{t!(i18n, staff.rules_scores)}</legend>
                <p class="hint">{t!(i18n, staff.rules_scores_hint)}</p>
                <div class="rules-grid">
                    {SCORES.map(|number| view! { <NumberField number draft invalid /> }).collect_view()}
                </div>
            </fieldset>
            <fieldset>
                <legend>{t!(i18n, staff.rules_history)}</legend>
                <div class="rules-grid">
                    {HISTORY.map(|number| view! { <NumberField number draft invalid /> }).collect_view()}
                </div>
            </fieldset>
            <fieldset>
                <legend>{t!(i18n, staff.rules_reasons)}</legend>
                <p class="hint">{t!(i18n, staff.rules_reasons_hint)}</p>
                <ReasonsTable draft invalid />
            </fieldset>
            <fieldset>
                <legend>{t!(i18n, staff.rules_try)}</legend>
                <label class="rules-field">
                    <span>{t!(i18n, staff.rules_days)}</span>
                    <input type="number" inputmode="numeric" name="days"
                        min={*DRY_RUN_DAYS.start()} max={*DRY_RUN_DAYS.end()}
                        prop:value=move || days.get().to_string()
                        on:input=move |ev| {
                            if let Ok(d) = event_target_value(&ev).trim().parse() { days.set(d) }
                        } />
                </label>
                <button type="button" class="button button--secondary" disabled=move || busy.get() on:click=run>
                    {move || if busy.get() { t_string!(i18n, staff.rules_running) } else { t_string!(i18n, staff.rules_dry_run) }}
                </button>
                {move || result.get().map(|run| view! { <DryRunResult run /> })}
            </fieldset>
            <label>
                <span>{t!(i18n, staff.rules_note)}</span>
                <textarea name="note" required maxlength="500" rows="2"
                    aria-invalid=move || (invalid.get() == Some("note")).to_string()
                    prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                <span class="hint">{t!(i18n, staff.rules_note_hint)}</span>
            </label>
            <div class="form__actions">
                <button type="submit" class="button" disabled=move || busy.get()>
                    {move || if busy.get() { t!(i18n, staff.rules_saving).into_any() } else { t!(i18n, staff.rules_save, version = next).into_any() }}
                </button>
                <button type="button" class="button button--secondary" on:click=reset>
                    {t!(i18n, staff.rules_reset)}
                </button>
            </div>
        </form>
        <Versions history=loaded.history start_from />
    }
}

#[component]
fn InForce(current: RulesVersion) -> impl IntoView {
    let i18n = use_i18n();
    if current.version == 0 {
        return view! { <p>{t!(i18n, staff.rules_built_in)}</p> }.into_any();
    }
    let (version, author, at) = (
        current.version,
        current.author.clone(),
        date_time(current.saved_at_ms),
    );
    view! {
        <p>{t!(i18n, staff.rules_in_force, version, author, at)}</p>
        <blockquote class="rules-note">{current.note}</blockquote>
    }
    .into_any()
}

/// Every version, newest first, each with its note and a way to start a draft from it.
#[component]
fn Versions(
    history: Vec<RulesVersion>,
    start_from: impl Fn(&RulesVersion) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let item = move |v: RulesVersion| {
        let version = v.version;
        let line = if version == 0 {
            t!(i18n, staff.rules_version_built_in).into_any()
        } else {
            let (author, at) = (v.author.clone(), date_time(v.saved_at_ms));
            t!(i18n, staff.rules_version_line, version, author, at).into_any()
        };
        let note = (!v.note.is_empty()).then(|| view! { <p>{v.note.clone()}</p> });
        view! {
            <li class="rules-version" data-version=version.to_string()>
                <h4>{line}</h4>
                {note}
                <button type="button" class="button button--secondary" on:click=move |_| start_from(&v)>
                    {t!(i18n, staff.rules_load, version)}
                </button>
            </li>
        }
    };
    view! {
        <section aria-labelledby="versions-heading">
            <h3 id="versions-heading">{t!(i18n, staff.rules_versions)}</h3>
            <ul class="rules-versions">{history.into_iter().map(item).collect_view()}</ul>
        </section>
    }
}

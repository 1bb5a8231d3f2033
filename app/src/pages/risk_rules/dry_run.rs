//! What a dry run found: the rules in force and the draft, decision by
//! decision, over the same past transfers, and how many would change.

use leptos::prelude::*;
use shared::transfer::{risk::Decision, rules::DryRun};

use super::form::decision_label;
use crate::i18n::*;

#[component]
pub fn DryRunResult(run: DryRun) -> impl IntoView {
    let i18n = use_i18n();
    let (days, transfers) = (run.days, run.transfers);
    if transfers == 0 {
        return view! {
            <section class="rules-result" aria-labelledby="dry-run-heading" role="status">
                <h3 id="dry-run-heading">{t!(i18n, staff.rules_result_title)}</h3>
                <p>{t!(i18n, staff.rules_result_none, days)}</p>
            </section>
        }
        .into_any();
    }
    let d = run.draft;
    let (warn, proof, hold, refuse) = (d.warn, d.recipient_proof, d.hold, d.refuse);
    let (stricter, looser) = (run.stricter, run.looser);
    let rows = Decision::ALL
        .into_iter()
        .map(|decision| {
            let (now, then) = (run.in_force.get(decision), run.draft.get(decision));
            view! {
                <tr class:rules-result__changed={now != then}>
                    <th scope="row">{move || decision_label(i18n, decision)}</th>
                    <td>{now}</td>
                    <td>{then}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="rules-result" aria-labelledby="dry-run-heading" role="status">
            <h3 id="dry-run-heading">{t!(i18n, staff.rules_result_title)}</h3>
            <p>
                {t!(i18n, staff.rules_result, days, transfers)}
                {run.capped.then(|| view! { " " {t!(i18n, staff.rules_result_capped, transfers)} })}
            </p>
            <p class="rules-result__would">{t!(i18n, staff.rules_result_would, warn, proof, hold, refuse)}</p>
            <p>{t!(i18n, staff.rules_result_change, stricter, looser)}</p>
            <table>
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, staff.rules_col_decision)}</th>
                        <th scope="col">{t!(i18n, staff.rules_col_in_force)}</th>
                        <th scope="col">{t!(i18n, staff.rules_col_draft)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
    .into_any()
}

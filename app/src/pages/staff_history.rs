//! The staff's history of consultations that have ended, newest first: who
//! talked, about what, for how long, and what came of it (each withdrawal
//! pushed, with its amount and where it stands now).

use leptos::prelude::*;
use shared::sub_withdrawal::ConsultationRecord;

use crate::api::fetch_consultation_history;
use crate::components::{
    approval_card::local_time, code_card::state_label, empty_state::EmptyState,
    error_notice::ErrorNotice, money::MoneyText,
};
use crate::i18n::*;

#[component]
pub fn ConsultationHistory() -> impl IntoView {
    let i18n = use_i18n();
    let history = LocalResource::new(fetch_consultation_history);
    view! {
        <h2 class="section-heading">{t!(i18n, sw.history_title)}</h2>
        {move || match history.get() {
            None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error on_retry=Callback::new(move |_| history.refetch()) /> }.into_any(),
            Some(Ok(records)) if records.is_empty() => view! {
                <EmptyState title=t!(i18n, sw.history_title).into_any() body=t!(i18n, sw.history_empty).into_any() />
            }.into_any(),
            Some(Ok(records)) => view! {
                <table class="table history">
                    <thead>
                        <tr>
                            <th scope="col">{t!(i18n, consult.asked_at)}</th>
                            <th scope="col">{t!(i18n, sw.ended_at)}</th>
                            <th scope="col">{t!(i18n, consult.topic_label)}</th>
                            <th scope="col">{t!(i18n, sw.clerk)}</th>
                            <th scope="col">{t!(i18n, sw.messages)}</th>
                            <th scope="col">{t!(i18n, sw.outcome)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {records.into_iter().map(|r| view! { <Row r /> }).collect_view()}
                    </tbody>
                </table>
            }.into_any(),
        }}
    }
}

#[component]
fn Row(r: ConsultationRecord) -> impl IntoView {
    let i18n = use_i18n();
    let c = r.consultation;
    let outcome = if r.withdrawals.is_empty() {
        t_string!(i18n, sw.outcome_none).into_any()
    } else {
        r.withdrawals
            .into_iter()
            .map(|w| {
                view! {
                    <span class="history__outcome" data-form-state=w.state.as_str()>
                        {w.amount.or(w.suggested).map(|a| view! { <MoneyText money=a /> " " })}
                        {let state = w.state; move || state_label(i18n, state)}
                    </span>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <tr data-consultation=c.id.to_string()>
            <td>{local_time(c.asked_at_ms)} " · " {c.customer_name.clone()}</td>
            <td>{c.ended_at_ms.map(local_time)}</td>
            <td>{c.topic.clone()}</td>
            <td>{c.clerk_name.clone().unwrap_or_default()}</td>
            <td>{r.messages}</td>
            <td>{outcome}</td>
        </tr>
    }
}

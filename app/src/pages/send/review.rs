//! The review before the passkey: who the money goes to, what the name
//! check said, the risk and why; where the server warns, the warning in
//! plain words with the question of what the payment is for and a box to
//! tick, without which the passkey step stays closed; a refusal instead of
//! a passkey step when the risk is too high.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    transfer::{
        name_check::NameCheck,
        risk::Decision,
        send::{Purpose, Review, ScamLikelihood, SendForm, Sent},
    },
    AppError,
};

use crate::api::send_transfer;
use crate::components::passkey::{self, Problem};
use crate::components::{
    money::MoneyText,
    risk_words::{purpose_text, Reasons},
};
use crate::i18n::*;

#[component]
pub fn ReviewStep(
    form: SendForm,
    review: Review,
    on_done: Callback<Result<Sent, AppError>>,
    back: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let purpose = RwSignal::new(None::<Purpose>);
    let acknowledged = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<Problem>);
    let warned = review.likelihood.is_some();
    let ready = move || !warned || (purpose.get().is_some() && acknowledged.get());
    let decision = review.assessment.decision;
    let ceremony = review.ceremony.clone();
    let (nickname, number) = (
        review.recipient.nickname.clone(),
        review.recipient.account_number.clone(),
    );
    let confirm = move |_| {
        let Some(ceremony) = ceremony.clone() else {
            return;
        };
        let form = form.clone();
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            let answer = if warned {
                purpose.get_untracked()
            } else {
                None
            };
            match passkey::sign(&ceremony.options_json).await {
                Ok(credential) => {
                    on_done.run(send_transfer(form, answer, ceremony.id, credential).await)
                }
                Err(p) => {
                    problem.try_set(Some(p));
                    busy.try_set(false);
                }
            }
        });
    };
    let name_line = match review.recipient.name_check.clone() {
        None => view! { <p class="name-check name-check--none">{t!(i18n, send.name_not_checked)}</p> }.into_any(),
        Some(NameCheck::Match) => view! { <p class="name-check name-check--match">{t!(i18n, send.name_match)}</p> }.into_any(),
        Some(NameCheck::CloseMatch { holder_name }) => {
            let name = holder_name;
            view! { <p class="name-check name-check--close" role="alert">{t!(i18n, send.name_close, name)}</p> }.into_any()
        }
        Some(NameCheck::NoMatch) => view! { <p class="name-check name-check--no" role="alert">{t!(i18n, send.name_no_match)}</p> }.into_any(),
    };
    let score = review.assessment.score;
    let likelihood = review.likelihood;
    let proof_nick = nickname.clone();
    view! {
        <div class="review" aria-labelledby="review-heading">
            <h3 id="review-heading">{t!(i18n, send.review_title)}</h3>
            <p class="approval__amount"><MoneyText money=review.amount /></p>
            <p>{t!(i18n, send.to_line, nickname = nickname.clone(), number)}</p>
            {name_line}
            {(decision == Decision::Refuse).then(|| view! {
                <div class="notice notice--error" role="alert">
                    <p><strong>{t!(i18n, send.refused)}</strong></p>
                    <p>{t!(i18n, send.refused_body)}</p>
                </div>
            })}
            {likelihood.map(|l| view! {
                <div class="warning" role="alert">
                    <p class="warning__title">
                        {match l {
                            ScamLikelihood::Some => t!(i18n, send.warn_some).into_any(),
                            ScamLikelihood::High => t!(i18n, send.warn_high).into_any(),
                        }}
                    </p>
                    <p>{t!(i18n, send.warn_body)}</p>
                </div>
            })}
            <h4>{t!(i18n, send.reasons_title)}</h4>
            <p class="review__score">{t!(i18n, send.score, score)}</p>
            <Reasons reasons=review.assessment.reasons.clone() />
            {(decision == Decision::RecipientProof).then(|| {
                let nickname = proof_nick.clone();
                view! { <p class="notice">{t!(i18n, send.proof_note, nickname)}</p> }
            })}
            {(decision == Decision::Hold).then(|| view! { <p class="notice">{t!(i18n, send.hold_note)}</p> })}
            {warned.then(|| view! {
                <fieldset class="form purpose">
                    <legend>{t!(i18n, send.purpose_q)}</legend>
                    {Purpose::ALL.into_iter().map(|p| view! {
                        <label class="choice">
                            <input type="radio" name="purpose" value=p.as_str()
                                prop:checked=move || purpose.get() == Some(p)
                                on:change=move |_| purpose.set(Some(p)) />
                            <span>{move || purpose_text(i18n, p)}</span>
                        </label>
                    }).collect_view()}
                    <label class="choice choice--ack">
                        <input type="checkbox" prop:checked=move || acknowledged.get()
                            on:change=move |ev| acknowledged.set(event_target_checked(&ev)) />
                        <span>{t!(i18n, send.ack)}</span>
                    </label>
                </fieldset>
            })}
            <div class="form__actions">
                {(decision != Decision::Refuse).then(|| view! {
                    <button type="button" class="button" on:click=confirm disabled=move || busy.get() || !ready()>
                        {move || if busy.get() { t_string!(i18n, send.sending) } else { t_string!(i18n, send.confirm) }}
                    </button>
                })}
                <button type="button" class="button button--secondary" on:click=move |_| back.run(())>
                    {move || if decision == Decision::Refuse { t_string!(i18n, send.back) } else { t_string!(i18n, send.stop) }}
                </button>
            </div>
            {move || problem.get().map(|p| match p {
                Problem::PasskeyCancelled => view! { <p class="notice notice--error" role="alert">{t!(i18n, send.passkey_cancelled)}</p> }.into_any(),
                Problem::PasskeyFailed => view! { <p class="notice notice--error" role="alert">{t!(i18n, send.passkey_failed)}</p> }.into_any(),
                Problem::Other(e) => super::problem_view(i18n, e),
            })}
        </div>
    }
}

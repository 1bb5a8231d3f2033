//! The draft of the risk rules as a form: the score thresholds, how history
//! counts, and every reason's weight and least decision. Each control edits
//! the draft in place; the server checks the whole draft.

use leptos::prelude::*;
use shared::transfer::risk::{Decision, ReasonKind, Rules};

use crate::i18n::*;

type I18n = leptos_i18n::I18nContext<Locale>;

/// A number in the rules: its field name (as the server's checks name it),
/// how to read it and how to write it.
#[derive(Clone, Copy)]
pub struct Number {
    pub field: &'static str,
    get: fn(&Rules) -> i64,
    set: fn(&mut Rules, i64),
}

fn narrow<T: TryFrom<i64> + Default>(v: i64) -> T {
    T::try_from(v).unwrap_or_default()
}

pub const SCORES: [Number; 4] = [
    Number {
        field: "warn_from",
        get: |r| r.warn_from.into(),
        set: |r, v| r.warn_from = narrow(v),
    },
    Number {
        field: "proof_from",
        get: |r| r.proof_from.into(),
        set: |r, v| r.proof_from = narrow(v),
    },
    Number {
        field: "hold_from",
        get: |r| r.hold_from.into(),
        set: |r, v| r.hold_from = narrow(v),
    },
    Number {
        field: "refuse_from",
        get: |r| r.refuse_from.into(),
        set: |r, v| r.refuse_from = narrow(v),
    },
];

pub const HISTORY: [Number; 7] = [
    Number {
        field: "trust_amount_minor",
        get: |r| r.trust_amount_minor,
        set: |r, v| r.trust_amount_minor = v,
    },
    Number {
        field: "trust_days",
        get: |r| r.trust_days.into(),
        set: |r, v| r.trust_days = narrow(v),
    },
    Number {
        field: "mule_new_senders_24h",
        get: |r| r.mule_new_senders_24h.into(),
        set: |r, v| r.mule_new_senders_24h = narrow(v),
    },
    Number {
        field: "mule_new_senders_7d",
        get: |r| r.mule_new_senders_7d.into(),
        set: |r, v| r.mule_new_senders_7d = narrow(v),
    },
    Number {
        field: "new_account_days",
        get: |r| r.new_account_days.into(),
        set: |r, v| r.new_account_days = narrow(v),
    },
    Number {
        field: "new_conversation_minutes",
        get: |r| r.new_conversation_minutes.into(),
        set: |r, v| r.new_conversation_minutes = narrow(v),
    },
    Number {
        field: "unusual_factor",
        get: |r| r.unusual_factor,
        set: |r, v| r.unusual_factor = v,
    },
];

/// The label of a field the server's checks may name.
pub fn field_label(i18n: I18n, field: &str) -> String {
    let text = match field {
        "warn_from" => t_string!(i18n, staff.rules_warn_from),
        "proof_from" => t_string!(i18n, staff.rules_proof_from),
        "hold_from" => t_string!(i18n, staff.rules_hold_from),
        "refuse_from" => t_string!(i18n, staff.rules_refuse_from),
        "trust_amount_minor" => t_string!(i18n, staff.rules_trust_amount),
        "trust_days" => t_string!(i18n, staff.rules_trust_days),
        "mule_new_senders_24h" => t_string!(i18n, staff.rules_mule_24h),
        "mule_new_senders_7d" => t_string!(i18n, staff.rules_mule_7d),
        "new_account_days" => t_string!(i18n, staff.rules_new_account_days),
        "new_conversation_minutes" => t_string!(i18n, staff.rules_new_conversation),
        "unusual_factor" => t_string!(i18n, staff.rules_unusual_factor),
        "weights" => t_string!(i18n, staff.rules_weight),
        "floors" => t_string!(i18n, staff.rules_floor),
        "days" => t_string!(i18n, staff.rules_days),
        _ => t_string!(i18n, staff.rules_note),
    };
    text.to_string()
}

pub fn kind_label(i18n: I18n, kind: ReasonKind) -> String {
    let text = match kind {
        ReasonKind::KnownRecipient => t_string!(i18n, staff.kind_known_recipient),
        ReasonKind::NoHistory => t_string!(i18n, staff.kind_no_history),
        ReasonKind::TrivialHistory => t_string!(i18n, staff.kind_trivial_history),
        ReasonKind::RecipientAccountNew => t_string!(i18n, staff.kind_recipient_account_new),
        ReasonKind::RecipientManyNewSenders => {
            t_string!(i18n, staff.kind_recipient_many_new_senders)
        }
        ReasonKind::RecipientReported => t_string!(i18n, staff.kind_recipient_reported),
        ReasonKind::NotSavedPayee => t_string!(i18n, staff.kind_not_saved_payee),
        ReasonKind::NameNoMatch => t_string!(i18n, staff.kind_name_no_match),
        ReasonKind::NameCloseMatch => t_string!(i18n, staff.kind_name_close_match),
        ReasonKind::NameNotChecked => t_string!(i18n, staff.kind_name_not_checked),
        ReasonKind::ConversationNew => t_string!(i18n, staff.kind_conversation_new),
        ReasonKind::UnusualAmount => t_string!(i18n, staff.kind_unusual_amount),
        ReasonKind::LargeForRecipient => t_string!(i18n, staff.kind_large_for_recipient),
    };
    text.to_string()
}

pub fn decision_label(i18n: I18n, d: Decision) -> String {
    let text = match d {
        Decision::Proceed => t_string!(i18n, staff.decision_proceed),
        Decision::Warn => t_string!(i18n, staff.decision_warn),
        Decision::RecipientProof => t_string!(i18n, staff.decision_recipient_proof),
        Decision::Hold => t_string!(i18n, staff.decision_hold),
        Decision::Refuse => t_string!(i18n, staff.decision_refuse),
    };
    text.to_string()
}

/// One number of the draft; `invalid` names the field the server refused.
#[component]
pub fn NumberField(
    number: Number,
    draft: RwSignal<Rules>,
    invalid: Signal<Option<&'static str>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let value = move || draft.with(|r| (number.get)(r)).to_string();
    let edit = move |ev| {
        if let Ok(v) = event_target_value(&ev).trim().parse::<i64>() {
            draft.update(|r| (number.set)(r, v));
        }
    };
    view! {
        <label class="rules-field">
            <span>{move || field_label(i18n, number.field)}</span>
            <input type="number" inputmode="numeric" step="1" required name=number.field
                aria-invalid=move || (invalid.get() == Some(number.field)).to_string()
                prop:value=value on:input=edit />
        </label>
    }
}

/// Every reason with its weight and the least decision it leads to.
#[component]
pub fn ReasonsTable(
    draft: RwSignal<Rules>,
    invalid: Signal<Option<&'static str>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let weight_invalid = move || (invalid.get() == Some("weights")).to_string();
    let row = move |kind: ReasonKind| {
        let name = move || kind_label(i18n, kind);
        let weight = move || draft.with(|r| r.weight(kind)).to_string();
        let set_weight = move |ev| {
            if let Ok(w) = event_target_value(&ev).trim().parse::<i32>() {
                draft.update(|r| {
                    r.weights.retain(|(k, _)| *k != kind);
                    r.weights.push((kind, w));
                });
            }
        };
        let set_floor = move |ev| {
            let d = Decision::parse(&event_target_value(&ev)).unwrap_or(Decision::Proceed);
            draft.update(|r| {
                r.floors.retain(|(k, _)| *k != kind);
                r.floors.push((kind, d));
            });
        };
        let options = Decision::ALL
            .into_iter()
            .map(|d| {
                let label = move || {
                    if d == Decision::Proceed {
                        t_string!(i18n, staff.rules_floor_none).to_string()
                    } else {
                        decision_label(i18n, d)
                    }
                };
                let chosen = move || draft.with(|r| r.floor(kind)) == d;
                view! { <option value=d.as_str() prop:selected=chosen>{label}</option> }
            })
            .collect_view();
        view! {
            <tr>
                <th scope="row">{name}</th>
                <td>
                    <label>
                        <span class="visually-hidden">{t!(i18n, staff.rules_weight_of, reason = name)}</span>
                        <input type="number" inputmode="numeric" step="1" min="-100" max="100" required
                            aria-invalid=weight_invalid
                            prop:value=weight on:input=set_weight />
                    </label>
                </td>
                <td>
                    <label>
                        <span class="visually-hidden">{t!(i18n, staff.rules_floor_of, reason = name)}</span>
                        <select on:change=set_floor>{options}</select>
                    </label>
                </td>
            </tr>
        }
    };
    view! {
        <table class="rules-reasons">
            <thead>
                <tr>
                    <th scope="col">{t!(i18n, staff.rules_reason)}</th>
                    <th scope="col">{t!(i18n, staff.rules_weight)}</th>
                    <th scope="col">{t!(i18n, staff.rules_floor)}</th>
                </tr>
            </thead>
            <tbody>{ReasonKind::ALL.into_iter().map(row).collect_view()}</tbody>
        </table>
    }
}

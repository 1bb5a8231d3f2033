//! One purchase as the minor and the guardian read it: where, what, how
//! much, how it was paid, where it stands and, if cancelled, why. What the
//! reader may do with it comes as children.

use leptos::prelude::*;
use shared::purchase::{Payment, Purchase, PurchaseState};

use crate::components::{
    approval_card::{date_time, local_time},
    lang::use_lang,
    purchase_words::{category_text, state_text, why_text},
};
use crate::i18n::*;

#[component]
pub fn PurchaseLine(
    p: Purchase,
    /// Whose purchase it is, for a guardian of several.
    #[prop(optional)]
    show_minor: bool,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    let lang = use_lang();
    let amount = p.amount;
    let state = p.state;
    let category = p.category;
    let id = format!("purchase-{}", p.id);
    let state_class = format!("badge badge--{}", state.as_str());
    let paid = match p.payment {
        Payment::Anshin => t!(i18n, purchase.paid_anshin).into_any(),
        Payment::Elsewhere => t!(i18n, purchase.paid_elsewhere).into_any(),
    };
    let window = (state == PurchaseState::InWindow)
        .then_some(p.window_ends_ms)
        .flatten()
        .map(|end| {
            let time = local_time(end);
            view! { <p class="purchase__window">{t!(i18n, purchase.window_until, time)}</p> }
        });
    let why = p.cancelled.map(|why| {
        view! { <p class="purchase__why">{why_text(i18n, lang, why)}</p> }
    });
    let id_ref = id.clone();
    view! {
        <li class="purchase" aria-labelledby=id_ref data-purchase=p.id.to_string() data-state=state.as_str()>
            <div class="purchase__head">
                <h3 id=id class="purchase__title">{p.merchant_name.clone()}</h3>
                <span class="purchase__amount">{move || amount.format(lang())}</span>
            </div>
            <p class="purchase__what">
                {p.description.clone()} " · " {move || category_text(i18n, category)}
            </p>
            {show_minor.then(|| view! { <p class="purchase__minor">{t!(i18n, purchase.minor_label)} ": " {p.minor_nickname.clone()}</p> })}
            <p class="purchase__meta">
                <span class=state_class>{move || state_text(i18n, state)}</span>
                " " <time>{date_time(p.created_at_ms)}</time> " · " {paid}
            </p>
            {window}
            {why}
            {children()}
        </li>
    }
}

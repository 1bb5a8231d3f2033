//! Money shown in the reader's language (`¥12,345`).

use leptos::prelude::*;
use shared::Money;

use super::lang::use_lang;

#[component]
pub fn MoneyText(money: Money) -> impl IntoView {
    let lang = use_lang();
    view! { <span class="money">{move || money.format(lang())}</span> }
}

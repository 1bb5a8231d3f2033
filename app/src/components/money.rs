//! Money shown in the reader's language (`¥12,345`).

use leptos::prelude::*;
use shared::{Money, Yen};

use super::lang::use_lang;

/// Yen typed by a person (`20,000`, `２０，０００円`); -1 when it is not a
/// whole number, so the server refuses it with its own reason.
pub fn parse_yen(text: &str) -> Yen {
    Yen::parse_typed(text).unwrap_or(Yen(-1))
}

/// The account the person picked, or else their first main account.
pub fn chosen_or_main(
    chosen: Option<shared::ids::AccountId>,
    accounts: Option<Result<Vec<shared::ledger::AccountBalance>, shared::AppError>>,
) -> Option<shared::ids::AccountId> {
    chosen.or_else(|| {
        accounts.and_then(|r| r.ok()).and_then(|l| {
            l.into_iter()
                .find(|a| a.kind == shared::ledger::AccountKind::CustomerMain)
                .map(|a| a.id)
        })
    })
}

#[component]
pub fn MoneyText(money: Money) -> impl IntoView {
    let lang = use_lang();
    view! { <span class="money">{move || money.format(lang())}</span> }
}

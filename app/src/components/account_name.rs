//! An account's name in the user's language: the names the bank gives its
//! accounts travel as codes (`shared::ledger::account_label`).

use leptos_i18n::I18nContext;
use shared::ledger::account_label;

use crate::i18n::*;

pub fn account_name(i18n: I18nContext<Locale>, label: &str) -> String {
    match label {
        account_label::ORDINARY => t_string!(i18n, account_names.ordinary).to_string(),
        account_label::SAVINGS => t_string!(i18n, account_names.savings).to_string(),
        account_label::WITHDRAWAL_SUB => t_string!(i18n, account_names.withdrawal_sub).to_string(),
        chosen => chosen.to_string(),
    }
}

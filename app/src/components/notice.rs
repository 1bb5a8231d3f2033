//! A notice in words: the server sends a code with its particulars, and
//! the reader's language decides how it reads (amounts formatted for it).

use leptos::prelude::*;
use shared::{events::Notice, lang::Lang};

use crate::i18n::*;

/// `lang` is read as the page renders, so amounts follow a change of language.
pub fn notice_text(
    i18n: leptos_i18n::I18nContext<Locale>,
    lang: impl Fn() -> Lang + Copy + Send + Sync + 'static,
    notice: &Notice,
) -> AnyView {
    match notice.clone() {
        Notice::CashCodeRefused { atm, address } => {
            t!(i18n, notice.cash_code_refused, atm, address).into_any()
        }
        Notice::CashCodeAtmShort { atm, address } => {
            t!(i18n, notice.cash_code_atm_short, atm, address).into_any()
        }
        Notice::SubAccountLocked { number, tries, atm } => {
            t!(i18n, notice.sub_account_locked, number, tries, atm).into_any()
        }
        Notice::NewPasswordAsked { clerk, number } => {
            t!(i18n, notice.new_password_asked, clerk, number).into_any()
        }
        Notice::SubAccountTaken { amount, fee, atm } => {
            let (amount, fee) = (move || amount.format(lang()), move || fee.format(lang()));
            t!(i18n, notice.sub_account_taken, amount, fee, atm).into_any()
        }
        Notice::SubAccountReturned { amount, returned } => {
            let (amount, returned) = (
                move || amount.format(lang()),
                move || returned.format(lang()),
            );
            t!(i18n, notice.sub_account_returned, amount, returned).into_any()
        }
        Notice::AtmLocked { atm, after } => t!(i18n, notice.atm_locked, atm, after).into_any(),
        Notice::LegacyText { text } => text.into_any(),
    }
}

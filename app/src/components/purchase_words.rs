//! A purchase's state, category and the reason it was cancelled, in the
//! reader's language: the server sends codes with their particulars.

use leptos::prelude::*;
use shared::{
    lang::Lang,
    purchase::{Broken, Cancelled, Category, PurchaseState},
};

use crate::i18n::*;

pub fn state_text(i18n: leptos_i18n::I18nContext<Locale>, state: PurchaseState) -> String {
    match state {
        PurchaseState::AwaitingGuardian => t_string!(i18n, purchase.state_awaiting_guardian),
        PurchaseState::AwaitingMinor => t_string!(i18n, purchase.state_awaiting_minor),
        PurchaseState::InWindow => t_string!(i18n, purchase.state_in_window),
        PurchaseState::Completed => t_string!(i18n, purchase.state_completed),
        PurchaseState::Cancelled => t_string!(i18n, purchase.state_cancelled),
        PurchaseState::RefundRequested => t_string!(i18n, purchase.state_refund_requested),
        PurchaseState::Refunded => t_string!(i18n, purchase.state_refunded),
    }
    .to_string()
}

pub fn category_text(i18n: leptos_i18n::I18nContext<Locale>, category: Category) -> String {
    match category {
        Category::Food => t_string!(i18n, purchase.cat_food),
        Category::Books => t_string!(i18n, purchase.cat_books),
        Category::Stationery => t_string!(i18n, purchase.cat_stationery),
        Category::Clothing => t_string!(i18n, purchase.cat_clothing),
        Category::Toys => t_string!(i18n, purchase.cat_toys),
        Category::Games => t_string!(i18n, purchase.cat_games),
        Category::InGameItems => t_string!(i18n, purchase.cat_in_game_items),
        Category::Electronics => t_string!(i18n, purchase.cat_electronics),
        Category::Transport => t_string!(i18n, purchase.cat_transport),
        Category::Entertainment => t_string!(i18n, purchase.cat_entertainment),
        Category::Alcohol => t_string!(i18n, purchase.cat_alcohol),
        Category::Tobacco => t_string!(i18n, purchase.cat_tobacco),
        Category::Gambling => t_string!(i18n, purchase.cat_gambling),
        Category::Other => t_string!(i18n, purchase.cat_other),
    }
    .to_string()
}

/// Why a purchase was cancelled, as a clause.
pub fn why_text(
    i18n: leptos_i18n::I18nContext<Locale>,
    lang: impl Fn() -> Lang + Copy + Send + Sync + 'static,
    why: Cancelled,
) -> AnyView {
    match why {
        Cancelled::Condition { broken } => match broken {
            Broken::PerPurchase { limit } => {
                let limit = move || limit.format(lang());
                t!(i18n, purchase.why_per_purchase, limit).into_any()
            }
            Broken::PerDay { limit, spent } => {
                let limit = move || limit.format(lang());
                let spent = move || spent.format(lang());
                t!(i18n, purchase.why_per_day, limit, spent).into_any()
            }
            Broken::PerMonth { limit, spent } => {
                let limit = move || limit.format(lang());
                let spent = move || spent.format(lang());
                t!(i18n, purchase.why_per_month, limit, spent).into_any()
            }
            Broken::BlockedCategory { category } => {
                let category = move || category_text(i18n, category);
                t!(i18n, purchase.why_blocked_category, category).into_any()
            }
            Broken::BlockedMerchant => t!(i18n, purchase.why_blocked_merchant).into_any(),
            Broken::Hours { from, to } => t!(i18n, purchase.why_hours, from, to).into_any(),
        },
        Cancelled::ByGuardian => t!(i18n, purchase.why_by_guardian).into_any(),
        Cancelled::GuardianDeclined => t!(i18n, purchase.why_guardian_declined).into_any(),
        Cancelled::GuardianDidNotAnswer => {
            t!(i18n, purchase.why_guardian_did_not_answer).into_any()
        }
        Cancelled::MinorDeclined => t!(i18n, purchase.why_minor_declined).into_any(),
        Cancelled::MinorDidNotConfirm => t!(i18n, purchase.why_minor_did_not_confirm).into_any(),
    }
}

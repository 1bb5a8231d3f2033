//! A purchase as the machine API and its webhooks show it to the merchant:
//! their own fields, the minor's account number, states and reasons as
//! stable codes, times in RFC 3339. Nothing about the guardian.

use serde::Serialize;
use shared::{
    purchase::{Broken, Cancelled, Purchase},
    transfer::send::account_number,
};
use utoipa::ToSchema;

use super::store::Stored;
use crate::identity::clock::rfc3339_utc;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiPurchase {
    #[schema(example = 42)]
    pub id: i64,
    /// `awaiting_guardian`, `awaiting_minor`, `in_window`, `completed`,
    /// `cancelled`, `refund_requested` or `refunded`.
    #[schema(example = "in_window")]
    pub state: String,
    /// The minor's account number.
    #[schema(example = "0000011")]
    pub minor: String,
    /// In minor units of `currency` (yen).
    #[schema(example = 1200)]
    pub amount: i64,
    #[schema(example = "JPY")]
    pub currency: String,
    #[schema(example = "books")]
    pub category: String,
    pub description: String,
    /// Your reference (an order number).
    pub reference: String,
    /// `anshin` (charged to the minor's account) or `elsewhere`.
    pub payment: String,
    /// Why it was cancelled: `condition`, `by_guardian`, `guardian_declined`,
    /// `guardian_did_not_answer`, `minor_declined` or `minor_did_not_confirm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
    /// With `condition`: which one (`per_purchase`, `per_day`, `per_month`,
    /// `blocked_category`, `blocked_merchant`, `hours`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// While waiting for the guardian or the minor: until when.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub decide_by: Option<String>,
    /// While in the window: when the guardian can no longer cancel.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub window_ends_at: Option<String>,
}

fn condition(b: &Broken) -> &'static str {
    match b {
        Broken::PerPurchase { .. } => "per_purchase",
        Broken::PerDay { .. } => "per_day",
        Broken::PerMonth { .. } => "per_month",
        Broken::BlockedCategory { .. } => "blocked_category",
        Broken::BlockedMerchant => "blocked_merchant",
        Broken::Hours { .. } => "hours",
    }
}

pub fn wire(s: &Stored) -> ApiPurchase {
    let p: &Purchase = &s.purchase;
    ApiPurchase {
        id: p.id.0,
        state: p.state.as_str().into(),
        minor: account_number(s.account),
        amount: p.amount.amount_minor,
        currency: p.amount.currency.code().into(),
        category: p.category.as_str().into(),
        description: p.description.clone(),
        reference: p.reference.clone(),
        payment: p.payment.as_str().into(),
        cancel_reason: p.cancelled.as_ref().map(|c| c.code().into()),
        condition: p.cancelled.as_ref().and_then(|c| match c {
            Cancelled::Condition { broken } => Some(condition(broken).into()),
            _ => None,
        }),
        created_at: rfc3339_utc(p.created_at_ms),
        decide_by: p.deadline_ms.map(rfc3339_utc),
        window_ends_at: p.window_ends_ms.map(rfc3339_utc),
    }
}

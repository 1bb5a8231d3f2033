//! What the views may do with purchases: the guardian's overview, their
//! conditions, cancelling and answering "ask me first"; the minor's own
//! purchases, confirming one with a passkey or saying no.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{conditions::Conditions, Category, Purchase};
use crate::{
    identity::Ceremony,
    ids::{PurchaseId, UserId},
    money::Money,
    ports::Caller,
    AppError,
};

/// Weeks of spending the guardian's chart shows.
pub const CHART_WEEKS: usize = 8;

/// A minor in a guardian's care, as the guardian sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ward {
    pub minor: UserId,
    pub nickname: String,
    pub name: String,
    pub verified_since_ms: i64,
    pub conditions: Conditions,
    /// This month's spending (Japan time) by category, largest first.
    pub by_category: Vec<(Category, Money)>,
    /// Spending per week, oldest first, ending with this week (weeks start on Monday, Japan time).
    pub by_week: Vec<(i64, Money)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardianOverview {
    /// The server's clock when it answered, for countdowns on a skewed device.
    pub server_now_ms: i64,
    pub wards: Vec<Ward>,
    /// The wards' purchases, newest first.
    pub purchases: Vec<Purchase>,
}

#[async_trait]
pub trait PurchasesPort: Send + Sync {
    async fn guardian_overview(&self, caller: &Caller) -> Result<GuardianOverview, AppError>;
    async fn set_conditions(
        &self,
        caller: &Caller,
        minor: UserId,
        conditions: Conditions,
    ) -> Result<Conditions, AppError>;
    /// Within the window: the money is released, or a refund asked for.
    async fn cancel_purchase(&self, caller: &Caller, id: PurchaseId) -> Result<Purchase, AppError>;
    /// The guardian's answer to a purchase above "ask me first".
    async fn answer_purchase(
        &self,
        caller: &Caller,
        id: PurchaseId,
        yes: bool,
    ) -> Result<Purchase, AppError>;
    /// The caller's own purchases, newest first.
    async fn my_purchases(&self, caller: &Caller) -> Result<Vec<Purchase>, AppError>;
    async fn begin_purchase_confirm(
        &self,
        caller: &Caller,
        id: PurchaseId,
    ) -> Result<Ceremony, AppError>;
    async fn confirm_purchase(
        &self,
        caller: &Caller,
        id: PurchaseId,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<Purchase, AppError>;
    async fn decline_purchase(&self, caller: &Caller, id: PurchaseId)
        -> Result<Purchase, AppError>;
}

//! Server functions of minors' purchases (flow F4): the guardian's overview,
//! conditions, cancel and "ask me first" answer; the minor's own purchases,
//! confirmed with a passkey or declined.

use leptos::prelude::*;
use shared::{
    identity::Ceremony,
    ids::{PurchaseId, UserId},
    purchase::{conditions::Conditions, port::GuardianOverview, Purchase},
    AppError,
};

#[cfg(feature = "ssr")]
use super::{caller, port};
#[cfg(feature = "ssr")]
use shared::purchase::port::PurchasesPort;

/// Names this flow's server functions (see [`super::register`]).
#[cfg(feature = "ssr")]
pub fn register() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<FetchGuardianOverview>();
    register_explicit::<SetPurchaseConditions>();
    register_explicit::<CancelPurchase>();
    register_explicit::<AnswerPurchase>();
    register_explicit::<FetchMyPurchases>();
    register_explicit::<BeginPurchaseConfirm>();
    register_explicit::<ConfirmPurchase>();
    register_explicit::<DeclinePurchase>();
}

/// The minors in the caller's care, with their conditions and purchases.
#[server(prefix = "/api", endpoint = "guardian/overview")]
pub async fn fetch_guardian_overview() -> Result<GuardianOverview, AppError> {
    port::<dyn PurchasesPort>()?
        .guardian_overview(&caller())
        .await
}

#[server(prefix = "/api", endpoint = "guardian/conditions", input = leptos::server_fn::codec::Json)]
pub async fn set_purchase_conditions(
    minor: UserId,
    conditions: Conditions,
) -> Result<Conditions, AppError> {
    port::<dyn PurchasesPort>()?
        .set_conditions(&caller(), minor, conditions)
        .await
}

#[server(prefix = "/api", endpoint = "guardian/cancel")]
pub async fn cancel_purchase(id: PurchaseId) -> Result<Purchase, AppError> {
    port::<dyn PurchasesPort>()?
        .cancel_purchase(&caller(), id)
        .await
}

#[server(prefix = "/api", endpoint = "guardian/answer")]
pub async fn answer_purchase(id: PurchaseId, yes: bool) -> Result<Purchase, AppError> {
    port::<dyn PurchasesPort>()?
        .answer_purchase(&caller(), id, yes)
        .await
}

#[server(prefix = "/api", endpoint = "purchases/mine")]
pub async fn fetch_my_purchases() -> Result<Vec<Purchase>, AppError> {
    port::<dyn PurchasesPort>()?.my_purchases(&caller()).await
}

#[server(prefix = "/api", endpoint = "purchases/begin-confirm")]
pub async fn begin_purchase_confirm(id: PurchaseId) -> Result<Ceremony, AppError> {
    port::<dyn PurchasesPort>()?
        .begin_purchase_confirm(&caller(), id)
        .await
}

#[server(prefix = "/api", endpoint = "purchases/confirm")]
pub async fn confirm_purchase(
    id: PurchaseId,
    ceremony: String,
    credential: String,
) -> Result<Purchase, AppError> {
    port::<dyn PurchasesPort>()?
        .confirm_purchase(&caller(), id, &ceremony, &credential)
        .await
}

#[server(prefix = "/api", endpoint = "purchases/decline")]
pub async fn decline_purchase(id: PurchaseId) -> Result<Purchase, AppError> {
    port::<dyn PurchasesPort>()?
        .decline_purchase(&caller(), id)
        .await
}

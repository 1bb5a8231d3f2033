//! Server functions of identity checks and relationships (flow F4): one's
//! own check and links, a guardian's invitation, the ward's answer, and
//! staff's review queue. The two that carry a document image sit under
//! `upload/`, which takes a larger body.

use leptos::prelude::*;
use shared::{
    ids::{IdentityCheckId, UserId},
    kyc::{
        port::{IdentityCheck, Link, MyIdentity, ReviewQueue, Verdict},
        IdentityDetails, Relation, ReviewReason,
    },
    AppError,
};

#[cfg(feature = "ssr")]
use super::{caller, port};
#[cfg(feature = "ssr")]
use shared::kyc::port::KycPort;

/// Names this flow's server functions (see [`super::register`]).
#[cfg(feature = "ssr")]
pub fn register() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<FetchMyIdentity>();
    register_explicit::<SubmitIdentityCheck>();
    register_explicit::<InviteWard>();
    register_explicit::<AnswerInvitation>();
    register_explicit::<FetchReviewQueue>();
    register_explicit::<ReviewIdentityCheck>();
    register_explicit::<ReviewLink>();
    register_explicit::<SendAllowance>();
}

#[server(prefix = "/api", endpoint = "identity/mine")]
pub async fn fetch_my_identity() -> Result<MyIdentity, AppError> {
    port::<dyn KycPort>()?.my_identity(&caller()).await
}

/// `document` is the image as a `data:` URL.
#[server(prefix = "/api", endpoint = "upload/identity-check", input = leptos::server_fn::codec::Json)]
pub async fn submit_identity_check(
    details: IdentityDetails,
    document: String,
) -> Result<IdentityCheck, AppError> {
    port::<dyn KycPort>()?
        .submit_check(&caller(), details, document)
        .await
}

#[server(prefix = "/api", endpoint = "upload/invite-ward", input = leptos::server_fn::codec::Json)]
pub async fn invite_ward(
    nickname: String,
    relation: Relation,
    document: String,
) -> Result<Link, AppError> {
    port::<dyn KycPort>()?
        .invite_ward(&caller(), nickname, relation, document)
        .await
}

#[server(prefix = "/api", endpoint = "identity/answer", input = leptos::server_fn::codec::Json)]
pub async fn answer_invitation(guardian: UserId, accept: bool) -> Result<Link, AppError> {
    port::<dyn KycPort>()?
        .answer_invitation(&caller(), guardian, accept)
        .await
}

#[server(prefix = "/api", endpoint = "staff/reviews")]
pub async fn fetch_review_queue() -> Result<ReviewQueue, AppError> {
    port::<dyn KycPort>()?.review_queue(&caller()).await
}

#[server(prefix = "/api", endpoint = "staff/review-check", input = leptos::server_fn::codec::Json)]
pub async fn review_identity_check(
    id: IdentityCheckId,
    verdict: Verdict,
    reason: Option<ReviewReason>,
) -> Result<IdentityCheck, AppError> {
    port::<dyn KycPort>()?
        .review_check(&caller(), id, verdict, reason)
        .await
}

#[server(prefix = "/api", endpoint = "staff/review-link", input = leptos::server_fn::codec::Json)]
pub async fn review_link(
    guardian: UserId,
    ward: UserId,
    verify: bool,
    reason: Option<ReviewReason>,
) -> Result<Link, AppError> {
    port::<dyn KycPort>()?
        .review_link(&caller(), guardian, ward, verify, reason)
        .await
}

/// A guardian's allowance to a minor in their verified care; `key` makes a retry move it once.
#[server(prefix = "/api", endpoint = "guardian/allowance", input = leptos::server_fn::codec::Json)]
pub async fn send_allowance(
    minor: UserId,
    amount: shared::money::Money,
    key: String,
) -> Result<shared::ledger::Transfer, AppError> {
    port::<dyn shared::allowance::AllowancePort>()?
        .send_allowance(&caller(), minor, amount, key)
        .await
}

//! What the views may do with identity checks and relationships: a person
//! submits their check and sees where it and their links stand; a guardian
//! invites a ward with the document that proves the relationship, and the
//! ward answers; staff review both in a queue.
//!
//! Documents travel as `data:` URLs (what a browser's `FileReader` gives);
//! the server decodes them and trusts only what the bytes say they are.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{CheckState, IdentityDetails, LinkState, Person, Relation, ReviewReason};
use crate::{
    ids::{DocumentId, IdentityCheckId, UserId},
    ports::Caller,
    AppError,
};

/// A person's identity check, as they and staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityCheck {
    pub id: IdentityCheckId,
    pub state: CheckState,
    pub details: IdentityDetails,
    pub reason: Option<ReviewReason>,
    pub submitted_at_ms: i64,
    pub reviewed_at_ms: Option<i64>,
}

/// A guardian–ward relationship, as either side and staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub guardian: Person,
    pub ward: Person,
    pub relation: Relation,
    pub state: LinkState,
    pub reason: Option<ReviewReason>,
    pub invited_at_ms: i64,
    pub verified_at_ms: Option<i64>,
}

/// The caller's own check (their newest) and the links on both sides of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyIdentity {
    pub check: Option<IdentityCheck>,
    /// Links where the caller is the guardian.
    pub wards: Vec<Link>,
    /// Links where the caller is the ward.
    pub guardians: Vec<Link>,
}

/// A check waiting for staff, with what to compare it against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckToReview {
    pub check: IdentityCheck,
    pub person: Person,
    /// The date of birth the person signed up with.
    pub registered_birth_date: String,
    pub document: Option<DocumentId>,
}

/// A relationship the ward accepted, waiting for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkToReview {
    pub link: Link,
    pub document: Option<DocumentId>,
    /// Where each side's newest identity check stands (none yet: `None`).
    pub guardian_check: Option<CheckState>,
    pub ward_check: Option<CheckState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQueue {
    /// Oldest first.
    pub checks: Vec<CheckToReview>,
    pub links: Vec<LinkToReview>,
}

/// Staff's answer to a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Reject,
    /// Ask the person for a new document.
    AskAgain,
}

#[async_trait]
pub trait KycPort: Send + Sync {
    async fn my_identity(&self, caller: &Caller) -> Result<MyIdentity, AppError>;
    /// A new check while none is waiting or approved.
    async fn submit_check(
        &self,
        caller: &Caller,
        details: IdentityDetails,
        document: String,
    ) -> Result<IdentityCheck, AppError>;
    /// The caller asks to become the guardian of the person with `nickname`.
    async fn invite_ward(
        &self,
        caller: &Caller,
        nickname: String,
        relation: Relation,
        document: String,
    ) -> Result<Link, AppError>;
    /// The ward's answer to `guardian`'s invitation.
    async fn answer_invitation(
        &self,
        caller: &Caller,
        guardian: UserId,
        accept: bool,
    ) -> Result<Link, AppError>;
    async fn review_queue(&self, caller: &Caller) -> Result<ReviewQueue, AppError>;
    /// A reason is needed for anything but an approval.
    async fn review_check(
        &self,
        caller: &Caller,
        id: IdentityCheckId,
        verdict: Verdict,
        reason: Option<ReviewReason>,
    ) -> Result<IdentityCheck, AppError>;
    /// Verifies a relationship (both sides' checks approved) or rejects it with a reason.
    async fn review_link(
        &self,
        caller: &Caller,
        guardian: UserId,
        ward: UserId,
        verify: bool,
        reason: Option<ReviewReason>,
    ) -> Result<Link, AppError>;
}

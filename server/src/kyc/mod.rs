//! Identity checks (KYC) and guardian–ward relationships (flow F4). A person
//! submits their details with an image of their identity document; staff
//! approve, reject with a reason, or ask for a new document. A guardian
//! invites a minor by nickname with the document that proves the
//! relationship (a family register extract, a court's order); the minor
//! accepts or declines; staff verify it against the document, and only
//! once both people's checks are approved. From then on the link is what
//! purchases, the relationship endpoint and allowances rely on.
//!
//! Each decision is one transaction: the row's state moves on only from
//! the state it was read in, with its audit entry and the notices to the
//! people concerned.

pub mod document;
pub mod doors;
pub mod store;

use async_trait::async_trait;
use shared::{
    events::{Event, Notice},
    identity::Role,
    ids::{DocumentId, IdentityCheckId, UserId},
    kyc::{
        port::{IdentityCheck, KycPort, Link, MyIdentity, ReviewQueue, Verdict},
        CheckState, IdentityDetails, IdentityEvent, LinkState, Relation, ReviewReason,
    },
    nickname::Nickname,
    ports::Caller,
    AppError, Reason,
};

use document::Image;
use store::Side;

use crate::{
    db::{Db, Unit},
    identity::{clock::today_in_japan, holder, store as people},
    notify::Notifier,
    system::now_ms,
};

/// Checks and links listed in staff's queue at once.
const QUEUE: i64 = 100;

#[derive(Debug, Clone)]
pub struct Kyc {
    db: Db,
    notifier: Notifier,
}

fn told(event: IdentityEvent, name: &str) -> Event {
    Event::Notice {
        notice: Notice::Identity {
            event,
            name: name.to_string(),
        },
    }
}

/// Tells every member of staff, in `unit`'s transaction, that something of
/// `name`'s waits for their review.
async fn tell_staff(unit: &mut Unit<'_>, name: &str) -> crate::error::Result<()> {
    let waiting = told(IdentityEvent::ReviewWaiting, name);
    for clerk in people::staff_ids(&mut *unit.conn()).await? {
        unit.notify(clerk, &waiting).await?;
    }
    Ok(())
}

impl Kyc {
    pub fn new(db: Db, notifier: Notifier) -> Self {
        Kyc { db, notifier }
    }

    /// A document's media type and bytes, for staff or the person who uploaded it.
    pub async fn document(
        &self,
        caller: &Caller,
        id: DocumentId,
    ) -> Result<(String, Vec<u8>), AppError> {
        let user = caller.require_user()?;
        let found = store::document(self.db.pool(), id).await?;
        match found {
            Some((owner, media_type, bytes)) if owner == user || caller.require_staff().is_ok() => {
                Ok((media_type, bytes))
            }
            _ => Err(AppError::NotFound),
        }
    }

    async fn link(&self, guardian: UserId, ward: UserId) -> Result<Link, AppError> {
        Ok(store::link(self.db.pool(), guardian, ward)
            .await?
            .ok_or(AppError::NotFound)?
            .link)
    }
}

/// Marks `user`'s identity as checked in person at a branch (the demo's
/// people): approved, with no document kept.
pub async fn approve_at_branch(
    db: &Db,
    user: UserId,
    details: &IdentityDetails,
) -> crate::error::Result<()> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id = store::insert_check(&mut tx, user, details, None, CheckState::Approved, now).await?;
    let mut unit = Unit::new(&mut tx, db.engine(), now);
    unit.audit(
        "system",
        "kyc.check.approved_at_branch",
        format!("identity_check:{id}"),
        serde_json::json!({ "user": user.0 }),
    );
    unit.finish().await?;
    Db::commit(tx).await
}

#[async_trait]
impl KycPort for Kyc {
    async fn my_identity(&self, caller: &Caller) -> Result<MyIdentity, AppError> {
        let user = caller.require_user()?;
        let pool = self.db.pool();
        Ok(MyIdentity {
            check: store::newest_check(pool, user).await?,
            wards: store::links_where(pool, Side::Guardian, user).await?,
            guardians: store::links_where(pool, Side::Ward, user).await?,
        })
    }

    async fn submit_check(
        &self,
        caller: &Caller,
        details: IdentityDetails,
        document: String,
    ) -> Result<IdentityCheck, AppError> {
        let user = caller.require_user()?;
        let details = details
            .parse(today_in_japan())
            .map_err(|(field, reason)| AppError::invalid(field, reason))?;
        let image = Image::from_data_url("document", &document)?;
        let pending = store::newest_check(self.db.pool(), user)
            .await?
            .is_some_and(|c| matches!(c.state, CheckState::Submitted | CheckState::Approved));
        if pending {
            return Err(AppError::Conflict {
                reason: Reason::CheckPending,
            });
        }
        let name = people::user(&self.db, user).await?.map(|u| u.display_name);
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let doc = store::insert_document(&mut tx, user, "identity", &image, now).await?;
        let id = match store::insert_check(
            &mut tx,
            user,
            &details,
            Some(doc),
            CheckState::Submitted,
            now,
        )
        .await
        {
            Ok(id) => id,
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(AppError::Conflict {
                    reason: Reason::CheckPending,
                })
            }
            Err(e) => return Err(crate::error::Error::from(e).into()),
        };
        let mut unit = Unit::new(&mut tx, self.db.engine(), now);
        tell_staff(&mut unit, name.as_deref().unwrap_or_default()).await?;
        unit.audit(
            holder(user),
            "kyc.check.submitted",
            format!("identity_check:{id}"),
            serde_json::json!({ "document": doc.0, "media_type": image.media_type,
                "width": image.width, "height": image.height }),
        );
        let deliveries = unit.finish().await?;
        self.notifier.commit(tx, deliveries).await?;
        Ok(store::newest_check(self.db.pool(), user)
            .await?
            .ok_or(AppError::NotFound)?)
    }

    async fn invite_ward(
        &self,
        caller: &Caller,
        nickname: String,
        relation: Relation,
        document: String,
    ) -> Result<Link, AppError> {
        let guardian = caller.require_user()?;
        let canonical =
            Nickname::parse(&nickname).map_err(|e| AppError::invalid("nickname", e.reason()))?;
        let image = Image::from_data_url("document", &document)?;
        let (Some(me), Some(ward)) = (
            people::user(&self.db, guardian).await?,
            people::user_by_nickname(&self.db, canonical.canonical()).await?,
        ) else {
            return Err(AppError::invalid("nickname", Reason::Unknown));
        };
        if ward.id == guardian {
            return Err(AppError::invalid("nickname", Reason::OwnAccount));
        }
        if me.is_minor() || me.role == Role::Staff {
            return Err(AppError::Conflict {
                reason: Reason::NotAnAdult,
            });
        }
        if !ward.is_minor() || ward.role == Role::Staff {
            return Err(AppError::invalid("nickname", Reason::NotAMinor));
        }
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let doc = store::insert_document(&mut tx, guardian, "relationship", &image, now).await?;
        if !store::invite(&mut tx, guardian, ward.id, relation, doc, now).await? {
            return Err(AppError::Conflict {
                reason: Reason::Duplicate,
            });
        }
        let mut unit = Unit::new(&mut tx, self.db.engine(), now);
        unit.notify(ward.id, &told(IdentityEvent::Invited, &me.display_name))
            .await?;
        unit.audit(
            holder(guardian),
            "kyc.link.invited",
            format!("guardianship:{guardian}:{}", ward.id),
            serde_json::json!({ "relation": relation.as_str(), "document": doc.0 }),
        );
        let deliveries = unit.finish().await?;
        self.notifier.commit(tx, deliveries).await?;
        self.link(guardian, ward.id).await
    }

    async fn answer_invitation(
        &self,
        caller: &Caller,
        guardian: UserId,
        accept: bool,
    ) -> Result<Link, AppError> {
        let ward = caller.require_user()?;
        let found = store::link(self.db.pool(), guardian, ward)
            .await?
            .ok_or(AppError::NotFound)?;
        let to = if accept {
            LinkState::Accepted
        } else {
            LinkState::Declined
        };
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        if !store::move_link(&mut tx, (guardian, ward), LinkState::Invited, to, None, now).await? {
            return Err(AppError::Conflict {
                reason: Reason::LinkNotOpen,
            });
        }
        let mut unit = Unit::new(&mut tx, self.db.engine(), now);
        if accept {
            tell_staff(&mut unit, &found.link.guardian.name).await?;
        }
        let event = if accept {
            IdentityEvent::InvitationAccepted
        } else {
            IdentityEvent::InvitationDeclined
        };
        unit.notify(guardian, &told(event, &found.link.ward.name))
            .await?;
        unit.audit(
            holder(ward),
            format!("kyc.link.{}", to.as_str()),
            format!("guardianship:{guardian}:{ward}"),
            serde_json::json!({}),
        );
        let deliveries = unit.finish().await?;
        self.notifier.commit(tx, deliveries).await?;
        self.link(guardian, ward).await
    }

    async fn review_queue(&self, caller: &Caller) -> Result<ReviewQueue, AppError> {
        caller.require_staff()?;
        Ok(ReviewQueue {
            checks: store::waiting_checks(self.db.pool(), QUEUE).await?,
            links: store::accepted_links(self.db.pool(), QUEUE).await?,
        })
    }

    async fn review_check(
        &self,
        caller: &Caller,
        id: IdentityCheckId,
        verdict: Verdict,
        reason: Option<ReviewReason>,
    ) -> Result<IdentityCheck, AppError> {
        let staff = caller.require_staff()?;
        let (state, event) = match verdict {
            Verdict::Approve => (CheckState::Approved, IdentityEvent::CheckApproved),
            Verdict::Reject => (CheckState::Rejected, IdentityEvent::CheckRejected),
            Verdict::AskAgain => (CheckState::Resubmit, IdentityEvent::CheckResubmit),
        };
        let reason = match (verdict, reason) {
            (Verdict::Approve, _) => None,
            (_, Some(r)) => Some(r),
            (_, None) => return Err(AppError::invalid("reason", Reason::ReasonRequired)),
        };
        let (user, _) = store::check(self.db.pool(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        if user == staff {
            return Err(AppError::Forbidden);
        }
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        if !store::decide_check(&mut tx, id, state, reason, staff, now).await? {
            return Err(AppError::Conflict {
                reason: Reason::AlreadyReviewed,
            });
        }
        let mut unit = Unit::new(&mut tx, self.db.engine(), now);
        unit.notify(user, &told(event, "")).await?;
        unit.audit(
            holder(staff),
            format!("kyc.check.{}", state.as_str()),
            format!("identity_check:{id}"),
            serde_json::json!({ "user": user.0, "reason": reason.map(|r| r.as_str()) }),
        );
        let deliveries = unit.finish().await?;
        self.notifier.commit(tx, deliveries).await?;
        Ok(store::check(self.db.pool(), id)
            .await?
            .ok_or(AppError::NotFound)?
            .1)
    }

    async fn review_link(
        &self,
        caller: &Caller,
        guardian: UserId,
        ward: UserId,
        verify: bool,
        reason: Option<ReviewReason>,
    ) -> Result<Link, AppError> {
        let staff = caller.require_staff()?;
        if !verify && reason.is_none() {
            return Err(AppError::invalid("reason", Reason::ReasonRequired));
        }
        let found = store::link(self.db.pool(), guardian, ward)
            .await?
            .ok_or(AppError::NotFound)?;
        let approved = |c: Option<CheckState>| c == Some(CheckState::Approved);
        if verify && !(approved(found.guardian_check) && approved(found.ward_check)) {
            return Err(AppError::Conflict {
                reason: Reason::IdentityNotChecked,
            });
        }
        let (to, event, reason) = if verify {
            (LinkState::Verified, IdentityEvent::LinkVerified, None)
        } else {
            (LinkState::Rejected, IdentityEvent::LinkRejected, reason)
        };
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let moved = store::move_link(
            &mut tx,
            (guardian, ward),
            LinkState::Accepted,
            to,
            Some((staff, reason)),
            now,
        )
        .await?;
        if !moved {
            return Err(AppError::Conflict {
                reason: Reason::LinkNotOpen,
            });
        }
        let mut unit = Unit::new(&mut tx, self.db.engine(), now);
        unit.notify(guardian, &told(event, &found.link.ward.name))
            .await?;
        unit.notify(ward, &told(event, &found.link.guardian.name))
            .await?;
        unit.audit(
            holder(staff),
            format!("kyc.link.{}", to.as_str()),
            format!("guardianship:{guardian}:{ward}"),
            serde_json::json!({ "reason": reason.map(|r| r.as_str()) }),
        );
        let deliveries = unit.finish().await?;
        self.notifier.commit(tx, deliveries).await?;
        self.link(guardian, ward).await
    }
}

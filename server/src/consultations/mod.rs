//! Remote consultations (flow F1), the meeting itself: a customer asks, the
//! request waits in the staff queue (every clerk's open page hears of it),
//! one clerk takes it, the two chat, and either ends it. Each change, its
//! events and its audit entry commit together; chat lines are kept with the
//! consultation and reach both sides live.

mod room;
pub mod store;

pub use room::{Room, Rooms};

use async_trait::async_trait;
use shared::{
    consultation::{
        check_text, ChatMessage, Consultation, ConsultationState, IceServer, Side,
        MAX_MESSAGE_CHARS, MAX_TOPIC_CHARS,
    },
    events::{CallSignal, Event, Transient},
    identity::Role,
    ids::{ConsultationId, MessageId, UserId},
    ports::{Caller, ConsultationPort},
    AppError, Reason,
};
use sqlx::AnyConnection;

use crate::{
    audit,
    db::Db,
    error::internal,
    identity::holder,
    notify::{Delivery, Notifier},
    system::now_ms,
};

/// Consultations listed in a clerk's queue.
const QUEUE_LIMIT: i64 = 100;
/// Chat lines returned at once.
const MESSAGES_LIMIT: i64 = 500;

#[derive(Debug, Clone)]
pub struct Consultations {
    db: Db,
    notifier: Notifier,
    ice_servers: std::sync::Arc<Vec<IceServer>>,
}

fn conflict(reason: Reason) -> AppError {
    AppError::Conflict { reason }
}

/// A signed-in person who is not staff: the ones who ask for consultations.
fn customer(caller: &Caller) -> Result<UserId, AppError> {
    match caller {
        Caller::User {
            role: Role::Staff, ..
        } => Err(AppError::Forbidden),
        Caller::User { id, .. } => Ok(*id),
        Caller::Client { .. } => Err(AppError::Forbidden),
        Caller::Anonymous => Err(AppError::Unauthenticated),
    }
}

impl Consultations {
    pub fn new(db: Db, notifier: Notifier, ice_servers: Vec<IceServer>) -> Self {
        Consultations {
            db,
            notifier,
            ice_servers: std::sync::Arc::new(ice_servers),
        }
    }

    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, AppError> {
        Ok(self.db.begin().await?)
    }

    /// The consultation, if `user` is on one of its sides (someone else's does not exist).
    async fn as_party(
        &self,
        conn: &mut AnyConnection,
        user: UserId,
        id: ConsultationId,
    ) -> Result<(store::Stored, Side), AppError> {
        let found = store::get(conn, id).await?.ok_or(AppError::NotFound)?;
        let side = found.side_of(user).ok_or(AppError::NotFound)?;
        Ok((found, side))
    }

    /// Records that `found` changed for its customer, its clerk and, while it
    /// concerns the queue, every member of staff; and audits it.
    async fn changed(
        &self,
        conn: &mut AnyConnection,
        id: ConsultationId,
        action: &str,
        actor: UserId,
        whole_staff: bool,
    ) -> Result<(Consultation, Vec<Delivery>), AppError> {
        let found = store::get(conn, id).await?.ok_or(AppError::NotFound)?;
        let mut to = vec![found.customer];
        if whole_staff {
            to.extend(crate::identity::store::staff_ids(&mut *conn).await?);
        } else if let Some(clerk) = found.clerk {
            to.push(clerk);
        }
        to.dedup();
        let event = Event::ConsultationChanged {
            consultation: found.consultation.clone(),
        };
        let mut deliveries = Vec::with_capacity(to.len());
        for user in to {
            deliveries.push(self.notifier.record(conn, user, &event).await?);
        }
        let now = now_ms();
        let entry = audit::Event {
            actor: holder(actor),
            action: format!("consultation.{action}"),
            subject: format!("consultation:{id}"),
            detail: "{}".into(),
        };
        audit::append(conn, &[entry], now).await?;
        Ok((found.consultation, deliveries))
    }
}

#[async_trait]
impl ConsultationPort for Consultations {
    async fn ask(&self, caller: &Caller, topic: &str) -> Result<Consultation, AppError> {
        let user = customer(caller)?;
        let topic =
            check_text(topic, MAX_TOPIC_CHARS).map_err(|r| AppError::invalid("topic", r))?;
        let mut tx = self.begin().await?;
        let id = store::insert(&mut tx, user, topic, now_ms())
            .await?
            .ok_or_else(|| conflict(Reason::ConsultationOpen))?;
        let (consultation, deliveries) = self.changed(&mut tx, id, "asked", user, true).await?;
        self.notifier.commit(tx, deliveries).await?;
        Ok(consultation)
    }

    async fn mine(&self, caller: &Caller) -> Result<Option<Consultation>, AppError> {
        let user = customer(caller)?;
        Ok(store::open_of(&self.db, user)
            .await?
            .map(|s| s.consultation))
    }

    async fn queue(&self, caller: &Caller) -> Result<Vec<Consultation>, AppError> {
        let clerk = caller.require_staff()?;
        Ok(store::queue(&self.db, clerk, QUEUE_LIMIT).await?)
    }

    async fn take(&self, caller: &Caller, id: ConsultationId) -> Result<Consultation, AppError> {
        let clerk = caller.require_staff()?;
        let mut tx = self.begin().await?;
        if !store::take(&mut tx, id, clerk, now_ms()).await? {
            return match store::get(&mut tx, id).await? {
                None => Err(AppError::NotFound),
                Some(_) => Err(conflict(Reason::ConsultationTaken)),
            };
        }
        let (consultation, deliveries) = self.changed(&mut tx, id, "taken", clerk, true).await?;
        self.notifier.commit(tx, deliveries).await?;
        Ok(consultation)
    }

    async fn say(
        &self,
        caller: &Caller,
        id: ConsultationId,
        text: &str,
    ) -> Result<ChatMessage, AppError> {
        let user = caller.require_user()?;
        let text = check_text(text, MAX_MESSAGE_CHARS).map_err(|r| AppError::invalid("text", r))?;
        let mut tx = self.begin().await?;
        let (found, side) = self.as_party(&mut tx, user, id).await?;
        if found.consultation.state != ConsultationState::Active {
            return Err(conflict(Reason::ConsultationNotActive));
        }
        let now = now_ms();
        let message_id = store::add_message(&mut tx, id, side, user, text, now).await?;
        let author = match side {
            Side::Customer => found.consultation.customer_name.clone(),
            Side::Clerk => found.consultation.clerk_name.clone().unwrap_or_default(),
        };
        let message = ChatMessage {
            id: message_id,
            consultation: id,
            from: side,
            author,
            text: text.to_string(),
            at_ms: now,
        };
        let event = Event::ConsultationMessage {
            message: message.clone(),
        };
        let mut deliveries = Vec::new();
        for to in [Some(found.customer), found.clerk].into_iter().flatten() {
            deliveries.push(self.notifier.record(&mut tx, to, &event).await?);
        }
        self.notifier.commit(tx, deliveries).await?;
        Ok(message)
    }

    async fn messages(
        &self,
        caller: &Caller,
        id: ConsultationId,
        after: Option<MessageId>,
    ) -> Result<Vec<ChatMessage>, AppError> {
        let user = caller.require_user()?;
        let mut conn = self.db.conn().await?;
        self.as_party(&mut conn, user, id).await?;
        Ok(store::messages(&self.db, id, after.unwrap_or(MessageId(0)), MESSAGES_LIMIT).await?)
    }

    async fn end(&self, caller: &Caller, id: ConsultationId) -> Result<Consultation, AppError> {
        let user = caller.require_user()?;
        let mut tx = self.begin().await?;
        let (found, side) = self.as_party(&mut tx, user, id).await?;
        let was_waiting = found.consultation.state == ConsultationState::Waiting;
        if !store::end(&mut tx, id, side, now_ms()).await? {
            return Err(conflict(Reason::ConsultationEnded));
        }
        // A request still in the queue leaves every clerk's queue.
        let (consultation, deliveries) = self
            .changed(&mut tx, id, "ended", user, was_waiting)
            .await?;
        self.notifier.commit(tx, deliveries).await?;
        Ok(consultation)
    }

    async fn ice_servers(&self, caller: &Caller) -> Result<Vec<IceServer>, AppError> {
        caller.require_user()?;
        Ok(self.ice_servers.as_ref().clone())
    }

    async fn signal(
        &self,
        caller: &Caller,
        id: ConsultationId,
        signal: CallSignal,
    ) -> Result<(), AppError> {
        let user = caller.require_user()?;
        let size = serde_json::to_string(&signal)
            .map_err(|e| internal("consultation", e))?
            .len();
        if size > CallSignal::MAX_BYTES {
            return Err(AppError::invalid("signal", Reason::TooBig));
        }
        let mut conn = self.db.conn().await?;
        let (found, side) = self.as_party(&mut conn, user, id).await?;
        drop(conn);
        let other = match side {
            Side::Customer => found.clerk,
            Side::Clerk => Some(found.customer),
        };
        // Hanging up is the one signal that still makes sense once it has ended.
        let open = found.consultation.state == ConsultationState::Active
            || (found.consultation.state == ConsultationState::Ended
                && signal == CallSignal::Hangup);
        let (true, Some(other)) = (open, other) else {
            return Err(conflict(Reason::ConsultationNotActive));
        };
        let message = Transient::CallSignal {
            consultation: id,
            from: side,
            signal,
        };
        self.notifier
            .pass(other, &message)
            .await
            .map_err(|e| internal("signal", e))
    }
}

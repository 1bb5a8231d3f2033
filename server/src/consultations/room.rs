//! What a flow that runs inside a consultation (withdrawals arranged with a
//! clerk) may ask of it, and nothing more: who its sides are, whether it is
//! still active (held until the flow's own change commits), and which ended.

use async_trait::async_trait;
use shared::{
    consultation::{Consultation, ConsultationState},
    ids::{ConsultationId, UserId},
};

use super::{store, Consultations};
use crate::{db::Unit, error::Error};

/// A consultation as a flow inside it sees it.
#[derive(Debug, Clone)]
pub struct Room {
    pub consultation: Consultation,
    pub customer: UserId,
    pub clerk: Option<UserId>,
}

impl Room {
    pub fn has_side(&self, user: UserId) -> bool {
        user == self.customer || Some(user) == self.clerk
    }
}

impl From<store::Stored> for Room {
    fn from(s: store::Stored) -> Self {
        Room {
            consultation: s.consultation,
            customer: s.customer,
            clerk: s.clerk,
        }
    }
}

#[async_trait]
pub trait Rooms: std::fmt::Debug + Send + Sync + 'static {
    async fn room(&self, id: ConsultationId) -> Result<Option<Room>, Error>;
    /// The customer's active consultation with `clerk`, if they are talking now.
    async fn talking(&self, customer: UserId, clerk: UserId) -> Result<Option<Room>, Error>;
    /// Holds the consultation in `unit` until it commits, so it cannot end
    /// meanwhile; `false` when it is not active.
    async fn hold_active(&self, unit: &mut Unit<'_>, id: ConsultationId) -> Result<bool, Error>;
    /// Consultations that ended, newest first, with how many chat lines each had.
    async fn ended(&self, limit: i64) -> Result<Vec<(Room, i64)>, Error>;
}

#[async_trait]
impl Rooms for Consultations {
    async fn room(&self, id: ConsultationId) -> Result<Option<Room>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::get(&mut conn, id).await?.map(Room::from))
    }

    async fn talking(&self, customer: UserId, clerk: UserId) -> Result<Option<Room>, Error> {
        Ok(store::open_of(&self.db, customer)
            .await?
            .filter(|c| c.clerk == Some(clerk) && c.consultation.state == ConsultationState::Active)
            .map(Room::from))
    }

    async fn hold_active(&self, unit: &mut Unit<'_>, id: ConsultationId) -> Result<bool, Error> {
        Ok(store::hold_active(unit.conn(), id).await?)
    }

    async fn ended(&self, limit: i64) -> Result<Vec<(Room, i64)>, Error> {
        let mut conn = self.db.pool().acquire().await?;
        let mut rooms = Vec::new();
        for (id, messages) in store::ended(&mut conn, limit).await? {
            if let Some(found) = store::get(&mut conn, id).await? {
                rooms.push((Room::from(found), messages));
            }
        }
        Ok(rooms)
    }
}

//! Live notifications: each person's events, kept as their inbox and pushed
//! to every page they have open.
//!
//! An event is recorded inside the transaction of the change it reports,
//! numbered from the person's own counter (`users.event_seq`, taken under
//! that row's lock, so numbers commit in order with no gaps). After commit
//! it reaches this process's hub, which every open live channel listens to:
//! on SQLite directly; on PostgreSQL through `NOTIFY`, which the database
//! delivers on commit to every server instance's `LISTEN`, this one too.
//! A channel that may have missed something (a lagging reader, a dropped
//! LISTEN connection) re-reads the inbox from its last number.

mod listener;
pub mod store;

use shared::{
    events::{Event, Inbox, Notification, Transient},
    ids::UserId,
    ports::{Caller, InboxPort},
    system::DbEngine,
    AppError,
};
use sqlx::AnyConnection;
use std::sync::Arc;
use tokio::{sync::broadcast, task::JoinHandle};

use crate::db::Db;

/// The PostgreSQL channel events travel on between instances.
pub const CHANNEL: &str = "anshin_events";
/// How many signals a slow reader may fall behind before it re-reads the inbox.
const HUB_CAPACITY: usize = 4096;
/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
const MAX_NOTIFY_PAYLOAD: usize = 7900;
/// The payload that tells every instance to re-read inboxes.
pub const RESYNC: &str = "resync";

/// One recorded event for one person.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Delivery {
    pub user: UserId,
    pub notification: Notification,
}

/// A transient message on its way to one person's open pages.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Passing {
    pub user: UserId,
    pub message: Transient,
}

/// NOTIFY payloads that carry a transient message start with this.
pub const TRANSIENT_PREFIX: &str = "t:";

/// What the hub carries.
#[derive(Debug, Clone)]
pub enum Signal {
    Event(Arc<Delivery>),
    /// Not kept, not numbered: for open pages only.
    Transient(Arc<Passing>),
    /// Something may have been missed: every reader re-reads its inbox.
    Resync,
}

#[derive(Debug, Clone)]
pub struct Notifier {
    db: Db,
    hub: broadcast::Sender<Signal>,
}

impl Notifier {
    /// Starts the notifier; on PostgreSQL it is listening before this returns,
    /// so no event committed afterwards can slip past it.
    pub async fn start(db: Db, database_url: &str) -> Result<(Notifier, JoinHandle<()>), String> {
        let (hub, _) = broadcast::channel(HUB_CAPACITY);
        let task = match db.engine() {
            DbEngine::Postgres => listener::start(database_url, hub.clone()).await?,
            DbEngine::Sqlite => tokio::spawn(async {}),
        };
        Ok((Notifier { db, hub }, task))
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.hub.subscribe()
    }

    /// Records `event` for `user` inside the caller's transaction. Commit that
    /// transaction with [`Notifier::commit`], which then hands the event on.
    pub async fn record(
        &self,
        conn: &mut AnyConnection,
        user: UserId,
        event: &Event,
    ) -> crate::error::Result<Delivery> {
        record(conn, self.db.engine(), user, event).await
    }

    /// What hands committed events to this process's open pages, for the
    /// ledger's writers, which commit flows' events themselves.
    pub fn publisher(&self) -> Publisher {
        Publisher {
            engine: self.db.engine(),
            hub: self.hub.clone(),
        }
    }

    /// Commits `tx` and then hands its events to open pages. Runs as a task
    /// of its own, so a caller that goes away (a browser closing the request)
    /// cannot stop it between the commit and the hand-over.
    pub async fn commit(
        &self,
        tx: sqlx::Transaction<'static, sqlx::Any>,
        deliveries: Vec<Delivery>,
    ) -> crate::error::Result<()> {
        let me = self.clone();
        tokio::spawn(async move {
            tx.commit().await?;
            me.published(deliveries);
            Ok(())
        })
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("commit task: {e}")))?
    }

    /// Hands a transient message to `user`'s open pages on every instance.
    /// Nothing is kept: a page that is not open at that moment never gets it.
    pub async fn pass(&self, user: UserId, message: &Transient) -> Result<(), sqlx::Error> {
        let passing = Passing {
            user,
            message: message.clone(),
        };
        if self.db.engine() == DbEngine::Postgres {
            let json =
                serde_json::to_string(&passing).map_err(|e| sqlx::Error::Encode(e.into()))?;
            let payload = format!("{TRANSIENT_PREFIX}{json}");
            if payload.len() > MAX_NOTIFY_PAYLOAD {
                return Err(sqlx::Error::Encode(
                    "transient message too big for NOTIFY".into(),
                ));
            }
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(self.db.pool())
                .await?;
        } else {
            // No receiver means no page is open: a transient message is then simply gone.
            let _ = self.hub.send(Signal::Transient(Arc::new(passing)));
        }
        Ok(())
    }

    fn published(&self, deliveries: Vec<Delivery>) {
        self.publisher().published(deliveries);
    }

    /// Records and publishes one event in a transaction of its own.
    pub async fn notify(&self, user: UserId, event: &Event) -> Result<Delivery, AppError> {
        let mut tx = self.db.begin().await?;
        let delivery = self.record(&mut tx, user, event).await?;
        self.commit(tx, vec![delivery.clone()]).await?;
        Ok(delivery)
    }

    /// The person's events after `seq`, oldest first, at most `limit`.
    pub async fn after(
        &self,
        user: UserId,
        seq: i64,
        limit: i64,
    ) -> crate::error::Result<Vec<Notification>> {
        store::after(&self.db, user, seq, limit).await
    }

    /// The person's newest event number (0 before their first).
    pub async fn last_seq(&self, user: UserId) -> crate::error::Result<i64> {
        store::last_seq(&self.db, user).await
    }
}

/// Records `event` for `user` in the transaction `conn` belongs to; on
/// PostgreSQL its NOTIFY goes out with that transaction's commit.
pub async fn record(
    conn: &mut AnyConnection,
    engine: DbEngine,
    user: UserId,
    event: &Event,
) -> crate::error::Result<Delivery> {
    let notification = store::insert(conn, user, event, now_us()).await?;
    let delivery = Delivery { user, notification };
    if engine == DbEngine::Postgres {
        let mut payload = serde_json::to_string(&delivery)?;
        if payload.len() > MAX_NOTIFY_PAYLOAD {
            // Too big for NOTIFY: every reader re-reads its inbox instead.
            payload = RESYNC.to_string();
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&mut *conn)
            .await?;
    }
    Ok(delivery)
}

/// Hands committed events to this process's open channels (PostgreSQL's
/// NOTIFY has already done so for every instance).
#[derive(Debug, Clone)]
pub struct Publisher {
    engine: DbEngine,
    hub: broadcast::Sender<Signal>,
}

impl Publisher {
    pub fn published(&self, deliveries: Vec<Delivery>) {
        if self.engine == DbEngine::Sqlite {
            for d in deliveries {
                // No receiver means no page is open: the inbox still has it.
                let _ = self.hub.send(Signal::Event(Arc::new(d)));
            }
        }
    }
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Newest first, this many per page.
const INBOX_PAGE: i64 = 30;

#[async_trait::async_trait]
impl InboxPort for Notifier {
    async fn inbox(&self, caller: &Caller, before: Option<i64>) -> Result<Inbox, AppError> {
        let user = caller.require_user()?;
        Ok(store::inbox(&self.db, user, before, INBOX_PAGE).await?)
    }

    async fn mark_read(&self, caller: &Caller, up_to: i64) -> Result<i64, AppError> {
        let user = caller.require_user()?;
        Ok(store::mark_read(&self.db, user, up_to, crate::system::now_ms()).await?)
    }
}

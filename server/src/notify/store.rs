//! Inbox rows: each person's numbered events and whether they were read.

use shared::{
    events::{Event, Inbox, Notification},
    ids::UserId,
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::db::Db;
use crate::error::Result;

const COLUMNS: &str = "seq, at_us, event_json, read_at_ms";

fn notification(row: &AnyRow) -> Result<Notification> {
    let json: String = row.try_get("event_json")?;
    Ok(Notification {
        seq: row.try_get("seq")?,
        at_us: row.try_get("at_us")?,
        event: serde_json::from_str(&json)?,
        read: row.try_get::<Option<i64>, _>(3)?.is_some(),
    })
}

/// Takes the person's next number (locking their row until commit) and stores the event.
pub async fn insert(
    conn: &mut AnyConnection,
    user: UserId,
    event: &Event,
    at_us: i64,
) -> Result<Notification> {
    let seq: i64 =
        sqlx::query("UPDATE users SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq")
            .bind(user.0)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
    let json = serde_json::to_string(event)?;
    // An event that needs no attention is kept (for replay) already read.
    let read = !event.needs_attention();
    sqlx::query(
        "INSERT INTO notifications (user_id, seq, at_us, event_json, read_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user.0)
    .bind(seq)
    .bind(at_us)
    .bind(json)
    .bind(read.then_some(at_us / 1_000))
    .execute(&mut *conn)
    .await?;
    Ok(Notification {
        seq,
        at_us,
        read,
        event: event.clone(),
    })
}

pub async fn after(db: &Db, user: UserId, seq: i64, limit: i64) -> Result<Vec<Notification>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    ))
    .bind(user.0)
    .bind(seq)
    .bind(limit)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(notification)
    .collect()
}

pub async fn last_seq(db: &Db, user: UserId) -> Result<i64> {
    Ok(sqlx::query("SELECT event_seq FROM users WHERE id = $1")
        .bind(user.0)
        .fetch_optional(db.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0))
}

pub async fn inbox(db: &Db, user: UserId, before: Option<i64>, limit: i64) -> Result<Inbox> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE user_id = $1 AND seq < $2 \
         ORDER BY seq DESC LIMIT $3"
    ))
    .bind(user.0)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?;
    let mut items = rows
        .iter()
        .map(notification)
        .collect::<Result<Vec<_>, _>>()?;
    let next_before = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|n| n.seq)
    } else {
        None
    };
    // The number first, then the count up to it: an event committed in
    // between is counted by the live channel (it resumes after this number).
    let last_seq = last_seq(db, user).await?;
    Ok(Inbox {
        items,
        unread: unread(db, user, last_seq).await?,
        last_seq,
        next_before,
    })
}

async fn unread(db: &Db, user: UserId, up_to: i64) -> Result<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND seq <= $2 AND read_at_ms IS NULL",
    )
    .bind(user.0)
    .bind(up_to)
    .fetch_one(db.pool())
    .await?
    .try_get(0)?)
}

/// Marks everything up to `up_to` read; returns what is still unread.
pub async fn mark_read(db: &Db, user: UserId, up_to: i64, now_ms: i64) -> Result<i64> {
    sqlx::query(
        "UPDATE notifications SET read_at_ms = $3 \
         WHERE user_id = $1 AND seq <= $2 AND read_at_ms IS NULL",
    )
    .bind(user.0)
    .bind(up_to)
    .bind(now_ms)
    .execute(db.pool())
    .await?;
    unread(db, user, i64::MAX).await
}

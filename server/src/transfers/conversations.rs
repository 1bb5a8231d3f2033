//! The conversation between two customers (the patent's "conversation
//! record"): one per pair, started by whoever wrote first, kept; each new
//! message reaches the other person's open pages as a notice.

use shared::{
    events::{Event, Notice},
    ids::{DirectMessageId, UserId},
    transfer::send::{Conversation, DirectMessage},
};

use crate::{
    db::{Db, Unit},
    error::Result,
    identity::store as people,
    notify::Notifier,
    system::now_ms,
};

/// Messages shown, the latest.
const SHOWN: i64 = 200;

fn pair(a: UserId, b: UserId) -> (i64, i64) {
    (a.0.min(b.0), a.0.max(b.0))
}

pub async fn read(db: &Db, me: UserId, other: UserId) -> Result<Conversation> {
    let (lo, hi) = pair(me, other);
    let started: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, started_at_ms FROM conversations WHERE user_lo = $1 AND user_hi = $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_optional(db.pool())
    .await?;
    let with_nickname = people::user(db, other)
        .await?
        .map(|u| u.nickname)
        .unwrap_or_default();
    let Some((id, started_at_ms)) = started else {
        return Ok(Conversation {
            with_nickname,
            started_at_ms: None,
            messages: Vec::new(),
        });
    };
    let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
        "SELECT id, author_id, body, at_ms FROM (SELECT id, author_id, body, at_ms FROM direct_messages \
         WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2) m ORDER BY id",
    )
    .bind(id)
    .bind(SHOWN)
    .fetch_all(db.pool())
    .await?;
    Ok(Conversation {
        with_nickname,
        started_at_ms: Some(started_at_ms),
        messages: rows
            .into_iter()
            .map(|(id, author, body, at_ms)| DirectMessage {
                id: DirectMessageId(id),
                mine: author == me.0,
                body,
                at_ms,
            })
            .collect(),
    })
}

pub async fn write(
    db: &Db,
    notifier: &Notifier,
    me: UserId,
    other: UserId,
    body: &str,
) -> Result<DirectMessage> {
    let (lo, hi) = pair(me, other);
    let from = people::user(db, me)
        .await?
        .map(|u| u.nickname)
        .unwrap_or_default();
    let now = now_ms();
    let mut tx = db.begin().await?;
    // The first message starts the conversation; a racing first message of the other's finds it.
    sqlx::query(
        "INSERT INTO conversations (user_lo, user_hi, started_by, started_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_lo, user_hi) DO NOTHING",
    )
    .bind(lo)
    .bind(hi)
    .bind(me.0)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let conversation: i64 =
        sqlx::query_scalar("SELECT id FROM conversations WHERE user_lo = $1 AND user_hi = $2")
            .bind(lo)
            .bind(hi)
            .fetch_one(&mut *tx)
            .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO direct_messages (conversation_id, author_id, body, at_ms) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(conversation)
    .bind(me.0)
    .bind(body)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let mut unit = Unit::new(&mut tx, db.engine(), now);
    let event = Event::Notice {
        notice: Notice::MessageReceived { from },
    };
    unit.notify(other, &event).await?;
    let deliveries = unit.finish().await?;
    notifier.commit(tx, deliveries).await?;
    Ok(DirectMessage {
        id: DirectMessageId(id),
        mine: true,
        body: body.to_string(),
        at_ms: now,
    })
}

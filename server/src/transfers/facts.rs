//! What the risk assessment reads, gathered from indexed lookups only (so
//! it stays fast with millions of transfers): the completed transfers
//! between the two accounts, the recipient's side of the counterparty graph,
//! reports, the sender's payees and recent largest transfer, and the
//! conversation between the two people.

use shared::{
    ids::{AccountId, UserId},
    money::Money,
    transfer::risk::{ConversationFacts, Facts, NameAnswer, PastTransfer, RecipientFacts},
};
use sqlx::AnyConnection;

use crate::error::Result;

const DAY_MS: i64 = 24 * 3600 * 1000;
/// Past transfers between two accounts read for the relationship; enough to
/// reach "known" many times over.
const BETWEEN_READ: i64 = 200;
/// Counterparties counted at most: beyond, the recipient is plainly established.
const COUNTERPARTIES_READ: i64 = 1000;
/// How far back the sender's own largest transfer is looked for.
const SENDER_HISTORY_DAYS: i64 = 90;

/// Whom a transfer is between.
#[derive(Debug, Clone, Copy)]
pub struct Parties {
    pub sender: UserId,
    pub from: AccountId,
    pub recipient: UserId,
    pub to: AccountId,
}

fn days_between(then_ms: i64, now_ms: i64) -> u32 {
    ((now_ms - then_ms).max(0) / DAY_MS).min(i64::from(u32::MAX)) as u32
}

fn count(n: i64) -> u32 {
    n.clamp(0, i64::from(u32::MAX)) as u32
}

pub async fn gather(
    conn: &mut AnyConnection,
    p: Parties,
    amount: Money,
    name: NameAnswer,
    now_ms: i64,
) -> Result<Facts> {
    let between: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT amount, created_at_ms FROM p2p_transfers WHERE from_account = $1 AND to_account = $2 \
         AND state = 'settled' UNION ALL SELECT amount, created_at_ms FROM p2p_transfers \
         WHERE from_account = $2 AND to_account = $1 AND state = 'settled' LIMIT $3",
    )
    .bind(p.from.0)
    .bind(p.to.0)
    .bind(BETWEEN_READ)
    .fetch_all(&mut *conn)
    .await?;
    let between = between
        .into_iter()
        .map(|(amount, at)| PastTransfer {
            amount: Money::jpy(amount),
            days_ago: days_between(at, now_ms),
        })
        .collect();
    Ok(Facts {
        amount,
        between,
        recipient: recipient(conn, p.to, now_ms).await?,
        saved_payee: saved(conn, p.sender, p.to).await?,
        name,
        conversation: conversation(conn, p.sender, p.recipient, now_ms).await?,
        sender_largest_recent: largest_sent(conn, p.from, now_ms).await?,
    })
}

async fn recipient(conn: &mut AnyConnection, to: AccountId, now_ms: i64) -> Result<RecipientFacts> {
    let opened: Option<i64> =
        sqlx::query_scalar("SELECT created_at_ms FROM ledger_accounts WHERE id = $1")
            .bind(to.0)
            .fetch_optional(&mut *conn)
            .await?;
    let counterparties: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT from_account AS other FROM p2p_pairs WHERE to_account = $1 \
         UNION SELECT to_account FROM p2p_pairs WHERE from_account = $1 LIMIT $2) c",
    )
    .bind(to.0)
    .bind(COUNTERPARTIES_READ)
    .fetch_one(&mut *conn)
    .await?;
    // One range read of the last 7 days' new senders counts the last day's too.
    let (new_senders_7d, new_senders_24h): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN first_at_ms >= $3 THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM p2p_pairs WHERE to_account = $1 AND first_at_ms >= $2",
    )
    .bind(to.0)
    .bind(now_ms - 7 * DAY_MS)
    .bind(now_ms - DAY_MS)
    .fetch_one(&mut *conn)
    .await?;
    let reports: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM account_reports WHERE account = $1")
            .bind(to.0)
            .fetch_one(&mut *conn)
            .await?;
    Ok(RecipientFacts {
        account_age_days: days_between(opened.unwrap_or(now_ms), now_ms),
        counterparties: count(counterparties),
        new_senders_24h: count(new_senders_24h),
        new_senders_7d: count(new_senders_7d),
        reports: count(reports),
    })
}

async fn saved(conn: &mut AnyConnection, sender: UserId, to: AccountId) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM payees WHERE user_id = $1 AND account = $2")
            .bind(sender.0)
            .bind(to.0)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

async fn conversation(
    conn: &mut AnyConnection,
    sender: UserId,
    recipient: UserId,
    now_ms: i64,
) -> Result<Option<ConversationFacts>> {
    let (lo, hi) = (sender.0.min(recipient.0), sender.0.max(recipient.0));
    let found: Option<(i64, i64)> = sqlx::query_as(
        "SELECT started_by, started_at_ms FROM conversations WHERE user_lo = $1 AND user_hi = $2",
    )
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.map(|(by, at)| ConversationFacts {
        started_minutes_ago: ((now_ms - at).max(0) / 60_000).min(i64::from(u32::MAX)) as u32,
        recipient_wrote_first: by == recipient.0,
    }))
}

async fn largest_sent(
    conn: &mut AnyConnection,
    from: AccountId,
    now_ms: i64,
) -> Result<Option<Money>> {
    let largest: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(amount) FROM p2p_transfers WHERE from_account = $1 AND created_at_ms >= $2 \
         AND state = 'settled'",
    )
    .bind(from.0)
    .bind(now_ms - SENDER_HISTORY_DAYS * DAY_MS)
    .fetch_one(&mut *conn)
    .await?;
    Ok(largest.map(Money::jpy))
}

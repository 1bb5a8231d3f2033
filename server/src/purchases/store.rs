//! Rows of minors' purchases and their guardians' conditions. Purchases are
//! written only inside this flow's ledger jobs.

use shared::{
    ids::{AccountId, ApiClientId, PurchaseId, TransferId, UserId},
    money::{Currency, Money},
    purchase::{conditions::Conditions, Cancelled, Category, Payment, Purchase, PurchaseState},
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::{db::unknown_code, error::Result};

const COLUMNS: &str = "p.id AS id, p.merchant_id AS merchant_id, c.name AS merchant_name, \
     p.request_key AS request_key, p.digest AS digest, p.ward_id AS ward_id, u.nickname AS nickname, \
     p.account_id AS account_id, p.amount_minor AS amount_minor, p.currency AS currency, \
     p.category AS category, p.description AS description, p.reference AS reference, \
     p.payment AS payment, p.state AS state, p.cancelled_json AS cancelled_json, \
     p.hold_id AS hold_id, p.created_at_ms AS created_at_ms, p.deadline_ms AS deadline_ms, \
     p.window_ends_ms AS window_ends_ms";
const FROM: &str =
    "purchases p JOIN api_clients c ON c.id = p.merchant_id JOIN users u ON u.id = p.ward_id";

/// A row with what only the server needs.
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    pub digest: String,
    pub account: AccountId,
    pub hold: Option<TransferId>,
    pub purchase: Purchase,
}

fn stored(r: &AnyRow) -> Result<Stored> {
    let text = |c: &str| r.try_get::<String, _>(c);
    let (state, category, payment, currency) = (
        text("state")?,
        text("category")?,
        text("payment")?,
        text("currency")?,
    );
    let cancelled: Option<String> = r.try_get("cancelled_json")?;
    Ok(Stored {
        key: text("request_key")?,
        digest: text("digest")?,
        account: AccountId(r.try_get("account_id")?),
        hold: r.try_get::<Option<i64>, _>("hold_id")?.map(TransferId),
        purchase: Purchase {
            id: PurchaseId(r.try_get("id")?),
            merchant: ApiClientId(r.try_get("merchant_id")?),
            merchant_name: text("merchant_name")?,
            reference: text("reference")?,
            minor: UserId(r.try_get("ward_id")?),
            minor_nickname: text("nickname")?,
            amount: Money::new(
                r.try_get("amount_minor")?,
                Currency::from_code(&currency)
                    .ok_or_else(|| unknown_code("currency", &currency))?,
            ),
            category: Category::parse(&category)
                .ok_or_else(|| unknown_code("category", &category))?,
            description: text("description")?,
            payment: Payment::parse(&payment).ok_or_else(|| unknown_code("payment", &payment))?,
            state: PurchaseState::parse(&state).ok_or_else(|| unknown_code("state", &state))?,
            cancelled: cancelled
                .map(|j| serde_json::from_str::<Cancelled>(&j))
                .transpose()?,
            created_at_ms: r.try_get("created_at_ms")?,
            deadline_ms: r.try_get("deadline_ms")?,
            window_ends_ms: r.try_get("window_ends_ms")?,
        },
    })
}

#[derive(Debug)]
pub struct Insert<'a> {
    pub merchant: ApiClientId,
    pub key: &'a str,
    pub digest: &'a str,
    pub ward: UserId,
    pub account: AccountId,
    pub amount: Money,
    pub category: Category,
    pub description: &'a str,
    pub reference: &'a str,
    pub payment: Payment,
    pub state: PurchaseState,
    pub cancelled: Option<Cancelled>,
    pub now_ms: i64,
    pub deadline_ms: Option<i64>,
    pub window_ends_ms: Option<i64>,
}

pub async fn insert(conn: &mut AnyConnection, i: Insert<'_>) -> Result<PurchaseId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO purchases (merchant_id, request_key, digest, ward_id, account_id, amount_minor, \
         currency, category, description, reference, payment, state, cancelled_json, created_at_ms, \
         deadline_ms, window_ends_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $14) RETURNING id",
    )
    .bind(i.merchant.0)
    .bind(i.key)
    .bind(i.digest)
    .bind(i.ward.0)
    .bind(i.account.0)
    .bind(i.amount.amount_minor)
    .bind(i.amount.currency.code())
    .bind(i.category.as_str())
    .bind(i.description)
    .bind(i.reference)
    .bind(i.payment.as_str())
    .bind(i.state.as_str())
    .bind(i.cancelled.map(|c| serde_json::to_string(&c)).transpose()?)
    .bind(i.now_ms)
    .bind(i.deadline_ms)
    .bind(i.window_ends_ms)
    .fetch_one(conn)
    .await?;
    Ok(PurchaseId(id))
}

pub async fn get<'e, E>(ex: E, id: PurchaseId) -> Result<Option<Stored>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE p.id = $1"))
        .bind(id.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(stored)
        .transpose()
}

pub async fn by_request<'e, E>(ex: E, merchant: ApiClientId, key: &str) -> Result<Option<Stored>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE p.merchant_id = $1 AND p.request_key = $2"
    ))
    .bind(merchant.0)
    .bind(key)
    .fetch_optional(ex)
    .await?
    .as_ref()
    .map(stored)
    .transpose()
}

/// A minor's purchases, newest first.
pub async fn of_ward<'e, E>(ex: E, ward: UserId, limit: i64) -> Result<Vec<Stored>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE p.ward_id = $1 ORDER BY p.id DESC LIMIT $2"
    ))
    .bind(ward.0)
    .bind(limit)
    .fetch_all(ex)
    .await?
    .iter()
    .map(stored)
    .collect()
}

/// Waiting for someone past their deadline, or in a window that has ended.
pub async fn due<'e, E>(ex: E, now_ms: i64, limit: i64) -> Result<Vec<PurchaseId>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM purchases WHERE (state IN ('awaiting_guardian', 'awaiting_minor') AND deadline_ms <= $1) \
         OR (state = 'in_window' AND window_ends_ms <= $1) ORDER BY id LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    Ok(ids.into_iter().map(PurchaseId).collect())
}

/// A change of state, made only from `from`; `false` when the row was not in it.
/// The deadline is cleared unless given; the window's end, once set, stays.
#[derive(Debug, Default)]
pub struct Change {
    pub cancelled: Option<Cancelled>,
    pub hold: Option<TransferId>,
    pub deadline_ms: Option<i64>,
    pub window_ends_ms: Option<i64>,
}

pub async fn change(
    conn: &mut AnyConnection,
    id: PurchaseId,
    from: PurchaseState,
    to: PurchaseState,
    c: Change,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE purchases SET state = $3, cancelled_json = COALESCE($4, cancelled_json), \
         hold_id = COALESCE($5, hold_id), deadline_ms = $6, window_ends_ms = COALESCE($7, window_ends_ms), \
         updated_at_ms = $8 \
         WHERE id = $1 AND state = $2",
    )
    .bind(id.0)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(c.cancelled.map(|c| serde_json::to_string(&c)).transpose()?)
    .bind(c.hold.map(|h| h.0))
    .bind(c.deadline_ms)
    .bind(c.window_ends_ms)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Yen a minor's purchases that count came to since `since_ms`.
pub async fn spent_since(conn: &mut AnyConnection, ward: UserId, since_ms: i64) -> Result<i64> {
    let total: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_minor) AS BIGINT) FROM purchases WHERE ward_id = $1 AND created_at_ms >= $2 \
         AND state IN ('awaiting_guardian', 'awaiting_minor', 'in_window', 'completed')",
    )
    .bind(ward.0)
    .bind(since_ms)
    .fetch_one(conn)
    .await?;
    Ok(total.unwrap_or(0))
}

/// Spending that counts since `since_ms`, per category, and per week
/// (weeks of `week_ms` starting at `weeks_from_ms`).
pub async fn spending<'e, E>(ex: E, ward: UserId, since_ms: i64) -> Result<Vec<(String, i64, i64)>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT category, created_at_ms, amount_minor FROM purchases WHERE ward_id = $1 \
         AND created_at_ms >= $2 AND state IN ('in_window', 'completed')",
    )
    .bind(ward.0)
    .bind(since_ms)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

pub async fn conditions<'e, E>(ex: E, ward: UserId) -> Result<Conditions>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let json: Option<String> =
        sqlx::query_scalar("SELECT conditions_json FROM purchase_conditions WHERE ward_id = $1")
            .bind(ward.0)
            .fetch_optional(ex)
            .await?;
    Ok(json
        .map(|j| serde_json::from_str(&j))
        .transpose()?
        .unwrap_or_default())
}

pub async fn set_conditions(
    conn: &mut AnyConnection,
    ward: UserId,
    conditions: &Conditions,
    by: UserId,
    now_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO purchase_conditions (ward_id, conditions_json, updated_by, updated_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (ward_id) DO UPDATE SET \
         conditions_json = excluded.conditions_json, updated_by = excluded.updated_by, \
         updated_at_ms = excluded.updated_at_ms",
    )
    .bind(ward.0)
    .bind(serde_json::to_string(conditions)?)
    .bind(by.0)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The verified guardians of `ward`.
pub async fn guardians_of<'e, E>(ex: E, ward: UserId) -> Result<Vec<UserId>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT guardian_id FROM guardianships WHERE ward_id = $1 AND verified_at_ms IS NOT NULL \
         ORDER BY guardian_id",
    )
    .bind(ward.0)
    .fetch_all(ex)
    .await?;
    Ok(ids.into_iter().map(UserId).collect())
}

/// The minors `guardian` is the verified guardian of, with since when.
pub async fn wards_of<'e, E>(ex: E, guardian: UserId) -> Result<Vec<(UserId, String, String, i64)>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT u.id, u.nickname, u.display_name, g.verified_at_ms FROM guardianships g \
         JOIN users u ON u.id = g.ward_id WHERE g.guardian_id = $1 AND g.verified_at_ms IS NOT NULL \
         ORDER BY u.id",
    )
    .bind(guardian.0)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                UserId(r.try_get(0)?),
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
            ))
        })
        .collect()
}

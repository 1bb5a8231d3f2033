//! The rows of flow F5: payment requests (with their token and payment)
//! and what each user decided about each requester.

use shared::{
    approval::Place,
    delegation::{LiveToken, RequestState, Requester},
    ids::{ApiClientId, ApprovalId, PaymentRequestId, TransferId, UserId},
    machine::ClientKind,
    money::Money,
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::{db::unknown_code, error::Result};

const COLUMNS: &str = "r.id AS id, r.auth_req_id AS auth_req_id, r.client_id AS client_id, \
    c.name AS client_name, c.kind AS client_kind, r.user_id AS user_id, r.payee_id AS payee_id, \
    p.name AS payee_name, r.approval_id AS approval_id, r.amount_minor AS amount_minor, \
    r.description AS description, r.binding_message AS binding_message, r.place_json AS place_json, \
    r.state AS state, r.created_at_ms AS created_at_ms, r.expires_at_ms AS expires_at_ms, \
    r.interval_s AS interval_s, r.last_polled_ms AS last_polled_ms, r.token AS token, \
    r.token_expires_at_ms AS token_expires_at_ms, r.paid_minor AS paid_minor, \
    r.paid_at_ms AS paid_at_ms, r.transfer_id AS transfer_id, r.paid_reference AS paid_reference";
const FROM: &str = "FROM payment_requests r JOIN api_clients c ON c.id = r.client_id \
    JOIN api_clients p ON p.id = r.payee_id";

/// A payment request as stored.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: PaymentRequestId,
    pub auth_req_id: String,
    pub client: ApiClientId,
    pub client_name: String,
    pub client_kind: ClientKind,
    pub user: UserId,
    pub payee: ApiClientId,
    pub payee_name: String,
    pub approval: Option<ApprovalId>,
    pub amount: Money,
    pub description: String,
    pub binding_message: String,
    pub place: Option<Place>,
    pub state: RequestState,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub interval_s: i64,
    pub last_polled_ms: Option<i64>,
    pub token: Option<String>,
    pub token_expires_at_ms: Option<i64>,
    pub paid: Option<Money>,
    pub paid_at_ms: Option<i64>,
    pub transfer: Option<TransferId>,
    pub paid_reference: Option<String>,
}

fn request(r: &AnyRow) -> Result<Request> {
    let state: String = r.try_get("state")?;
    let kind: String = r.try_get("client_kind")?;
    let place: Option<String> = r.try_get("place_json")?;
    Ok(Request {
        id: PaymentRequestId(r.try_get("id")?),
        auth_req_id: r.try_get("auth_req_id")?,
        client: ApiClientId(r.try_get("client_id")?),
        client_name: r.try_get("client_name")?,
        client_kind: ClientKind::parse(&kind).ok_or_else(|| unknown_code("client kind", &kind))?,
        user: UserId(r.try_get("user_id")?),
        payee: ApiClientId(r.try_get("payee_id")?),
        payee_name: r.try_get("payee_name")?,
        approval: r.try_get::<Option<i64>, _>("approval_id")?.map(ApprovalId),
        amount: Money::jpy(r.try_get("amount_minor")?),
        description: r.try_get("description")?,
        binding_message: r.try_get("binding_message")?,
        place: place.map(|p| serde_json::from_str(&p)).transpose()?,
        state: RequestState::parse(&state).ok_or_else(|| unknown_code("request state", &state))?,
        created_at_ms: r.try_get("created_at_ms")?,
        expires_at_ms: r.try_get("expires_at_ms")?,
        interval_s: r.try_get("interval_s")?,
        last_polled_ms: r.try_get("last_polled_ms")?,
        token: r.try_get("token")?,
        token_expires_at_ms: r.try_get("token_expires_at_ms")?,
        paid: r.try_get::<Option<i64>, _>("paid_minor")?.map(Money::jpy),
        paid_at_ms: r.try_get("paid_at_ms")?,
        transfer: r.try_get::<Option<i64>, _>("transfer_id")?.map(TransferId),
        paid_reference: r.try_get("paid_reference")?,
    })
}

/// The request whose `filter` (with `$1`) matches `value`, if any.
async fn one<V>(conn: &mut AnyConnection, filter: &str, value: V) -> Result<Option<Request>>
where
    V: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
{
    sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE {filter}"))
        .bind(value)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(request)
        .transpose()
}

pub async fn by_auth_req_id(conn: &mut AnyConnection, id: &str) -> Result<Option<Request>> {
    one(conn, "r.auth_req_id = $1", id.to_string()).await
}

pub async fn by_token_hash(conn: &mut AnyConnection, hash: &str) -> Result<Option<Request>> {
    one(conn, "r.token_hash = $1", hash.to_string()).await
}

pub async fn get(conn: &mut AnyConnection, id: PaymentRequestId) -> Result<Option<Request>> {
    one(conn, "r.id = $1", id.0).await
}

pub async fn by_approval(conn: &mut AnyConnection, id: ApprovalId) -> Result<Option<Request>> {
    one(conn, "r.approval_id = $1", id.0).await
}

/// A request about to be stored.
#[derive(Debug)]
pub struct Insert<'a> {
    pub auth_req_id: &'a str,
    pub client: ApiClientId,
    pub user: UserId,
    pub payee: ApiClientId,
    pub amount: Money,
    pub description: &'a str,
    pub binding_message: &'a str,
    pub place: Option<&'a Place>,
    pub now_ms: i64,
    pub expires_at_ms: i64,
    pub interval_s: i64,
}

pub async fn insert(conn: &mut AnyConnection, i: Insert<'_>) -> Result<PaymentRequestId> {
    let place = i.place.map(serde_json::to_string).transpose()?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO payment_requests (auth_req_id, client_id, user_id, payee_id, amount_minor, \
         currency, description, binding_message, place_json, state, created_at_ms, expires_at_ms, \
         interval_s) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $12) RETURNING id",
    )
    .bind(i.auth_req_id)
    .bind(i.client.0)
    .bind(i.user.0)
    .bind(i.payee.0)
    .bind(i.amount.amount_minor)
    .bind(i.amount.currency.code())
    .bind(i.description)
    .bind(i.binding_message)
    .bind(place)
    .bind(i.now_ms)
    .bind(i.expires_at_ms)
    .bind(i.interval_s)
    .fetch_one(conn)
    .await?;
    Ok(PaymentRequestId(id))
}

pub async fn set_approval(
    conn: &mut AnyConnection,
    id: PaymentRequestId,
    approval: ApprovalId,
) -> Result<()> {
    sqlx::query("UPDATE payment_requests SET approval_id = $2 WHERE id = $1")
        .bind(id.0)
        .bind(approval.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends a request (declined, expired, cancelled, revoked) from `from`,
/// once; its token, if any, is gone. `true` when this call did it.
pub async fn conclude(
    conn: &mut AnyConnection,
    id: PaymentRequestId,
    from: RequestState,
    to: RequestState,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE payment_requests SET state = $3, decided_at_ms = COALESCE(decided_at_ms, $4), \
         token = NULL WHERE id = $1 AND state = $2",
    )
    .bind(id.0)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Approves a pending request with its new token.
pub async fn approve(
    conn: &mut AnyConnection,
    id: PaymentRequestId,
    token: &str,
    token_hash: &str,
    token_expires_at_ms: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE payment_requests SET state = 'approved', decided_at_ms = $5, token = $2, \
         token_hash = $3, token_expires_at_ms = $4 WHERE id = $1 AND state = 'pending'",
    )
    .bind(id.0)
    .bind(token)
    .bind(token_hash)
    .bind(token_expires_at_ms)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the payment a token was redeemed for; the token is spent.
pub async fn paid(
    conn: &mut AnyConnection,
    id: PaymentRequestId,
    amount: Money,
    transfer: TransferId,
    reference: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE payment_requests SET state = 'paid', token = NULL, paid_minor = $2, paid_at_ms = $3, \
         transfer_id = $4, paid_reference = $5 WHERE id = $1 AND state = 'approved'",
    )
    .bind(id.0)
    .bind(amount.amount_minor)
    .bind(now)
    .bind(transfer.0)
    .bind(reference)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn polled(conn: &mut AnyConnection, id: PaymentRequestId, now: i64) -> Result<()> {
    sqlx::query("UPDATE payment_requests SET last_polled_ms = $2 WHERE id = $1")
        .bind(id.0)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Paid from `user` to or through `client` since `since_ms`.
pub async fn spent_since(
    conn: &mut AnyConnection,
    user: UserId,
    client: ApiClientId,
    since_ms: i64,
) -> Result<i64> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(paid_minor) AS BIGINT) FROM payment_requests \
         WHERE user_id = $1 AND client_id = $2 AND state = 'paid' AND paid_at_ms >= $3",
    )
    .bind(user.0)
    .bind(client.0)
    .bind(since_ms)
    .fetch_one(conn)
    .await?;
    Ok(sum.unwrap_or(0))
}

/// What live tokens of `user` for `client` may still take.
pub async fn promised(
    conn: &mut AnyConnection,
    user: UserId,
    client: ApiClientId,
    now: i64,
) -> Result<i64> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_minor) AS BIGINT) FROM payment_requests \
         WHERE user_id = $1 AND client_id = $2 AND state = 'approved' AND token_expires_at_ms > $3",
    )
    .bind(user.0)
    .bind(client.0)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(sum.unwrap_or(0))
}

/// Whether `user` ever approved a request from `client`.
pub async fn approved_before(
    conn: &mut AnyConnection,
    user: UserId,
    client: ApiClientId,
) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT 1 FROM payment_requests WHERE user_id = $1 AND client_id = $2 \
         AND state IN ('approved', 'paid', 'revoked') LIMIT 1",
    )
    .bind(user.0)
    .bind(client.0)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// A user's settings for one requester.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    pub blocked: bool,
    pub day_ceiling: Option<i64>,
    pub month_ceiling: Option<i64>,
}

pub async fn settings(
    conn: &mut AnyConnection,
    user: UserId,
    client: ApiClientId,
) -> Result<Settings> {
    let row = sqlx::query(
        "SELECT blocked, day_ceiling_minor, month_ceiling_minor FROM requester_settings \
         WHERE user_id = $1 AND client_id = $2",
    )
    .bind(user.0)
    .bind(client.0)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(r) => Settings {
            blocked: r.try_get::<i64, _>(0)? != 0,
            day_ceiling: r.try_get(1)?,
            month_ceiling: r.try_get(2)?,
        },
        None => Settings::default(),
    })
}

pub async fn put_settings(
    conn: &mut AnyConnection,
    user: UserId,
    client: ApiClientId,
    s: Settings,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO requester_settings (user_id, client_id, blocked, day_ceiling_minor, \
         month_ceiling_minor, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (user_id, client_id) DO UPDATE SET blocked = excluded.blocked, \
         day_ceiling_minor = excluded.day_ceiling_minor, \
         month_ceiling_minor = excluded.month_ceiling_minor, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(user.0)
    .bind(client.0)
    .bind(i64::from(s.blocked))
    .bind(s.day_ceiling)
    .bind(s.month_ceiling)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every requester that asked `user` for something, or that `user` set something for.
pub async fn requesters(
    conn: &mut AnyConnection,
    user: UserId,
) -> Result<Vec<(Requester, Settings)>> {
    let rows = sqlx::query(
        "SELECT c.id, c.name, c.kind, s.blocked, s.day_ceiling_minor, s.month_ceiling_minor \
         FROM api_clients c LEFT JOIN requester_settings s ON s.client_id = c.id AND s.user_id = $1 \
         WHERE s.user_id IS NOT NULL \
            OR c.id IN (SELECT client_id FROM payment_requests WHERE user_id = $1 AND approval_id IS NOT NULL) \
         ORDER BY c.name, c.id",
    )
    .bind(user.0)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let kind: String = r.try_get(2)?;
        let settings = Settings {
            blocked: r.try_get::<Option<i64>, _>(3)?.unwrap_or(0) != 0,
            day_ceiling: r.try_get(4)?,
            month_ceiling: r.try_get(5)?,
        };
        out.push((
            Requester {
                client: ApiClientId(r.try_get(0)?),
                name: r.try_get(1)?,
                kind: ClientKind::parse(&kind).ok_or_else(|| unknown_code("client kind", &kind))?,
                blocked: settings.blocked,
                day_ceiling: settings.day_ceiling.map(Money::jpy),
                month_ceiling: settings.month_ceiling.map(Money::jpy),
                spent_today: Money::jpy(0),
                spent_month: Money::jpy(0),
            },
            settings,
        ));
    }
    Ok(out)
}

/// `user`'s approved requests whose tokens are still live, soonest to end first.
pub async fn live_tokens(
    conn: &mut AnyConnection,
    user: UserId,
    now: i64,
) -> Result<Vec<LiveToken>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE r.user_id = $1 AND r.state = 'approved' \
         AND r.token_expires_at_ms > $2 ORDER BY r.token_expires_at_ms"
    ))
    .bind(user.0)
    .bind(now)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let r = request(row)?;
            Ok(LiveToken {
                request: r.id,
                requester: r.client_name,
                payee: r.payee_name,
                max_amount: r.amount,
                description: r.description,
                expires_at_ms: r.token_expires_at_ms.unwrap_or(r.expires_at_ms),
            })
        })
        .collect()
}

/// The user a requester may name by `canonical`, with their user code's
/// hash: none for an unknown nickname, a hidden one, or one that is not a
/// customer's (staff cannot be asked to pay).
pub async fn target(
    conn: &mut AnyConnection,
    canonical: &str,
) -> Result<Option<(UserId, Option<String>)>> {
    let row = sqlx::query(
        "SELECT id, user_code_hash FROM users WHERE nickname_canonical = $1 \
         AND nickname_hidden = 0 AND role <> 'staff'",
    )
    .bind(canonical)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((UserId(r.try_get(0)?), r.try_get(1)?)))
        .transpose()
}

/// A live client that may be paid (redeems payment tokens), with its name.
pub async fn payee(
    conn: &mut AnyConnection,
    id: ApiClientId,
) -> Result<Option<(ApiClientId, String)>> {
    let row =
        sqlx::query("SELECT name, scopes FROM api_clients WHERE id = $1 AND revoked_at_ms IS NULL")
            .bind(id.0)
            .fetch_optional(conn)
            .await?;
    let Some(r) = row else { return Ok(None) };
    let scopes: String = r.try_get(1)?;
    let redeems = scopes
        .split_whitespace()
        .any(|s| s == shared::machine::Scope::PaymentsRedeem.as_str());
    Ok(redeems
        .then(|| r.try_get(0))
        .transpose()?
        .map(|name| (id, name)))
}

pub async fn client_name(conn: &mut AnyConnection, id: ApiClientId) -> Result<String> {
    Ok(
        sqlx::query_scalar("SELECT name FROM api_clients WHERE id = $1")
            .bind(id.0)
            .fetch_one(conn)
            .await?,
    )
}

/// Sets the user's nickname visibility and user code.
pub async fn set_hidden(conn: &mut AnyConnection, user: UserId, hidden: bool) -> Result<()> {
    sqlx::query("UPDATE users SET nickname_hidden = $2 WHERE id = $1")
        .bind(user.0)
        .bind(i64::from(hidden))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_user_code(
    conn: &mut AnyConnection,
    user: UserId,
    hash: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE users SET user_code_hash = $2 WHERE id = $1")
        .bind(user.0)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Renames the user; `false` when the nickname is taken.
pub async fn set_nickname(
    conn: &mut AnyConnection,
    user: UserId,
    display: &str,
    canonical: &str,
) -> Result<bool> {
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE nickname_canonical = $1 AND id <> $2")
            .bind(canonical)
            .bind(user.0)
            .fetch_optional(&mut *conn)
            .await?;
    if taken.is_some() {
        return Ok(false);
    }
    sqlx::query("UPDATE users SET nickname = $2, nickname_canonical = $3 WHERE id = $1")
        .bind(user.0)
        .bind(display)
        .bind(canonical)
        .execute(conn)
        .await?;
    Ok(true)
}

/// The user's nickname, whether it is hidden, and whether a user code guards it.
pub async fn profile(conn: &mut AnyConnection, user: UserId) -> Result<(String, bool, bool)> {
    let r =
        sqlx::query("SELECT nickname, nickname_hidden, user_code_hash FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_one(conn)
            .await?;
    Ok((
        r.try_get(0)?,
        r.try_get::<i64, _>(1)? != 0,
        r.try_get::<Option<String>, _>(2)?.is_some(),
    ))
}

/// Whether `client` set a webhook endpoint that is on (pings go only there).
pub async fn has_endpoint(conn: &mut AnyConnection, client: ApiClientId) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT 1 FROM webhook_endpoints WHERE client_id = $1 AND enabled = 1",
    )
    .bind(client.0)
    .fetch_optional(conn)
    .await?
    .is_some())
}

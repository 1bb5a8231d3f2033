//! Transfer rows: recording, finding (by id, by idempotency key), the
//! statement of an account, and the holds whose time is up.

use shared::{
    ids::{AccountId, TransferId},
    ledger::{Transfer, TransferCode, TransferKind, TransferState},
    money::{Currency, Money},
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use super::accounts::decode_error;

const COLUMNS: &str = "id, kind, state, debit_account_id, credit_account_id, amount, currency, \
                       code, reference, pending_id, timeout_at_ms, created_at_ms";

fn from_row(row: &AnyRow) -> Result<Transfer, sqlx::Error> {
    let text = |col: &str| row.try_get::<String, _>(col);
    let kind = text("kind")?;
    let state = text("state")?;
    let currency = text("currency")?;
    let code = text("code")?;
    Ok(Transfer {
        id: TransferId(row.try_get("id")?),
        kind: TransferKind::parse(&kind).ok_or_else(|| decode_error("kind", &kind))?,
        state: TransferState::parse(&state).ok_or_else(|| decode_error("state", &state))?,
        debit: AccountId(row.try_get("debit_account_id")?),
        credit: AccountId(row.try_get("credit_account_id")?),
        amount: Money::new(
            row.try_get("amount")?,
            Currency::from_code(&currency).ok_or_else(|| decode_error("currency", &currency))?,
        ),
        code: TransferCode::parse(&code).ok_or_else(|| decode_error("code", &code))?,
        reference: text("reference")?,
        pending_id: row.try_get::<Option<i64>, _>("pending_id")?.map(TransferId),
        timeout_at_ms: row.try_get("timeout_at_ms")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

/// A transfer about to be recorded.
#[derive(Debug)]
pub(super) struct NewTransfer<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub request_json: &'a str,
    pub kind: TransferKind,
    pub state: TransferState,
    pub debit: AccountId,
    pub credit: AccountId,
    pub amount: Money,
    pub code: TransferCode,
    pub reference: &'a str,
    pub pending_id: Option<TransferId>,
    pub timeout_at_ms: Option<i64>,
    pub now_ms: i64,
}

pub(super) async fn insert(
    conn: &mut AnyConnection,
    t: &NewTransfer<'_>,
) -> Result<Transfer, sqlx::Error> {
    let row = sqlx::query(&format!(
        "INSERT INTO ledger_transfers \
         (scope, idem_key, request_json, kind, state, debit_account_id, credit_account_id, amount, \
          currency, code, reference, pending_id, timeout_at_ms, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING {COLUMNS}"
    ))
    .bind(t.scope)
    .bind(t.key)
    .bind(t.request_json)
    .bind(t.kind.as_str())
    .bind(t.state.as_str())
    .bind(t.debit.0)
    .bind(t.credit.0)
    .bind(t.amount.amount_minor)
    .bind(t.amount.currency.code())
    .bind(t.code.as_str())
    .bind(t.reference)
    .bind(t.pending_id.map(|p| p.0))
    .bind(t.timeout_at_ms)
    .bind(t.now_ms)
    .fetch_one(conn)
    .await?;
    from_row(&row)
}

pub(super) async fn by_id(
    conn: &mut AnyConnection,
    id: TransferId,
) -> Result<Option<Transfer>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM ledger_transfers WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The transfer a caller's key produced, with the request it was made for.
pub(super) async fn by_key(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
) -> Result<Option<(Transfer, String)>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, request_json FROM ledger_transfers WHERE scope = $1 AND idem_key = $2"
    ))
    .bind(scope)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((from_row(&r)?, r.try_get("request_json")?)))
        .transpose()
}

/// Moves a hold out of `pending`; false if it was no longer pending.
pub(super) async fn settle_hold(
    conn: &mut AnyConnection,
    id: TransferId,
    to: TransferState,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE ledger_transfers SET state = $2 WHERE id = $1 AND state = 'pending'")
            .bind(id.0)
            .bind(to.as_str())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Transfers touching `account`, newest first, strictly older than `before`.
pub(super) async fn statement(
    conn: &mut AnyConnection,
    account: AccountId,
    before: Option<TransferId>,
    limit: i64,
) -> Result<Vec<Transfer>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM ledger_transfers \
         WHERE (debit_account_id = $1 OR credit_account_id = $1) AND id < $2 \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(account.0)
    .bind(before.map_or(i64::MAX, |b| b.0))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Holds whose timeout has passed, oldest deadline first.
pub(super) async fn due_holds(
    conn: &mut AnyConnection,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<TransferId>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id FROM ledger_transfers WHERE state = 'pending' AND timeout_at_ms <= $1 \
         ORDER BY timeout_at_ms LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get(0).map(TransferId)).collect()
}

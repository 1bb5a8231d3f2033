//! Transfer rows: recording, finding (by id, by idempotency key), the
//! statement of an account, and the holds whose time is up.

use shared::{
    ids::{AccountId, TransferId},
    ledger::{Transfer, TransferCode, TransferKind, TransferState},
    money::{Currency, Money},
};
use sqlx::{any::AnyRow, AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::accounts::decode_error;
use crate::db::shapes;

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

/// A transfer about to be recorded, with the key and request it answers.
#[derive(Debug, Clone)]
pub(super) struct NewTransfer {
    pub scope: String,
    pub key: String,
    pub request_json: String,
    /// Everything but the id, which the database gives it.
    pub transfer: Transfer,
}

const INSERT_COLUMNS: usize = 14;

/// Records `rows` in a few multi-row statements; answers their ids, in order.
pub(super) async fn insert_all(
    conn: &mut AnyConnection,
    rows: &[NewTransfer],
) -> Result<Vec<TransferId>, sqlx::Error> {
    let mut ids = vec![TransferId(0); rows.len()];
    let mut place = HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        place.insert((r.scope.as_str(), r.key.as_str()), i);
    }
    for piece in shapes::pieces(rows.len()) {
        let part = &rows[piece];
        let sql = format!(
            "INSERT INTO ledger_transfers \
             (scope, idem_key, request_json, kind, state, debit_account_id, credit_account_id, \
              amount, currency, code, reference, pending_id, timeout_at_ms, created_at_ms) \
             VALUES {} RETURNING id, scope, idem_key",
            shapes::Marks::of(conn).tuples(part.len(), INSERT_COLUMNS)
        );
        let mut query = sqlx::query(&sql);
        for r in part {
            let t = &r.transfer;
            query = query
                .bind(&r.scope)
                .bind(&r.key)
                .bind(&r.request_json)
                .bind(t.kind.as_str())
                .bind(t.state.as_str())
                .bind(t.debit.0)
                .bind(t.credit.0)
                .bind(t.amount.amount_minor)
                .bind(t.amount.currency.code())
                .bind(t.code.as_str())
                .bind(&t.reference)
                .bind(t.pending_id.map(|p| p.0))
                .bind(t.timeout_at_ms)
                .bind(t.created_at_ms);
        }
        // RETURNING need not follow the VALUES order, so rows are matched by key.
        for row in query.fetch_all(&mut *conn).await? {
            let scope: String = row.try_get("scope")?;
            let key: String = row.try_get("idem_key")?;
            let i = place
                .get(&(scope.as_str(), key.as_str()))
                .ok_or_else(|| sqlx::Error::Protocol("an insert returned an unknown key".into()))?;
            ids[*i] = TransferId(row.try_get("id")?);
        }
    }
    if ids.iter().any(|id| id.0 == 0) {
        return Err(sqlx::Error::Protocol(
            "an inserted transfer got no id".into(),
        ));
    }
    Ok(ids)
}

/// The holds among `ids` that exist; on PostgreSQL with `lock`, locked in
/// ascending id order until the transaction ends.
pub(super) async fn by_ids(
    conn: &mut AnyConnection,
    ids: &BTreeSet<TransferId>,
    lock: bool,
) -> Result<HashMap<TransferId, Transfer>, sqlx::Error> {
    let ids: Vec<i64> = ids.iter().map(|t| t.0).collect();
    let mut found = HashMap::with_capacity(ids.len());
    for range in shapes::chunks(ids.len()) {
        let part = &ids[range];
        let rows = shapes::padded(part.len());
        let sql = format!(
            "SELECT {COLUMNS} FROM ledger_transfers WHERE id IN ({}) ORDER BY id{}",
            shapes::Marks::of(conn).list(rows),
            if lock { " FOR UPDATE" } else { "" }
        );
        let mut query = sqlx::query(&sql);
        for id in shapes::pad(part) {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let t = from_row(&row)?;
            found.insert(t.id, t);
        }
    }
    Ok(found)
}

/// A scope and an idempotency key.
pub(super) type KeyOf = (String, String);

/// The transfers already made under any of `keys`, with their requests.
pub(super) async fn by_keys(
    conn: &mut AnyConnection,
    keys: &BTreeSet<KeyOf>,
) -> Result<HashMap<KeyOf, (Transfer, String)>, sqlx::Error> {
    let keys: Vec<&KeyOf> = keys.iter().collect();
    let mut found = HashMap::new();
    for range in shapes::chunks(keys.len()) {
        let part = &keys[range];
        let rows = shapes::padded(part.len());
        // A join on a list of keys: each is one lookup in the unique index.
        // (PostgreSQL turns `(scope = … AND key = …) OR …` into a scan of the
        // whole scope.)
        let sql = format!(
            "WITH k (k_scope, k_key) AS (VALUES {}) \
             SELECT {COLUMNS}, request_json, scope, idem_key FROM k \
             JOIN ledger_transfers ON scope = k_scope AND idem_key = k_key",
            shapes::Marks::of(conn).tuples(rows, 2)
        );
        let mut query = sqlx::query(&sql);
        for (scope, key) in shapes::pad(part) {
            query = query.bind(scope).bind(key);
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.insert(
                (row.try_get("scope")?, row.try_get("idem_key")?),
                (from_row(&row)?, row.try_get("request_json")?),
            );
        }
    }
    Ok(found)
}

/// Moves holds out of `pending`; fails unless every one still was.
pub(super) async fn settle_holds(
    conn: &mut AnyConnection,
    settled: &BTreeMap<TransferId, TransferState>,
) -> Result<(), sqlx::Error> {
    for (id, to) in settled {
        let done = sqlx::query(
            "UPDATE ledger_transfers SET state = $2 WHERE id = $1 AND state = 'pending'",
        )
        .bind(id.0)
        .bind(to.as_str())
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() != 1 {
            return Err(sqlx::Error::Protocol(format!(
                "hold {id} was no longer pending when the batch settled it"
            )));
        }
    }
    Ok(())
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

//! Applying one operation inside the writer's transaction: idempotency,
//! validation, the balance changes and the transfer record. Everything a
//! caller can get wrong is refused before or by a conditional write, and the
//! writer rolls the operation back to its savepoint on any error, so a
//! refused request leaves nothing behind.

use serde::Serialize;
use shared::{
    ids::TransferId,
    ledger::{Transfer, TransferCode, TransferKind, TransferRequest, TransferState},
    money::Money,
};
use sqlx::AnyConnection;

use super::{
    accounts::{self, Delta},
    error::LedgerError,
    transfers::{self, NewTransfer},
};

/// Largest amount one transfer may move: ¥1,000,000,000,000,000 or its equivalent.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;
pub const MAX_REFERENCE_CHARS: usize = 200;
/// Longest a hold may last: 30 days.
pub const MAX_TIMEOUT_MS: i64 = 30 * 24 * 3600 * 1000;

/// What the writer is asked to do: a caller's request, or the sweeper's expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Op {
    Client(TransferRequest),
    Expire { expire: TransferId },
}

impl Op {
    /// The hold an operation settles, whose accounts must be locked too.
    pub fn hold(&self) -> Option<TransferId> {
        match self {
            Op::Client(TransferRequest::PostPending { pending_id, .. })
            | Op::Client(TransferRequest::VoidPending { pending_id }) => Some(*pending_id),
            Op::Expire { expire } => Some(*expire),
            Op::Client(_) => None,
        }
    }
}

/// A transfer the operation produced; `fresh` is false for a replay.
#[derive(Debug)]
pub struct Applied {
    pub transfer: Transfer,
    pub fresh: bool,
}

pub async fn apply(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    op: &Op,
    now_ms: i64,
) -> Result<Applied, LedgerError> {
    let request_json = serde_json::to_string(op).map_err(|e| sqlx::Error::Decode(e.into()))?;
    if let Some((first, first_json)) = transfers::by_key(conn, scope, key).await? {
        return if first_json == request_json {
            Ok(Applied {
                transfer: first,
                fresh: false,
            })
        } else {
            Err(LedgerError::IdempotencyConflict)
        };
    }
    let record = Record {
        scope,
        key,
        request_json: &request_json,
        now_ms,
    };
    let transfer = match op {
        Op::Client(TransferRequest::Single {
            debit,
            credit,
            amount,
            code,
            reference,
        }) => {
            let movement = Movement {
                debit: *debit,
                credit: *credit,
                amount: *amount,
                code: *code,
                reference,
            };
            move_money(conn, &record, &movement, None).await
        }
        Op::Client(TransferRequest::Pending {
            debit,
            credit,
            amount,
            code,
            reference,
            timeout_ms,
        }) => {
            if !(1..=MAX_TIMEOUT_MS).contains(timeout_ms) {
                return Err(LedgerError::BadTimeout {
                    max_ms: MAX_TIMEOUT_MS,
                });
            }
            let movement = Movement {
                debit: *debit,
                credit: *credit,
                amount: *amount,
                code: *code,
                reference,
            };
            move_money(conn, &record, &movement, Some(now_ms + timeout_ms)).await
        }
        Op::Client(TransferRequest::PostPending { pending_id, amount }) => {
            settle(conn, &record, *pending_id, Settle::Post(*amount)).await
        }
        Op::Client(TransferRequest::VoidPending { pending_id }) => {
            settle(conn, &record, *pending_id, Settle::Void).await
        }
        Op::Expire { expire } => settle(conn, &record, *expire, Settle::Expire).await,
    }?;
    Ok(Applied {
        transfer,
        fresh: true,
    })
}

/// How the transfer record is keyed and stamped.
struct Record<'a> {
    scope: &'a str,
    key: &'a str,
    request_json: &'a str,
    now_ms: i64,
}

struct Movement<'a> {
    debit: shared::ids::AccountId,
    credit: shared::ids::AccountId,
    amount: Money,
    code: TransferCode,
    reference: &'a str,
}

fn check_amount(amount: Money) -> Result<(), LedgerError> {
    if amount.amount_minor <= 0 {
        Err(LedgerError::NonPositiveAmount)
    } else if amount.amount_minor > MAX_AMOUNT_MINOR {
        Err(LedgerError::AmountTooLarge {
            max: MAX_AMOUNT_MINOR,
        })
    } else {
        Ok(())
    }
}

/// A single transfer (posted now) or a hold (`timeout_at_ms` set).
async fn move_money(
    conn: &mut AnyConnection,
    record: &Record<'_>,
    m: &Movement<'_>,
    timeout_at_ms: Option<i64>,
) -> Result<Transfer, LedgerError> {
    check_amount(m.amount)?;
    if m.debit == m.credit {
        return Err(LedgerError::SameAccount);
    }
    if m.reference.chars().count() > MAX_REFERENCE_CHARS {
        return Err(LedgerError::ReferenceTooLong {
            max: MAX_REFERENCE_CHARS,
        });
    }
    let a = m.amount.amount_minor;
    let (kind, state, debit_delta, credit_delta) = match timeout_at_ms {
        None => (
            TransferKind::Single,
            TransferState::Posted,
            Delta {
                debits_posted: a,
                ..Delta::default()
            },
            Delta {
                credits_posted: a,
                ..Delta::default()
            },
        ),
        Some(_) => (
            TransferKind::Pending,
            TransferState::Pending,
            Delta {
                debits_pending: a,
                ..Delta::default()
            },
            Delta {
                credits_pending: a,
                ..Delta::default()
            },
        ),
    };
    // Existence, currency and balance rule are checked by the updates themselves.
    accounts::apply(conn, m.debit, m.amount.currency, debit_delta).await?;
    accounts::apply(conn, m.credit, m.amount.currency, credit_delta).await?;
    let row = NewTransfer {
        scope: record.scope,
        key: record.key,
        request_json: record.request_json,
        kind,
        state,
        debit: m.debit,
        credit: m.credit,
        amount: m.amount,
        code: m.code,
        reference: m.reference,
        pending_id: None,
        timeout_at_ms,
        now_ms: record.now_ms,
    };
    Ok(transfers::insert(conn, &row).await?)
}

#[derive(Debug, Clone, Copy)]
enum Settle {
    /// Post all (`None`) or part of a hold; the rest is released.
    Post(Option<Money>),
    Void,
    Expire,
}

async fn settle(
    conn: &mut AnyConnection,
    record: &Record<'_>,
    hold_id: TransferId,
    how: Settle,
) -> Result<Transfer, LedgerError> {
    let hold = transfers::by_id(conn, hold_id)
        .await?
        .ok_or(LedgerError::UnknownTransfer(hold_id))?;
    if hold.kind != TransferKind::Pending {
        return Err(LedgerError::NotAHold(hold_id));
    }
    if hold.state != TransferState::Pending {
        return Err(LedgerError::HoldNotPending {
            id: hold_id,
            state: hold.state,
        });
    }
    let due = hold.timeout_at_ms.is_some_and(|t| t <= record.now_ms);
    if due && !matches!(how, Settle::Expire) {
        return Err(LedgerError::HoldExpired(hold_id));
    }
    let held = hold.amount.amount_minor;
    let posted = match how {
        Settle::Post(None) => held,
        Settle::Post(Some(amount)) => {
            check_amount(amount)?;
            if amount.currency != hold.amount.currency {
                return Err(LedgerError::CurrencyMismatch {
                    account: hold.debit,
                    account_currency: hold.amount.currency,
                    amount: amount.currency,
                });
            }
            if amount.amount_minor > held {
                return Err(LedgerError::ExceedsHold {
                    requested: amount.amount_minor,
                    held,
                });
            }
            amount.amount_minor
        }
        Settle::Void | Settle::Expire => 0,
    };
    let currency = hold.amount.currency;
    accounts::apply(
        conn,
        hold.debit,
        currency,
        Delta {
            debits_posted: posted,
            debits_pending: -held,
            ..Delta::default()
        },
    )
    .await?;
    accounts::apply(
        conn,
        hold.credit,
        currency,
        Delta {
            credits_posted: posted,
            credits_pending: -held,
            ..Delta::default()
        },
    )
    .await?;
    let (kind, state, amount) = match how {
        Settle::Post(_) => (TransferKind::PostPending, TransferState::Posted, posted),
        Settle::Void => (TransferKind::VoidPending, TransferState::Voided, held),
        Settle::Expire => (TransferKind::ExpirePending, TransferState::Expired, held),
    };
    let hold_state = if matches!(how, Settle::Post(_)) {
        TransferState::Posted
    } else {
        state
    };
    if !transfers::settle_hold(conn, hold_id, hold_state).await? {
        return Err(LedgerError::HoldNotPending {
            id: hold_id,
            state: hold.state,
        });
    }
    let row = NewTransfer {
        scope: record.scope,
        key: record.key,
        request_json: record.request_json,
        kind,
        state,
        debit: hold.debit,
        credit: hold.credit,
        amount: Money::new(amount, hold.amount.currency),
        code: hold.code,
        reference: &hold.reference,
        pending_id: Some(hold_id),
        timeout_at_ms: None,
        now_ms: record.now_ms,
    };
    Ok(transfers::insert(conn, &row).await?)
}

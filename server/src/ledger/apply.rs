//! Applying one operation to a batch's [`Book`]: idempotency, validation,
//! the balance changes and the transfer record, all in memory. Everything a
//! caller can get wrong is refused before the book changes, so a refused
//! request leaves nothing behind; the writer writes the book once the
//! batch's operations have run.

use super::{
    accounts::Sums,
    book::{Book, Made},
    error::LedgerError,
    transfers::NewTransfer,
};
use serde::Serialize;
use shared::{
    ids::TransferId,
    ledger::{Transfer, TransferCode, TransferKind, TransferRequest, TransferState},
    money::Money,
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

/// The transfer an operation answers with; `fresh` is false for a replay.
#[derive(Debug)]
pub(super) struct Applied {
    pub made: Made,
    pub fresh: bool,
}

pub(super) fn apply(
    book: &mut Book,
    scope: &str,
    key: &str,
    op: &Op,
    now_ms: i64,
) -> Result<Applied, LedgerError> {
    let request_json = serde_json::to_string(op).map_err(|e| sqlx::Error::Decode(e.into()))?;
    let key_of = (scope.to_string(), key.to_string());
    if let Some((first, first_json)) = book.seen(&key_of) {
        return if first_json == request_json {
            Ok(Applied {
                made: first,
                fresh: false,
            })
        } else {
            Err(LedgerError::IdempotencyConflict)
        };
    }
    let record = Record {
        scope,
        key,
        request_json,
        now_ms,
    };
    let made = match op {
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
            move_money(book, record, &movement, None)
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
            move_money(book, record, &movement, Some(now_ms + timeout_ms))
        }
        Op::Client(TransferRequest::PostPending { pending_id, amount }) => {
            settle(book, record, *pending_id, Settle::Post(*amount))
        }
        Op::Client(TransferRequest::VoidPending { pending_id }) => {
            settle(book, record, *pending_id, Settle::Void)
        }
        Op::Expire { expire } => settle(book, record, *expire, Settle::Expire),
    }?;
    Ok(Applied {
        made: Made::Drafted(made),
        fresh: true,
    })
}

/// How the transfer record is keyed and stamped.
struct Record<'a> {
    scope: &'a str,
    key: &'a str,
    request_json: String,
    now_ms: i64,
}

impl Record<'_> {
    fn draft(self, transfer: Transfer) -> NewTransfer {
        NewTransfer {
            scope: self.scope.to_string(),
            key: self.key.to_string(),
            request_json: self.request_json,
            transfer,
        }
    }
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
fn move_money(
    book: &mut Book,
    record: Record<'_>,
    m: &Movement<'_>,
    timeout_at_ms: Option<i64>,
) -> Result<usize, LedgerError> {
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
            Sums {
                debits_posted: a,
                ..Sums::default()
            },
            Sums {
                credits_posted: a,
                ..Sums::default()
            },
        ),
        Some(_) => (
            TransferKind::Pending,
            TransferState::Pending,
            Sums {
                debits_pending: a,
                ..Sums::default()
            },
            Sums {
                credits_pending: a,
                ..Sums::default()
            },
        ),
    };
    book.change(
        m.amount.currency,
        (m.debit, debit_delta),
        (m.credit, credit_delta),
    )?;
    let transfer = Transfer {
        id: TransferId(0),
        kind,
        state,
        debit: m.debit,
        credit: m.credit,
        amount: m.amount,
        code: m.code,
        reference: m.reference.to_string(),
        pending_id: None,
        timeout_at_ms,
        created_at_ms: record.now_ms,
    };
    Ok(book.draft(record.draft(transfer)))
}

#[derive(Debug, Clone, Copy)]
enum Settle {
    /// Post all (`None`) or part of a hold; the rest is released.
    Post(Option<Money>),
    Void,
    Expire,
}

fn settle(
    book: &mut Book,
    record: Record<'_>,
    hold_id: TransferId,
    how: Settle,
) -> Result<usize, LedgerError> {
    let hold = book
        .hold(hold_id)
        .cloned()
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
    book.change(
        hold.amount.currency,
        (
            hold.debit,
            Sums {
                debits_posted: posted,
                debits_pending: -held,
                ..Sums::default()
            },
        ),
        (
            hold.credit,
            Sums {
                credits_posted: posted,
                credits_pending: -held,
                ..Sums::default()
            },
        ),
    )?;
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
    book.settle(hold_id, hold_state);
    let transfer = Transfer {
        id: TransferId(0),
        kind,
        state,
        debit: hold.debit,
        credit: hold.credit,
        amount: Money::new(amount, hold.amount.currency),
        code: hold.code,
        reference: hold.reference.clone(),
        pending_id: Some(hold_id),
        timeout_at_ms: None,
        created_at_ms: record.now_ms,
    };
    Ok(book.draft(record.draft(transfer)))
}

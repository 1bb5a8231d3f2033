//! A batch's book: the accounts, holds and idempotency keys a batch's
//! transfers need, read in a few statements at its start; every operation
//! is then checked against the book in memory, in order, and what changed is
//! written back once before COMMIT (one multi-row statement per table).
//!
//! The rows are read inside the batch's transaction, after the writer took
//! SQLite's write lock or, on PostgreSQL, locked them (`FOR UPDATE`), so no
//! one else can change them before the batch commits: checking in memory is
//! as strict as checking in each `UPDATE`, and far cheaper. A linked group
//! that fails is undone in the book ([`Book::mark`], [`Book::undo`]), so
//! nothing of it is written.

use shared::{
    ids::{AccountId, TransferId},
    ledger::{Transfer, TransferState},
    money::Currency,
};
use sqlx::AnyConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{
    accounts::{self, Account, Sums},
    apply::Op,
    error::LedgerError,
    transfers::{self, KeyOf, NewTransfer},
};
use shared::ledger::{BalanceRule, TransferRequest};

/// What a set of operations will read.
#[derive(Debug, Default)]
pub(super) struct Wanted {
    pub accounts: BTreeSet<AccountId>,
    pub holds: BTreeSet<TransferId>,
    pub keys: BTreeSet<KeyOf>,
}

impl Wanted {
    pub fn add(&mut self, scope: &str, key: &str, op: &Op) {
        self.keys.insert((scope.to_string(), key.to_string()));
        match op {
            Op::Client(TransferRequest::Single { debit, credit, .. })
            | Op::Client(TransferRequest::Pending { debit, credit, .. }) => {
                self.accounts.extend([*debit, *credit]);
            }
            _ => self.holds.extend(op.hold()),
        }
    }
}

/// A transfer an operation answers with: one already stored, or one the
/// book will insert (its index among the book's drafts).
#[derive(Debug, Clone)]
pub(super) enum Made {
    Stored(Transfer),
    Drafted(usize),
}

/// A change the book can take back.
#[derive(Debug)]
enum Undo {
    Account {
        id: AccountId,
        sums: Sums,
    },
    Hold {
        id: TransferId,
        state: TransferState,
        settled: Option<TransferState>,
    },
    Draft(KeyOf),
}

#[derive(Debug, Default)]
pub(super) struct Book {
    accounts: HashMap<AccountId, Account>,
    /// The sums as read, so the write is the difference.
    read: HashMap<AccountId, Sums>,
    holds: HashMap<TransferId, Transfer>,
    /// Holds moved out of pending, to be written.
    settled: BTreeMap<TransferId, TransferState>,
    stored: HashMap<KeyOf, (Transfer, String)>,
    drafted: HashMap<KeyOf, usize>,
    drafts: Vec<NewTransfer>,
    journal: Vec<Undo>,
}

impl Book {
    /// Reads what `wanted` needs, plus the accounts and holds of `also`
    /// (which are only locked). With `lock` (PostgreSQL), holds and then
    /// accounts are locked in ascending id order, as every writer does.
    pub async fn read(
        conn: &mut AnyConnection,
        wanted: &Wanted,
        also: &Wanted,
        lock: bool,
    ) -> Result<Book, sqlx::Error> {
        let hold_ids: BTreeSet<TransferId> = wanted.holds.union(&also.holds).copied().collect();
        let holds = if hold_ids.is_empty() {
            HashMap::new()
        } else {
            transfers::by_ids(conn, &hold_ids, lock).await?
        };
        let mut account_ids: BTreeSet<AccountId> =
            wanted.accounts.union(&also.accounts).copied().collect();
        account_ids.extend(holds.values().flat_map(|h| [h.debit, h.credit]));
        let accounts = if account_ids.is_empty() {
            HashMap::new()
        } else {
            accounts::load(conn, &account_ids, lock).await?
        };
        let stored = if wanted.keys.is_empty() {
            HashMap::new()
        } else {
            transfers::by_keys(conn, &wanted.keys).await?
        };
        Ok(Book {
            read: accounts.iter().map(|(id, a)| (*id, a.sums)).collect(),
            accounts,
            holds,
            stored,
            ..Book::default()
        })
    }

    /// What `key` already answered, with the request it answered.
    pub fn seen(&self, key: &KeyOf) -> Option<(Made, &str)> {
        if let Some((t, json)) = self.stored.get(key) {
            return Some((Made::Stored(t.clone()), json));
        }
        let i = *self.drafted.get(key)?;
        Some((Made::Drafted(i), &self.drafts[i].request_json))
    }

    pub fn hold(&self, id: TransferId) -> Option<&Transfer> {
        self.holds.get(&id)
    }

    /// Changes two accounts together, or neither: refused if either is
    /// unknown, in another currency, would overflow or would break its
    /// balance rule. The debit side is checked (and reported) first.
    pub fn change(
        &mut self,
        currency: Currency,
        debit: (AccountId, Sums),
        credit: (AccountId, Sums),
    ) -> Result<(), LedgerError> {
        let after_debit = self.after(debit.0, currency, debit.1)?;
        let after_credit = self.after(credit.0, currency, credit.1)?;
        self.set(debit.0, after_debit);
        self.set(credit.0, after_credit);
        Ok(())
    }

    fn after(&self, id: AccountId, currency: Currency, delta: Sums) -> Result<Sums, LedgerError> {
        let account = self
            .accounts
            .get(&id)
            .ok_or(LedgerError::UnknownAccount(id))?;
        if account.currency != currency {
            return Err(LedgerError::CurrencyMismatch {
                account: id,
                account_currency: account.currency,
                amount: currency,
            });
        }
        let after = account.sums.plus(delta).ok_or(LedgerError::Overflow)?;
        if after.is_negative() {
            // Only a hold released twice could do this; the book never lets it.
            return Err(LedgerError::Database(sqlx::Error::Protocol(format!(
                "account {id}'s sums would go negative"
            ))));
        }
        let rule = account.kind.rule();
        if !after.keeps(rule) {
            return Err(match rule {
                BalanceRule::CreditsWithinDebits => LedgerError::InsufficientCash(id),
                _ => LedgerError::InsufficientFunds(id),
            });
        }
        Ok(after)
    }

    fn set(&mut self, id: AccountId, after: Sums) {
        if let Some(account) = self.accounts.get_mut(&id) {
            self.journal.push(Undo::Account {
                id,
                sums: account.sums,
            });
            account.sums = after;
        }
    }

    /// Moves a hold the book holds out of pending.
    pub fn settle(&mut self, id: TransferId, to: TransferState) {
        let Some(hold) = self.holds.get_mut(&id) else {
            return;
        };
        self.journal.push(Undo::Hold {
            id,
            state: hold.state,
            settled: self.settled.get(&id).copied(),
        });
        hold.state = to;
        self.settled.insert(id, to);
    }

    /// Records a new transfer to be inserted; answers its draft index.
    pub fn draft(&mut self, row: NewTransfer) -> usize {
        let key = (row.scope.clone(), row.key.clone());
        let i = self.drafts.len();
        self.drafts.push(row);
        self.drafted.insert(key.clone(), i);
        self.journal.push(Undo::Draft(key));
        i
    }

    pub fn mark(&self) -> usize {
        self.journal.len()
    }

    /// Takes back every change since `mark`, newest first.
    pub fn undo(&mut self, mark: usize) {
        while self.journal.len() > mark {
            match self.journal.pop() {
                Some(Undo::Account { id, sums }) => {
                    if let Some(a) = self.accounts.get_mut(&id) {
                        a.sums = sums;
                    }
                }
                Some(Undo::Hold { id, state, settled }) => {
                    if let Some(h) = self.holds.get_mut(&id) {
                        h.state = state;
                    }
                    match settled {
                        Some(s) => self.settled.insert(id, s),
                        None => self.settled.remove(&id),
                    };
                }
                Some(Undo::Draft(key)) => {
                    self.drafted.remove(&key);
                    self.drafts.pop();
                }
                None => break,
            }
        }
    }

    /// Writes every change: the accounts' sums, the settled holds and the
    /// new transfers, which get their ids here.
    pub async fn write(self, conn: &mut AnyConnection) -> Result<Written, sqlx::Error> {
        let mut changes: Vec<(AccountId, Sums)> = self
            .accounts
            .iter()
            .filter_map(|(id, a)| {
                let was = self.read.get(id)?;
                (a.sums != *was).then(|| (*id, a.sums.minus(*was)))
            })
            .collect();
        changes.sort_by_key(|(id, _)| *id);
        accounts::add_all(conn, &changes).await?;
        transfers::settle_holds(conn, &self.settled).await?;
        let ids = transfers::insert_all(conn, &self.drafts).await?;
        let transfers = self
            .drafts
            .into_iter()
            .zip(ids)
            .map(|(d, id)| Transfer { id, ..d.transfer })
            .collect();
        Ok(Written { transfers })
    }
}

/// The transfers a book inserted, by draft index.
#[derive(Debug)]
pub(super) struct Written {
    transfers: Vec<Transfer>,
}

impl Written {
    pub fn transfer(&self, made: Made) -> Transfer {
        match made {
            Made::Stored(t) => t,
            Made::Drafted(i) => self.transfers[i].clone(),
        }
    }
}

//! Flow jobs: a flow's money movements and its own writes (its rows, audit
//! entries and events), run by the writer in one savepoint of the batch
//! transaction, so they all commit or none do. A check the flow makes in the
//! job (today's limit, the row still in the state it expects) sees every
//! earlier job's writes and none of a later one's; a failed check refuses
//! the job like a refused transfer.
//!
//! A job names the accounts, holds and people it will touch ([`Locks`]);
//! on PostgreSQL the writer locks them all in id order before the batch's
//! first job, which is what keeps concurrent writers out of deadlocks. A
//! transfer on an account the job did not name is refused.

use async_trait::async_trait;
use shared::{
    ids::{AccountId, TransferId, UserId},
    ledger::{Transfer, TransferRequest, TransferState},
};
use std::{any::Any, collections::BTreeSet};

use super::{
    accounts::{self, NewAccount},
    apply::{apply, Op},
    book::{Book, Wanted},
    keys::Key,
    LedgerError,
};
use crate::{db::Unit, error::Error};

/// What a job will touch.
#[derive(Debug, Clone, Default)]
pub struct Locks {
    pub(super) accounts: BTreeSet<AccountId>,
    pub(super) holds: BTreeSet<TransferId>,
    pub(super) users: BTreeSet<UserId>,
}

impl Locks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn account(mut self, id: AccountId) -> Self {
        self.accounts.insert(id);
        self
    }

    pub fn hold(mut self, id: TransferId) -> Self {
        self.holds.insert(id);
        self
    }

    pub fn user(mut self, id: UserId) -> Self {
        self.users.insert(id);
        self
    }
}

/// A transfer a job made; `fresh` is false when its key had made it before.
#[derive(Debug, Clone)]
pub struct Moved {
    pub transfer: Transfer,
    pub fresh: bool,
}

/// What a job runs with: the unit of work, and the ledger's own operations.
#[derive(Debug)]
pub struct Work<'c> {
    pub unit: Unit<'c>,
    scope: &'c str,
    locks: &'c Locks,
    /// Accounts this job opened: no one else can touch them before commit.
    opened: BTreeSet<AccountId>,
}

impl<'c> Work<'c> {
    pub(super) fn new(unit: Unit<'c>, scope: &'c str, locks: &'c Locks) -> Self {
        Work {
            unit,
            scope,
            locks,
            opened: BTreeSet::new(),
        }
    }

    fn may_touch(&self, id: AccountId) -> bool {
        self.locks.accounts.contains(&id) || self.opened.contains(&id)
    }

    /// Moves, reserves or settles money under `key`; a replay of the key
    /// answers the first transfer (`fresh` false).
    pub async fn transfer(
        &mut self,
        key: &Key,
        request: TransferRequest,
    ) -> Result<Moved, LedgerError> {
        let now = self.unit.now_ms();
        let op = Op::Client(request);
        let mut wanted = Wanted::default();
        wanted.add(self.scope, key.as_str(), &op);
        let declared = wanted.accounts.iter().all(|a| self.may_touch(*a))
            && wanted.holds.is_subset(&self.locks.holds);
        if !declared {
            return Err(LedgerError::Database(sqlx::Error::Protocol(format!(
                "a ledger job's transfer touches what the job did not declare: {op:?}"
            ))));
        }
        // The batch locked what the job declared; this only reads it.
        let conn = self.unit.conn();
        let mut book = Book::read(conn, &wanted, &Wanted::default(), false).await?;
        let applied = apply(&mut book, self.scope, key.as_str(), &op, now)?;
        let transfer = book.write(conn).await?.transfer(applied.made);
        if applied.fresh {
            self.unit
                .audit_event(super::writer::audit_event(self.scope, &transfer));
        }
        Ok(Moved {
            transfer,
            fresh: applied.fresh,
        })
    }

    /// Releases a hold under `key`; a hold the ledger's own timeout released
    /// already (or is about to) is released as far as the job is concerned.
    pub async fn release(&mut self, key: &Key, hold: TransferId) -> Result<(), LedgerError> {
        let request = TransferRequest::VoidPending { pending_id: hold };
        match self.transfer(key, request).await {
            Ok(_)
            | Err(LedgerError::HoldNotPending {
                state: TransferState::Expired | TransferState::Voided,
                ..
            })
            | Err(LedgerError::HoldExpired(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Opens an account in this job; the job may then move money into it.
    pub async fn open_account(&mut self, account: &NewAccount) -> Result<AccountId, sqlx::Error> {
        let now = self.unit.now_ms();
        let id = accounts::insert(self.unit.conn(), account, now).await?;
        self.opened.insert(id);
        Ok(id)
    }
}

/// One flow job. `run` may be called more than once (the writer retries a
/// batch that PostgreSQL aborted for a deadlock), each time in a fresh
/// savepoint, so it must not consume what it was built with.
#[async_trait]
pub trait FlowJob: Send + Sync + 'static {
    type Output: Send + 'static;
    fn locks(&self) -> Locks;
    async fn run(&self, w: &mut Work<'_>) -> Result<Self::Output, Error>;
}

/// A job with its output type erased, as the writer's queue carries it.
#[async_trait]
pub(super) trait Erased: Send + Sync {
    async fn run(&self, w: &mut Work<'_>) -> Result<Box<dyn Any + Send>, Error>;
}

#[async_trait]
impl<J: FlowJob> Erased for J {
    async fn run(&self, w: &mut Work<'_>) -> Result<Box<dyn Any + Send>, Error> {
        FlowJob::run(self, w)
            .await
            .map(|out| Box::new(out) as Box<dyn Any + Send>)
    }
}

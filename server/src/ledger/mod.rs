//! The ledger service: double-entry accounts, single and two-phase
//! transfers, linked groups, idempotency and expiry. Every money movement in
//! Anshin goes through [`Ledger`]; nothing else writes its tables.
//!
//! Writes are queued to the writers in [`writer`] (group commit); reads go
//! straight to the pool. See `shared::ledger` for the vocabulary and
//! `check` for the invariants that must hold at any time.

mod accounts;
mod apply;
mod book;
pub mod check;
mod error;
pub mod keys;
mod transfers;
mod work;
mod writer;

pub use accounts::NewAccount;
pub use apply::{MAX_AMOUNT_MINOR, MAX_REFERENCE_CHARS, MAX_TIMEOUT_MS};
pub use error::LedgerError;
pub use keys::{client_key, Flow, Key, Purpose};
pub use work::{FlowJob, Locks, Moved, Work};
pub use writer::MAX_BATCH;

use shared::{
    ids::{AccountId, TransferId},
    ledger::{
        AccountBalance, AccountKind, IdempotencyKey, StatementLine, StatementPage, Transfer,
        TransferKind, TransferRequest,
    },
    money::{Currency, Money},
};
use tokio::sync::{mpsc, oneshot};

use crate::{db::Db, error::Error, notify::Publisher, system::now_ms};
use apply::Op;
use writer::Job;

/// Scope of the ledger's own requests (expiry), apart from any caller's keys.
const SYSTEM_SCOPE: &str = "system";
/// Longest statement page a caller may ask for.
pub const MAX_PAGE: i64 = 100;

#[derive(Debug, Clone)]
pub struct Ledger {
    db: Db,
    queue: mpsc::Sender<Job>,
}

impl Ledger {
    /// Starts the writers for `db`; flows' events go to `publisher` after commit.
    pub fn start(db: Db, publisher: Option<Publisher>) -> Ledger {
        Self::start_with_batch(db, writer::MAX_BATCH, publisher)
    }

    /// As [`Ledger::start`], committing at most `max_batch` requests per
    /// transaction; 1 turns group commit off (for measuring what it buys).
    pub fn start_with_batch(db: Db, max_batch: usize, publisher: Option<Publisher>) -> Ledger {
        let queue = writer::spawn(db.clone(), max_batch.clamp(1, writer::MAX_BATCH), publisher);
        Ledger { db, queue }
    }

    /// Runs a flow's job (its money and its own writes) in one savepoint of
    /// a group-commit batch; answers after COMMIT.
    pub async fn run<J: FlowJob>(&self, scope: &str, job: J) -> Result<J::Output, Error> {
        let (reply, answer) = oneshot::channel();
        let queued = Job::Flow {
            scope: scope.to_string(),
            locks: job.locks(),
            job: Box::new(job),
            reply,
        };
        self.queue
            .send(queued)
            .await
            .map_err(|_| LedgerError::ShuttingDown)?;
        let out = answer.await.map_err(|_| LedgerError::ShuttingDown)??;
        out.downcast::<J::Output>()
            .map(|out| *out)
            .map_err(|_| Error::Db(sqlx::Error::Protocol("a job answered another type".into())))
    }

    pub async fn open_account(&self, account: NewAccount) -> Result<AccountId, LedgerError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(accounts::insert(&mut conn, &account, now_ms()).await?)
    }

    /// The platform's own account named by setting `key` (the cash vault,
    /// the cardless clearing account…), opened on first use. Two servers
    /// may race to open it: the first setting wins and the other account
    /// stays empty and unused.
    pub async fn platform_account(
        &self,
        key: &str,
        kind: AccountKind,
        label: &str,
    ) -> Result<AccountId, LedgerError> {
        let read = || async {
            let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(self.db.pool())
                .await?;
            let Some(row) = row else { return Ok(None) };
            let value: String = sqlx::Row::try_get(&row, 0)?;
            value
                .parse()
                .map(|id| Some(AccountId(id)))
                .map_err(|e| LedgerError::Database(sqlx::Error::Decode(Box::new(e))))
        };
        if let Some(id) = read().await? {
            return Ok(id);
        }
        let opened = self
            .open_account(NewAccount::platform(kind, Currency::Jpy, label))
            .await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(opened.0.to_string())
        .bind(now_ms())
        .execute(self.db.pool())
        .await?;
        read()
            .await?
            .ok_or(LedgerError::Database(sqlx::Error::RowNotFound))
    }

    /// The platform's fee-income account, where every flow's fees go.
    pub async fn fee_income(&self) -> Result<AccountId, LedgerError> {
        self.platform_account("fee_income_account", AccountKind::FeeIncome, "Fee income")
            .await
    }

    /// Moves money, or reserves and settles it. A repeat with the same key
    /// and request returns the first result; with another request, a conflict.
    pub async fn transfer(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        request: TransferRequest,
    ) -> Result<Transfer, LedgerError> {
        let mut done = self
            .submit(scope, vec![(key.as_str().to_string(), Op::Client(request))])
            .await?;
        done.pop().ok_or(LedgerError::ShuttingDown)
    }

    /// Several transfers that commit together or not at all (a withdrawal and its fee).
    pub async fn transfer_linked(
        &self,
        scope: &str,
        items: Vec<(IdempotencyKey, TransferRequest)>,
    ) -> Result<Vec<Transfer>, LedgerError> {
        let items = items
            .into_iter()
            .map(|(k, r)| (k.as_str().to_string(), Op::Client(r)))
            .collect();
        self.submit(scope, items).await
    }

    async fn submit(
        &self,
        scope: &str,
        items: Vec<(String, Op)>,
    ) -> Result<Vec<Transfer>, LedgerError> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Transfers {
            scope: scope.to_string(),
            items,
            reply,
        };
        self.queue
            .send(job)
            .await
            .map_err(|_| LedgerError::ShuttingDown)?;
        answer.await.map_err(|_| LedgerError::ShuttingDown)?
    }

    /// Releases every hold whose timeout has passed; returns how many.
    pub async fn expire_due(&self) -> Result<usize, LedgerError> {
        let mut expired = 0;
        loop {
            let due = {
                let mut conn = self.db.pool().acquire().await?;
                transfers::due_holds(&mut conn, now_ms(), 256).await?
            };
            if due.is_empty() {
                return Ok(expired);
            }
            let jobs = due.iter().map(|id| async move {
                let key = format!("expire:{id}");
                self.submit(SYSTEM_SCOPE, vec![(key, Op::Expire { expire: *id })])
                    .await
            });
            for result in futures::future::join_all(jobs).await {
                match result {
                    Ok(_) => expired += 1,
                    // Posted or voided just before its deadline: nothing to release.
                    Err(LedgerError::HoldNotPending { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// The accounts belonging to `holder`.
    pub async fn accounts_of(&self, holder: &str) -> Result<Vec<AccountBalance>, LedgerError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(accounts::of_holder(&mut conn, holder).await?)
    }

    /// `holder`'s ordinary account (the one sign-up opens), if they have one.
    pub async fn main_account_of(
        &self,
        holder: &str,
    ) -> Result<Option<AccountBalance>, LedgerError> {
        Ok(self
            .accounts_of(holder)
            .await?
            .into_iter()
            .find(|a| a.kind == shared::ledger::AccountKind::CustomerMain))
    }

    /// Who holds `id`; `None` for platform accounts and unknown ids.
    pub async fn holder_of(&self, id: AccountId) -> Result<Option<String>, LedgerError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(accounts::holder(&mut conn, id).await?)
    }

    pub async fn balance(&self, id: AccountId) -> Result<AccountBalance, LedgerError> {
        let mut conn = self.db.pool().acquire().await?;
        accounts::balance(&mut conn, id)
            .await?
            .ok_or(LedgerError::UnknownAccount(id))
    }

    /// Newest first; pass the page's `next` to continue.
    pub async fn statement(
        &self,
        id: AccountId,
        before: Option<TransferId>,
        limit: i64,
    ) -> Result<StatementPage, LedgerError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut conn = self.db.pool().acquire().await?;
        let mut rows = transfers::statement(&mut conn, id, before, limit + 1).await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|t| t.id)
        } else {
            None
        };
        let lines = rows.into_iter().map(|t| line_for(id, t)).collect();
        Ok(StatementPage { lines, next })
    }

    pub async fn transfer_by_id(&self, id: TransferId) -> Result<Option<Transfer>, LedgerError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(transfers::by_id(&mut conn, id).await?)
    }

    pub async fn transfer_by_key(
        &self,
        scope: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Transfer>, LedgerError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(transfers::by_key(&mut conn, scope, key.as_str())
            .await?
            .map(|(t, _)| t))
    }

    pub async fn check(&self) -> Result<check::Report, LedgerError> {
        Ok(check::check(self.db.pool()).await?)
    }
}

#[async_trait::async_trait]
impl crate::due::DueWork for Ledger {
    fn what(&self) -> &'static str {
        "expired holds"
    }

    async fn run_due(&self) -> Result<usize, Error> {
        Ok(self.expire_due().await?)
    }
}

/// The effect of `t` on the posted balance of `account`: + in, − out, 0 for holds.
fn line_for(account: AccountId, t: Transfer) -> StatementLine {
    let moves = matches!(t.kind, TransferKind::Single | TransferKind::PostPending);
    let amount = match (moves, t.credit == account) {
        (false, _) => 0,
        (true, true) => t.amount.amount_minor,
        (true, false) => -t.amount.amount_minor,
    };
    StatementLine {
        signed_amount: Money::new(amount, t.amount.currency),
        transfer: t,
    }
}

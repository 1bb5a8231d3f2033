//! Group commit: the writers that take requests off the ledger's queue and
//! commit all that arrived together in one database transaction.
//!
//! One fsync then covers many transfers, which is what lifts throughput on
//! SQLite with `synchronous=FULL`. Each job still runs on its own behind a
//! savepoint: one refused transfer rolls back only itself (or, for linked
//! transfers, its whole group). Callers hear back only after COMMIT, so an
//! acknowledged transfer is on disk.
//!
//! SQLite has one writer (`BEGIN IMMEDIATE` takes the write lock up front).
//! PostgreSQL has several, and possibly several servers: each batch first
//! locks every account it will touch in ascending id order, so two batches
//! never wait on each other in a cycle.
//!
//! Every new transfer is also appended to the audit trail in the same
//! transaction, so the ledger and its audit record commit or fail together.
//! A flow job (see [`super::work`]) runs in a savepoint of its own like a
//! transfer, and its audit entries and events are kept only if it succeeds;
//! the audit chain's head is taken once per batch, after the last job, and
//! committed events reach open pages only after COMMIT.

use shared::{
    ids::{AccountId, UserId},
    ledger::Transfer,
    ledger::TransferRequest,
    system::DbEngine,
};
use std::{any::Any, collections::BTreeSet, sync::Arc};
use tokio::sync::{mpsc, oneshot, Mutex};

use super::{
    apply::{apply, Op},
    error::LedgerError,
    work::{Erased, Locks, Work},
};
use crate::{
    audit,
    db::{Db, Unit},
    error::Error,
    notify::{Delivery, Publisher},
    system::now_ms,
};

/// Most jobs committed in one transaction; bounds the latency a batch adds.
pub const MAX_BATCH: usize = 512;
/// Requests waiting for a writer before callers are made to wait to enqueue.
pub const QUEUE_CAPACITY: usize = 8192;
/// Times a batch PostgreSQL aborted (deadlock, serialization) is run again.
const RETRIES: usize = 3;

pub type FlowAnswer = Result<Box<dyn Any + Send>, Error>;

/// What one caller asked for.
pub enum Job {
    /// One operation, or several linked ones (all or nothing).
    Transfers {
        scope: String,
        items: Vec<(String, Op)>,
        reply: oneshot::Sender<Result<Vec<Transfer>, LedgerError>>,
    },
    /// A flow's money and its own writes, together.
    Flow {
        scope: String,
        locks: Locks,
        job: Box<dyn Erased>,
        reply: oneshot::Sender<FlowAnswer>,
    },
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Job::Transfers { scope, items, .. } => f
                .debug_struct("Transfers")
                .field("scope", scope)
                .field("items", items)
                .finish(),
            Job::Flow { scope, locks, .. } => f
                .debug_struct("Flow")
                .field("scope", scope)
                .field("locks", locks)
                .finish(),
        }
    }
}

/// One job's answer, before it is sent.
enum Answer {
    Transfers(Result<Vec<Transfer>, LedgerError>),
    Flow(FlowAnswer),
}

pub fn writers_for(engine: DbEngine) -> usize {
    match engine {
        DbEngine::Sqlite => 1,
        DbEngine::Postgres => 4,
    }
}

/// Starts the writers, each committing up to `max_batch` jobs at a time;
/// they stop when every sender is gone. Events the jobs record go to
/// `publisher` once their batch has committed.
pub fn spawn(db: Db, max_batch: usize, publisher: Option<Publisher>) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..writers_for(db.engine()) {
        let (db, rx, publisher) = (db.clone(), rx.clone(), publisher.clone());
        tokio::spawn(async move {
            while let Some(jobs) = next_batch(&rx, max_batch).await {
                commit_batch(&db, jobs, publisher.as_ref()).await;
            }
        });
    }
    tx
}

/// Waits for one job, then takes whatever else is already queued.
async fn next_batch(rx: &Mutex<mpsc::Receiver<Job>>, max_batch: usize) -> Option<Vec<Job>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut jobs = vec![first];
    while jobs.len() < max_batch {
        match rx.try_recv() {
            Ok(job) => jobs.push(job),
            Err(_) => break,
        }
    }
    Some(jobs)
}

/// PostgreSQL gave up the transaction to break a deadlock or a
/// serialization conflict: nothing was committed, and running it again may work.
fn worth_retrying(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "40P01" || c == "40001")
}

async fn commit_batch(db: &Db, jobs: Vec<Job>, publisher: Option<&Publisher>) {
    let mut outcome = run_batch(db, &jobs).await;
    for _ in 0..RETRIES {
        match &outcome {
            Err(e) if worth_retrying(e) => {
                tracing::warn!(error = %e, jobs = jobs.len(), "ledger batch aborted by the database; running it again");
                outcome = run_batch(db, &jobs).await;
            }
            _ => break,
        }
    }
    match outcome {
        Ok((answers, deliveries)) => {
            if let Some(p) = publisher {
                p.published(deliveries);
            }
            for (job, answer) in jobs.into_iter().zip(answers) {
                match (job, answer) {
                    (Job::Transfers { reply, .. }, Answer::Transfers(a)) => {
                        let _ = reply.send(a);
                    }
                    (Job::Flow { reply, .. }, Answer::Flow(a)) => {
                        let _ = reply.send(a);
                    }
                    _ => unreachable!("answers follow their jobs"),
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, jobs = jobs.len(), "ledger batch failed; nothing was committed");
            for job in jobs {
                let failed = || sqlx::Error::Protocol(e.to_string());
                match job {
                    Job::Transfers { reply, .. } => {
                        let _ = reply.send(Err(LedgerError::Database(failed())));
                    }
                    Job::Flow { reply, .. } => {
                        let _ = reply.send(Err(Error::Db(failed())));
                    }
                }
            }
        }
    }
}

type Outcome = (Vec<Answer>, Vec<Delivery>);

/// Runs every job in one transaction; an `Err` means nothing was committed.
async fn run_batch(db: &Db, jobs: &[Job]) -> Result<Outcome, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let begin = match db.engine() {
        DbEngine::Sqlite => "BEGIN IMMEDIATE",
        DbEngine::Postgres => "BEGIN",
    };
    sqlx::query(begin).execute(&mut *conn).await?;
    let outcome = run_jobs(db.engine(), &mut conn, jobs).await;
    match outcome {
        Ok(results) => match sqlx::query("COMMIT").execute(&mut *conn).await {
            Ok(_) => Ok(results),
            Err(e) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                Err(e)
            }
        },
        Err(e) => {
            if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
                // A connection in an unknown state must not go back to the pool.
                let _ = conn.close().await;
            }
            Err(e)
        }
    }
}

async fn run_jobs(
    engine: DbEngine,
    conn: &mut sqlx::AnyConnection,
    jobs: &[Job],
) -> Result<Outcome, sqlx::Error> {
    if engine == DbEngine::Postgres {
        lock_batch(conn, jobs).await?;
    }
    let now = now_ms();
    let mut answers = Vec::with_capacity(jobs.len());
    let mut audited = Vec::new();
    let mut deliveries = Vec::new();
    for job in jobs {
        sqlx::query("SAVEPOINT job").execute(&mut *conn).await?;
        let kept = match job {
            Job::Transfers { scope, items, .. } => {
                let (answer, mut fresh) = run_transfers(conn, scope, items, now).await;
                let ok = answer.is_ok();
                if ok {
                    audited.append(&mut fresh);
                }
                answers.push(Answer::Transfers(answer));
                ok
            }
            Job::Flow {
                scope, locks, job, ..
            } => {
                let unit = Unit::in_writer(&mut *conn, engine, now, &locks.users);
                let mut work = Work::new(unit, scope, locks);
                let answer = job.run(&mut work).await;
                let (mut audit, mut told) = work.unit.into_parts();
                let ok = answer.is_ok();
                if ok {
                    audited.append(&mut audit);
                    deliveries.append(&mut told);
                }
                answers.push(Answer::Flow(answer));
                ok
            }
        };
        if !kept {
            sqlx::query("ROLLBACK TO SAVEPOINT job")
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query("RELEASE SAVEPOINT job")
            .execute(&mut *conn)
            .await?;
    }
    // The batch's transaction fails as a whole on the database's own error.
    audit::append(conn, &audited, now)
        .await
        .map_err(|e| match e {
            Error::Db(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        })?;
    Ok((answers, deliveries))
}

/// Linked transfers: all of them, or (at the first refusal) none.
async fn run_transfers(
    conn: &mut sqlx::AnyConnection,
    scope: &str,
    items: &[(String, Op)],
    now: i64,
) -> (Result<Vec<Transfer>, LedgerError>, Vec<audit::Event>) {
    let mut done = Vec::with_capacity(items.len());
    let mut fresh = Vec::new();
    for (index, (key, op)) in items.iter().enumerate() {
        match apply(conn, scope, key, op, now).await {
            Ok(applied) => {
                if applied.fresh {
                    fresh.push(audit_event(scope, &applied.transfer));
                }
                done.push(applied.transfer);
            }
            Err(cause) => {
                let e = if items.len() > 1 {
                    LedgerError::LinkedFailed {
                        index,
                        cause: Box::new(cause),
                    }
                } else {
                    cause
                };
                return (Err(e), Vec::new());
            }
        }
    }
    (Ok(done), fresh)
}

pub(super) fn audit_event(scope: &str, t: &Transfer) -> audit::Event {
    audit::Event {
        actor: scope.to_string(),
        action: format!("ledger.{}", t.kind.as_str()),
        subject: format!("transfer:{}", t.id),
        detail: serde_json::to_string(t).unwrap_or_default(),
    }
}

/// Locks, in ascending id order, every account the batch may change, then
/// every person whose events it may record.
async fn lock_batch(conn: &mut sqlx::AnyConnection, jobs: &[Job]) -> Result<(), sqlx::Error> {
    let mut accounts = BTreeSet::new();
    let mut users = BTreeSet::<UserId>::new();
    for job in jobs {
        match job {
            Job::Transfers { items, .. } => {
                for (_, op) in items {
                    match op {
                        Op::Client(TransferRequest::Single { debit, credit, .. })
                        | Op::Client(TransferRequest::Pending { debit, credit, .. }) => {
                            accounts.extend([debit.0, credit.0]);
                        }
                        _ => {
                            if let Some(hold) = op.hold() {
                                accounts
                                    .extend(hold_accounts(conn, hold.0).await?.iter().map(|a| a.0));
                            }
                        }
                    }
                }
            }
            Job::Flow { locks, .. } => {
                accounts.extend(locks.accounts.iter().map(|a| a.0));
                for hold in &locks.holds {
                    accounts.extend(hold_accounts(conn, hold.0).await?.iter().map(|a| a.0));
                }
                users.extend(locks.users.iter().copied());
            }
        }
    }
    lock_rows(conn, "ledger_accounts", &accounts).await?;
    lock_rows(conn, "users", &users.iter().map(|u| u.0).collect()).await
}

async fn lock_rows(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    ids: &BTreeSet<i64>,
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id FROM {table} WHERE id IN ({}) ORDER BY id FOR UPDATE",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    query.fetch_all(&mut *conn).await?;
    Ok(())
}

/// The accounts of a hold; they never change, so reading them unlocked is safe.
async fn hold_accounts(
    conn: &mut sqlx::AnyConnection,
    hold: i64,
) -> Result<Vec<AccountId>, sqlx::Error> {
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT debit_account_id, credit_account_id FROM ledger_transfers WHERE id = $1",
    )
    .bind(hold)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(r) => vec![
            AccountId(r.try_get("debit_account_id")?),
            AccountId(r.try_get("credit_account_id")?),
        ],
        None => vec![],
    })
}

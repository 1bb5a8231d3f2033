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

use shared::{ids::AccountId, ledger::Transfer, ledger::TransferRequest, system::DbEngine};
use std::{collections::BTreeSet, sync::Arc};
use tokio::sync::{mpsc, oneshot, Mutex};

use super::{
    apply::{apply, Op},
    error::LedgerError,
};
use crate::{audit, db::Db, system::now_ms};

/// Most jobs committed in one transaction; bounds the latency a batch adds.
pub const MAX_BATCH: usize = 512;
/// Requests waiting for a writer before callers are made to wait to enqueue.
pub const QUEUE_CAPACITY: usize = 8192;

/// One caller's request: one operation, or several linked ones (all or nothing).
#[derive(Debug)]
pub struct Job {
    pub scope: String,
    pub items: Vec<(String, Op)>,
    pub reply: oneshot::Sender<Result<Vec<Transfer>, LedgerError>>,
}

pub fn writers_for(engine: DbEngine) -> usize {
    match engine {
        DbEngine::Sqlite => 1,
        DbEngine::Postgres => 4,
    }
}

/// Starts the writers, each committing up to `max_batch` jobs at a time;
/// they stop when every sender is gone.
pub fn spawn(db: Db, max_batch: usize) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..writers_for(db.engine()) {
        let (db, rx) = (db.clone(), rx.clone());
        tokio::spawn(async move {
            while let Some(jobs) = next_batch(&rx, max_batch).await {
                commit_batch(&db, jobs).await;
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

async fn commit_batch(db: &Db, jobs: Vec<Job>) {
    match run_batch(db, &jobs).await {
        Ok(results) => {
            for (job, result) in jobs.into_iter().zip(results) {
                let _ = job.reply.send(result);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, jobs = jobs.len(), "ledger batch failed; nothing was committed");
            for job in jobs {
                let _ = job
                    .reply
                    .send(Err(LedgerError::Database(sqlx::Error::Protocol(
                        e.to_string(),
                    ))));
            }
        }
    }
}

/// Runs every job in one transaction; an `Err` means nothing was committed.
async fn run_batch(
    db: &Db,
    jobs: &[Job],
) -> Result<Vec<Result<Vec<Transfer>, LedgerError>>, sqlx::Error> {
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
) -> Result<Vec<Result<Vec<Transfer>, LedgerError>>, sqlx::Error> {
    if engine == DbEngine::Postgres {
        lock_accounts(conn, jobs).await?;
    }
    let now = now_ms();
    let mut results = Vec::with_capacity(jobs.len());
    let mut audited = Vec::new();
    for job in jobs {
        sqlx::query("SAVEPOINT job").execute(&mut *conn).await?;
        let mut done = Vec::with_capacity(job.items.len());
        let mut fresh = Vec::new();
        let mut failed = None;
        for (index, (key, op)) in job.items.iter().enumerate() {
            match apply(conn, &job.scope, key, op, now).await {
                Ok(applied) => {
                    if applied.fresh {
                        fresh.push(audit_event(&job.scope, &applied.transfer));
                    }
                    done.push(applied.transfer);
                }
                Err(cause) => {
                    failed = Some(if job.items.len() > 1 {
                        LedgerError::LinkedFailed {
                            index,
                            cause: Box::new(cause),
                        }
                    } else {
                        cause
                    });
                    break;
                }
            }
        }
        match failed {
            None => {
                sqlx::query("RELEASE SAVEPOINT job")
                    .execute(&mut *conn)
                    .await?;
                audited.append(&mut fresh);
                results.push(Ok(done));
            }
            Some(e) => {
                sqlx::query("ROLLBACK TO SAVEPOINT job")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("RELEASE SAVEPOINT job")
                    .execute(&mut *conn)
                    .await?;
                results.push(Err(e));
            }
        }
    }
    audit::append(conn, &audited, now).await?;
    Ok(results)
}

fn audit_event(scope: &str, t: &Transfer) -> audit::Event {
    audit::Event {
        actor: scope.to_string(),
        action: format!("ledger.{}", t.kind.as_str()),
        subject: format!("transfer:{}", t.id),
        detail: serde_json::to_string(t).unwrap_or_default(),
    }
}

/// Locks, in ascending id order, every account the batch may change.
async fn lock_accounts(conn: &mut sqlx::AnyConnection, jobs: &[Job]) -> Result<(), sqlx::Error> {
    let mut ids = BTreeSet::new();
    for (_, op) in jobs.iter().flat_map(|j| &j.items) {
        match op {
            Op::Client(TransferRequest::Single { debit, credit, .. })
            | Op::Client(TransferRequest::Pending { debit, credit, .. }) => {
                ids.extend([debit.0, credit.0]);
            }
            _ => {
                if let Some(hold) = op.hold() {
                    ids.extend(hold_accounts(conn, hold.0).await?.iter().map(|a| a.0));
                }
            }
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id FROM ledger_accounts WHERE id IN ({}) ORDER BY id FOR UPDATE",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for id in &ids {
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
        Some(r) => vec![AccountId(r.try_get(0)?), AccountId(r.try_get(1)?)],
        None => vec![],
    })
}

//! Group commit: the writer that takes requests off the ledger's queue and
//! commits all that arrived together in one database transaction.
//!
//! One fsync then covers many transfers, which is what lifts throughput on
//! SQLite with `synchronous=FULL`. The batch's transfers are checked one by
//! one against a [`Book`] read at its start and written back in a few
//! multi-row statements: one refused transfer leaves only itself out (or,
//! for linked transfers, its whole group). Callers hear back only after
//! COMMIT, so an acknowledged transfer is on disk.
//!
//! SQLite has one writer (`BEGIN IMMEDIATE` takes the write lock up front).
//! PostgreSQL may have several servers, each with its writer: each batch first
//! locks every hold, then every account, then every person it will touch,
//! each in ascending id order, so two batches never wait on each other in a
//! cycle.
//!
//! Every new transfer is also appended to the audit trail in the same
//! transaction, so the ledger and its audit record commit or fail together.
//! A flow job (see [`super::work`]) runs in a savepoint of its own, after
//! the batch's transfers, and its audit entries and events are kept only if
//! it succeeds; the audit chain's head is taken once per batch, after the
//! last job, and committed events reach open pages only after COMMIT.

use shared::{ledger::Transfer, system::DbEngine};
use sqlx::Executor;
use std::{any::Any, collections::BTreeSet};
use tokio::sync::{mpsc, oneshot};

use super::{
    apply::{apply, Applied, Op},
    book::{Book, Wanted},
    error::LedgerError,
    work::{Erased, Locks, Work},
};
use crate::{
    audit,
    db::{shapes, Db, Unit},
    error::{lost_a_conflict, Error},
    notify::{Delivery, Publisher},
    system::now_ms,
};

/// Most jobs committed in one transaction; bounds the latency a batch adds.
pub const MAX_BATCH: usize = 512;
/// Requests waiting for a writer before callers are made to wait to enqueue.
pub const QUEUE_CAPACITY: usize = 8192;
/// Scheduler turns a writer gives waking callers before it takes a batch.
const WAIT_TURNS: usize = 8;
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

/// Starts the writer, committing up to `max_batch` jobs at a time; it
/// stops when every sender is gone. Events the jobs record go to
/// `publisher` once their batch has committed.
///
/// One writer per server, on both engines: SQLite has one writer anyway,
/// and on PostgreSQL concurrent batches wait on each other's locks of the
/// same hot accounts and of the audit chain's head, so more writers only
/// made batches smaller (measured at 64 clients: four writers' batches
/// averaged 15 jobs, one writer's 47, at more throughput). Several servers
/// still write at once, which the lock order keeps safe.
pub fn spawn(db: Db, max_batch: usize, publisher: Option<Publisher>) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel(QUEUE_CAPACITY);
    tokio::spawn(async move {
        while let Some(jobs) = next_batch(&mut rx, max_batch).await {
            commit_batch(&db, jobs, publisher.as_ref()).await;
        }
    });
    tx
}

/// Waits for one job, then takes whatever else is already queued.
async fn next_batch(rx: &mut mpsc::Receiver<Job>, max_batch: usize) -> Option<Vec<Job>> {
    let first = rx.recv().await?;
    // The callers the last commit answered are waking now; letting them run
    // first puts their next requests in this batch rather than the next
    // one. Stop as soon as a turn brings nothing new (at most a few turns).
    for _ in 0..WAIT_TURNS {
        let queued = rx.len();
        tokio::task::yield_now().await;
        if rx.len() == queued || rx.len() + 1 >= max_batch {
            break;
        }
    }
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
/// serialization conflict, or refused a duplicate key: nothing was
/// committed, and running it again may work.
fn worth_retrying(e: &sqlx::Error) -> bool {
    lost_a_conflict(e)
        // 23505: another server committed the same idempotency key first;
        // run again, the batch finds it and answers the replay.
        || e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|c| c == "23505")
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
            // Callers of a batch the database was only too busy for are
            // told so (503, try again), not that the server broke.
            let busy = crate::error::busy(&e);
            for job in jobs {
                let failed = || sqlx::Error::Protocol(e.to_string());
                match job {
                    Job::Transfers { reply, .. } => {
                        let _ = reply.send(Err(match busy {
                            true => LedgerError::Busy,
                            false => LedgerError::Database(failed()),
                        }));
                    }
                    Job::Flow { reply, .. } => {
                        let _ = reply.send(Err(match busy {
                            true => Error::Ledger(LedgerError::Busy),
                            false => Error::Db(failed()),
                        }));
                    }
                }
            }
        }
    }
}

type Outcome = (Vec<Answer>, Vec<Delivery>);

/// Runs every job in one transaction; an `Err` means nothing was committed.
async fn run_batch(db: &Db, jobs: &[Job]) -> Result<Outcome, sqlx::Error> {
    let started = std::time::Instant::now();
    let mut conn = db.pool().acquire().await?;
    let begin = match db.engine() {
        DbEngine::Sqlite => "BEGIN IMMEDIATE",
        // Every statement of a batch finds its rows by key. PostgreSQL plans
        // a prepared statement once per connection and keeps the plan, so a
        // plan made while a table was small (a scan) would stay as it grows;
        // these settings, for the batch's transaction only, keep to indexes.
        DbEngine::Postgres => {
            "BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; \
             SET LOCAL enable_mergejoin = off"
        }
    };
    conn.execute(begin).await?;
    let begun = started.elapsed();
    let outcome = run_jobs(db.engine(), &mut conn, jobs).await;
    let ran = started.elapsed();
    match outcome {
        Ok(results) => match sqlx::query("COMMIT").execute(&mut *conn).await {
            Ok(_) => {
                // Where a batch's time goes: `RUST_LOG=server::ledger=debug`.
                tracing::debug!(
                    jobs = jobs.len(),
                    begin_us = begun.as_micros() as u64,
                    run_us = (ran - begun).as_micros() as u64,
                    commit_us = (started.elapsed() - ran).as_micros() as u64,
                    "ledger batch committed"
                );
                Ok(results)
            }
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
    let now = now_ms();
    let lock = engine == DbEngine::Postgres;
    let mut wanted = Wanted::default();
    let mut declared = Wanted::default();
    let mut users = BTreeSet::new();
    for job in jobs {
        match job {
            Job::Transfers { scope, items, .. } => {
                for (key, op) in items {
                    wanted.add(scope, key, op);
                }
            }
            Job::Flow { locks, .. } if lock => {
                declared.accounts.extend(locks.accounts.iter().copied());
                declared.holds.extend(locks.holds.iter().copied());
                users.extend(locks.users.iter().map(|u| u.0));
            }
            Job::Flow { .. } => {}
        }
    }
    let mut book = Book::read(conn, &wanted, &declared, lock).await?;
    if lock {
        lock_users(conn, &users).await?;
    }

    // Plain transfers first, all in the book, written together; flow jobs
    // then run on what that wrote. Jobs of one batch arrived together, so
    // any order among them is one the callers could have seen.
    let mut made: Vec<Option<Result<Vec<Applied>, LedgerError>>> = jobs
        .iter()
        .map(|job| match job {
            Job::Transfers { scope, items, .. } => {
                Some(run_transfers(&mut book, scope, items, now))
            }
            Job::Flow { .. } => None,
        })
        .collect();
    let written = book.write(conn).await?;

    let mut answers = Vec::with_capacity(jobs.len());
    let mut audited = Vec::new();
    let mut deliveries = Vec::new();
    for (job, made) in jobs.iter().zip(made.iter_mut()) {
        let answer = match (job, made.take()) {
            (Job::Transfers { scope, .. }, Some(result)) => {
                Answer::Transfers(result.map(|applied| {
                    applied
                        .into_iter()
                        .map(|a| {
                            let t = written.transfer(a.made);
                            if a.fresh {
                                audited.push(audit_event(scope, &t));
                            }
                            t
                        })
                        .collect()
                }))
            }
            (
                Job::Flow {
                    scope, locks, job, ..
                },
                _,
            ) => {
                sqlx::query("SAVEPOINT job").execute(&mut *conn).await?;
                let unit = Unit::in_writer(&mut *conn, engine, now, &locks.users);
                let mut work = Work::new(unit, scope, locks);
                let answer = match job.run(&mut work).await {
                    // The database ended this job's statement to break a
                    // deadlock (or a serialization conflict) with another
                    // transaction: the whole batch runs again, as when the
                    // batch's own statements lose one.
                    Err(Error::Db(e) | Error::Ledger(LedgerError::Database(e)))
                        if lost_a_conflict(&e) =>
                    {
                        return Err(e)
                    }
                    other => other,
                };
                let (mut audit, mut told) = work.unit.into_parts();
                if answer.is_ok() {
                    audited.append(&mut audit);
                    deliveries.append(&mut told);
                } else {
                    sqlx::query("ROLLBACK TO SAVEPOINT job")
                        .execute(&mut *conn)
                        .await?;
                }
                sqlx::query("RELEASE SAVEPOINT job")
                    .execute(&mut *conn)
                    .await?;
                Answer::Flow(answer)
            }
            (Job::Transfers { .. }, None) => unreachable!("every transfer job ran in the book"),
        };
        answers.push(answer);
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
fn run_transfers(
    book: &mut Book,
    scope: &str,
    items: &[(String, Op)],
    now: i64,
) -> Result<Vec<Applied>, LedgerError> {
    let mark = book.mark();
    let mut done = Vec::with_capacity(items.len());
    for (index, (key, op)) in items.iter().enumerate() {
        match apply(book, scope, key, op, now) {
            Ok(applied) => done.push(applied),
            Err(cause) => {
                book.undo(mark);
                return Err(if items.len() > 1 {
                    LedgerError::LinkedFailed {
                        index,
                        cause: Box::new(cause),
                    }
                } else {
                    cause
                });
            }
        }
    }
    Ok(done)
}

pub(super) fn audit_event(scope: &str, t: &Transfer) -> audit::Event {
    audit::Event {
        actor: scope.to_string(),
        action: format!("ledger.{}", t.kind.as_str()),
        subject: format!("transfer:{}", t.id),
        detail: serde_json::to_string(t).unwrap_or_default(),
    }
}

/// Locks, in ascending id order, every person whose events the batch may
/// record (after its holds and accounts, the order every writer keeps).
async fn lock_users(
    conn: &mut sqlx::AnyConnection,
    ids: &BTreeSet<i64>,
) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    for range in shapes::chunks(ids.len()) {
        let part = &ids[range];
        let sql = format!(
            "SELECT id FROM users WHERE id IN ({}) ORDER BY id FOR UPDATE",
            shapes::Marks::of(conn).list(shapes::padded(part.len()))
        );
        let mut query = sqlx::query(&sql);
        for id in shapes::pad(part) {
            query = query.bind(*id);
        }
        query.fetch_all(&mut *conn).await?;
    }
    Ok(())
}

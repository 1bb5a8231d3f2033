//! `anshin bench risk`: builds a population of N customers and M completed
//! transfers between them in a scratch database (in bulk SQL, so 10 M rows
//! take minutes, yet leaving a ledger `anshin check-ledger` accepts: every
//! transfer is a ledger row and every account's sums agree), then times the
//! risk assessment (the facts read plus the rules) for random pairs, half
//! of them with a history and half strangers, and the path from a sender's
//! confirm to the recipient's balance changing (the flow's ledger job).

use rand::Rng;
use shared::{
    ids::{AccountId, UserId},
    ledger::{AccountKind, IdempotencyKey},
    money::{Currency, Money},
    system::DbEngine,
    transfer::risk::{assess, Facts, NameAnswer, RecipientFacts},
};
use sqlx::AnyConnection;
use std::time::{Duration, Instant};

use super::{
    facts::{self, Parties},
    jobs,
};
use crate::{
    config::RiskBenchArgs,
    db::Db,
    error::StartupError,
    ledger::{Ledger, NewAccount},
    startup::open_database,
    system::now_ms,
};

const DAY_MS: i64 = 24 * 3600 * 1000;
/// Each account pays among this many neighbours, so pairs repeat as friends do.
const CIRCLE: i64 = 50;
const DEPOSIT_YEN: i64 = 1_000_000;
const POPULATION: &str = "bench_risk_population";

fn fail(e: impl std::fmt::Display) -> StartupError {
    StartupError::Serve(format!("risk benchmark: {e}"))
}

/// The numbers 0..n as a row source, and a random integer in 0..k, per engine.
fn seq(engine: DbEngine, n: i64) -> (String, String) {
    match engine {
        DbEngine::Sqlite => (
            format!(
                "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {}) ",
                n - 1
            ),
            "FROM seq".into(),
        ),
        DbEngine::Postgres => (
            String::new(),
            format!(
                "FROM generate_series(CAST(0 AS BIGINT), {}) AS seq(i)",
                n - 1
            ),
        ),
    }
}

fn random_below(engine: DbEngine, k: i64) -> String {
    match engine {
        DbEngine::Sqlite => format!("(abs(random()) % {k})"),
        DbEngine::Postgres => format!("floor(random() * {k})::bigint"),
    }
}

async fn exec(conn: &mut AnyConnection, sql: &str) -> Result<u64, StartupError> {
    Ok(sqlx::query(sql)
        .execute(conn)
        .await
        .map_err(fail)?
        .rows_affected())
}

async fn scalar(conn: &mut AnyConnection, sql: &str) -> Result<i64, StartupError> {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(conn)
        .await
        .map_err(fail)
}

/// The secondary indexes the bulk load drops and builds again afterwards
/// (building an index once from sorted rows is far faster than growing it
/// row by row in random order). As the migrations define them.
const INDEXES: [(&str, &str); 11] = [
    ("p2p_transfers_pair", "p2p_transfers (from_account, to_account, state)"),
    ("p2p_transfers_sent", "p2p_transfers (from_account, created_at_ms)"),
    ("p2p_transfers_sender", "p2p_transfers (sender_id, id)"),
    ("p2p_transfers_recipient", "p2p_transfers (recipient_id, state)"),
    ("p2p_transfers_open", "p2p_transfers (deadline_ms) WHERE state IN ('awaiting_recipient', 'awaiting_sender', 'in_review')"),
    ("p2p_transfers_state", "p2p_transfers (state, id)"),
    ("p2p_transfers_created", "p2p_transfers (created_at_ms)"),
    ("p2p_pairs_to", "p2p_pairs (to_account, first_at_ms)"),
    ("ledger_transfers_debit", "ledger_transfers (debit_account_id, id)"),
    ("ledger_transfers_credit", "ledger_transfers (credit_account_id, id)"),
    ("ledger_transfers_due", "ledger_transfers (timeout_at_ms) WHERE state = 'pending'"),
];

/// The first user and account of the population, generating it if this database has none.
async fn population(
    db: &Db,
    ledger: &Ledger,
    n: i64,
    m: i64,
) -> Result<(UserId, AccountId, f64), StartupError> {
    let e = db.engine();
    let wanted = format!("{n}:{m}");
    let have: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(POPULATION)
        .fetch_optional(db.pool())
        .await
        .map_err(fail)?;
    let started = Instant::now();
    let mut c = db.conn().await.map_err(fail)?;
    let conn = &mut *c;
    if e == DbEngine::Sqlite {
        // A page cache that holds the indexes while they are built (the machine has the memory).
        exec(conn, "PRAGMA cache_size = -4000000").await?;
        exec(conn, "PRAGMA temp_store = MEMORY").await?;
    }
    if have.is_none() {
        let now = now_ms();
        let funding = ledger
            .open_account(NewAccount::platform(
                AccountKind::Funding,
                Currency::Jpy,
                "bench funding",
            ))
            .await
            .map_err(fail)?;
        for (name, _) in INDEXES {
            exec(conn, &format!("DROP INDEX {name}")).await?;
        }
        let (with, from) = seq(e, n);
        exec(conn, &format!(
            "{with}INSERT INTO users (handle, display_name, nickname, nickname_canonical, birth_date, role, created_at_ms) \
             SELECT 'bench-' || i, 'Bench ' || i, 'b' || i, 'b' || i, '1990-01-01', 'customer', {now} {from}"
        )).await?;
        let u0 = scalar(conn, "SELECT id FROM users WHERE handle = 'bench-0'").await?;
        exec(conn, &format!(
            "{with}INSERT INTO ledger_accounts (kind, balance_rule, currency, label, holder, created_at_ms) \
             SELECT 'customer_main', 'debits_within_credits', 'JPY', 'ordinary', 'user:' || ({u0} + i), \
             {now} - (i % 1000) * {DAY_MS} {from}"
        )).await?;
        let a0 = scalar(
            conn,
            &format!("SELECT id FROM ledger_accounts WHERE holder = 'user:{u0}'"),
        )
        .await?;
        let last = scalar(
            conn,
            "SELECT MAX(id) FROM ledger_accounts WHERE kind = 'customer_main'",
        )
        .await?;
        if last - a0 + 1 != n {
            return Err(fail("the accounts' ids are not one run"));
        }
        exec(conn, &format!(
            "{with}INSERT INTO ledger_transfers (scope, idem_key, request_json, kind, state, debit_account_id, \
             credit_account_id, amount, currency, code, reference, created_at_ms) \
             SELECT 'bench', 'deposit-' || i, '{{}}', 'single', 'posted', {funding}, {a0} + i, {DEPOSIT_YEN}, 'JPY', \
             'deposit', 'Bench deposit', {now} {from}"
        )).await?;
        let (with, from) = seq(e, m);
        let (r_from, r_step, r_amount, r_age) = (
            random_below(e, n),
            random_below(e, CIRCLE),
            random_below(e, 20_000),
            random_below(e, 365 * DAY_MS),
        );
        // One random draw per column, kept in a derived table so each row's ledger twin matches it.
        exec(conn, &format!(
            "{with}INSERT INTO p2p_transfers (sender_id, recipient_id, from_account, to_account, amount, state, \
             request_key, request_digest, score, decision, assessment_json, created_at_ms) \
             SELECT {u0} + f, {u0} + t, {a0} + f, {a0} + t, 100 + amt, 'settled', 'bench-' || i, '', 0, 'proceed', \
             '{{\"score\":0,\"reasons\":[],\"decision\":\"proceed\"}}', {now} - age \
             FROM (SELECT i, f, (f + 1 + s) % {n} AS t, amt, age FROM \
                   (SELECT i, {r_from} AS f, {r_step} AS s, {r_amount} AS amt, {r_age} AS age {from}) d) r \
             ORDER BY f, i"
        )).await?;
        exec(conn, "INSERT INTO ledger_transfers (scope, idem_key, request_json, kind, state, debit_account_id, \
             credit_account_id, amount, currency, code, reference, created_at_ms) \
             SELECT 'bench', 'p2p-' || id, '{}', 'single', 'posted', from_account, to_account, amount, 'JPY', \
             'transfer', 'Bench transfer', created_at_ms FROM p2p_transfers WHERE request_key LIKE 'bench-%'").await?;
        exec(conn, "INSERT INTO p2p_pairs (from_account, to_account, transfers, total, first_at_ms, last_at_ms) \
             SELECT from_account, to_account, COUNT(*), SUM(amount), MIN(created_at_ms), MAX(created_at_ms) \
             FROM p2p_transfers WHERE state = 'settled' GROUP BY from_account, to_account").await?;
        for (column, side) in [
            ("debits_posted", "debit_account_id"),
            ("credits_posted", "credit_account_id"),
        ] {
            exec(conn, &format!(
                "UPDATE ledger_accounts SET {column} = s.total FROM \
                 (SELECT {side} AS account, CAST(SUM(amount) AS BIGINT) AS total FROM ledger_transfers \
                  WHERE kind = 'single' GROUP BY {side}) s WHERE ledger_accounts.id = s.account"
            )).await?;
        }
        for (name, on) in INDEXES {
            exec(conn, &format!("CREATE INDEX {name} ON {on}")).await?;
        }
        exec(conn, "ANALYZE").await?;
        sqlx::query("INSERT INTO settings (key, value, updated_at_ms) VALUES ($1, $2, $3)")
            .bind(POPULATION)
            .bind(&wanted)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(fail)?;
    } else if have.as_deref() != Some(wanted.as_str()) {
        return Err(fail(format!(
            "this database holds another population ({})",
            have.unwrap_or_default()
        )));
    }
    let u0 = scalar(conn, "SELECT id FROM users WHERE handle = 'bench-0'").await?;
    let a0 = scalar(
        conn,
        &format!("SELECT id FROM ledger_accounts WHERE holder = 'user:{u0}'"),
    )
    .await?;
    Ok((UserId(u0), AccountId(a0), started.elapsed().as_secs_f64()))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    format!(
        "p50_ms={:.3} p99_ms={:.3} max_ms={:.3}",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0)
    )
}

pub async fn risk(args: RiskBenchArgs) -> Result<String, StartupError> {
    let db = open_database(&args.database_url).await?;
    let ledger = Ledger::start(db.clone(), None);
    let (n, m) = (args.accounts as i64, args.transfers as i64);
    let (u0, a0, built_s) = population(&db, &ledger, n, m).await?;
    let mut rng = rand::rng();
    let mut times = Vec::with_capacity(args.samples);
    let mut conn = db.conn().await.map_err(fail)?;
    for k in 0..args.samples {
        let f = rng.random_range(0..n);
        // Half the pairs are friends (within the circle), half strangers (far outside it).
        let t = if k % 2 == 0 {
            (f + 1 + rng.random_range(0..CIRCLE)) % n
        } else {
            (f + n / 2 + rng.random_range(0..CIRCLE)) % n
        };
        let parties = Parties {
            sender: UserId(u0.0 + f),
            from: AccountId(a0.0 + f),
            recipient: UserId(u0.0 + t),
            to: AccountId(a0.0 + t),
        };
        let started = Instant::now();
        let facts = facts::gather(
            &mut conn,
            parties,
            Money::jpy(30_000),
            NameAnswer::Match,
            now_ms(),
        )
        .await
        .map_err(fail)?;
        // As the flow does: the rules in force are read with every assessment.
        let (_, rules) = super::rules::in_force(&mut conn).await.map_err(fail)?;
        let assessment = assess(&facts, &rules);
        times.push(started.elapsed());
        std::hint::black_box(assessment);
    }
    drop(conn);
    let assessed = summary(times);
    // Confirm → credited: the flow's ledger job for a transfer that goes straight through.
    let mut paid = Vec::with_capacity(args.confirms);
    for k in 0..args.confirms {
        let f = rng.random_range(0..n);
        let t = (f + 1 + rng.random_range(0..CIRCLE)) % n;
        let to = AccountId(a0.0 + t);
        let before = ledger
            .balance(to)
            .await
            .map_err(fail)?
            .posted()
            .amount_minor;
        let job = jobs::Create {
            sender: UserId(u0.0 + f),
            recipient: UserId(u0.0 + t),
            sender_nickname: format!("b{f}"),
            recipient_nickname: format!("b{t}"),
            from: AccountId(a0.0 + f),
            to,
            amount: Money::jpy(100),
            client_key: IdempotencyKey::parse(&format!("bench-confirm-{}-{k}", now_ms()))
                .map_err(|_| fail("key"))?,
            digest: String::new(),
            facts: Facts {
                amount: Money::jpy(100),
                between: Vec::new(),
                recipient: RecipientFacts::default(),
                saved_payee: true,
                name: NameAnswer::Match,
                conversation: None,
                sender_largest_recent: None,
            },
            assessment: shared::transfer::risk::Assessment {
                score: 0,
                reasons: Vec::new(),
                decision: shared::transfer::risk::Decision::Proceed,
                rules_version: 0,
            },
            name_check: None,
            acknowledged: None,
            passkey: "bench".into(),
            proof_ttl_ms: 3_600_000,
            review_ttl_ms: 3_600_000,
        };
        let started = Instant::now();
        ledger
            .run(super::SCOPE, job)
            .await
            .map_err(|e| fail(shared::AppError::from(e)))?;
        let after = ledger
            .balance(to)
            .await
            .map_err(fail)?
            .posted()
            .amount_minor;
        paid.push(started.elapsed());
        if after != before + 100 {
            return Err(fail("the recipient's balance did not change"));
        }
    }
    let line = format!(
        "bench risk engine={} accounts={n} transfers={m} population_s={built_s:.1} samples={} assess {} | confirms={} confirm_to_credit {}",
        db.engine().name(),
        args.samples,
        assessed,
        args.confirms,
        summary(paid),
    );
    db.close().await;
    Ok(line)
}

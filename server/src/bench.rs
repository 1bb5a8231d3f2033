//! `anshin bench ledger`: drives transfers through the same `Ledger` the API
//! uses, from N concurrent clients for S seconds, between accounts chosen
//! with a Zipf-skewed hot set, and prints one line of figures.
//!
//! It opens its own accounts in the given database, so point it at a
//! scratch database rather than a real one.

use rand::Rng;
use shared::{
    ledger::{AccountKind, IdempotencyKey, TransferCode, TransferRequest},
    money::{Currency, Money},
};
use std::time::{Duration, Instant};

use crate::{
    config::LedgerBenchArgs,
    error::StartupError,
    ledger::{Ledger, LedgerError, NewAccount},
    startup::open_database,
};

/// Cumulative weights of a Zipf distribution (exponent `s`) over `n` ranks.
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let mut acc = 0.0;
        let mut cdf: Vec<f64> = (1..=n)
            .map(|k| {
                acc += 1.0 / (k as f64).powf(s);
                acc
            })
            .collect();
        for w in &mut cdf {
            *w /= acc;
        }
        Zipf(cdf)
    }

    fn sample(&self, rng: &mut impl Rng) -> usize {
        let u: f64 = rng.random();
        self.0.partition_point(|&w| w < u).min(self.0.len() - 1)
    }
}

fn fail(e: LedgerError) -> StartupError {
    StartupError::Serve(format!("benchmark setup failed: {e}"))
}

pub async fn ledger(args: LedgerBenchArgs) -> Result<String, StartupError> {
    let db = open_database(&args.database_url).await?;
    let engine = db.engine();
    let ledger = Ledger::start_with_batch(db.clone(), args.max_batch, None);
    let funding = ledger
        .open_account(NewAccount::platform(
            AccountKind::Funding,
            Currency::Jpy,
            "bench funding",
        ))
        .await
        .map_err(fail)?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut accounts = Vec::with_capacity(args.accounts);
    for i in 0..args.accounts {
        accounts.push(
            ledger
                .open_account(NewAccount::platform(
                    AccountKind::CustomerMain,
                    Currency::Jpy,
                    &format!("bench {i}"),
                ))
                .await
                .map_err(fail)?,
        );
    }
    let fundings = accounts.iter().enumerate().map(|(i, a)| {
        let ledger = ledger.clone();
        let key = IdempotencyKey::parse(&format!("{run}-fund-{i}")).expect("valid key");
        let request = TransferRequest::Single {
            debit: funding,
            credit: *a,
            amount: Money::jpy(1_000_000_000),
            code: TransferCode::Deposit,
            reference: "bench funding".into(),
        };
        async move { ledger.transfer("bench", &key, request).await }
    });
    for r in futures::future::join_all(fundings).await {
        r.map_err(fail)?;
    }

    let zipf = std::sync::Arc::new(Zipf::new(accounts.len(), 1.0));
    let accounts = std::sync::Arc::new(accounts);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let clients = (0..args.clients).map(|c| {
        let (ledger, zipf, accounts, run) =
            (ledger.clone(), zipf.clone(), accounts.clone(), run.clone());
        tokio::spawn(async move {
            let mut latencies_us = Vec::new();
            let mut refused = 0u64;
            let mut n = 0u64;
            while Instant::now() < deadline {
                let (debit, credit, amount) = {
                    let mut rng = rand::rng();
                    let d = zipf.sample(&mut rng);
                    let mut c = zipf.sample(&mut rng);
                    if c == d {
                        c = (d + 1) % accounts.len();
                    }
                    (accounts[d], accounts[c], rng.random_range(1..=10_000))
                };
                n += 1;
                let key = IdempotencyKey::parse(&format!("{run}-{c}-{n}")).expect("valid key");
                let request = TransferRequest::Single {
                    debit,
                    credit,
                    amount: Money::jpy(amount),
                    code: TransferCode::Transfer,
                    reference: String::new(),
                };
                let t0 = Instant::now();
                match ledger.transfer("bench", &key, request).await {
                    Ok(_) => latencies_us.push(t0.elapsed().as_micros() as u64),
                    Err(_) => refused += 1,
                }
            }
            (latencies_us, refused)
        })
    });
    let mut latencies = Vec::new();
    let mut refused = 0;
    for handle in futures::future::join_all(clients).await {
        let (l, r) = handle.map_err(|e| StartupError::Serve(e.to_string()))?;
        latencies.extend(l);
        refused += r;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i] as f64 / 1000.0
    };
    let report = ledger.check().await.map_err(fail)?;
    if !report.is_ok() {
        return Err(StartupError::Serve(format!(
            "ledger broken after the benchmark:\n{report}"
        )));
    }
    if refused > 0 {
        tracing::warn!(refused, "some benchmark transfers were refused");
    }
    db.close().await;
    Ok(format!(
        "ledger-bench engine={} clients={} transfers_per_s={:.0} p50_ms={:.2} p99_ms={:.2}{}",
        engine.name(),
        args.clients,
        latencies.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        // Only a non-default batch size is named, so the usual line keeps its exact form.
        if args.max_batch == crate::ledger::MAX_BATCH {
            String::new()
        } else {
            format!(" max_batch={}", args.max_batch)
        },
    ))
}

//! Many concurrent clients doing random transfers, holds, posts, voids and
//! replays while holds expire underneath them, on both engines; then the
//! invariant checker, and a comparison of the database with what the clients
//! were told (nothing lost, nothing invented, no overdraft).

use crate::{
    helpers::TestApp,
    ledger_rules::{hold, key, single},
    on_both_engines,
};
use rand::{Rng, SeedableRng};
use server::ledger::{Ledger, LedgerError, NewAccount};
use shared::{
    ids::{AccountId, TransferId},
    ledger::{AccountKind, Transfer, TransferKind, TransferRequest, TransferState},
    money::{Currency, Money},
};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

const TASKS: usize = 12;
const OPS_PER_TASK: usize = 120;
const CUSTOMERS: usize = 6;

#[derive(Default)]
struct Acks {
    /// Every transfer a client was told about, by id.
    transfers: HashMap<TransferId, Transfer>,
    /// Requests that succeeded, by key, to replay.
    done: Vec<(String, TransferRequest, TransferId)>,
    holds: Vec<TransferId>,
    replays: usize,
    conflicts: usize,
}

on_both_engines!(
    concurrent_clients_never_break_the_ledger,
    async |app: &TestApp| {
        let ledger = app.ledger().clone();
        let open = |kind, label: String| {
            ledger.open_account(NewAccount::platform(kind, Currency::Jpy, &label))
        };
        let funding = open(AccountKind::Funding, "funding".into()).await.unwrap();
        let atm = open(AccountKind::AtmCassette, "atm".into()).await.unwrap();
        let mut customers = Vec::new();
        for i in 0..CUSTOMERS {
            let c = open(AccountKind::CustomerMain, format!("c{i}"))
                .await
                .unwrap();
            ledger
                .transfer(
                    "setup",
                    &key(&format!("fund{i}")),
                    single(funding, c, 50_000),
                )
                .await
                .unwrap();
            customers.push(c);
        }
        ledger
            .transfer("setup", &key("cash"), single(atm, funding, 100_000))
            .await
            .unwrap();

        let acks = Arc::new(Mutex::new(Acks::default()));
        let sweeper = {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                loop {
                    ledger.expire_due().await.unwrap();
                    tokio::time::sleep(Duration::from_millis(40)).await;
                }
            })
        };
        let tasks = (0..TASKS).map(|task| {
            let (ledger, acks, customers) = (ledger.clone(), acks.clone(), customers.clone());
            tokio::spawn(async move {
                let mut rng = rand::rngs::StdRng::seed_from_u64(task as u64);
                for op in 0..OPS_PER_TASK {
                    client_step(
                        &ledger,
                        &acks,
                        &customers,
                        atm,
                        &mut rng,
                        format!("t{task}-{op}"),
                    )
                    .await;
                }
            })
        });
        for t in futures::future::join_all(tasks).await {
            t.unwrap();
        }
        // Let every short hold pass its deadline, then expire them.
        tokio::time::sleep(Duration::from_millis(400)).await;
        sweeper.abort();
        ledger.expire_due().await.unwrap();

        let report = ledger.check().await.unwrap();
        assert!(report.is_ok(), "{report}");
        // Every new transfer, and no replay, is in the audit trail.
        let audit = server::audit::verify(app.db().pool()).await.unwrap();
        assert_eq!(
            audit,
            server::audit::Verdict::Ok {
                entries: report.transfers
            }
        );
        let acks = std::mem::take(&mut *acks.lock().unwrap());
        assert!(
            acks.replays > 0 && acks.conflicts > 0,
            "the run exercised replays and conflicts"
        );
        compare_with_model(&ledger, &acks, funding, atm, &customers).await;
        eprintln!(
            "stress on {}: {} acknowledged transfers, {} replays, {} conflicts, {}",
            app.engine.name(),
            acks.transfers.len(),
            acks.replays,
            acks.conflicts,
            report
        );
    }
);

async fn client_step(
    ledger: &Ledger,
    acks: &Mutex<Acks>,
    customers: &[AccountId],
    atm: AccountId,
    rng: &mut impl Rng,
    k: String,
) {
    let pick = |rng: &mut dyn rand::RngCore| customers[rng.random_range(0..customers.len())];
    let roll = rng.random_range(0..100);
    let request = if roll < 40 {
        let (d, mut c) = (pick(rng), pick(rng));
        if c == d {
            c = customers[(customers.iter().position(|x| *x == d).unwrap() + 1) % customers.len()];
        }
        single(d, c, rng.random_range(1..15_000))
    } else if roll < 60 {
        let timeout = if rng.random_bool(0.5) {
            rng.random_range(20..200)
        } else {
            60_000
        };
        hold(pick(rng), atm, rng.random_range(1..12_000), timeout)
    } else if roll < 85 {
        let holds = acks.lock().unwrap().holds.clone();
        if holds.is_empty() {
            return;
        }
        let pending_id = holds[rng.random_range(0..holds.len())];
        if roll < 75 {
            let amount = rng
                .random_bool(0.5)
                .then(|| Money::jpy(rng.random_range(1..6_000)));
            TransferRequest::PostPending { pending_id, amount }
        } else {
            TransferRequest::VoidPending { pending_id }
        }
    } else {
        let previous = {
            let a = acks.lock().unwrap();
            (!a.done.is_empty()).then(|| a.done[rng.random_range(0..a.done.len())].clone())
        };
        let Some((old_key, old_request, old_id)) = previous else {
            return;
        };
        if rng.random_bool(0.5) {
            let again = ledger
                .transfer("stress", &key(&old_key), old_request)
                .await
                .unwrap();
            assert_eq!(again.id, old_id, "a replay returns the first result");
            acks.lock().unwrap().replays += 1;
        } else {
            let changed = match old_request {
                TransferRequest::Single {
                    debit,
                    credit,
                    amount,
                    ..
                } => single(debit, credit, amount.amount_minor + 1),
                _ => single(customers[0], customers[1], 1),
            };
            let err = ledger
                .transfer("stress", &key(&old_key), changed)
                .await
                .unwrap_err();
            assert!(matches!(err, LedgerError::IdempotencyConflict), "{err:?}");
            acks.lock().unwrap().conflicts += 1;
        }
        return;
    };
    match ledger.transfer("stress", &key(&k), request.clone()).await {
        Ok(t) => {
            let mut a = acks.lock().unwrap();
            if t.kind == TransferKind::Pending {
                a.holds.push(t.id);
            }
            a.done.push((k, request, t.id));
            a.transfers.insert(t.id, t);
        }
        Err(
            LedgerError::InsufficientFunds(_)
            | LedgerError::InsufficientCash(_)
            | LedgerError::HoldNotPending { .. }
            | LedgerError::HoldExpired(_)
            | LedgerError::ExceedsHold { .. },
        ) => {}
        Err(e) => panic!("unexpected refusal of {request:?}: {e:?}"),
    }
}

/// Recomputes every balance from what clients were told and checks the database agrees.
async fn compare_with_model(
    ledger: &Ledger,
    acks: &Acks,
    funding: AccountId,
    atm: AccountId,
    customers: &[AccountId],
) {
    // Start from the setup: 50,000 to each customer, 100,000 cash into the ATM.
    let mut posted: HashMap<AccountId, i64> = customers.iter().map(|c| (*c, 50_000)).collect();
    posted.insert(atm, 100_000);
    posted.insert(funding, 0);
    let mut pending_out: HashMap<AccountId, i64> = HashMap::new();
    let mut settled_by_client: HashMap<TransferId, TransferState> = HashMap::new();
    for t in acks.transfers.values() {
        match t.kind {
            TransferKind::Single | TransferKind::PostPending => {
                let a = t.amount.amount_minor;
                *posted.get_mut(&t.debit).unwrap() -= if t.debit == atm { -a } else { a };
                *posted.get_mut(&t.credit).unwrap() += if t.credit == atm { -a } else { a };
                if let Some(h) = t.pending_id {
                    settled_by_client.insert(h, TransferState::Posted);
                }
            }
            TransferKind::VoidPending => {
                settled_by_client.insert(t.pending_id.unwrap(), TransferState::Voided);
            }
            _ => {}
        }
    }
    for h in &acks.holds {
        let stored = ledger.transfer_by_id(*h).await.unwrap().unwrap();
        match settled_by_client.get(h) {
            Some(state) => assert_eq!(stored.state, *state, "hold {h}"),
            None => assert!(
                matches!(
                    stored.state,
                    TransferState::Pending | TransferState::Expired
                ),
                "hold {h} changed state without a client being told: {:?}",
                stored.state
            ),
        }
        if stored.state == TransferState::Pending {
            *pending_out.entry(stored.debit).or_default() += stored.amount.amount_minor;
        }
    }
    for c in customers {
        let b = ledger.balance(*c).await.unwrap();
        assert_eq!(b.posted().amount_minor, posted[c], "posted balance of {c}");
        assert_eq!(
            b.pending().1.amount_minor,
            pending_out.get(c).copied().unwrap_or(0),
            "holds on {c}"
        );
        assert!(b.available().amount_minor >= 0, "{c} is overdrawn");
    }
    let cash = ledger.balance(atm).await.unwrap();
    assert_eq!(cash.posted().amount_minor, posted[&atm], "cash in the ATM");
    assert!(cash.posted().amount_minor >= 0);
    // Nothing invented: every transfer of the run was acknowledged to someone
    // (expiries are the sweeper's, under its own scope).
    let mut stored = 0;
    for c in customers {
        let mut before = None;
        loop {
            let page = ledger.statement(*c, before, 100).await.unwrap();
            for l in &page.lines {
                let t = &l.transfer;
                let setup = t.debit == funding || t.credit == funding;
                if t.kind != TransferKind::ExpirePending && !setup {
                    stored += 1;
                    assert!(
                        acks.transfers.contains_key(&t.id),
                        "transfer {} was never acknowledged",
                        t.id
                    );
                }
            }
            match page.next {
                Some(n) => before = Some(n),
                None => break,
            }
        }
    }
    assert!(stored > 0);
}

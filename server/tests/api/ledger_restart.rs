//! What survives a restart: holds whose deadline passed while the server was
//! down are released when it is back; demo data is seeded once; the
//! `check-ledger` command reports on the stored ledger and catches tampering.

use crate::{
    helpers::{fake_dist, serve_args, DbEngine, TestDb},
    ledger_rules::{hold, key, open, single},
};
use server::startup;
use shared::{
    ledger::{AccountKind, TransferState},
    money::Currency,
};
use std::{process::Command, time::Duration};

async fn restart_releases_overdue_holds(engine: DbEngine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let dist = fake_dist();
    let args = serve_args(&db, dist.path().to_path_buf());
    let first = startup::start(args.clone()).await.unwrap();
    let l = first.ledger.clone();
    let funding = open(&l, AccountKind::Funding, Currency::Jpy, "f").await;
    let alice = open(&l, AccountKind::CustomerMain, Currency::Jpy, "a").await;
    l.transfer("t", &key("fund"), single(funding, alice, 1_000))
        .await
        .unwrap();
    let h = l
        .transfer("t", &key("h"), hold(alice, funding, 600, 200))
        .await
        .unwrap();
    first.shutdown().await.unwrap();

    // The deadline passes while nothing runs.
    tokio::time::sleep(Duration::from_millis(400)).await;

    let mut args = args;
    args.expiry_sweep_ms = 50;
    let second = startup::start(args).await.unwrap();
    let mut state = TransferState::Pending;
    for _ in 0..100 {
        state = second
            .ledger
            .transfer_by_id(h.id)
            .await
            .unwrap()
            .unwrap()
            .state;
        if state == TransferState::Expired {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state, TransferState::Expired);
    assert_eq!(
        second
            .ledger
            .balance(alice)
            .await
            .unwrap()
            .available()
            .amount_minor,
        1_000
    );
    assert!(second.ledger.check().await.unwrap().is_ok());
    second.shutdown().await.unwrap();
}

crate::per_engine!(
    restart_releases_overdue_holds,
    restart_releases_overdue_holds
);

async fn demo_is_seeded_once_with_real_transfers(engine: DbEngine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let dist = fake_dist();
    let mut args = serve_args(&db, dist.path().to_path_buf());
    args.demo = true;
    for _ in 0..2 {
        let running = startup::start(args.clone()).await.unwrap();
        let hanako = server::identity::store::user_by_nickname(&running.db, "hanako")
            .await
            .unwrap()
            .expect("the demo customer exists");
        let accounts = running
            .ledger
            .accounts_of(&server::identity::holder(hanako.id))
            .await
            .unwrap();
        assert_eq!(accounts.len(), 2, "seeded once, not again on restart");
        let main = &accounts[0];
        assert_eq!(main.posted().amount_minor, 500_000);
        assert_eq!(
            main.available().amount_minor,
            492_000,
            "a ¥8,000 hotel hold is pending"
        );
        let report = running.ledger.check().await.unwrap();
        assert!(report.is_ok(), "{report}");
        running.shutdown().await.unwrap();
    }
}

crate::per_engine!(
    demo_is_seeded_once_with_real_transfers,
    demo_is_seeded_once_with_real_transfers
);

#[tokio::test]
async fn check_ledger_command_reports_and_catches_tampering() {
    let db = TestDb::new(DbEngine::Sqlite).await.unwrap();
    let dist = fake_dist();
    let mut args = serve_args(&db, dist.path().to_path_buf());
    args.demo = true;
    startup::start(args)
        .await
        .unwrap()
        .shutdown()
        .await
        .unwrap();

    let bin = env!("CARGO_BIN_EXE_anshin");
    let out = Command::new(bin)
        .args(["check-ledger", "--database-url", &db.url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout
            .trim()
            // The personas' 6 accounts and 26 transfers, the demo ATM's cassette and vault with its
            // cash load, and F3's twelve demo people: their accounts, deposits and 29 past transfers.
            .starts_with("ledger ok accounts=20 transfers=68"),
        "{stdout}"
    );

    // Someone edits a balance behind the ledger's back.
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    sqlx::query(
        "UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE label = 'savings'",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let out = Command::new(bin)
        .args(["check-ledger", "--database-url", &db.url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("violation: account"), "{stdout}");
    assert!(stdout.contains("JPY: posted debits"), "{stdout}");
}

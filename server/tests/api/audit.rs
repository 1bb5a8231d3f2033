//! The audit trail: every new transfer is recorded once, in order, in a
//! chain that breaks visibly when anything is changed or removed.

use crate::{
    helpers::{DbEngine, TestApp, TestDb},
    ledger_rules::{fixture, key, single},
    on_both_engines,
};
use server::audit::{self, Verdict};
use sqlx::Row;

async fn entries(app: &TestApp) -> Vec<audit::Entry> {
    audit::page(app.db().pool(), None, 200).await.unwrap()
}

on_both_engines!(
    transfers_are_audited_once_in_a_valid_chain,
    async |app: &TestApp| {
        let f = fixture(app, 10_000, 0).await;
        // Two fundings by the fixture, then one transfer, a replay and a refusal.
        f.ledger
            .transfer("caller", &key("x"), single(f.alice, f.bob, 700))
            .await
            .unwrap();
        f.ledger
            .transfer("caller", &key("x"), single(f.alice, f.bob, 700))
            .await
            .unwrap();
        f.ledger
            .transfer("caller", &key("y"), single(f.alice, f.bob, 1_000_000))
            .await
            .unwrap_err();
        assert_eq!(
            audit::verify(app.db().pool()).await.unwrap(),
            Verdict::Ok { entries: 3 }
        );
        let newest = &entries(app).await[0];
        assert_eq!(
            (newest.seq, newest.actor.as_str(), newest.action.as_str()),
            (3, "caller", "ledger.single")
        );
        assert!(
            newest.detail.contains("\"amount_minor\":700"),
            "{}",
            newest.detail
        );
        assert_eq!(entries(app).await[1].hash, newest.prev_hash);
    }
);

on_both_engines!(
    the_log_refuses_changes_through_sql,
    async |app: &TestApp| {
        fixture(app, 10_000, 0).await;
        let pool = app.db().pool();
        let update = sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1")
            .execute(pool)
            .await;
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(pool)
            .await;
        assert!(delete.unwrap_err().to_string().contains("append-only"));
    }
);

async fn tampering_is_found(engine: DbEngine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let f = fixture(&app, 10_000, 0).await;
    for i in 0..5 {
        f.ledger
            .transfer("t", &key(&format!("k{i}")), single(f.alice, f.bob, 10 + i))
            .await
            .unwrap();
    }
    let pool = app.db().pool().clone();
    assert_eq!(
        audit::verify(&pool).await.unwrap(),
        Verdict::Ok { entries: 7 }
    );
    // Someone with database access removes the guard and rewrites entry 4.
    let unguard = match engine {
        DbEngine::Sqlite => "DROP TRIGGER audit_log_no_update",
        DbEngine::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log",
    };
    sqlx::query(unguard).execute(&pool).await.unwrap();
    sqlx::query("UPDATE audit_log SET detail = '{}' WHERE seq = 4")
        .execute(&pool)
        .await
        .unwrap();
    let verdict = audit::verify(&pool).await.unwrap();
    assert!(
        matches!(&verdict, Verdict::Broken { seq: 4, reason } if reason.contains("content")),
        "{verdict}"
    );

    // Rewriting its hash too only moves the break to the next entry.
    let row = sqlx::query(
        "SELECT prev_hash, seq, at_ms, actor, action, subject, detail FROM audit_log WHERE seq = 4",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let fields = audit::chain::Fields {
        seq: row.get(1),
        at_ms: row.get(2),
        actor: &row.get::<String, _>(3),
        action: &row.get::<String, _>(4),
        subject: &row.get::<String, _>(5),
        detail: &row.get::<String, _>(6),
    };
    let forged = audit::chain::hash(&row.get::<String, _>(0), &fields);
    sqlx::query("UPDATE audit_log SET hash = $1 WHERE seq = 4")
        .bind(forged)
        .execute(&pool)
        .await
        .unwrap();
    let verdict = audit::verify(&pool).await.unwrap();
    assert!(
        matches!(verdict, Verdict::Broken { seq: 5, .. }),
        "{verdict}"
    );
    app.stop().await;
}

crate::per_engine!(tampering_is_found, tampering_is_found);

#[tokio::test]
async fn verify_audit_command_reports_a_removed_tail() {
    let db = TestDb::new(DbEngine::Sqlite).await.unwrap();
    let dist = crate::helpers::fake_dist();
    let mut args = crate::helpers::serve_args(&db, dist.path().to_path_buf());
    args.demo = true;
    server::startup::start(args)
        .await
        .unwrap()
        .shutdown()
        .await
        .unwrap();
    let bin = env!("CARGO_BIN_EXE_anshin");
    let run = || {
        std::process::Command::new(bin)
            .args(["verify-audit", "--database-url", &db.url])
            .output()
            .unwrap()
    };
    let out = run();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        // 26 for the personas' money, 2 for the demo ATM (registered, cash
        // loaded), 1 for the demo shop's registration as an API client, 2
        // for Yoko's and Taro's identity checks made at a branch.
        "audit ok entries=72"
    );

    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    sqlx::query("DROP TRIGGER audit_log_no_delete")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = 72")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("audit BROKEN at entry 72"), "{stdout}");
}

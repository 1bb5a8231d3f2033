//! Migrations and engine settings.

use crate::{helpers::TestApp, on_both_engines};
use shared::system::DbEngine;
use sqlx::Row;

on_both_engines!(
    migrations_are_idempotent_and_record_the_installation,
    async |app: &TestApp| {
        // start() already migrated; running again must change nothing.
        app.db().migrate().await.unwrap();
        app.db().migrate().await.unwrap();
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind("installed_at_ms")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        let installed: i64 = row.get::<String, _>(0).parse().unwrap();
        assert!(installed > 1_700_000_000_000, "{installed}");
    }
);

on_both_engines!(
    sqlite_is_durable_and_checks_foreign_keys,
    async |app: &TestApp| {
        if app.engine != DbEngine::Sqlite {
            return;
        }
        let pool = app.db().pool();
        let mode: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(mode, "wal");
        let sync: i64 = sqlx::query("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(sync, 2, "synchronous must be FULL");
        let fk: i64 = sqlx::query("PRAGMA foreign_keys")
            .fetch_one(pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(fk, 1);
    }
);

on_both_engines!(postgres_commits_synchronously, async |app: &TestApp| {
    if app.engine != DbEngine::Postgres {
        return;
    }
    let row = sqlx::query("SHOW synchronous_commit")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>(0), "on");
});

on_both_engines!(
    postgres_ends_long_statements_lock_waits_and_idle_transactions,
    async |app: &TestApp| {
        if app.engine != DbEngine::Postgres {
            return;
        }
        for (setting, value) in [
            ("statement_timeout", "20s"),
            ("lock_timeout", "10s"),
            ("idle_in_transaction_session_timeout", "30s"),
        ] {
            let row = sqlx::query(&format!("SHOW {setting}"))
                .fetch_one(app.db().pool())
                .await
                .unwrap();
            assert_eq!(row.get::<String, _>(0), value, "{setting}");
        }
        // A statement over the limit is ended by the database, not left running.
        let mut conn = app.db().pool().acquire().await.unwrap();
        sqlx::query("SET statement_timeout = '100ms'")
            .execute(&mut *conn)
            .await
            .unwrap();
        let slow = sqlx::query("SELECT pg_sleep(2)").execute(&mut *conn).await;
        assert!(
            slow.is_err(),
            "a two-second statement outlived a 100 ms limit"
        );
        conn.close().await.unwrap();
    }
);

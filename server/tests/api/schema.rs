//! The two engines' migrations are written by hand, side by side; this
//! proves they build the same schema: the same tables, columns and
//! nullability, the same indexes (name, table, columns, unique, partial) and
//! the same unique constraints. Types differ on purpose (INTEGER / BIGINT).

use crate::helpers::{DbEngine, TestDb};
use sqlx::{AnyPool, Row};
use std::collections::BTreeSet;

/// What is compared, one line per fact, so a difference reads as a diff.
async fn facts(engine: DbEngine) -> Option<BTreeSet<String>> {
    let db = TestDb::new(engine).await?;
    let opened = server::startup::open_database(&db.url).await.unwrap();
    let pool = opened.pool().clone();
    let facts = match engine {
        DbEngine::Sqlite => sqlite_facts(&pool).await,
        DbEngine::Postgres => postgres_facts(&pool).await,
    };
    opened.close().await;
    drop(db);
    Some(facts)
}

async fn texts(pool: &AnyPool, sql: &str, bind: Option<&str>) -> Vec<Vec<String>> {
    let mut query = sqlx::query(sql);
    if let Some(b) = bind {
        query = query.bind(b.to_string());
    }
    query
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| (0..r.len()).map(|i| r.get::<String, _>(i)).collect())
        .collect()
}

async fn sqlite_facts(pool: &AnyPool) -> BTreeSet<String> {
    let mut facts = BTreeSet::new();
    let tables = texts(
        pool,
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
        None,
    )
    .await;
    for t in tables.iter().map(|r| r[0].clone()) {
        facts.insert(format!("table {t}"));
        let columns = texts(
            pool,
            "SELECT name, CAST(\"notnull\" OR pk AS TEXT) FROM pragma_table_info($1)",
            Some(&t),
        )
        .await;
        for c in columns {
            let null = if c[1] == "1" { "not null" } else { "null" };
            facts.insert(format!("column {t}.{} {null}", c[0]));
        }
        let indexes = texts(
            pool,
            "SELECT name, origin, CAST(\"unique\" AS TEXT), CAST(partial AS TEXT) \
             FROM pragma_index_list($1)",
            Some(&t),
        )
        .await;
        for i in indexes {
            let columns = texts(
                pool,
                "SELECT name FROM pragma_index_info($1) ORDER BY seqno",
                Some(&i[0]),
            )
            .await
            .concat()
            .join(",");
            match i[1].as_str() {
                // CREATE [UNIQUE] INDEX
                "c" => facts.insert(format!(
                    "index {} on {t}({columns}) unique={} partial={}",
                    i[0], i[2], i[3]
                )),
                "u" => facts.insert(format!("unique {t}({columns})")),
                _ => false, // the primary key's own index
            };
        }
    }
    facts
}

async fn postgres_facts(pool: &AnyPool) -> BTreeSet<String> {
    let mut facts = BTreeSet::new();
    for r in texts(
        pool,
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'",
        None,
    )
    .await
    {
        facts.insert(format!("table {}", r[0]));
    }
    for c in texts(
        pool,
        "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
        None,
    )
    .await
    {
        let null = if c[2] == "NO" { "not null" } else { "null" };
        facts.insert(format!("column {}.{} {null}", c[0], c[1]));
    }
    // Indexes made by CREATE INDEX: those that back no constraint.
    for i in texts(
        pool,
        "SELECT i.relname::text, t.relname::text, \
           (SELECT string_agg(pg_get_indexdef(x.indexrelid, k, true), ',' ORDER BY k) \
            FROM generate_series(1, x.indnatts) k), \
           CASE WHEN x.indisunique THEN '1' ELSE '0' END, \
           CASE WHEN x.indpred IS NULL THEN '0' ELSE '1' END \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        None,
    )
    .await
    {
        facts.insert(format!(
            "index {} on {}({}) unique={} partial={}",
            i[0], i[1], i[2], i[3], i[4]
        ));
    }
    for u in texts(
        pool,
        "SELECT t.relname::text, \
           (SELECT string_agg(a.attname::text, ',' ORDER BY array_position(c.conkey, a.attnum)) \
            FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)) \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE c.contype = 'u' AND n.nspname = 'public'",
        None,
    )
    .await
    {
        facts.insert(format!("unique {}({})", u[0], u[1]));
    }
    facts
}

#[tokio::test]
async fn sqlite_and_postgresql_migrations_build_the_same_schema() {
    let (Some(sqlite), Some(postgres)) = (
        facts(DbEngine::Sqlite).await,
        facts(DbEngine::Postgres).await,
    ) else {
        return;
    };
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the schemas differ:\nonly on SQLite: {only_sqlite:#?}\nonly on PostgreSQL: {only_postgres:#?}"
    );
    assert!(
        sqlite.iter().any(|f| f.starts_with("index ")),
        "indexes were read"
    );
    assert!(
        sqlite.iter().any(|f| f.starts_with("unique ")),
        "unique constraints were read"
    );
}

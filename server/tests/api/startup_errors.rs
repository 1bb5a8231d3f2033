//! Bad settings end in a clear error, not a panic.

use crate::helpers::{fake_dist, serve_args, DbEngine, TestDb};
use server::{error::StartupError, startup};

async fn sqlite_args() -> (TestDb, tempfile::TempDir, server::config::ServeArgs) {
    let db = TestDb::new(DbEngine::Sqlite).await.unwrap();
    let dist = fake_dist();
    let args = serve_args(&db, dist.path().to_path_buf());
    (db, dist, args)
}

#[tokio::test]
async fn unsupported_database_url() {
    let (_db, _dist, mut args) = sqlite_args().await;
    args.database.database_url = "mysql://root:hunter2@localhost/x".into();
    let err = startup::start(args).await.unwrap_err();
    assert!(
        matches!(err, StartupError::UnsupportedDatabaseUrl { .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("hunter2"));
}

#[tokio::test]
async fn unreachable_postgres_fails_fast_without_the_password() {
    let (_db, _dist, mut args) = sqlite_args().await;
    args.database.database_url = "postgres://u:hunter2@127.0.0.1:1/x".into();
    let err = startup::start(args).await.unwrap_err();
    assert!(matches!(err, StartupError::Database { .. }), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[tokio::test]
async fn port_in_use() {
    let (_db, _dist, mut args) = sqlite_args().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    args.listen = taken.local_addr().unwrap();
    let err = startup::start(args).await.unwrap_err();
    assert!(matches!(err, StartupError::Listen { .. }), "{err}");
    assert!(err.to_string().contains("cannot listen on"), "{err}");
}

#[tokio::test]
async fn missing_dist() {
    let (_db, _dist, mut args) = sqlite_args().await;
    args.dist = "/nonexistent/dist".into();
    let err = startup::start(args).await.unwrap_err();
    assert!(matches!(err, StartupError::MissingDist { .. }), "{err}");
}

#[tokio::test]
async fn demo_is_impossible_in_production() {
    let (_db, _dist, mut args) = sqlite_args().await;
    args.demo = true;
    args.production = true;
    let err = startup::start(args).await.unwrap_err();
    assert!(matches!(err, StartupError::DemoInProduction), "{err}");
}

//! Test harness: fresh databases on both engines and a running server per test.

use server::{
    config::{DatabaseArgs, ServeArgs},
    startup::{self, Running},
};
use std::{net::SocketAddr, path::PathBuf};
use tempfile::TempDir;

pub use shared::system::DbEngine;

/// A call's answer: its value, or the `AppError` it was refused with (a
/// body that is neither fails the test, showing the body).
pub async fn answer<T: serde::de::DeserializeOwned>(
    res: reqwest::Response,
) -> Result<T, shared::AppError> {
    let ok = res.status().is_success();
    let text = res.text().await.expect("body");
    if ok {
        Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
    } else {
        Err(serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text}")))
    }
}

/// Where the PostgreSQL server for tests is; each test creates its own database in it.
fn pg_admin_url() -> String {
    std::env::var("ANSHIN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: String,
    _dir: Option<TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    /// A fresh database, or `None` (said loudly) when PostgreSQL is unreachable outside CI.
    pub async fn new(engine: DbEngine) -> Option<TestDb> {
        // Before any server logs, so no call site is judged against no subscriber.
        crate::logs::install();
        match engine {
            DbEngine::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                Some(TestDb {
                    url,
                    _dir: Some(dir),
                    pg_name: None,
                })
            }
            DbEngine::Postgres => Self::new_postgres().await,
        }
    }

    async fn new_postgres() -> Option<TestDb> {
        use sqlx::{Connection, Executor, PgConnection};
        let admin = pg_admin_url();
        let mut conn = match PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) if !in_ci() => {
                eprintln!(
                    "\n*** SKIPPED: PostgreSQL test — no server at {admin} ({e}). \
                     Set ANSHIN_TEST_PG_URL or start PostgreSQL; in CI this fails. ***\n"
                );
                return None;
            }
            Err(e) => panic!("PostgreSQL is required in CI but {admin} is unreachable: {e}"),
        };
        let name = format!("anshin_test_{}", uuid::Uuid::new_v4().simple());
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Some(TestDb {
            url: format!("{base}/{name}"),
            _dir: None,
            pg_name: Some(name),
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside async; a short-lived runtime on its own thread removes the database.
        let admin = pg_admin_url();
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                use sqlx::{Connection, Executor, PgConnection};
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .map_err(std::io::Error::other)?;
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop a test database: {dropped:?}");
        }
    }
}

/// A minimal built app, standing in for Trunk's output where the test is
/// about the server: each bundle's page (its body names the page), one
/// hashed asset and the brotli copy a build would make beside it.
pub fn fake_dist() -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for page in shared::bundle::Bundle::ALL.map(|b| b.page()) {
        std::fs::write(
            dir.path().join(page),
            format!(
                "<!DOCTYPE html><html><head><title>Anshin</title>\
                 <script type=\"module\">start();</script></head><body>anshin-spa {page}</body></html>"
            ),
        )
        .expect("write page");
    }
    std::fs::write(
        dir.path().join("app-0123456789abcdef.js"),
        "console.log('x');".repeat(200),
    )
    .expect("write asset");
    std::fs::write(dir.path().join("app-0123456789abcdef.js.br"), PRECOMPRESSED)
        .expect("write precompressed asset");
    dir
}

/// The bytes of `fake_dist`'s brotli copy: what the server must send as is.
pub const PRECOMPRESSED: &[u8] = b"built-once-brotli";

pub fn serve_args(db: &TestDb, dist: PathBuf) -> ServeArgs {
    ServeArgs {
        database: DatabaseArgs {
            database_url: db.url.clone(),
        },
        listen: "127.0.0.1:0".parse().expect("addr"),
        dist,
        demo: false,
        production: false,
        allowed_origins: vec![],
        trusted_proxies: vec![],
        rp_id: "localhost".into(),
        sign_in_per_minute: server::http::rate_limit::PER_MINUTE,
        origin: None,
        // Tests expire holds themselves unless they are about the sweeper.
        expiry_sweep_ms: 3_600_000,
        approval_sweep_ms: 100,
        decisions_per_minute: server::http::rate_limit::DECISIONS_PER_MINUTE,
        requests_per_nickname: server::delegation::PER_NICKNAME_PER_MINUTE,
        requests_per_requester: server::delegation::PER_REQUESTER_PER_MINUTE,
        api_per_minute: server::machine::API_PER_MINUTE,
        purchase_window_ms: 30 * 60 * 1000,
        webhook_first_retry_ms: 5_000,
        webhook_sweep_ms: 1_000,
        cardless_ttl_ms: 10 * 60 * 1000,
        cardless_fee_yen: 110,
        ice_servers: "[]".into(),
        sub_account_ttl_ms: 24 * 3600 * 1000,
        code_withdrawal_fee_yen: 220,
    }
}

/// A running server with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub engine: DbEngine,
    args: ServeArgs,
    running: Option<Running>,
    _dist: TempDir,
    // Declared last: dropped after the server, so PostgreSQL can remove it.
    _db: TestDb,
}

impl TestApp {
    pub async fn spawn(engine: DbEngine) -> Option<TestApp> {
        Self::spawn_with(engine, |_| {}).await
    }

    /// A server whose settings `tune` adjusts first.
    pub async fn spawn_with(
        engine: DbEngine,
        tune: impl FnOnce(&mut ServeArgs),
    ) -> Option<TestApp> {
        let db = TestDb::new(engine).await?;
        let dist = fake_dist();
        let mut args = serve_args(&db, dist.path().to_path_buf());
        tune(&mut args);
        let running = startup::start(args.clone()).await.expect("server starts");
        Some(TestApp {
            addr: running.addr,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            engine,
            args,
            running: Some(running),
            _dist: dist,
            _db: db,
        })
    }

    /// A second server on the same database, as another instance behind no
    /// balancer would be: its own port, its own memory, its own sweeps.
    pub async fn twin(&self) -> TestApp {
        let dist = fake_dist();
        let mut args = self.args.clone();
        args.dist = dist.path().to_path_buf();
        // One site: passkeys made on the first instance sign in on this one.
        args.origin = Some(format!("http://{}:{}", args.rp_id, self.addr.port()));
        let running = startup::start(args.clone()).await.expect("twin starts");
        TestApp {
            addr: running.addr,
            client: self.client.clone(),
            engine: self.engine,
            args,
            running: Some(running),
            _dist: dist,
            // The database is the first instance's to remove.
            _db: TestDb {
                url: self._db.url.clone(),
                _dir: None,
                pg_name: None,
            },
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The origin a page served by this instance would send.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ledger(&self) -> &server::ledger::Ledger {
        &self.running.as_ref().expect("running").ledger
    }

    pub fn running_notifier(&self) -> &server::notify::Notifier {
        &self.running.as_ref().expect("running").notifier
    }

    pub fn approvals(&self) -> &server::approvals::Approvals {
        &self.running.as_ref().expect("running").approvals
    }

    /// A form POST from a page of this instance, with a session cookie if given.
    pub async fn post(&self, path: &str, body: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url(path))
            .header("origin", self.origin())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string());
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.expect("request")
    }

    /// A JSON POST from a page of this instance, with a session cookie.
    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        cookie: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("origin", self.origin())
            .header("content-type", "application/json")
            .header("cookie", cookie)
            .body(body.to_string())
            .send()
            .await
            .expect("request")
    }

    pub fn sub_withdrawals(&self) -> &server::sub_withdrawals::SubWithdrawals {
        &self.running.as_ref().expect("running").sub_withdrawals
    }

    /// The database's URL, for a connection of a test's own.
    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    pub fn db(&self) -> &server::db::Db {
        &self.running.as_ref().expect("running").db
    }

    /// Stops the server and starts it again on the same database (on a new port).
    pub async fn restart(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
        let running = startup::start(self.args.clone())
            .await
            .expect("server starts again");
        self.addr = running.addr;
        self.running = Some(running);
    }

    /// Stops the server gracefully (closing its pool) before the database is dropped.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
    }
}

/// Runs `body(engine)` as two tests, `name::sqlite` and `name::postgres`,
/// for tests that set up their servers themselves.
#[macro_export]
macro_rules! per_engine {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$body(shared::system::DbEngine::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                super::$body(shared::system::DbEngine::Postgres).await;
            }
        }
    };
}

/// Runs an async test body once per engine: `fn sqlite()` and `fn postgres()`.
#[macro_export]
macro_rules! on_both_engines {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                $crate::helpers::run_with(shared::system::DbEngine::Sqlite, $body).await;
            }

            #[tokio::test]
            async fn postgres() {
                $crate::helpers::run_with(shared::system::DbEngine::Postgres, $body).await;
            }
        }
    };
}

pub async fn run_with(engine: DbEngine, body: impl AsyncFnOnce(&TestApp)) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    body(&app).await;
    app.stop().await;
}

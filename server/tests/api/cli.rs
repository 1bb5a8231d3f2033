//! The `anshin` binary itself: one-line errors, `migrate`, graceful shutdown.

use crate::helpers::{fake_dist, DbEngine, TestDb};
use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_anshin");

#[test]
fn bad_database_url_is_one_line_and_exit_1() {
    let out = Command::new(BIN)
        .args([
            "serve",
            "--database-url",
            "mysql://x/y",
            "--dist",
            "/nonexistent",
        ])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let errors: Vec<_> = stderr
        .lines()
        .filter(|l| l.contains("anshin: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn migrate_subcommand_brings_the_schema_up_to_date() {
    let db = TestDb::new(DbEngine::Sqlite).await.unwrap();
    for _ in 0..2 {
        let out = Command::new(BIN)
            .args(["migrate", "--database-url", &db.url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    }
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully() {
    let db = TestDb::new(DbEngine::Sqlite).await.unwrap();
    let dist = fake_dist();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db.url,
        ])
        .arg("--dist")
        .arg(dist.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(
        first.contains("Anshin is running at http://localhost:"),
        "{first}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn create_staff_prints_a_one_time_link() {
    let db = TestDb::new(DbEngine::Sqlite).await.unwrap();
    let out = Command::new(BIN)
        .args([
            "create-staff",
            "--name",
            "Kimura Aya",
            "--origin",
            "https://bank.example/",
            "--database-url",
            &db.url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let link = stdout.lines().last().unwrap();
    assert!(
        link.starts_with("https://bank.example/signin?enroll="),
        "{stdout}"
    );
    assert_eq!(
        link.len(),
        "https://bank.example/signin?enroll=".len() + 43,
        "{link}"
    );
    let out = Command::new(BIN)
        .args(["create-staff", "--name", " ", "--database-url", &db.url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

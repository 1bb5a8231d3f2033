//! The live channel: every open page of a person gets each event, a page
//! that reconnects resumes after the last event it saw, and on PostgreSQL
//! events cross from one server process to another through LISTEN/NOTIFY.

use crate::{
    helpers::{fake_dist, DbEngine, TestApp, TestDb},
    on_both_engines,
    people::{cookie_of, sign_up, Live},
};
use shared::events::{Event, Notice};
use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

const WAIT: Duration = Duration::from_secs(5);

async fn notice(app: &TestApp, nickname: &str, text: &str) {
    let user = server::identity::store::user_by_nickname(app.db(), nickname)
        .await
        .unwrap()
        .unwrap();
    app.running_notifier()
        .notify(
            user.id,
            &Event::Notice {
                notice: Notice::LegacyText {
                    text: text.to_string(),
                },
            },
        )
        .await
        .unwrap();
}

fn text_of(n: &shared::events::Notification) -> &str {
    match &n.event {
        Event::Notice {
            notice: Notice::LegacyText { text },
        } => text,
        other => panic!("unexpected event {other:?}"),
    }
}

on_both_engines!(
    a_browser_keeps_at_most_so_many_live_tabs,
    async |app: &TestApp| {
        let base = app.origin();
        let hanako = sign_up(app, "hanako_tabs").await;
        let mut tabs = Vec::new();
        for _ in 0..server::http::channels::PER_SESSION {
            tabs.push(Live::open(&base, &hanako.cookie, None).await);
        }
        let one_more = |cookie: String| {
            let url = app.url("/api/events");
            async move {
                reqwest::Client::new()
                    .get(url)
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let refused = one_more(hanako.cookie.clone()).await;
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()["retry-after"], "15");
        // Another person's browser is not refused for hers.
        let other = sign_up(app, "other_tabs").await;
        drop(Live::open(&base, &other.cookie, None).await);
        // A tab closed frees its place (the server notices the page gone).
        drop(tabs.pop());
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let res = one_more(hanako.cookie.clone()).await;
            if res.status() == 200 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the place was not freed"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
);

on_both_engines!(
    every_open_page_gets_every_event_and_resumes_after_a_drop,
    async |app: &TestApp| {
        let base = app.origin();
        let hanako = sign_up(app, "hanako_live").await;
        let other = sign_up(app, "other_live").await;
        let mut tab1 = Live::open(&base, &hanako.cookie, None).await;
        let mut tab2 = Live::open(&base, &hanako.cookie, None).await;
        let mut theirs = Live::open(&base, &other.cookie, None).await;
        for i in 1..=3 {
            notice(app, "hanako_live", &format!("n{i}")).await;
        }
        for tab in [&mut tab1, &mut tab2] {
            for i in 1..=3 {
                let n = tab.next(WAIT).await.expect("event arrives");
                assert_eq!(n.seq, i);
                assert_eq!(text_of(&n), format!("n{i}"));
                assert!(!n.read);
            }
        }
        assert!(
            theirs.next(Duration::from_millis(300)).await.is_none(),
            "someone else's page hears nothing"
        );

        // Tab 1 drops after event 3; 4 and 5 happen; it comes back with Last-Event-ID: 3.
        drop(tab1);
        notice(app, "hanako_live", "n4").await;
        notice(app, "hanako_live", "n5").await;
        let mut back = Live::open(&base, &hanako.cookie, Some(3)).await;
        for i in 4..=5 {
            let n = back.next(WAIT).await.expect("missed event replayed");
            assert_eq!((n.seq, text_of(&n)), (i, format!("n{i}").as_str()));
        }
        notice(app, "hanako_live", "n6").await;
        assert_eq!(back.next(WAIT).await.unwrap().seq, 6, "then live again");
        for i in 4..=6 {
            assert_eq!(tab2.next(WAIT).await.unwrap().seq, i);
        }

        let res = app.client.get(app.url("/api/events")).send().await.unwrap();
        assert_eq!(res.status(), 401, "no channel without a session");
    }
);

/// A server process of its own on `url`; returns it and its base URL.
fn spawn_server(url: &str, dist: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anshin"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--demo",
            "--sign-in-per-minute",
            "1000",
            "--database-url",
            url,
        ])
        .arg("--dist")
        .arg(dist)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .replace("localhost", "127.0.0.1");
    (child, base)
}

async fn demo_cookie(base: &str, persona: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/identity/demo-sign-in"))
        .header("origin", base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("persona={persona}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    cookie_of(&res)
}

#[tokio::test]
async fn events_cross_between_two_server_processes_on_postgres() {
    let Some(db) = TestDb::new(DbEngine::Postgres).await else {
        return;
    };
    let dist = fake_dist();
    let (mut a, base_a) = spawn_server(&db.url, dist.path());
    let (mut b, base_b) = spawn_server(&db.url, dist.path());
    let cookie = demo_cookie(&base_a, "hanako").await;
    let mut on_b = Live::open(&base_b, &cookie, None).await;
    let mut on_a = Live::open(&base_a, &cookie, None).await;
    for round in 0..3 {
        // Raised through process A (and once through B), heard on both.
        let base = if round == 2 { &base_b } else { &base_a };
        let res = reqwest::Client::new()
            .post(format!("{base}/api/approvals/practice"))
            .header("origin", base.as_str())
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("near_atm=false&seconds=60")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "raise via {base}");
        for live in [&mut on_a, &mut on_b] {
            let n = live.next(WAIT).await.expect("event crosses processes");
            assert!(matches!(n.event, Event::ApprovalRequested { .. }));
            assert_eq!(n.seq, round + 1);
        }
    }
    for child in [&mut a, &mut b] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

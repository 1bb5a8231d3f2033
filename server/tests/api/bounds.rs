//! Every bound on what a client may send, shown: a header section over 64
//! KiB or 100 headers is a 431, one not sent within 10 s ends the
//! connection (a slow client holds nothing; one slow to send its body has
//! begun no transaction, so it holds no writer), a body over its door's limit a
//! 413 with the JSON error (never read into a transaction, never stored),
//! a database held past the server's wait for it a 503 with `Retry-After`
//! that did nothing, and a browser's live channels are bounded (`live.rs`).
//! The 30 s limit on a whole request answers the same 503 (its unit test is
//! in `http::time_limit`).

use crate::{
    cardless::funded,
    delegation::{ask, request, terminal},
    helpers::{DbEngine, TestApp},
    purchases::{all_scopes, api_client},
};
use server::machine::idempotency::MAX_BODY_BYTES;
use shared::{machine::ClientKind, AppError, Reason};

crate::on_both_engines!(
    a_header_section_too_big_or_too_many_is_refused,
    async |app: &TestApp| {
        let big = "x".repeat(server::http::serve::MAX_HEADER_BYTES);
        let res = app
            .client
            .get(app.url("/healthz"))
            .header("x-big", big)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 431);
        let mut req = app.client.get(app.url("/healthz"));
        for i in 0..120 {
            req = req.header(format!("x-h{i}"), "1");
        }
        assert_eq!(req.send().await.unwrap().status(), 431);
        // Within both bounds the same request is answered.
        let res = app
            .client
            .get(app.url("/healthz"))
            .header("x-big", "x".repeat(8 * 1024))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
);

crate::on_both_engines!(
    a_client_that_never_finishes_its_headers_is_let_go,
    async |app: &TestApp| {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut slow = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1")
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let limit = server::http::serve::HEADER_READ_TIMEOUT;
        let mut answer = Vec::new();
        let read = tokio::time::timeout(limit * 2, slow.read_to_end(&mut answer)).await;
        assert!(
            read.is_ok(),
            "the connection was still held after {:?}",
            limit * 2
        );
        assert!(started.elapsed() >= limit - std::time::Duration::from_millis(500));
        // And everyone else is still served.
        let res = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
);

crate::on_both_engines!(
    bodies_over_each_doors_limit_are_the_clients_413,
    async |app: &TestApp| {
        let too_big = AppError::invalid("body", Reason::TooBig);
        // The machine API: 64 KiB, refused before the key is kept.
        let key = api_client(app, "Bounds shop", ClientKind::Merchant, all_scopes())
            .await
            .secret;
        let padding = "x".repeat(MAX_BODY_BYTES);
        let res = app
            .client
            .post(app.url("/v1/purchases"))
            .bearer_auth(&key)
            .header("idempotency-key", "bounds-1")
            .header("content-type", "application/json")
            .body(format!(r#"{{"description":"{padding}"}}"#))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413);
        assert_eq!(res.json::<AppError>().await.unwrap(), too_big);
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_requests")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(kept, 0, "a refused body keeps no answer");
        // Uploads (identity documents): their own, larger limit, announced or not.
        let over = server::http::UPLOAD_BODY_LIMIT + 1;
        let res = app
            .client
            .post(app.url("/api/upload/identity-check"))
            .header("origin", app.origin())
            .header("content-type", "application/json")
            .body(vec![b' '; over])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413);
        assert_eq!(res.json::<AppError>().await.unwrap(), too_big);
        // Every other server function: 2 MiB.
        let res = app
            .client
            .post(app.url("/api/identity/me"))
            .header("origin", app.origin())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![b'a'; server::http::BODY_LIMIT + 1])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413);
        assert_eq!(res.json::<AppError>().await.unwrap(), too_big);
    }
);

crate::on_both_engines!(
    a_database_held_past_the_servers_wait_is_a_503_that_did_nothing,
    async |app: &TestApp| {
        funded(app, "busy_hanako", 5_000).await;
        let shop = terminal(app, "Busy Mart").await;
        // Another writer holds what the request must write, longer than the
        // server waits for it (SQLite's busy_timeout, PostgreSQL's lock_timeout).
        let mut holder = app.db().begin().await.unwrap();
        if app.engine == DbEngine::Postgres {
            sqlx::query("LOCK TABLE api_requests IN EXCLUSIVE MODE")
                .execute(&mut *holder)
                .await
                .unwrap();
        }
        let res = app
            .client
            .post(app.url("/v1/payment-requests"))
            .bearer_auth(&shop.secret)
            .header("idempotency-key", "busy-1")
            .json(&ask("busy_hanako", 500))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["retry-after"], "5");
        assert_eq!(res.json::<AppError>().await.unwrap(), AppError::Unavailable);
        holder.rollback().await.unwrap();
        let asked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_requests")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(asked, 0, "nothing was done");
        // Asked again with the same key once the database is free: done, once.
        let (status, _) = request(app, &shop, "busy-1", ask("busy_hanako", 500)).await;
        assert_eq!(status, 200);
    }
);

crate::on_both_engines!(
    a_client_slow_to_send_its_body_holds_no_writer,
    async |app: &TestApp| {
        use tokio::io::AsyncWriteExt;
        funded(app, "slow_hanako", 5_000).await;
        let shop = terminal(app, "Slow Mart").await;
        // Two requests that would write, each with only part of its body sent.
        let mut slow = Vec::new();
        for (path, auth) in [
            (
                "/v1/payment-requests",
                format!(
                    "Authorization: Bearer {}\r\nIdempotency-Key: slow-1\r\n",
                    shop.secret
                ),
            ),
            ("/api/identity/me", format!("Origin: {}\r\n", app.origin())),
        ] {
            let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"login_hint\":"
            );
            s.write_all(head.as_bytes()).await.unwrap();
            slow.push(s);
        }
        // Meanwhile another request writes, on either engine, at once.
        let (status, _) = request(app, &shop, "quick-1", ask("slow_hanako", 500)).await;
        assert_eq!(status, 200);
        let asked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payment_requests")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(asked, 1, "the slow request has not begun");
        drop(slow);
    }
);

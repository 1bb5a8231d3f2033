//! Every bound on what a client may send, shown: a header section over 64
//! KiB or 100 headers is a 431, one not sent within 10 s ends the
//! connection (a slow client holds nothing), a body over its door's limit a
//! 413 with the JSON error (never read into a transaction, never stored),
//! and a browser's live channels are bounded (`live.rs`).

use crate::{
    helpers::TestApp,
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

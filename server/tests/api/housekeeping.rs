//! Housekeeping cuts back what only grows, on both engines: ceremonies and
//! sessions past their expiry and machine API answers older than seven days
//! go; everything still of use stays and still works.

use crate::{
    delegation::{ask, request, terminal},
    helpers::TestApp,
    people::sign_up,
};
use server::{due::DueWork, housekeeping::Housekeeping, system::now_ms};
use shared::identity::Me;

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn me(app: &TestApp, cookie: &str) -> Option<Me> {
    app.post("/api/identity/me", "", Some(cookie))
        .await
        .json()
        .await
        .unwrap()
}

crate::on_both_engines!(
    rows_of_no_more_use_go_and_the_rest_stay,
    async |app: &TestApp| {
        let now = now_ms();
        // Two sessions; one is past its expiry.
        let stale = sign_up(app, "hk_stale").await;
        let fresh = sign_up(app, "hk_fresh").await;
        sqlx::query(
            "UPDATE sessions SET expires_at_ms = $1 WHERE user_id = \
             (SELECT id FROM users WHERE nickname = 'hk_stale')",
        )
        .bind(now - 1)
        .execute(app.db().pool())
        .await
        .unwrap();
        // Two ceremonies begun and never finished; one is past its deadline.
        for (id, expires) in [("hk-old", now - 1), ("hk-new", now + 60_000)] {
            sqlx::query(
                "INSERT INTO webauthn_ceremonies (id, kind, state_json, expires_at_ms) \
                 VALUES ($1, 'sign_in', '{}', $2)",
            )
            .bind(id)
            .bind(expires)
            .execute(app.db().pool())
            .await
            .unwrap();
        }
        // Two machine API answers; one is eight days old.
        sign_up(app, "hk_payer").await;
        let shop = terminal(app, "Housekeeping Mart").await;
        assert_eq!(
            request(app, &shop, "hk-old", ask("hk_payer", 100)).await.0,
            200
        );
        assert_eq!(
            request(app, &shop, "hk-new", ask("hk_payer", 200)).await.0,
            200
        );
        sqlx::query("UPDATE api_requests SET created_at_ms = $1 WHERE request_key = 'hk-old'")
            .bind(now - 8 * 24 * 3600 * 1000)
            .execute(app.db().pool())
            .await
            .unwrap();
        let sessions = count(app, "SELECT COUNT(*) FROM sessions").await;

        let removed = Housekeeping::new(app.db().clone()).run_due().await.unwrap();
        assert_eq!(removed, 3);
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM sessions").await,
            sessions - 1
        );
        assert!(me(app, &stale.cookie).await.is_none());
        assert!(
            me(app, &fresh.cookie).await.is_some(),
            "a live session stays"
        );
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM webauthn_ceremonies WHERE id LIKE 'hk-%'"
            )
            .await,
            1
        );
        let keys: Vec<String> = sqlx::query_scalar("SELECT request_key FROM api_requests")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
        assert_eq!(keys, vec!["hk-new".to_string()]);
        // The kept answer still replays; the forgotten key is a new request.
        let (status, first) = request(app, &shop, "hk-new", ask("hk_payer", 200)).await;
        assert_eq!(status, 200);
        assert_eq!(
            request(app, &shop, "hk-new", ask("hk_payer", 999)).await.0,
            409
        );
        assert_eq!(
            request(app, &shop, "hk-old", ask("hk_payer", 300)).await.0,
            200
        );
        assert!(first["auth_req_id"].is_string());
        // Nothing more to do: a second run removes nothing.
        assert_eq!(
            Housekeeping::new(app.db().clone()).run_due().await.unwrap(),
            0
        );
    }
);

//! The machine API at `/v1`, over real HTTP on both engines: staff register
//! a client (its key shown once), the relationship check answers for the
//! demo's verified guardian and nothing more, bad and missing keys are
//! refused alike, a rotated key works through its grace, a revoked client's
//! never again, each client has its own rate limit, every call is audited,
//! and the OpenAPI document and reference page describe what is served.

use crate::{
    cardless::account_of,
    helpers::{answer, DbEngine, TestApp},
    transfers::{number, staff},
};
use serde_json::{json, Value};
use shared::{
    ids::ApiClientId,
    machine::{ClientKind, IssuedKey, NewApiClient, Scope},
    AppError,
};

async fn register(app: &TestApp, cookie: &str, kind: ClientKind) -> Result<IssuedKey, AppError> {
    let new = NewApiClient {
        name: format!("{} test", kind.as_str()),
        kind,
        scopes: vec![Scope::RelationshipsRead],
    };
    let body = json!({ "new": new });
    answer(
        app.post_json("/api/staff/api-clients/register", &body, cookie)
            .await,
    )
    .await
}

async fn staff_call(app: &TestApp, cookie: &str, what: &str, id: ApiClientId) -> Value {
    let res = app
        .post(
            &format!("/api/staff/api-clients/{what}"),
            &format!("id={id}"),
            Some(cookie),
        )
        .await;
    res.json().await.unwrap()
}

/// Account numbers of the demo's guardian (Yoko) and minor (Taro).
async fn family(app: &TestApp) -> (String, String) {
    (
        number(account_of(app, "yoko").await),
        number(account_of(app, "taro").await),
    )
}

async fn check(app: &TestApp, key: Option<&str>, guardian: &str, minor: &str) -> (u16, Value) {
    let mut req = app.client.get(app.url(&format!(
        "/v1/relationships/guardianship?guardian={guardian}&minor={minor}"
    )));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn demo_app(engine: DbEngine, per_minute: u32) -> Option<TestApp> {
    TestApp::spawn_with(engine, |a| {
        a.demo = true;
        a.api_per_minute = per_minute;
    })
    .await
}

async fn the_relationship_check(engine: DbEngine) {
    let Some(app) = demo_app(engine, 600).await else {
        return;
    };
    let sato = staff(&app).await;
    let issued = register(&app, &sato, ClientKind::RemittanceSystem)
        .await
        .unwrap();
    assert!(issued.secret.starts_with(&issued.client.keys[0].prefix));
    assert_eq!(issued.client.scopes, vec![Scope::RelationshipsRead]);
    let key = issued.secret.as_str();
    let (yoko, taro) = family(&app).await;

    let (status, body) = check(&app, Some(key), &yoko, &taro).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verified"], true);
    let since = body["verified_since"].as_str().unwrap();
    assert!(
        since.len() == 20 && since.ends_with('Z') && since.as_bytes()[10] == b'T',
        "{since}"
    );
    // The other way round, an unknown account: no, and nothing more.
    for (g, m) in [(taro.as_str(), yoko.as_str()), (yoko.as_str(), "9999999")] {
        let (status, body) = check(&app, Some(key), g, m).await;
        assert_eq!((status, body), (200, json!({ "verified": false })));
    }
    let (status, body) = check(&app, Some(key), "yoko", &taro).await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({ "code": "invalid", "field": "guardian", "reason": "malformed" })
    );

    // Every kind of client granted the scope gets the same answer.
    for kind in ClientKind::ALL {
        let other = register(&app, &sato, kind).await.unwrap();
        assert_eq!(other.client.kind, kind);
        let (status, body) = check(&app, Some(&other.secret), &yoko, &taro).await;
        assert_eq!(
            (status, body["verified"].as_bool()),
            (200, Some(true)),
            "{kind:?}"
        );
    }

    // No key, a made-up key, a key of the right shape that is not ours: all 401.
    let forged = format!("{}x", &key[..key.len() - 1]);
    for k in [None, Some("nope"), Some(forged.as_str())] {
        let (status, body) = check(&app, k, &yoko, &taro).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("unauthenticated"))
        );
    }

    // Rotation: both keys work through the grace period; revoking ends both.
    let id = issued.client.id;
    let rotated: IssuedKey =
        serde_json::from_value(staff_call(&app, &sato, "rotate", id).await).unwrap();
    assert_eq!(rotated.client.keys.len(), 2);
    assert!(rotated.client.keys[1].expires_at_ms.is_some());
    assert_eq!(check(&app, Some(key), &yoko, &taro).await.0, 200);
    assert_eq!(
        check(&app, Some(&rotated.secret), &yoko, &taro).await.0,
        200
    );
    let revoked = staff_call(&app, &sato, "revoke", id).await;
    assert!(revoked["revoked_at_ms"].is_i64(), "{revoked}");
    assert_eq!(check(&app, Some(key), &yoko, &taro).await.0, 401);
    assert_eq!(
        check(&app, Some(&rotated.secret), &yoko, &taro).await.0,
        401
    );
    assert_eq!(
        staff_call(&app, &sato, "rotate", id).await,
        json!({ "code": "conflict", "reason": "revoked" })
    );

    // Only staff manage clients; the key is never stored or listed.
    let hanako = crate::people::sign_up(&app, "m_hanako").await;
    assert_eq!(
        register(&app, &hanako.cookie, ClientKind::Merchant).await,
        Err(AppError::Forbidden)
    );
    let list = app.post("/api/staff/api-clients", "", Some(&sato)).await;
    let list = list.text().await.unwrap();
    assert!(!list.contains(&rotated.secret[16..]) && list.contains(&issued.client.keys[0].prefix));
    let stored: Vec<String> = sqlx::query_scalar("SELECT secret_hash FROM api_keys")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert!(stored
        .iter()
        .all(|h| h.len() == 64 && !key.contains(h.as_str())));

    // Every call and every change is in the audit chain.
    let calls: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'api.relationships.guardianship' AND actor = $1",
    )
    .bind(format!("client:{id}"))
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(calls, 6, "the answered calls and the 422");
    let changes: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE subject = $1 ORDER BY seq")
            .bind(format!("api_client:{id}"))
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert_eq!(
        changes,
        [
            "api_client.registered",
            "api_client.key_rotated",
            "api_client.revoked"
        ]
    );
    let verdict = server::audit::verify(app.db().pool()).await.unwrap();
    assert!(
        matches!(verdict, server::audit::Verdict::Ok { .. }),
        "{verdict}"
    );
    app.stop().await;
}

async fn the_rate_limit_per_client(engine: DbEngine) {
    let Some(app) = demo_app(engine, 3).await else {
        return;
    };
    let sato = staff(&app).await;
    let one = register(&app, &sato, ClientKind::Merchant).await.unwrap();
    let two = register(&app, &sato, ClientKind::Agent).await.unwrap();
    let (yoko, taro) = family(&app).await;
    for _ in 0..3 {
        assert_eq!(check(&app, Some(&one.secret), &yoko, &taro).await.0, 200);
    }
    let res = app
        .client
        .get(app.url(&format!(
            "/v1/relationships/guardianship?guardian={yoko}&minor={taro}"
        )))
        .bearer_auth(&one.secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(
        res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
            >= 1
    );
    // Another client has its own allowance.
    assert_eq!(check(&app, Some(&two.secret), &yoko, &taro).await.0, 200);
    app.stop().await;
}

async fn the_document_and_the_page(engine: DbEngine) {
    let Some(app) = TestApp::spawn(engine).await else {
        return;
    };
    let doc: Value = app
        .client
        .get(app.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    let op = &doc["paths"]["/v1/relationships/guardianship"]["get"];
    assert_eq!(
        op["security"],
        json!([{ "api_key": ["relationships:read"] }])
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
    let params: Vec<&str> = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["guardian", "minor"]);
    let page = app.client.get(app.url("/v1/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("GET /v1/relationships/guardianship"));
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "nothing loaded from elsewhere"
    );
    let missing = app
        .client
        .get(app.url("/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({ "code": "not_found" })
    );
    app.stop().await;
}

mod relationship_check {
    use super::*;
    #[tokio::test]
    async fn sqlite() {
        the_relationship_check(DbEngine::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        the_relationship_check(DbEngine::Postgres).await;
    }
}

mod rate_limit_per_client {
    use super::*;
    #[tokio::test]
    async fn sqlite() {
        the_rate_limit_per_client(DbEngine::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        the_rate_limit_per_client(DbEngine::Postgres).await;
    }
}

mod openapi_document {
    use super::*;
    #[tokio::test]
    async fn sqlite() {
        the_document_and_the_page(DbEngine::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        the_document_and_the_page(DbEngine::Postgres).await;
    }
}

/// The document as committed: an API change shows in review as a change
/// of this file. `UPDATE_OPENAPI=1 cargo test -p server --test api openapi`
/// writes it anew.
#[test]
fn the_openapi_document_is_the_committed_one() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/api/openapi.snapshot.json"
    );
    let now = serde_json::to_string_pretty(&server::machine::openapi()).unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &now).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == now,
        "the OpenAPI document changed; review it and run with UPDATE_OPENAPI=1 to accept it"
    );
}

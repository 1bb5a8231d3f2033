//! The server-function wiring, and the cross-site protection in front of it.

use crate::{helpers::TestApp, on_both_engines};

const STATUS_FN: &str = "/api/system/status";

async fn post(app: &TestApp, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(STATUS_FN))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

on_both_engines!(
    same_origin_call_returns_the_status,
    async |app: &TestApp| {
        let res = post(app, &[("origin", &app.origin())]).await;
        assert_eq!(res.status(), 200);
        let status: shared::system::ServiceStatus = res.json().await.unwrap();
        assert_eq!(status.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(status.engine, app.engine);
        assert!(status.database_ok);
        assert!(!status.demo);
    }
);

on_both_engines!(same_origin_referer_is_enough, async |app: &TestApp| {
    let referer = format!("{}/customer", app.origin());
    let res = post(app, &[("referer", &referer)]).await;
    assert_eq!(res.status(), 200);
});

on_both_engines!(cross_origin_form_post_is_refused, async |app: &TestApp| {
    let res = post(app, &[("origin", "http://evil.example")]).await;
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "forbidden");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("http://evil.example"));
    // The app decodes the same body as its typed error.
    let err: shared::AppError = serde_json::from_value(body).unwrap();
    assert_eq!(err, shared::AppError::Forbidden);
});

on_both_engines!(
    requests_without_origin_or_with_null_are_refused,
    async |app: &TestApp| {
        assert_eq!(post(app, &[]).await.status(), 403);
        assert_eq!(post(app, &[("origin", "null")]).await.status(), 403);
        let other_port = format!("http://127.0.0.1:{}", app.addr.port() + 1);
        assert_eq!(post(app, &[("origin", &other_port)]).await.status(), 403);
    }
);

on_both_engines!(
    unknown_server_function_is_not_a_500,
    async |app: &TestApp| {
        let res = app
            .client
            .post(app.url("/api/no/such/fn"))
            .header("origin", app.origin())
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{}", res.status());
    }
);

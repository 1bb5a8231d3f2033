use crate::on_both_engines;

on_both_engines!(
    healthz_reports_version_and_database,
    async |app: &crate::helpers::TestApp| {
        let res = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(body["database"]["engine"], app.engine.name());
        assert_eq!(body["database"]["ok"], true);
    }
);

on_both_engines!(
    healthz_answers_503_when_the_database_is_gone,
    async |app: &crate::helpers::TestApp| {
        app.db().close().await;
        let res = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 503);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "degraded");
        assert_eq!(body["database"]["ok"], false);
    }
);

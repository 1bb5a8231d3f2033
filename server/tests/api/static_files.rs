//! Serving the built app: SPA fallback, compression, caching.

use crate::{helpers::TestApp, on_both_engines};

on_both_engines!(deep_links_get_the_app_shell, async |app: &TestApp| {
    for path in ["/", "/customer/approvals", "/atm", "/no/such/page"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
        assert!(res.text().await.unwrap().contains("anshin-spa"), "{path}");
    }
});

on_both_engines!(
    assets_are_compressed_and_cached_for_good,
    async |app: &TestApp| {
        for encoding in ["br", "gzip"] {
            let res = app
                .client
                .get(app.url("/app-0123456789abcdef.js"))
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-encoding"], encoding);
            assert_eq!(
                res.headers()["cache-control"],
                "public, max-age=31536000, immutable"
            );
        }
    }
);

on_both_engines!(security_headers_are_set, async |app: &TestApp| {
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert_eq!(res.headers()["referrer-policy"], "same-origin");
    // The page's one inline script, by hash, and nothing else inline.
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-E6jQvrT2ZivWG9GJ4AAEZf4MhI7l3QkLroW4hgvUT4c='"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
});

//! Serving the built app: each bundle's page for its paths, files
//! compressed once at build time, caching.

use crate::{
    helpers::{TestApp, PRECOMPRESSED},
    on_both_engines,
};

on_both_engines!(deep_links_get_their_bundles_page, async |app: &TestApp| {
    for (path, page) in [
        ("/", "index.html"),
        ("/signin", "index.html"),
        ("/customer", "customer.html"),
        ("/customer/approvals", "customer.html"),
        ("/customer/cash", "cash.html"),
        ("/customer/consult", "cash.html"),
        ("/customer/send", "send.html"),
        ("/customer/transfers/4", "send.html"),
        ("/guardian", "guardian.html"),
        ("/staff", "staff.html"),
        ("/staff/audit", "staff.html"),
        ("/atm", "atm.html"),
        ("/atmosphere", "index.html"),
        ("/no/such/page", "index.html"),
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains(&format!("anshin-spa {page}<")),
            "{path}: {body}"
        );
    }
});

on_both_engines!(
    a_file_compressed_at_build_time_is_sent_as_built,
    async |app: &TestApp| {
        let res = app
            .client
            .get(app.url("/app-0123456789abcdef.js"))
            .header("accept-encoding", "br")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-encoding"], "br");
        assert_eq!(res.bytes().await.unwrap().as_ref(), PRECOMPRESSED);
    }
);

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

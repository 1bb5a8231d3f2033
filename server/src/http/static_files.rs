//! Serves Trunk's `dist/`: hashed assets cached for a year, pages never
//! cached, and any unknown path answered with the page of the bundle it
//! belongs to (`shared::bundle`), so that bundle's router can show the view
//! (or its not-found page). Each file is sent as the brotli or gzip copy
//! the build made beside it, when the client accepts it.

use axum::{body::Body, extract::Request, response::Response};
use http::{header, HeaderValue};
use shared::bundle::Bundle;
use std::{convert::Infallible, path::Path};
use tower::{service_fn, util::BoxCloneSyncService, ServiceExt};
use tower_http::services::{ServeDir, ServeFile};

type StaticService = BoxCloneSyncService<Request<Body>, Response, Infallible>;

pub fn service(dist: &Path) -> StaticService {
    let root = dist.to_path_buf();
    let page_for = service_fn(move |req: Request<Body>| {
        let page = ServeFile::new(root.join(Bundle::for_path(req.uri().path()).page()))
            .precompressed_br()
            .precompressed_gzip();
        page.oneshot(req)
    });
    let files = ServeDir::new(dist)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(page_for);
    let service = service_fn(move |req: Request<Body>| {
        let files = files.clone();
        async move {
            let immutable = is_hashed_asset(req.uri().path());
            let mut res = files.oneshot(req).await?.map(Body::new);
            let cache = if immutable {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            Ok::<_, Infallible>(res)
        }
    });
    BoxCloneSyncService::new(service)
}

/// Trunk names built assets `name-<16 hex digits>[_bg].ext`; those never change.
fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let stem = file.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn recognises_trunk_hashed_assets() {
        assert!(is_hashed_asset("/anshin-app-3f2a9c1b0d4e5f60_bg.wasm"));
        assert!(is_hashed_asset("/main-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/customer/approvals"));
        assert!(!is_hashed_asset("/public/favicon.svg"));
    }
}

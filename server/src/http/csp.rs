//! The Content-Security-Policy: only our own origin may supply scripts,
//! styles, images and connections, and the page may not be framed.
//!
//! Trunk starts the app with an inline `<script type="module">` in
//! each bundle's page; rather than allow inline scripts in general, the
//! policy names the SHA-256 of each inline script found in the built pages
//! at start.
//! WebAssembly compilation needs `'wasm-unsafe-eval'` (not `'unsafe-eval'`).

use base64::{engine::general_purpose::STANDARD, Engine};
use sha2::{Digest, Sha256};

pub fn policy(pages: &[String]) -> String {
    let mut seen = std::collections::BTreeSet::new();
    let hashes: String = pages
        .iter()
        .flat_map(|page| inline_scripts(page))
        .map(|script| STANDARD.encode(Sha256::digest(script.as_bytes())))
        .filter(|hash| seen.insert(hash.clone()))
        .map(|hash| format!(" 'sha256-{hash}'"))
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The bodies of `<script>` elements without a `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || loop {
        let open = rest.find("<script")?;
        let after_open = &rest[open..];
        let tag_end = after_open.find('>')?;
        let tag = &after_open[..tag_end];
        let body_start = open + tag_end + 1;
        let close = rest[body_start..].find("</script>")? + body_start;
        let body = &rest[body_start..close];
        rest = &rest[close + "</script>".len()..];
        if !tag.contains(" src=") {
            return Some(body);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_inline_scripts_only() {
        let html = "<head><script src=\"/a.js\"></script>\n<script type=\"module\">\nimport x;\n</script></head>";
        let scripts: Vec<_> = inline_scripts(html).collect();
        assert_eq!(scripts, ["\nimport x;\n"]);
        let p = policy(&[html.to_string(), "<html></html>".to_string()]);
        let expected = STANDARD.encode(Sha256::digest(b"\nimport x;\n"));
        assert!(p.contains(&format!("'sha256-{expected}'")), "{p}");
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(!p.contains("unsafe-inline"));
    }

    #[test]
    fn a_page_without_scripts_allows_none_inline() {
        assert!(!policy(&["<html></html>".to_string()]).contains("sha256-"));
    }
}

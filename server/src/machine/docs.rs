//! The reference page of the machine API, written from the OpenAPI
//! document itself when the server starts: every operation with its
//! method, path, description, parameters, scopes and answers. Plain HTML
//! and one stylesheet of our own, so it works with no internet.

use axum::{http::header, response::IntoResponse};
use utoipa::openapi::{path::Operation, OpenApi, RefOr};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn operation(out: &mut String, method: &str, path: &str, op: &Operation) {
    let id = op.operation_id.clone().unwrap_or_default();
    out.push_str(&format!(
        "<section id=\"{}\"><h2><code>{method} {}</code></h2>",
        escape(&id),
        escape(path)
    ));
    for text in [&op.summary, &op.description].into_iter().flatten() {
        out.push_str(&format!("<p>{}</p>", escape(text)));
    }
    if let Some(security) = &op.security {
        let scopes = serde_json::to_value(security)
            .unwrap_or_default()
            .to_string();
        out.push_str(&format!("<p>Needs: <code>{}</code></p>", escape(&scopes)));
    }
    if let Some(params) = op.parameters.as_ref().filter(|p| !p.is_empty()) {
        out.push_str("<h3>Parameters</h3><table><thead><tr><th>name</th><th>in</th><th>required</th><th>description</th></tr></thead><tbody>");
        for p in params {
            let RefOr::T(p) = p else { continue };
            let within = serde_json::to_value(&p.parameter_in).unwrap_or_default();
            let required = serde_json::to_value(&p.required).unwrap_or_default();
            out.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&p.name),
                escape(within.as_str().unwrap_or_default()),
                escape(&required.to_string()),
                escape(p.description.as_deref().unwrap_or_default())
            ));
        }
        out.push_str("</tbody></table>");
    }
    out.push_str(
        "<h3>Answers</h3><table><thead><tr><th>status</th><th>meaning</th></tr></thead><tbody>",
    );
    for (status, response) in &op.responses.responses {
        let meaning = match response {
            RefOr::T(r) => r.description.clone(),
            RefOr::Ref(r) => r.ref_location.clone(),
        };
        out.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            escape(status),
            escape(&meaning)
        ));
    }
    out.push_str("</tbody></table></section>");
}

/// The page, once.
pub fn page(api: &OpenApi) -> axum::response::Html<String> {
    let title = escape(&api.info.title);
    let mut out = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><link rel=\"stylesheet\" href=\"/v1/docs.css\"></head><body><main><h1>{title}</h1>"
    );
    if let Some(d) = &api.info.description {
        out.push_str(&format!("<p>{}</p>", escape(d)));
    }
    out.push_str("<p>The whole document: <a href=\"/v1/openapi.json\">/v1/openapi.json</a> (OpenAPI 3.1).</p>");
    for (path, item) in &api.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in methods {
            if let Some(op) = op {
                operation(&mut out, method, path, op);
            }
        }
    }
    out.push_str("</main></body></html>");
    axum::response::Html(out)
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1d2a2e;background:#f6f8f7}\
main{max-width:60rem;margin:0 auto;padding:1rem}\
section{background:#fff;border:1px solid #d8e0dd;border-radius:10px;padding:0 1rem 1rem;margin:1rem 0}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d8e0dd}\
code{font-family:ui-monospace,monospace}";

pub async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS)
}

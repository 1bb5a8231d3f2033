//! The demo shop's one page: what it sells, a form to buy as the demo minor
//! (charged to their Anshin account, or paid in cash and reported), its
//! orders as the API and webhooks told it, and the webhooks it received
//! with whether each signature verified. English and Japanese side by side:
//! a shop's own page, not the app.

use axum::{extract::State, response::Html};

use super::{DemoShop, ITEMS};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub async fn shop(State(shop): State<DemoShop>) -> Html<String> {
    let book = shop.book();
    let mut out = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Anshin Demo Shop</title><link rel=\"stylesheet\" href=\"/v1/docs.css\"></head><body><main>\
         <h1>Anshin Demo Shop <small lang=\"ja\">デモショップ</small></h1>\
         <p>A merchant using the Anshin machine API. Buy as the demo minor Taro, then watch his and his guardian Yoko’s phones.</p>",
    );
    if let Some(r) = &book.refused {
        out.push_str(&format!(
            "<p role=\"alert\" class=\"refused\">The API refused the purchase: <code>{}</code></p>",
            esc(r)
        ));
    }
    out.push_str("<h2>Items</h2><ul class=\"items\">");
    for (code, name, yen, category) in ITEMS {
        out.push_str(&format!(
            "<li><form method=\"post\" action=\"/demo-shop/buy\" aria-label=\"{name}\">\
             <h3>{name} — ¥{yen}</h3><p>{category}</p>\
             <input type=\"hidden\" name=\"item\" value=\"{code}\">\
             <label>Anshin account number <input name=\"account\" value=\"{account}\" inputmode=\"numeric\"></label>\
             <button name=\"payment\" value=\"anshin\">Pay ¥{yen} with Anshin</button> \
             <button name=\"payment\" value=\"elsewhere\">Paid ¥{yen} in cash</button></form></li>",
            name = esc(name),
            account = esc(&shop.minor_account),
        ));
    }
    out.push_str("</ul><h2>Orders</h2>");
    if book.orders.is_empty() {
        out.push_str("<p>No orders yet.</p>");
    } else {
        out.push_str("<table><caption>Orders</caption><thead><tr><th>Purchase</th><th>Item</th><th>Amount</th><th>Payment</th><th>State</th><th>Why</th></tr></thead><tbody>");
        for o in &book.orders {
            out.push_str(&format!(
                "<tr data-purchase=\"{}\"><td>{}</td><td>{}</td><td>¥{}</td><td>{}</td><td class=\"state\">{}</td><td>{}</td></tr>",
                o.purchase,
                o.purchase,
                esc(&o.item),
                o.amount,
                esc(&o.payment),
                esc(&o.state),
                esc(o.reason.as_deref().unwrap_or(""))
            ));
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("<h2>Webhooks received</h2>");
    if book.received.is_empty() {
        out.push_str("<p>None yet.</p>");
    } else {
        out.push_str("<table><caption>Webhooks received</caption><thead><tr><th>webhook-id</th><th>Event</th><th>Purchase</th><th>Signature</th></tr></thead><tbody>");
        for r in &book.received {
            out.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.id),
                esc(&r.event_type),
                r.purchase,
                if r.verified { "verified" } else { "REFUSED" }
            ));
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("<p><a href=\"/demo-shop\">Refresh</a></p></main></body></html>");
    Html(out)
}

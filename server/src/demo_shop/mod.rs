//! The demo shop (demo mode only): a small merchant that sells to the demo
//! minor through the real machine API, over HTTP, with its own API key, as
//! any merchant would. It reports purchases with an Idempotency-Key,
//! receives its webhooks at `/demo-shop/webhooks` (checking each signature
//! before believing it) and confirms the refunds a guardian's cancel asks
//! for. Its pages are plain HTML served by the server, no app bundle.

mod page;

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Router,
};
use serde::Deserialize;
use shared::{
    ids::UserId,
    machine::{ClientKind, NewApiClient},
};
use std::sync::{Arc, Mutex};

use crate::{
    db::Db, error::Error, machine::clients::ApiClients, system::now_ms, webhooks::Webhooks,
};

const KEY_SETTING: &str = "demo_shop_api_key";
const SECRET_SETTING: &str = "demo_shop_webhook_secret";
/// Most orders and webhooks the shop's page keeps in view.
const KEPT: usize = 50;

/// What the shop sells.
pub const ITEMS: [(&str, &str, i64, &str); 4] = [
    ("manga", "Manga, volume 3", 480, "books"),
    ("cards", "Trading card pack", 1_200, "toys"),
    ("game", "Game download", 6_800, "games"),
    ("snack", "Onigiri and tea", 350, "food"),
];

/// An order as the shop knows it (from the API's answers and its webhooks).
#[derive(Debug, Clone)]
pub struct Order {
    pub purchase: i64,
    pub item: String,
    pub amount: i64,
    pub payment: String,
    pub state: String,
    pub reason: Option<String>,
}

/// A webhook as the shop received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub event_type: String,
    pub purchase: i64,
    pub verified: bool,
}

#[derive(Default)]
struct Book {
    orders: Vec<Order>,
    received: Vec<Received>,
    /// The last answer the API gave that was not a purchase.
    refused: Option<String>,
}

#[derive(Clone)]
pub struct DemoShop {
    base: String,
    key: String,
    secret: String,
    minor_account: String,
    http: reqwest::Client,
    book: Arc<Mutex<Book>>,
}

impl std::fmt::Debug for DemoShop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never its key or secret.
        f.debug_struct("DemoShop")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

async fn setting(db: &Db, key: &str) -> Result<Option<String>, Error> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(db.pool())
            .await?,
    )
}

async fn keep_setting(db: &Db, key: &str, value: &str) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at_ms) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(value)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

impl DemoShop {
    /// Registers the shop once (as the demo clerk `clerk`) and points its
    /// webhooks at this server (`base`, as `http://host:port`).
    pub async fn setup(
        db: &Db,
        clients: &ApiClients,
        webhooks: &Webhooks,
        clerk: UserId,
        minor_account: String,
        base: String,
    ) -> Result<DemoShop, Error> {
        let key = match setting(db, KEY_SETTING).await? {
            Some(k) => k,
            None => {
                let new = NewApiClient {
                    name: "Anshin Demo Shop".into(),
                    kind: ClientKind::Merchant,
                    scopes: ClientKind::Merchant.usual_scopes(),
                };
                let issued = clients.register(clerk, new).await?;
                keep_setting(db, KEY_SETTING, &issued.secret).await?;
                issued.secret
            }
        };
        let client = match clients.authenticate(&key).await? {
            shared::ports::Caller::Client { id, .. } => id,
            _ => return Err(shared::AppError::Unauthenticated.into()),
        };
        let url = format!("{base}/demo-shop/webhooks");
        let (_, secret) = webhooks.set_endpoint(client, &url).await?;
        if let Some(s) = secret {
            keep_setting(db, SECRET_SETTING, &s).await?;
        }
        let secret = setting(db, SECRET_SETTING)
            .await?
            .ok_or(shared::AppError::Unavailable)?;
        Ok(DemoShop {
            base,
            key,
            secret,
            minor_account,
            http: reqwest::Client::new(),
            book: Arc::new(Mutex::new(Book::default())),
        })
    }

    pub fn router(self) -> Router {
        Router::new()
            .route("/demo-shop", get(page::shop))
            .route("/demo-shop/buy", post(buy))
            .route("/demo-shop/webhooks", post(webhook))
            .with_state(self)
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls the machine API as this shop.
    async fn call(
        &self,
        path: &str,
        body: serde_json::Value,
        idem: &str,
    ) -> Result<(u16, serde_json::Value), reqwest::Error> {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("idempotency-key", idem)
            .json(&body)
            .send()
            .await?;
        let status = res.status().as_u16();
        Ok((status, res.json().await.unwrap_or_default()))
    }

    fn record(&self, v: &serde_json::Value) {
        let Some(purchase) = v["id"].as_i64() else {
            return;
        };
        let mut book = self.book();
        let state = v["state"].as_str().unwrap_or("").to_string();
        let reason = v["condition"]
            .as_str()
            .or(v["cancel_reason"].as_str())
            .map(str::to_string);
        if let Some(o) = book.orders.iter_mut().find(|o| o.purchase == purchase) {
            o.state = state;
            o.reason = reason;
            return;
        }
        book.orders.insert(
            0,
            Order {
                purchase,
                item: v["description"].as_str().unwrap_or("").to_string(),
                amount: v["amount"].as_i64().unwrap_or(0),
                payment: v["payment"].as_str().unwrap_or("").to_string(),
                state,
                reason,
            },
        );
        book.orders.truncate(KEPT);
    }
}

#[derive(Debug, Deserialize)]
struct BuyForm {
    item: String,
    payment: String,
    account: String,
}

async fn buy(State(shop): State<DemoShop>, Form(f): Form<BuyForm>) -> Response {
    let Some((_, name, yen, category)) = ITEMS.iter().find(|(code, ..)| *code == f.item) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "unknown item").into_response();
    };
    let reference = format!("demo-{}", uuid::Uuid::new_v4().simple());
    let body = serde_json::json!({
        "minor": f.account.trim(),
        "amount": yen,
        "currency": "JPY",
        "category": category,
        "description": name,
        "reference": reference,
        "payment": if f.payment == "elsewhere" { "elsewhere" } else { "anshin" },
    });
    match shop.call("/v1/purchases", body, &reference).await {
        Ok((status, v)) if status < 300 => {
            shop.record(&v);
            shop.book().refused = None;
        }
        Ok((status, v)) => {
            shop.book().refused = Some(format!(
                "{status} {} {}",
                v["field"].as_str().unwrap_or(""),
                v["reason"].as_str().or(v["code"].as_str()).unwrap_or("")
            ));
        }
        Err(e) => shop.book().refused = Some(format!("unreachable: {e}")),
    }
    Redirect::to("/demo-shop").into_response()
}

/// A webhook: believed only if its signature verifies; a refund request is
/// answered by confirming the refund through the API.
async fn webhook(State(shop): State<DemoShop>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let verified = standardwebhooks::Webhook::new(&shop.secret)
        .and_then(|w| w.verify(&body, &headers))
        .is_ok();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let event_type = v["type"].as_str().unwrap_or("").to_string();
    let purchase = v["data"]["id"].as_i64().unwrap_or(0);
    let id = headers
        .get("webhook-id")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    {
        let mut book = shop.book();
        // A repeat of a message already taken changes nothing.
        if book.received.iter().any(|r| r.id == id && r.verified) {
            return StatusCode::OK;
        }
        book.received.insert(
            0,
            Received {
                id,
                event_type: event_type.clone(),
                purchase,
                verified,
            },
        );
        book.received.truncate(KEPT);
    }
    if !verified {
        return StatusCode::UNAUTHORIZED;
    }
    shop.record(&v["data"]);
    if event_type == "purchase.refund_requested" {
        let shop = shop.clone();
        tokio::spawn(async move {
            let path = format!("/v1/purchases/{purchase}/refund");
            if let Ok((_, v)) = shop
                .call(&path, serde_json::json!({}), &format!("refund-{purchase}"))
                .await
            {
                shop.record(&v);
            }
        });
    }
    StatusCode::OK
}

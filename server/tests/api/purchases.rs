//! Minors' purchases reported through the machine API (F4), on both engines:
//! a charge the minor confirms with a passkey is reserved through the
//! window and paid to the merchant at its end; the guardian's cancel within
//! the window releases it; the guardian's conditions cancel at once what
//! breaks them; "ask me first" waits for the guardian; a purchase paid
//! elsewhere is refunded through the API; every refusal changes nothing;
//! Idempotency-Key replays answer the first answer.

use crate::{
    cardless::{available, funded},
    helpers::{answer, DbEngine, TestApp},
    on_both_engines,
    people::{sign_up, urlencode, Person},
    transfers::{number, staff},
};
use serde_json::{json, Value};
use shared::{
    ids::{AccountId, PurchaseId, UserId},
    machine::{ClientKind, IssuedKey, NewApiClient, Scope},
    purchase::{
        conditions::Conditions, port::GuardianOverview, Broken, Cancelled, Category, Purchase,
        PurchaseState,
    },
    AppError, Reason,
};
use std::time::Duration;

/// A minor with money, their guardian, and the minor's account.
pub struct Family {
    pub minor: Person,
    pub guardian: Person,
    pub account: AccountId,
    pub minor_id: UserId,
}

pub async fn user_id(app: &TestApp, nickname: &str) -> UserId {
    server::identity::store::user_by_nickname(app.db(), nickname)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// `prefix`_kid with `yen`, and `prefix`_mum as their verified guardian.
pub async fn family(app: &TestApp, prefix: &str, yen: i64) -> Family {
    let (minor, account) = funded(app, &format!("{prefix}_kid"), yen).await;
    let guardian = sign_up(app, &format!("{prefix}_mum")).await;
    let (m, g) = (
        user_id(app, &format!("{prefix}_kid")).await,
        user_id(app, &format!("{prefix}_mum")).await,
    );
    server::identity::store::link_guardian(app.db(), g, m, server::system::now_ms())
        .await
        .unwrap();
    Family {
        minor,
        guardian,
        account,
        minor_id: m,
    }
}

/// A merchant's API key, registered by staff with `scopes`.
pub async fn merchant(app: &TestApp, name: &str, scopes: Vec<Scope>) -> IssuedKey {
    api_client(app, name, ClientKind::Merchant, scopes).await
}

/// An API client of `kind`, registered by a member of staff made for it.
pub async fn api_client(
    app: &TestApp,
    name: &str,
    kind: ClientKind,
    scopes: Vec<Scope>,
) -> IssuedKey {
    let clerk: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    let token = server::identity::create_staff_enrollment(app.db(), "Clerk")
        .await
        .unwrap();
    let sato = crate::people::sign_up_with(
        app,
        &format!("st_{}", clerk.to_lowercase()),
        &format!("&form[enrollment]={token}"),
    )
    .await
    .cookie;
    let new = NewApiClient {
        name: name.into(),
        kind,
        scopes,
    };
    answer(
        app.post_json(
            "/api/staff/api-clients/register",
            &json!({ "new": new }),
            &sato,
        )
        .await,
    )
    .await
    .unwrap()
}

pub fn all_scopes() -> Vec<Scope> {
    vec![Scope::PurchasesWrite, Scope::WebhooksManage]
}

/// A machine API call: status, body and the replay header.
pub async fn v1(
    app: &TestApp,
    key: Option<&str>,
    post: Option<(&str, Value)>,
    path: &str,
) -> (u16, Value, bool) {
    let mut req = match &post {
        Some((idem, body)) => {
            let mut r = app.client.post(app.url(path)).json(body);
            if !idem.is_empty() {
                r = r.header("idempotency-key", *idem);
            }
            r
        }
        None => app.client.get(app.url(path)),
    };
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let replayed = res.headers().contains_key("idempotent-replayed");
    let text = res.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"))
    };
    (status, body, replayed)
}

pub fn purchase_body(f: &Family, yen: i64, payment: &str, category: &str) -> Value {
    json!({
        "minor": number(f.account),
        "amount": yen,
        "currency": "JPY",
        "category": category,
        "description": "Manga, volume 3",
        "reference": "order-1",
        "payment": payment,
    })
}

pub async fn report(app: &TestApp, shop: &IssuedKey, idem: &str, body: Value) -> (u16, Value) {
    let (status, body, _) = v1(app, Some(&shop.secret), Some((idem, body)), "/v1/purchases").await;
    (status, body)
}

pub fn id_of(v: &Value) -> PurchaseId {
    PurchaseId(v["id"].as_i64().unwrap())
}

/// The minor confirms on their phone with their passkey.
pub async fn confirm(app: &TestApp, f: &mut Family, id: PurchaseId) -> Result<Purchase, AppError> {
    let ceremony: shared::identity::Ceremony = answer(
        app.post(
            "/api/purchases/begin-confirm",
            &format!("id={id}"),
            Some(&f.minor.cookie),
        )
        .await,
    )
    .await?;
    let credential = f.minor.passkey.assert(&ceremony.options_json);
    let body = format!(
        "id={id}&ceremony={}&credential={}",
        ceremony.id,
        urlencode(&credential)
    );
    answer(
        app.post("/api/purchases/confirm", &body, Some(&f.minor.cookie))
            .await,
    )
    .await
}

pub async fn cancel(app: &TestApp, who: &Person, id: PurchaseId) -> Result<Purchase, AppError> {
    answer(
        app.post(
            "/api/guardian/cancel",
            &format!("id={id}"),
            Some(&who.cookie),
        )
        .await,
    )
    .await
}

pub async fn set_conditions(
    app: &TestApp,
    f: &Family,
    c: &Conditions,
) -> Result<Conditions, AppError> {
    let body = json!({ "minor": f.minor_id, "conditions": c });
    answer(
        app.post_json("/api/guardian/conditions", &body, &f.guardian.cookie)
            .await,
    )
    .await
}

async fn overview(app: &TestApp, who: &Person) -> GuardianOverview {
    answer(
        app.post("/api/guardian/overview", "", Some(&who.cookie))
            .await,
    )
    .await
    .unwrap()
}

async fn ledger_ok(app: &TestApp) {
    assert!(app.ledger().check().await.unwrap().is_ok());
}

async fn purchases_stored(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM purchases")
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn outbox(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT event_type FROM webhook_messages ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .unwrap()
}

/// Polls the merchant's view until the purchase is in `state`.
pub async fn until_state(app: &TestApp, shop: &IssuedKey, id: PurchaseId, state: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        let (_, body, _) = v1(
            app,
            Some(&shop.secret),
            None,
            &format!("/v1/purchases/{id}"),
        )
        .await;
        if body["state"] == state {
            return body;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("purchase {id} never reached {state}: {last}");
}

async fn charged_purchase_is_reserved_through_the_window_then_paid(engine: DbEngine) {
    let Some(app) = TestApp::spawn_with(engine, |a| a.purchase_window_ms = 1_500).await else {
        return;
    };
    let mut f = family(&app, "pw", 10_000).await;
    let shop = merchant(&app, "Book shop", all_scopes()).await;
    let body = purchase_body(&f, 1_200, "anshin", "books");
    let (status, first) = report(&app, &shop, "order-1", body.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["state"], "awaiting_minor");
    assert_eq!(first["minor"], number(f.account));
    assert!(first["decide_by"].is_string());
    // A retry of the same request answers the first answer, and makes nothing new.
    let (status, again, replayed) = v1(
        &app,
        Some(&shop.secret),
        Some(("order-1", body.clone())),
        "/v1/purchases",
    )
    .await;
    assert_eq!((status, replayed), (201, true));
    assert_eq!(again, first);
    // The same key with another request is a conflict.
    let other = purchase_body(&f, 1_300, "anshin", "books");
    let (status, refused) = report(&app, &shop, "order-1", other).await;
    assert_eq!(
        (status, refused["reason"].as_str()),
        (409, Some("idempotency_conflict"))
    );
    assert_eq!(purchases_stored(&app).await, 1);

    let id = id_of(&first);
    let mine: Vec<Purchase> = answer(
        app.post("/api/purchases/mine", "", Some(&f.minor.cookie))
            .await,
    )
    .await
    .unwrap();
    assert_eq!(mine[0].state, PurchaseState::AwaitingMinor);
    let confirmed = confirm(&app, &mut f, id).await.unwrap();
    assert_eq!(confirmed.state, PurchaseState::InWindow);
    assert!(confirmed.window_ends_ms.is_some());
    assert_eq!(available(&app, f.account).await, 8_800, "reserved");
    let seen = overview(&app, &f.guardian).await;
    assert_eq!(seen.purchases[0].id, id);
    assert_eq!(seen.wards[0].minor, f.minor_id);

    // The window ends: the hold is paid to the merchant's settlement account.
    let done = until_state(&app, &shop, id, "completed").await;
    assert!(done.get("window_ends_at").is_some());
    let settlement: i64 =
        sqlx::query_scalar("SELECT settlement_account_id FROM api_clients WHERE id = $1")
            .bind(shop.client.id.0)
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    let paid = app.ledger().balance(AccountId(settlement)).await.unwrap();
    assert_eq!(paid.credits_posted, 1_200);
    assert_eq!(available(&app, f.account).await, 8_800);
    assert_eq!(
        app.ledger()
            .balance(f.account)
            .await
            .unwrap()
            .debits_pending,
        0
    );
    // Too late to cancel now.
    assert_eq!(
        cancel(&app, &f.guardian, id).await.unwrap_err(),
        AppError::Conflict {
            reason: Reason::WindowClosed
        }
    );
    assert_eq!(
        outbox(&app).await,
        vec!["purchase.confirmed", "purchase.completed"]
    );
    ledger_ok(&app).await;
    app.stop().await;
}

crate::per_engine!(
    charged_purchase_is_reserved_through_the_window_then_paid,
    charged_purchase_is_reserved_through_the_window_then_paid
);

on_both_engines!(
    a_guardian_cancel_in_the_window_releases_the_money,
    async |app: &TestApp| {
        let mut f = family(app, "pc", 5_000).await;
        let shop = merchant(app, "Game shop", all_scopes()).await;
        let (_, first) = report(app, &shop, "k1", purchase_body(&f, 2_000, "anshin", "toys")).await;
        let id = id_of(&first);
        confirm(app, &mut f, id).await.unwrap();
        assert_eq!(available(app, f.account).await, 3_000);
        // Not the guardian: nothing to see.
        let stranger = sign_up(app, "pc_stranger").await;
        assert_eq!(
            cancel(app, &stranger, id).await.unwrap_err(),
            AppError::NotFound
        );
        assert_eq!(
            cancel(app, &f.minor, id).await.unwrap_err(),
            AppError::NotFound
        );
        let cancelled = cancel(app, &f.guardian, id).await.unwrap();
        assert_eq!(cancelled.state, PurchaseState::Cancelled);
        assert_eq!(cancelled.cancelled, Some(Cancelled::ByGuardian));
        assert_eq!(available(app, f.account).await, 5_000, "released");
        assert_eq!(
            cancel(app, &f.guardian, id).await.unwrap_err(),
            AppError::Conflict {
                reason: Reason::PurchaseNotOpen
            }
        );
        let seen = until_state(app, &shop, id, "cancelled").await;
        assert_eq!(seen["cancel_reason"], "by_guardian");
        assert_eq!(
            outbox(app).await,
            vec!["purchase.confirmed", "purchase.cancelled"]
        );
        // The minor can no longer confirm it.
        assert!(confirm(app, &mut f, id).await.is_err());
        ledger_ok(app).await;
    }
);

on_both_engines!(
    purchases_that_break_a_condition_are_cancelled_at_once,
    async |app: &TestApp| {
        let f = family(app, "pk", 50_000).await;
        let shop = merchant(app, "Corner shop", all_scopes()).await;
        let c = Conditions {
            per_purchase_yen: Some(3_000),
            per_day_yen: Some(5_000),
            blocked_categories: vec![Category::Games],
            ..Conditions::default()
        };
        assert_eq!(set_conditions(app, &f, &c).await.unwrap(), c);
        // Only a guardian may set them, and they are checked.
        let bad = Conditions {
            per_day_yen: Some(9_000),
            per_month_yen: Some(1_000),
            ..Conditions::default()
        };
        assert_eq!(
            set_conditions(app, &f, &bad).await.unwrap_err(),
            AppError::invalid("per_day_yen", Reason::OutOfOrder)
        );
        let body = json!({ "minor": f.minor_id, "conditions": c });
        let by_minor = app
            .post_json("/api/guardian/conditions", &body, &f.minor.cookie)
            .await;
        assert_eq!(
            answer::<Value>(by_minor).await.unwrap_err(),
            AppError::NotFound
        );

        let (status, over) = report(
            app,
            &shop,
            "a",
            purchase_body(&f, 3_001, "elsewhere", "books"),
        )
        .await;
        assert_eq!(status, 201);
        assert_eq!(
            (
                over["state"].as_str(),
                over["cancel_reason"].as_str(),
                over["condition"].as_str()
            ),
            (Some("cancelled"), Some("condition"), Some("per_purchase"))
        );
        let (_, games) = report(app, &shop, "b", purchase_body(&f, 500, "anshin", "games")).await;
        assert_eq!(games["condition"], "blocked_category");
        let (_, ok) = report(
            app,
            &shop,
            "c",
            purchase_body(&f, 3_000, "elsewhere", "books"),
        )
        .await;
        assert_eq!(ok["state"], "in_window");
        let (_, day) = report(
            app,
            &shop,
            "d",
            purchase_body(&f, 2_500, "elsewhere", "food"),
        )
        .await;
        assert_eq!(day["condition"], "per_day");
        let mine: Vec<Purchase> = answer(
            app.post("/api/purchases/mine", "", Some(&f.minor.cookie))
                .await,
        )
        .await
        .unwrap();
        assert_eq!(
            mine[0].cancelled,
            Some(Cancelled::Condition {
                broken: Broken::PerDay {
                    limit: shared::Money::jpy(5_000),
                    spent: shared::Money::jpy(3_000)
                }
            })
        );
        // Nothing was reserved for the cancelled charge.
        assert_eq!(available(app, f.account).await, 50_000);
        ledger_ok(app).await;
    }
);

on_both_engines!(
    above_ask_first_the_guardian_decides_and_paid_elsewhere_is_refunded,
    async |app: &TestApp| {
        let f = family(app, "pa", 0).await;
        let shop = merchant(app, "Sports shop", all_scopes()).await;
        let c = Conditions {
            ask_above_yen: Some(1_000),
            ..Conditions::default()
        };
        set_conditions(app, &f, &c).await.unwrap();
        let (_, asked) = report(
            app,
            &shop,
            "a",
            purchase_body(&f, 4_000, "elsewhere", "clothing"),
        )
        .await;
        assert_eq!(asked["state"], "awaiting_guardian");
        let id = id_of(&asked);
        let yes: Purchase = answer(
            app.post(
                "/api/guardian/answer",
                &format!("id={id}&yes=true"),
                Some(&f.guardian.cookie),
            )
            .await,
        )
        .await
        .unwrap();
        assert_eq!(yes.state, PurchaseState::InWindow);
        // The guardian cancels: paid elsewhere, so the merchant is asked to refund.
        let asked_back = cancel(app, &f.guardian, id).await.unwrap();
        assert_eq!(asked_back.state, PurchaseState::RefundRequested);
        let (status, refunded, _) = v1(
            app,
            Some(&shop.secret),
            Some(("refund-1", json!({}))),
            &format!("/v1/purchases/{id}/refund"),
        )
        .await;
        assert_eq!(
            (status, refunded["state"].as_str()),
            (200, Some("refunded"))
        );
        let (status, twice, _) = v1(
            app,
            Some(&shop.secret),
            Some(("refund-2", json!({}))),
            &format!("/v1/purchases/{id}/refund"),
        )
        .await;
        assert_eq!(
            (status, twice["reason"].as_str()),
            (409, Some("refund_not_requested"))
        );
        // A "no" cancels.
        let (_, second) = report(
            app,
            &shop,
            "b",
            purchase_body(&f, 2_000, "elsewhere", "clothing"),
        )
        .await;
        let no: Purchase = answer(
            app.post(
                "/api/guardian/answer",
                &format!("id={}&yes=false", id_of(&second)),
                Some(&f.guardian.cookie),
            )
            .await,
        )
        .await
        .unwrap();
        assert_eq!(no.cancelled, Some(Cancelled::GuardianDeclined));
        assert_eq!(
            outbox(app).await,
            vec![
                "purchase.confirmed",
                "purchase.refund_requested",
                "purchase.refunded",
                "purchase.cancelled"
            ]
        );
    }
);

on_both_engines!(
    bad_reports_are_refused_and_change_nothing,
    async |app: &TestApp| {
        let f = family(app, "pb", 1_000).await;
        let shop = merchant(app, "Any shop", all_scopes()).await;
        let refused = |v: &Value| {
            (
                v["code"].as_str().map(str::to_string),
                v["field"].as_str().map(str::to_string),
                v["reason"].as_str().map(str::to_string),
            )
        };
        let s = |x: &str| Some(x.to_string());
        // Over the balance.
        let (status, v) =
            report(app, &shop, "a", purchase_body(&f, 1_001, "anshin", "books")).await;
        assert_eq!(
            (status, refused(&v)),
            (422, (s("invalid"), s("amount"), s("insufficient_funds")))
        );
        // Unknown minor.
        let mut body = purchase_body(&f, 100, "anshin", "books");
        body["minor"] = json!("9999999");
        let (status, v) = report(app, &shop, "b", body).await;
        assert_eq!(
            (status, refused(&v)),
            (422, (s("invalid"), s("minor"), s("unknown_account")))
        );
        // A customer with no verified guardian.
        let (_, lone) = funded(app, "pb_lone", 1_000).await;
        let mut body = purchase_body(&f, 100, "elsewhere", "books");
        body["minor"] = json!(number(lone));
        let (status, v) = report(app, &shop, "c", body).await;
        assert_eq!(
            (status, refused(&v)),
            (422, (s("invalid"), s("minor"), s("no_verified_guardian")))
        );
        // Fields out of bounds, unknown codes, an unknown field.
        for (field, value) in [
            ("amount", json!(0)),
            ("currency", json!("USD")),
            ("category", json!("weapons")),
            ("payment", json!("card")),
            ("description", json!("")),
            ("reference", json!("x".repeat(65))),
        ] {
            let mut body = purchase_body(&f, 100, "elsewhere", "books");
            body[field] = value;
            let (status, v) = report(app, &shop, &format!("f-{field}"), body).await;
            assert_eq!((status, v["field"].as_str()), (422, Some(field)), "{v}");
        }
        let mut body = purchase_body(&f, 100, "elsewhere", "books");
        body["extra"] = json!(1);
        let (status, v) = report(app, &shop, "extra", body).await;
        assert_eq!((status, v["field"].as_str()), (422, Some("body")));
        // No Idempotency-Key, no key, a bad key, a key without the scope.
        let (status, v) =
            report(app, &shop, "", purchase_body(&f, 100, "elsewhere", "books")).await;
        assert_eq!(
            (status, v["field"].as_str()),
            (422, Some("Idempotency-Key"))
        );
        let (status, _, _) = v1(
            app,
            None,
            Some(("n", purchase_body(&f, 100, "elsewhere", "books"))),
            "/v1/purchases",
        )
        .await;
        assert_eq!(status, 401);
        let (status, _, _) = v1(
            app,
            Some("ak_000000000000_nope"),
            Some(("n", purchase_body(&f, 100, "elsewhere", "books"))),
            "/v1/purchases",
        )
        .await;
        assert_eq!(status, 401);
        let reader = merchant(app, "Reader", vec![Scope::RelationshipsRead]).await;
        let (status, v) = report(
            app,
            &reader,
            "r",
            purchase_body(&f, 100, "elsewhere", "books"),
        )
        .await;
        assert_eq!((status, v["code"].as_str()), (403, Some("forbidden")));
        // Another merchant's purchase is not there for them.
        let (_, mine) = report(
            app,
            &shop,
            "ok",
            purchase_body(&f, 100, "elsewhere", "books"),
        )
        .await;
        let other = merchant(app, "Other shop", all_scopes()).await;
        let (status, _, _) = v1(
            app,
            Some(&other.secret),
            None,
            &format!("/v1/purchases/{}", id_of(&mine)),
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(
            purchases_stored(app).await,
            1,
            "only the good report is stored"
        );
        assert_eq!(available(app, f.account).await, 1_000);
        // A revoked merchant's key works no more.
        let sato = staff(app).await;
        app.post(
            "/api/staff/api-clients/revoke",
            &format!("id={}", shop.client.id),
            Some(&sato),
        )
        .await;
        let (status, _) = report(
            app,
            &shop,
            "late",
            purchase_body(&f, 100, "elsewhere", "books"),
        )
        .await;
        assert_eq!(status, 401);
        ledger_ok(app).await;
    }
);

on_both_engines!(
    the_minor_and_every_guardian_are_told_at_once,
    async |app: &TestApp| {
        let f = family(app, "pn", 2_000).await;
        let second = sign_up(app, "pn_dad").await;
        server::identity::store::link_guardian(
            app.db(),
            user_id(app, "pn_dad").await,
            f.minor_id,
            1,
        )
        .await
        .unwrap();
        let shop = merchant(app, "Stationer", all_scopes()).await;
        let base = app.origin();
        let mut kid = crate::people::Live::open(&base, &f.minor.cookie, None).await;
        let mut mum = crate::people::Live::open(&base, &f.guardian.cookie, None).await;
        let mut dad = crate::people::Live::open(&base, &second.cookie, None).await;
        report(
            app,
            &shop,
            "a",
            purchase_body(&f, 300, "anshin", "stationery"),
        )
        .await;
        for live in [&mut kid, &mut mum, &mut dad] {
            let got = live.next(Duration::from_secs(5)).await.expect("a notice");
            let text = serde_json::to_string(&got).unwrap();
            assert!(
                text.contains("\"purchase\"") && text.contains("awaiting_minor"),
                "{text}"
            );
        }
    }
);

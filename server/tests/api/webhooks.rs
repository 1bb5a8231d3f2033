//! Webhooks to a merchant, delivered to a real HTTP receiver started by the
//! test and verified with the PyPI `standardwebhooks` package: signed in
//! the Standard Webhooks format, retried after failures with the same id,
//! delivered after a restart of the server (nothing lost, nothing sent
//! twice under another id), `Retry-After` honoured, 410 turning the
//! endpoint off, secret rotation signing with both secrets, a resend, and
//! the delivery log, as the merchant and as staff read it; an endpoint
//! that hangs holds four attempts at most and delays no other client.

use crate::{
    helpers::{answer, DbEngine, TestApp},
    purchases::{all_scopes, cancel, family, id_of, merchant, purchase_body, report, v1, Family},
    receiver::{verified_independently, Receiver},
};
use serde_json::{json, Value};
use server::{db::Unit, webhooks::outbox};
use shared::{
    ids::ApiClientId,
    machine::IssuedKey,
    webhook::{DeliveryState, DeliveryView},
};
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

async fn app_with(engine: DbEngine) -> Option<TestApp> {
    TestApp::spawn_with(engine, |a| {
        a.webhook_first_retry_ms = 100;
        a.webhook_sweep_ms = 50;
    })
    .await
}

async fn endpoint(app: &TestApp, shop: &IssuedKey, url: &str, idem: &str) -> Value {
    let (status, body, _) = v1(
        app,
        Some(&shop.secret),
        Some((idem, json!({ "url": url }))),
        "/v1/webhooks/endpoint",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A purchase paid elsewhere, cancelled by the guardian: one
/// `purchase.refund_requested` message for the shop.
async fn refund_asked(app: &TestApp, shop: &IssuedKey, f: &Family, idem: &str) -> i64 {
    let (_, p) = report(app, shop, idem, purchase_body(f, 700, "elsewhere", "food")).await;
    cancel(app, &f.guardian, id_of(&p)).await.unwrap();
    p["id"].as_i64().unwrap()
}

async fn log(app: &TestApp, shop: &IssuedKey) -> Vec<Value> {
    let (status, body, _) = v1(app, Some(&shop.secret), None, "/v1/webhooks/deliveries").await;
    assert_eq!(status, 200);
    body.as_array().unwrap().clone()
}

async fn signed_deliveries_verify_with_an_independent_library(engine: DbEngine) {
    let Some(app) = app_with(engine).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let f = family(&app, "wh", 0).await;
    let shop = merchant(&app, "Webhook shop", all_scopes()).await;
    let set = endpoint(&app, &shop, &receiver.url, "ep-1").await;
    let secret = set["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    // Setting it again keeps the secret, and does not show it.
    let again = endpoint(&app, &shop, &receiver.url, "ep-2").await;
    assert!(again.get("secret").is_none());

    let id = refund_asked(&app, &shop, &f, "p1").await;
    let got = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    let payload = got[0].json();
    assert_eq!(payload["type"], "purchase.refund_requested");
    assert_eq!(payload["data"]["id"], id);
    assert_eq!(payload["data"]["state"], "refund_requested");
    assert!(got[0].headers["webhook-signature"].starts_with("v1,"));
    if let Some(ids) = verified_independently(&secret, &got) {
        assert_eq!(ids, vec![got[0].id().to_string()]);
    }
    // A wrong secret does not verify: the check can fail.
    let wrong = format!("whsec_{}", "A".repeat(43) + "=");
    let refused = std::panic::catch_unwind(|| verified_independently(&wrong, &got));
    if std::env::var("ANSHIN_PYTHON").is_ok() {
        assert!(refused.is_err(), "a wrong secret must not verify");
    }

    let entries = log(&app, &shop).await;
    assert_eq!(entries[0]["state"], "delivered");
    assert_eq!(entries[0]["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(entries[0]["attempts"][0]["status"], 200);

    // Rotation: for a day every message carries both signatures.
    let (status, rotated, _) = v1(
        &app,
        Some(&shop.secret),
        Some(("rot-1", json!({}))),
        "/v1/webhooks/endpoint/rotate-secret",
    )
    .await;
    assert_eq!(status, 200);
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    refund_asked(&app, &shop, &f, "p2").await;
    let got = receiver.wait_for(2, Duration::from_secs(5)).await;
    let last = &got[1..];
    assert_eq!(
        last[0].headers["webhook-signature"].matches("v1,").count(),
        2
    );
    verified_independently(&new_secret, last);
    verified_independently(&secret, last);

    // A resend goes again under the same id.
    let msg = last[0].id().to_string();
    let (status, _, _) = v1(
        &app,
        Some(&shop.secret),
        Some(("resend-1", json!({}))),
        &format!("/v1/webhooks/deliveries/{msg}/resend"),
    )
    .await;
    assert_eq!(status, 202);
    let got = receiver.wait_for(3, Duration::from_secs(5)).await;
    assert_eq!(got[2].id(), msg);
    let (status, _, _) = v1(
        &app,
        Some(&shop.secret),
        Some(("resend-2", json!({}))),
        "/v1/webhooks/deliveries/msg_unknown/resend",
    )
    .await;
    assert_eq!(status, 404);
    // A bad URL is refused.
    let (status, bad, _) = v1(
        &app,
        Some(&shop.secret),
        Some(("ep-bad", json!({ "url": "ftp://x/" }))),
        "/v1/webhooks/endpoint",
    )
    .await;
    assert_eq!((status, bad["field"].as_str()), (422, Some("url")));
    app.stop().await;
}

crate::per_engine!(
    signed_deliveries_verify_with_an_independent_library,
    signed_deliveries_verify_with_an_independent_library
);

async fn failures_are_retried_under_one_id_across_a_restart(engine: DbEngine) {
    let Some(mut app) = app_with(engine).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let f = family(&app, "wr", 0).await;
    let shop = merchant(&app, "Flaky shop", all_scopes()).await;
    let secret = endpoint(&app, &shop, &receiver.url, "ep").await["secret"]
        .as_str()
        .unwrap()
        .to_string();
    receiver.answer_next(&[(500, None), (503, None)]);
    refund_asked(&app, &shop, &f, "p1").await;
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(
        got.iter().map(|g| g.answered).collect::<Vec<_>>(),
        vec![500, 503, 200]
    );
    assert!(
        got.iter().all(|g| g.id() == got[0].id()),
        "one id for every attempt"
    );
    assert!(
        got[2].at - got[1].at >= got[1].at - got[0].at,
        "the wait grows"
    );
    let entries = log(&app, &shop).await;
    assert_eq!(entries[0]["state"], "delivered");
    assert_eq!(entries[0]["attempts"].as_array().unwrap().len(), 3);

    // The endpoint fails on and on; the server restarts in between.
    receiver.answer_next(&[(500, None); 1000]);
    refund_asked(&app, &shop, &f, "p2").await;
    let before = receiver.wait_for(4, Duration::from_secs(5)).await.len();
    assert!(before >= 4);
    app.restart().await;
    receiver.answer_ok();
    let got = receiver.wait_for(before + 1, Duration::from_secs(20)).await;
    let second: Vec<_> = got[3..].to_vec();
    assert!(
        second.iter().all(|g| g.id() == second[0].id()),
        "the same id after the restart"
    );
    assert_eq!(second.iter().filter(|g| g.answered == 200).count(), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.got().len(),
        got.len(),
        "nothing more once delivered"
    );
    let entries = log(&app, &shop).await;
    assert!(entries.iter().all(|e| e["state"] == "delivered"));
    verified_independently(&secret, &receiver.got());
    app.stop().await;
}

crate::per_engine!(
    failures_are_retried_under_one_id_across_a_restart,
    failures_are_retried_under_one_id_across_a_restart
);

async fn retry_after_is_honoured_and_gone_turns_the_endpoint_off(engine: DbEngine) {
    let Some(app) = app_with(engine).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let f = family(&app, "wg", 0).await;
    let shop = merchant(&app, "Closing shop", all_scopes()).await;
    endpoint(&app, &shop, &receiver.url, "ep").await;
    receiver.answer_next(&[(429, Some(1)), (410, None)]);
    refund_asked(&app, &shop, &f, "p1").await;
    let got = receiver.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 2);
    assert!(
        got[1].at - got[0].at >= Duration::from_millis(900),
        "Retry-After: 1"
    );
    // The receiver has the 410 before the server has recorded what it means: wait for that.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let ep = loop {
        let (_, ep, _) = v1(&app, Some(&shop.secret), None, "/v1/webhooks/endpoint").await;
        if ep["enabled"] == false || tokio::time::Instant::now() > deadline {
            break ep;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (ep["enabled"].as_bool(), ep["disabled_reason"].as_str()),
        (Some(false), Some("gone"))
    );
    // Off: nothing is sent, nothing is lost.
    refund_asked(&app, &shop, &f, "p2").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.got().len(), 2);
    // Set again: on, and what waited goes.
    endpoint(&app, &shop, &receiver.url, "ep-again").await;
    let got = receiver.wait_for(4, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 4);
    assert_eq!(got[2].id(), got[0].id(), "the first message, at last");
    app.stop().await;
}

crate::per_engine!(
    retry_after_is_honoured_and_gone_turns_the_endpoint_off,
    retry_after_is_honoured_and_gone_turns_the_endpoint_off
);

/// Staff read a merchant's delivery log (with each attempt) and send a
/// message again under its own id; the resend is audited. Nobody else may,
/// and an unknown client or message is not found.
async fn staff_read_the_log_and_resend(engine: DbEngine) {
    let Some(app) = app_with(engine).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let f = family(&app, "whs", 0).await;
    let shop = merchant(&app, "Logged shop", all_scopes()).await;
    endpoint(&app, &shop, &receiver.url, "ep-1").await;
    refund_asked(&app, &shop, &f, "p1").await;
    let got = receiver.wait_for(1, Duration::from_secs(5)).await;
    let msg = got[0].id().to_string();

    let clerk = crate::transfers::staff(&app).await;
    let client = format!("client={}", shop.client.id);
    let path = "/api/staff/webhooks/deliveries";
    let seen: Vec<DeliveryView> = answer(app.post(path, &client, Some(&clerk)).await)
        .await
        .unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].msg_id, msg);
    assert_eq!(seen[0].event_type, "purchase.refund_requested");
    assert_eq!(seen[0].state, DeliveryState::Delivered);
    assert_eq!(seen[0].attempts.len(), 1);
    assert_eq!(seen[0].attempts[0].status, Some(200));
    assert!(seen[0].next_at_ms.is_none());

    // Only staff: the guardian is refused, as is someone signed out.
    let as_guardian = app.post(path, &client, Some(&f.guardian.cookie)).await;
    assert_eq!(as_guardian.status().as_u16(), 403);
    assert_eq!(app.post(path, &client, None).await.status().as_u16(), 401);
    let unknown = app.post(path, "client=999999", Some(&clerk)).await;
    assert_eq!(unknown.status().as_u16(), 404);

    let resend = "/api/staff/webhooks/resend";
    let body = format!("{client}&msg_id={msg}");
    let refused = app.post(resend, &body, Some(&f.guardian.cookie)).await;
    assert_eq!(refused.status().as_u16(), 403);
    answer::<()>(app.post(resend, &body, Some(&clerk)).await)
        .await
        .unwrap();
    let got = receiver.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].id(), msg, "a resend keeps the message's id");
    let missing = app
        .post(
            resend,
            &format!("{client}&msg_id=msg_nothing"),
            Some(&clerk),
        )
        .await;
    assert_eq!(missing.status().as_u16(), 404);
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'webhook.resent' AND detail LIKE $1",
    )
    .bind(format!("%{msg}%"))
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(audited, 1);
    let after: Vec<DeliveryView> = answer(app.post(path, &client, Some(&clerk)).await)
        .await
        .unwrap();
    assert_eq!(after[0].attempts.len(), 2);
    app.stop().await;
}

crate::per_engine!(staff_read_the_log_and_resend, staff_read_the_log_and_resend);

/// An endpoint that takes connections and never answers; how many it took.
async fn hanging_endpoint() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let taken = Arc::new(AtomicUsize::new(0));
    let count = taken.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, taken)
}

async fn queue(app: &TestApp, client: ApiClientId, n: usize) {
    let mut tx = app.db().begin().await.unwrap();
    let mut unit = Unit::new(&mut tx, app.engine, server::system::now_ms());
    for i in 0..n {
        outbox::enqueue(&mut unit, client, "test.queued", json!({ "n": i }))
            .await
            .unwrap();
    }
    unit.finish().await.unwrap();
    tx.commit().await.unwrap();
}

async fn a_slow_endpoint_holds_its_own_slots_not_the_other_clients(engine: DbEngine) {
    let Some(app) = app_with(engine).await else {
        return;
    };
    let (slow_url, taken) = hanging_endpoint().await;
    let fast = Receiver::start().await;
    let slow = merchant(&app, "Slow shop", all_scopes()).await;
    let quick = merchant(&app, "Quick shop", all_scopes()).await;
    endpoint(&app, &slow, &slow_url, "slow-endpoint").await;
    endpoint(&app, &quick, &fast.url, "quick-endpoint").await;
    // A long queue for the endpoint that hangs, older than the other's one message.
    queue(&app, slow.client.id, 40).await;
    queue(&app, quick.client.id, 1).await;

    let got = fast.wait_for(1, Duration::from_secs(8)).await;
    assert_eq!(got.len(), 1, "the quick shop's message went out");
    let at_delivery = taken.load(Ordering::SeqCst);
    assert!(
        at_delivery <= 4,
        "{at_delivery} attempts hung on one endpoint"
    );
    let until = std::time::Instant::now() + Duration::from_secs(5);
    while taken.load(Ordering::SeqCst) < 4 && std::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        taken.load(Ordering::SeqCst),
        4,
        "four at once to one client"
    );
    app.stop().await;
}

crate::per_engine!(
    a_slow_endpoint_holds_its_own_slots_not_the_other_clients,
    a_slow_endpoint_holds_its_own_slots_not_the_other_clients
);

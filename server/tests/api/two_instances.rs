//! Two server instances on one PostgreSQL database, behind no balancer,
//! each on its own port with its own memory and its own sweeps (the events
//! crossing between two processes are in `live.rs`): what one writes the
//! other reads, their rate limits and lockouts count together, two kiosks
//! on different instances cannot dispense one withdrawal twice, both
//! sweeps expiring the same withdrawals end each once, and two approvals
//! decided at once on two instances never promise past a ceiling, and an
//! agent's MCP calls may go to either instance (no session in memory), a
//! retried `request_payment` with its `request_id` included.

use crate::{
    approvals::{begin, finish},
    cardless::{funded, prepare},
    delegation::{ask, pending_of, request, settings, terminal},
    helpers::{answer, DbEngine, TestApp},
    kiosk::{approve_near_shibuya, kiosk_for, progress, scan, staff},
    people::Person,
    purchases::api_client,
    transfers::ledger_ok,
};
use serde_json::{json, Value};
use server::config::ServeArgs;
use shared::{
    approval::{ApprovalKind, ApprovalList, ApprovalState},
    atm::AtmEnrollment,
    cardless::{CashOverview, KioskStep, KioskWithdrawal, Prepared},
    ids::ApprovalId,
    machine::{ClientKind, Scope},
    AppError, Money, Reason,
};

/// Two instances, or none when PostgreSQL is not there (said loudly outside CI).
async fn pair(tune: impl FnOnce(&mut ServeArgs)) -> Option<(TestApp, TestApp)> {
    let a = TestApp::spawn_with(DbEngine::Postgres, |args| {
        args.demo = true;
        args.sign_in_per_minute = 1000;
        tune(args);
    })
    .await?;
    let b = a.twin().await;
    Some((a, b))
}

/// The cardless approval waiting on the person's phone.
async fn pending_withdrawal(app: &TestApp, who: &Person) -> i64 {
    let list: ApprovalList = app
        .post("/api/approvals/mine", "", Some(&who.cookie))
        .await
        .json()
        .await
        .unwrap();
    list.items
        .iter()
        .find(|a| a.kind == ApprovalKind::CardlessWithdrawal && a.state == ApprovalState::Pending)
        .map(|a| a.id.0)
        .expect("the phone was asked")
}

#[tokio::test]
async fn what_one_instance_writes_the_other_reads() {
    let Some((a, b)) = pair(|_| {}).await else {
        return;
    };
    let (hanako, account) = funded(&a, "twin_reader", 50_000).await;
    let p: Prepared = prepare(&a, &hanako, account, 10_000, "twin-r1")
        .await
        .json()
        .await
        .unwrap();
    let mine: CashOverview = b
        .post("/api/cardless/mine", "", Some(&hanako.cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.recent.first().map(|w| w.id), Some(p.withdrawal.id));
    // Cancelled through B, the same request through A is a replay of nothing open.
    let res = b
        .post(
            "/api/cardless/cancel",
            &format!("id={}", p.withdrawal.id),
            Some(&hanako.cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = a
        .post(
            "/api/cardless/cancel",
            &format!("id={}", p.withdrawal.id),
            Some(&hanako.cookie),
        )
        .await;
    assert_eq!(res.status(), 409);
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn rate_limits_and_lockouts_count_across_instances() {
    let Some((a, b)) = pair(|args| args.sign_in_per_minute = 4).await else {
        return;
    };
    // Four sign-in starts from one address, two through each: the fifth is
    // refused whichever instance it reaches.
    for app in [&a, &b, &a, &b] {
        let res = app.post("/api/identity/sign-in/begin", "", None).await;
        assert_eq!(res.status(), 200);
    }
    for app in [&a, &b] {
        let res = app.post("/api/identity/sign-in/begin", "", None).await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
    }
    b.stop().await;
    a.stop().await;
    let Some((a, b)) = pair(|_| {}).await else {
        return;
    };
    // Five wrong codes at one ATM lock it, three through A and two through B.
    let sato = staff(&a).await;
    let kiosk = kiosk_for(&a, &sato, 1).await;
    for (i, app) in [&a, &b, &a, &b, &a].into_iter().enumerate() {
        let res = scan(app, &kiosk, &format!("99{i}-123456")).await;
        assert_eq!(res.status(), 422, "wrong code {i}");
    }
    for app in [&a, &b] {
        let res = scan(app, &kiosk, "1-123456").await;
        assert_eq!(
            res.json::<AppError>().await.unwrap(),
            AppError::Conflict {
                reason: Reason::AtmLocked
            }
        );
    }
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn two_kiosks_on_two_instances_dispense_one_withdrawal_once() {
    let Some((a, b)) = pair(|_| {}).await else {
        return;
    };
    let sato = staff(&a).await;
    let kiosk_a = kiosk_for(&a, &sato, 1).await;
    let second: AtmEnrollment = b
        .post(
            "/api/atms/register",
            "atm[name]=Second&atm[address]=Shibuya&atm[lat]=35.6581&atm[lon]=139.7017&atm[cash_yen]=500000",
            Some(&sato),
        )
        .await
        .json()
        .await
        .unwrap();
    let kiosk_b = kiosk_for(&b, &sato, second.atm.id.0).await;
    let (mut hanako, account) = funded(&a, "twin_cash", 200_000).await;
    let p: Prepared = prepare(&a, &hanako, account, 30_000, "twin-w1")
        .await
        .json()
        .await
        .unwrap();

    // Both kiosks scan the same code at once, each through its own instance: one wins.
    let (on_a, on_b) = tokio::join!(
        scan(&a, &kiosk_a, &p.qr_payload),
        scan(&b, &kiosk_b, &p.qr_payload)
    );
    let (won, lost) = match (on_a.status().as_u16(), on_b.status().as_u16()) {
        (200, 409) => ((on_a, &kiosk_a), on_b),
        (409, 200) => ((on_b, &kiosk_b), on_a),
        other => panic!("both or neither scanned: {other:?}"),
    };
    assert_eq!(
        lost.json::<AppError>().await.unwrap(),
        AppError::Conflict {
            reason: Reason::CodeUsed
        }
    );
    let at_atm: KioskWithdrawal = won.0.json().await.unwrap();
    let kiosk = won.1;

    // Confirmed on the phone through B; the kiosk asks through both at once, again and again.
    let approval = pending_withdrawal(&b, &hanako).await;
    assert_eq!(approve_near_shibuya(&b, &mut hanako, approval).await, 200);
    let asks = (0..6).map(|i| progress(if i % 2 == 0 { &a } else { &b }, kiosk, at_atm.id));
    let steps = futures::future::join_all(asks).await;
    assert!(
        matches!(steps[0], KioskStep::Dispensing { .. }),
        "{steps:?}"
    );
    assert!(
        steps.iter().all(|s| *s == steps[0]),
        "one receipt: {steps:?}"
    );
    assert_eq!(
        a.ledger().balance(account).await.unwrap().posted(),
        Money::jpy(200_000 - 30_000 - 110),
        "paid out once"
    );
    ledger_ok(&a).await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn both_instances_sweeping_end_each_expired_withdrawal_once() {
    const N: i64 = 12;
    let Some((a, b)) = pair(|args| {
        args.cardless_ttl_ms = 1_000;
        args.approval_sweep_ms = 20;
        args.expiry_sweep_ms = 50;
    })
    .await
    else {
        return;
    };
    let (hanako, account) = funded(&a, "twin_sweeps", 200_000).await;
    for i in 0..N {
        let app = if i % 2 == 0 { &a } else { &b };
        let res = prepare(app, &hanako, account, 1_000, &format!("twin-e{i}")).await;
        assert_eq!(res.status(), 200);
    }
    let expired = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM cardless_withdrawals WHERE state = 'expired'",
        )
        .fetch_one(a.db().pool())
        .await
        .unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while expired().await < N && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(expired().await, N);
    // Let both sweeps run many more times over what is already ended.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let ended: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'cardless.expired'")
            .fetch_one(a.db().pool())
            .await
            .unwrap();
    assert_eq!(ended, N, "each expiry recorded once");
    let released: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ledger_transfers WHERE kind IN ('void_pending', 'expire_pending') \
         AND debit_account_id = $1",
    )
    .bind(account.0)
    .fetch_one(a.db().pool())
    .await
    .unwrap();
    assert_eq!(released, N, "each hold released once");
    assert_eq!(
        a.ledger().balance(account).await.unwrap().available(),
        Money::jpy(200_000)
    );
    ledger_ok(&a).await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn two_approvals_on_two_instances_never_promise_past_a_ceiling() {
    const SHOPS: usize = 4;
    let Some((a, b)) = pair(|args| args.requests_per_nickname = 1000).await else {
        return;
    };
    let (mut hanako, _) = funded(&a, "twin_ceiling", 50_000).await;
    for i in 0..SHOPS {
        let shop = terminal(&a, &format!("Twin Mart {i}")).await;
        // Two requests that fit the day's 1,000 one at a time, not together.
        for n in 0..2 {
            let (s, _) = request(&a, &shop, &format!("t{i}-{n}"), ask("twin_ceiling", 600)).await;
            assert_eq!(s, 200);
        }
        let body = json!({ "client": shop.client.id, "day": Money::jpy(1_000), "month": null });
        let res = b
            .post_json("/api/delegation/ceilings", &body, &hanako.cookie)
            .await;
        assert_eq!(res.status(), 200);
    }
    let mut cards: Vec<ApprovalId> = pending_of(&a, &hanako).await.iter().map(|c| c.id).collect();
    cards.sort_by_key(|id| id.0);
    assert_eq!(cards.len(), 2 * SHOPS);

    // Each shop's two cards are decided at once, one through each instance.
    let on = |i: usize| if i.is_multiple_of(2) { &a } else { &b };
    let mut signed = Vec::new();
    for (i, id) in cards.iter().enumerate() {
        signed.push((i, *id, begin(on(i), &hanako, *id).await));
    }
    let signed: Vec<_> = signed
        .into_iter()
        .map(|(i, id, c)| (i, id, c.id, hanako.passkey.assert(&c.options_json)))
        .collect();
    let decisions = signed.iter().map(|(i, id, ceremony, credential)| {
        finish(on(*i), &hanako, *id, ceremony, credential, None)
    });
    let mut outcomes = Vec::new();
    for res in futures::future::join_all(decisions).await {
        outcomes.push(answer::<Value>(res).await.map(|_| ()));
    }
    let approved = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused = outcomes
        .iter()
        .filter(|o| **o == Err(AppError::conflict(Reason::CeilingReached)))
        .count();
    assert_eq!((approved, refused), (SHOPS, SHOPS), "{outcomes:?}");
    let live = settings(&b, &hanako).await.live_tokens;
    let mut per_shop: Vec<&str> = live.iter().map(|t| t.requester.as_str()).collect();
    per_shop.sort();
    let names: Vec<String> = (0..SHOPS).map(|i| format!("Twin Mart {i}")).collect();
    assert_eq!(per_shop, names, "one token per shop");
    assert!(live.iter().all(|t| t.max_amount == Money::jpy(600)));
    b.stop().await;
    a.stop().await;
}

/// One JSON-RPC message to `/mcp` as an agent; the answer's `result`,
/// whether sent as JSON or as one server-sent event.
async fn mcp(app: &TestApp, key: &str, id: u64, method: &str, params: Value) -> (Value, bool) {
    let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
    let res = app
        .client
        .post(app.url("/mcp"))
        .bearer_auth(key)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{method}");
    let session = res.headers().contains_key("mcp-session-id");
    let text = res.text().await.unwrap();
    let json = text
        .lines()
        .find_map(|l| l.strip_prefix("data:"))
        .unwrap_or(&text)
        .trim()
        .to_string();
    let answer: Value = serde_json::from_str(&json).unwrap_or_else(|_| panic!("{text}"));
    (answer["result"].clone(), session)
}

/// What a tool answered, as the JSON it wrote.
fn tool_json(result: &Value) -> Value {
    let text = result["content"][0]["text"].as_str().expect("a text block");
    serde_json::from_str(text).unwrap()
}

#[tokio::test]
async fn an_agent_starts_on_one_instance_and_carries_on_at_the_other() {
    let Some((a, b)) = pair(|_| {}).await else {
        return;
    };
    funded(&a, "twin_mcp", 10_000).await;
    let payee = api_client(
        &a,
        "Twin Books",
        ClientKind::Merchant,
        vec![Scope::PaymentsRedeem],
    )
    .await;
    let agent = api_client(
        &a,
        "Twin Agent",
        ClientKind::Agent,
        vec![Scope::PaymentsRequest],
    )
    .await;
    let init = json!({
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": { "name": "twin", "version": "1" },
    });
    let (hello, session) = mcp(&a, &agent.secret, 1, "initialize", init).await;
    assert!(hello["serverInfo"].is_object(), "{hello}");
    assert!(!session, "no session is kept in one instance's memory");

    let ask = json!({ "name": "request_payment", "arguments": {
        "nickname": "twin_mcp", "amount_yen": 1500, "description": "Books", "payee": payee.client.id.0,
        "request_id": "twin-order-1",
    }});
    let (asked, _) = mcp(&b, &agent.secret, 2, "tools/call", ask.clone()).await;
    let id = tool_json(&asked)["auth_req_id"]
        .as_str()
        .expect("asked")
        .to_string();
    // Its answer lost, the agent asks again with the same id, through the other instance.
    let (again, _) = mcp(&a, &agent.secret, 4, "tools/call", ask).await;
    assert_eq!(
        tool_json(&again),
        tool_json(&asked),
        "the first request, not a second"
    );
    let check = json!({ "name": "check_payment_request", "arguments": { "auth_req_id": id } });
    let (checked, _) = mcp(&a, &agent.secret, 3, "tools/call", check).await;
    assert_eq!(tool_json(&checked)["status"], "pending", "{checked}");
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_page_of_the_site_may_call_either_instance() {
    let Some((a, b)) = pair(|_| {}).await else {
        return;
    };
    let from = |origin: &str| {
        b.client
            .post(b.url("/api/identity/me"))
            .header("origin", origin.to_string())
            .send()
    };
    // B serves A's site (its configured origin), addressed by its own port.
    let site = format!("http://localhost:{}", a.addr.port());
    assert_eq!(from(&site).await.unwrap().status(), 200);
    assert_eq!(from("http://evil.example").await.unwrap().status(), 403);
    b.stop().await;
    a.stop().await;
}

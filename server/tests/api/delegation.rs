//! Payments asked for by nickname (F5), through the machine API, on both
//! engines: a shop terminal's request reaches the user's approval card,
//! the passkey approval mints a token, the terminal redeems it into its
//! settlement account once; declines, expiry and withdrawal answer in
//! CIBA's words; an unknown and a hidden nickname look the same; user
//! codes, ceilings, blocks and revocation hold; requests are rate limited.

use crate::{
    approvals::{begin, finish},
    cardless::{available, funded},
    helpers::{answer, TestApp},
    on_both_engines,
    people::Person,
    purchases::{api_client, v1},
};
use serde_json::{json, Value};
use shared::{
    approval::{ApprovalList, ApprovalState},
    delegation::DelegationSettings,
    ids::{AccountId, ApiClientId, ApprovalId},
    machine::{ClientKind, IssuedKey, Scope},
    money::Money,
    AppError, Reason,
};

/// A shop terminal that asks and is paid itself.
pub(crate) async fn terminal(app: &TestApp, name: &str) -> IssuedKey {
    let scopes = vec![Scope::PaymentsRequest, Scope::PaymentsRedeem];
    api_client(app, name, ClientKind::ShopTerminal, scopes).await
}

pub(crate) fn ask(nickname: &str, yen: i64) -> Value {
    json!({
        "login_hint": nickname,
        "binding_message": "K7-42",
        "authorization_details": [{
            "type": "payment", "amount": yen, "currency": "JPY", "description": "Lunch set",
        }],
        "place": { "name": "Sakura Mart Shibuya", "lat": 35.659, "lon": 139.7005 },
    })
}

pub(crate) async fn request(
    app: &TestApp,
    key: &IssuedKey,
    idem: &str,
    body: Value,
) -> (u16, Value) {
    let (s, v, _) = v1(
        app,
        Some(&key.secret),
        Some((idem, body)),
        "/v1/payment-requests",
    )
    .await;
    (s, v)
}

async fn poll(app: &TestApp, key: &IssuedKey, id: &str) -> (u16, Value) {
    let (s, v, _) = v1(
        app,
        Some(&key.secret),
        None,
        &format!("/v1/payment-requests/{id}"),
    )
    .await;
    (s, v)
}

async fn redeem(app: &TestApp, key: &IssuedKey, idem: &str, token: &str, yen: i64) -> (u16, Value) {
    let body = json!({ "payment_token": token, "amount": yen, "currency": "JPY", "reference": "receipt-1" });
    let (s, v, _) = v1(app, Some(&key.secret), Some((idem, body)), "/v1/payments").await;
    (s, v)
}

pub(crate) async fn pending_of(app: &TestApp, who: &Person) -> Vec<shared::approval::Approval> {
    let list: ApprovalList = answer(app.post("/api/approvals/mine", "", Some(&who.cookie)).await)
        .await
        .unwrap();
    list.items
        .into_iter()
        .filter(|a| a.state == ApprovalState::Pending)
        .collect()
}

async fn approve(app: &TestApp, who: &mut Person, id: ApprovalId) -> reqwest::Response {
    let ceremony = begin(app, who, id).await;
    let credential = who.passkey.assert(&ceremony.options_json);
    finish(app, who, id, &ceremony.id, &credential, None).await
}

pub(crate) async fn settings(app: &TestApp, who: &Person) -> DelegationSettings {
    answer(
        app.post("/api/delegation/settings", "", Some(&who.cookie))
            .await,
    )
    .await
    .unwrap()
}

async fn settlement_of(app: &TestApp, client: ApiClientId) -> Option<AccountId> {
    server::machine::settlement::settlement_of(app.db().pool(), client)
        .await
        .unwrap()
}

fn error_of(v: &Value) -> &str {
    v["error"].as_str().unwrap_or_default()
}

on_both_engines!(
    a_terminal_is_paid_once_after_a_passkey_approval,
    async |app: &TestApp| {
        let (mut hanako, account) = funded(app, "dl_hanako", 10_000).await;
        let shop = terminal(app, "Sakura Mart Shibuya").await;
        let other = terminal(app, "Other Mart").await;
        let (s, v) = request(app, &shop, "r1", ask("DL_Hanako", 1_200)).await;
        assert_eq!(s, 200, "{v}");
        let id = v["auth_req_id"].as_str().unwrap().to_string();
        assert!(id.starts_with("ar_"), "{id}");
        assert_eq!(
            (v["expires_in"].as_i64(), v["interval"].as_i64()),
            (Some(120), Some(2))
        );
        let (s, v) = poll(app, &shop, &id).await;
        assert_eq!((s, error_of(&v)), (400, "authorization_pending"));
        let (s, v) = poll(app, &shop, &id).await;
        assert_eq!(
            (s, error_of(&v)),
            (400, "slow_down"),
            "polled at once again"
        );
        assert_eq!(v["interval"], 2);
        // Another client cannot see it.
        assert_eq!(poll(app, &other, &id).await.0, 404);

        let cards = pending_of(app, &hanako).await;
        assert_eq!(cards.len(), 1);
        let card = &cards[0];
        assert_eq!(card.requester, "Sakura Mart Shibuya");
        assert_eq!(card.context.amount, Some(Money::jpy(1_200)));
        assert_eq!(card.context.payee.as_deref(), Some("Sakura Mart Shibuya"));
        assert_eq!(
            card.context.place.as_ref().unwrap().name,
            "Sakura Mart Shibuya"
        );
        let d = card.context.delegated.as_ref().unwrap();
        assert_eq!(
            (d.kind, d.binding_message.as_str(), d.first_time),
            (ClientKind::ShopTerminal, "K7-42", true)
        );

        let res = approve(app, &mut hanako, card.id).await;
        assert_eq!(res.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
        let (s, v) = poll(app, &shop, &id).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "approved");
        assert_eq!(v["max_amount"], 1_200);
        let token = v["payment_token"].as_str().unwrap().to_string();
        assert!(token.starts_with("pt_"));
        assert!(v["token_expires_in"].as_i64().unwrap() > 500);

        // Refusals move nothing.
        let (s, v) = redeem(app, &shop, "p0", &token, 1_201).await;
        assert_eq!((s, v["reason"].as_str()), (422, Some("over_token_amount")));
        let (s, v) = redeem(app, &other, "p0", &token, 1_200).await;
        assert_eq!(
            (s, v["field"].as_str(), v["reason"].as_str()),
            (422, Some("payment_token"), Some("unknown"))
        );
        assert_eq!(available(app, account).await, 10_000);

        let (s, v) = redeem(app, &shop, "p1", &token, 1_000).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["amount"], 1_000);
        assert_eq!(available(app, account).await, 9_000);
        let settlement = settlement_of(app, shop.client.id).await.unwrap();
        assert_eq!(available(app, settlement).await, 1_000);
        // A replay is the first answer; a second redemption is refused.
        let (_, again, replayed) = v1(
            app,
            Some(&shop.secret),
            Some(("p1", json!({ "payment_token": token, "amount": 1_000, "currency": "JPY", "reference": "receipt-1" }))),
            "/v1/payments",
        )
        .await;
        assert!(replayed);
        assert_eq!(again["amount"], 1_000);
        let (s, v) = redeem(app, &shop, "p2", &token, 100).await;
        assert_eq!((s, v["reason"].as_str()), (409, Some("token_used")));
        assert_eq!(available(app, account).await, 9_000);
        let (s, v) = poll(app, &shop, &id).await;
        assert_eq!((s, v["status"].as_str()), (200, Some("paid")));
        assert!(v.get("payment_token").is_none());
        assert_eq!(v["payment"]["amount"], 1_000);

        // The user sees it, and the next request is no longer a first.
        let mine = settings(app, &hanako).await;
        let r = mine
            .requesters
            .iter()
            .find(|r| r.client == shop.client.id)
            .unwrap();
        assert_eq!(r.spent_today, Money::jpy(1_000));
        let (s, _) = request(app, &shop, "r2", ask("dl_hanako", 500)).await;
        assert_eq!(s, 200);
        let cards = pending_of(app, &hanako).await;
        assert!(!cards[0].context.delegated.as_ref().unwrap().first_time);
        assert!(app.ledger().check().await.unwrap().is_ok());
    }
);

on_both_engines!(
    declined_withdrawn_and_expired_requests_say_so,
    async |app: &TestApp| {
        let (hanako, account) = funded(app, "dx_hanako", 5_000).await;
        let shop = terminal(app, "Decline Mart").await;
        let (_, v) = request(app, &shop, "d1", ask("dx_hanako", 800)).await;
        let id = v["auth_req_id"].as_str().unwrap().to_string();
        let card = pending_of(app, &hanako).await[0].id;
        let res = crate::approvals::decline(app, Some(&hanako.cookie), card).await;
        assert_eq!(res.status(), 200);
        let (s, v) = poll(app, &shop, &id).await;
        assert_eq!((s, error_of(&v)), (400, "access_denied"));

        let (_, v) = request(app, &shop, "d2", ask("dx_hanako", 800)).await;
        let id = v["auth_req_id"].as_str().unwrap().to_string();
        let (s, _, _) = v1(
            app,
            Some(&shop.secret),
            Some(("c1", json!({}))),
            &format!("/v1/payment-requests/{id}/cancel"),
        )
        .await;
        assert_eq!(s, 204);
        assert!(
            pending_of(app, &hanako).await.is_empty(),
            "the card went away"
        );
        let (s, v) = poll(app, &shop, &id).await;
        assert_eq!((s, error_of(&v)), (400, "access_denied"));
        let (s, v, _) = v1(
            app,
            Some(&shop.secret),
            Some(("c2", json!({}))),
            &format!("/v1/payment-requests/{id}/cancel"),
        )
        .await;
        assert_eq!((s, v["reason"].as_str()), (409, Some("request_not_open")));

        let mut short = ask("dx_hanako", 800);
        short["requested_expiry"] = json!(10);
        let (_, v) = request(app, &shop, "d3", short).await;
        let id = v["auth_req_id"].as_str().unwrap().to_string();
        let card = pending_of(app, &hanako).await[0].id;
        tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
        let (s, v) = poll(app, &shop, &id).await;
        assert_eq!((s, error_of(&v)), (400, "expired_token"));
        // Too late on the phone as well.
        let res = crate::approvals::decline(app, Some(&hanako.cookie), card).await;
        assert_eq!(res.status(), 409);
        assert_eq!(available(app, account).await, 5_000);
    }
);

on_both_engines!(
    unknown_and_hidden_nicknames_look_alike_and_codes_guard,
    async |app: &TestApp| {
        let (hanako, _) = funded(app, "dh_hanako", 5_000).await;
        let shop = terminal(app, "Probe Mart").await;
        let unknown = request(app, &shop, "u1", ask("dh_nobody", 100)).await;
        assert_eq!((unknown.0, error_of(&unknown.1)), (400, "unknown_user_id"));
        let malformed = request(app, &shop, "u2", ask("x", 100)).await;
        assert_eq!(malformed.1, unknown.1);
        let res = app
            .post(
                "/api/delegation/hidden",
                "hidden=true",
                Some(&hanako.cookie),
            )
            .await;
        assert_eq!(res.status(), 200);
        // A minor cannot be asked: their purchases go through their guardians (F4).
        let kid = crate::people::sign_up_born(app, "dh_kid", "2015-04-01", "").await;
        drop(kid);
        assert_eq!(request(app, &shop, "u0", ask("dh_kid", 100)).await, unknown);
        let hidden = request(app, &shop, "u3", ask("dh_hanako", 100)).await;
        assert_eq!(
            hidden, unknown,
            "a hidden nickname answers as an unknown one"
        );
        assert!(pending_of(app, &hanako).await.is_empty());
        app.post(
            "/api/delegation/hidden",
            "hidden=false",
            Some(&hanako.cookie),
        )
        .await;

        let res = app
            .post(
                "/api/delegation/user-code",
                "code=12a4",
                Some(&hanako.cookie),
            )
            .await;
        let e: Result<(), AppError> = answer(res).await;
        assert_eq!(e, Err(AppError::invalid("user_code", Reason::Malformed)));
        app.post(
            "/api/delegation/user-code",
            "code=4321",
            Some(&hanako.cookie),
        )
        .await;
        let (s, v) = request(app, &shop, "u4", ask("dh_hanako", 100)).await;
        assert_eq!((s, error_of(&v)), (400, "missing_user_code"));
        let mut wrong = ask("dh_hanako", 100);
        wrong["user_code"] = json!("1111");
        let (s, v) = request(app, &shop, "u5", wrong).await;
        assert_eq!((s, error_of(&v)), (400, "invalid_user_code"));
        let mut right = ask("dh_hanako", 100);
        right["user_code"] = json!("4321");
        assert_eq!(request(app, &shop, "u6", right).await.0, 200);
        let mut bad = ask("dh_hanako", 100);
        bad["binding_message"] = json!("a message far longer than twenty characters");
        let (s, v) = request(app, &shop, "u7", bad).await;
        assert_eq!((s, error_of(&v)), (400, "invalid_binding_message"));
        // A changed nickname is what requesters must use from then on.
        let res = app
            .post(
                "/api/delegation/nickname",
                "nickname=dh_hana",
                Some(&hanako.cookie),
            )
            .await;
        assert_eq!(res.status(), 200);
        let mut renamed = ask("dh_hana", 100);
        renamed["user_code"] = json!("4321");
        assert_eq!(request(app, &shop, "u8", renamed).await.0, 200);
        let mut old = ask("dh_hanako", 100);
        old["user_code"] = json!("4321");
        assert_eq!(
            error_of(&request(app, &shop, "u9", old).await.1),
            "unknown_user_id"
        );
    }
);

on_both_engines!(
    ceilings_blocks_and_revocation_hold,
    async |app: &TestApp| {
        let (mut hanako, account) = funded(app, "dc_hanako", 20_000).await;
        let shop = terminal(app, "Ceiling Mart").await;
        let (_, v) = request(app, &shop, "c1", ask("dc_hanako", 1_200)).await;
        let first = v["auth_req_id"].as_str().unwrap().to_string();
        let client = shop.client.id;
        let body = json!({ "client": client, "day": Money::jpy(1_000), "month": null });
        let res = app
            .post_json("/api/delegation/ceilings", &body, &hanako.cookie)
            .await;
        assert_eq!(res.status(), 200);
        let card = pending_of(app, &hanako).await[0].id;
        let res = approve(app, &mut hanako, card).await;
        let e: Result<Value, AppError> = answer(res).await;
        assert_eq!(e.unwrap_err(), AppError::conflict(Reason::CeilingReached));
        assert_eq!(pending_of(app, &hanako).await.len(), 1, "still open");
        let body =
            json!({ "client": client, "day": Money::jpy(2_000), "month": Money::jpy(3_000) });
        app.post_json("/api/delegation/ceilings", &body, &hanako.cookie)
            .await;
        assert_eq!(approve(app, &mut hanako, card).await.status(), 200);
        // 1,200 promised: another 900 would pass the day's 2,000.
        let (_, v) = request(app, &shop, "c2", ask("dc_hanako", 900)).await;
        let second = v["auth_req_id"].as_str().unwrap().to_string();
        let card = pending_of(app, &hanako).await[0].id;
        let e: Result<Value, AppError> = answer(approve(app, &mut hanako, card).await).await;
        assert_eq!(e.unwrap_err(), AppError::conflict(Reason::CeilingReached));
        // Revoked: the token is gone for good.
        let (_, v) = poll(app, &shop, &first).await;
        let token = v["payment_token"].as_str().unwrap().to_string();
        let mine = settings(app, &hanako).await;
        assert_eq!(mine.live_tokens.len(), 1);
        let res = app
            .post(
                "/api/delegation/revoke",
                &format!("request={}", mine.live_tokens[0].request),
                Some(&hanako.cookie),
            )
            .await;
        assert_eq!(res.status(), 200);
        let (s, v) = redeem(app, &shop, "p1", &token, 1_200).await;
        assert_eq!((s, v["reason"].as_str()), (409, Some("token_revoked")));
        assert_eq!(poll(app, &shop, &first).await.1["status"], "revoked");
        assert!(settings(app, &hanako).await.live_tokens.is_empty());
        // With the promise gone, the 900 fits; paying it leaves 1,100 for today.
        assert_eq!(approve(app, &mut hanako, card).await.status(), 200);
        let (_, v) = poll(app, &shop, &second).await;
        let token = v["payment_token"].as_str().unwrap().to_string();
        assert_eq!(redeem(app, &shop, "p2", &token, 900).await.0, 201);
        assert_eq!(available(app, account).await, 19_100);

        // A token past its deadline (the server's clock moved on).
        let (_, v) = request(app, &shop, "c3", ask("dc_hanako", 300)).await;
        let third = v["auth_req_id"].as_str().unwrap().to_string();
        let card = pending_of(app, &hanako).await[0].id;
        assert_eq!(approve(app, &mut hanako, card).await.status(), 200);
        let (_, v) = poll(app, &shop, &third).await;
        let token = v["payment_token"].as_str().unwrap().to_string();
        sqlx::query("UPDATE payment_requests SET token_expires_at_ms = 1 WHERE auth_req_id = $1")
            .bind(&third)
            .execute(app.db().pool())
            .await
            .unwrap();
        let (s, v) = redeem(app, &shop, "p3", &token, 300).await;
        assert_eq!((s, v["reason"].as_str()), (409, Some("token_expired")));
        assert_eq!(error_of(&poll(app, &shop, &third).await.1), "expired_token");

        // Blocked: requests are taken and dropped unseen, and just expire.
        let res = app
            .post(
                "/api/delegation/blocked",
                &format!("client={client}&blocked=true"),
                Some(&hanako.cookie),
            )
            .await;
        assert_eq!(res.status(), 200);
        let (s, v) = request(app, &shop, "c4", ask("dc_hanako", 100)).await;
        assert_eq!(s, 200);
        assert!(pending_of(app, &hanako).await.is_empty());
        let (s, v) = poll(app, &shop, v["auth_req_id"].as_str().unwrap()).await;
        assert_eq!((s, error_of(&v)), (400, "authorization_pending"));
        assert!(settings(app, &hanako).await.requesters[0].blocked);
        assert_eq!(available(app, account).await, 19_100);
        assert!(app.ledger().check().await.unwrap().is_ok());
    }
);

on_both_engines!(
    agents_name_a_payee_and_only_it_redeems,
    async |app: &TestApp| {
        let (mut hanako, account) = funded(app, "da_hanako", 5_000).await;
        let agent = api_client(
            app,
            "Travel Helper AI",
            ClientKind::Agent,
            vec![Scope::PaymentsRequest],
        )
        .await;
        let shop = api_client(
            app,
            "Ramen Ichiban",
            ClientKind::Merchant,
            vec![Scope::PaymentsRedeem],
        )
        .await;
        let reporter = api_client(
            app,
            "Only Reports",
            ClientKind::Merchant,
            vec![Scope::PurchasesWrite],
        )
        .await;
        let mut body = ask("da_hanako", 2_000);
        body.as_object_mut().unwrap().remove("place");
        let (s, v) = request(app, &agent, "a1", body.clone()).await;
        assert_eq!(
            (s, v["field"].as_str(), v["reason"].as_str()),
            (422, Some("payee"), Some("required"))
        );
        body["authorization_details"][0]["payee"] = json!(reporter.client.id.0);
        let (s, v) = request(app, &agent, "a2", body.clone()).await;
        assert_eq!(
            (s, v["field"].as_str(), v["reason"].as_str()),
            (422, Some("payee"), Some("unknown")),
            "it cannot redeem"
        );
        body["authorization_details"][0]["payee"] = json!(shop.client.id.0);
        let (s, v) = request(app, &agent, "a3", body).await;
        assert_eq!(s, 200);
        let id = v["auth_req_id"].as_str().unwrap().to_string();
        let card = pending_of(app, &hanako).await[0].clone();
        assert_eq!(
            card.context.delegated.as_ref().unwrap().kind,
            ClientKind::Agent
        );
        assert_eq!(card.context.payee.as_deref(), Some("Ramen Ichiban"));
        assert_eq!(approve(app, &mut hanako, card.id).await.status(), 200);
        let (_, v) = poll(app, &agent, &id).await;
        let token = v["payment_token"].as_str().unwrap().to_string();
        assert_eq!(v["payee"], shop.client.id.0);
        // The agent holds the token but is not the payee.
        assert_eq!(redeem(app, &agent, "x1", &token, 2_000).await.0, 403);
        assert_eq!(redeem(app, &shop, "x2", &token, 2_000).await.0, 201);
        assert_eq!(available(app, account).await, 3_000);
        // A merchant cannot ask, and a revoked agent's key stops working.
        assert_eq!(request(app, &shop, "x3", ask("da_hanako", 1)).await.0, 403);
        let (s, _, _) = v1(
            app,
            None,
            Some(("x4", ask("da_hanako", 1))),
            "/v1/payment-requests",
        )
        .await;
        assert_eq!(s, 401);
        let token = server::identity::create_staff_enrollment(app.db(), "Clerk")
            .await
            .unwrap();
        let staff =
            crate::people::sign_up_with(app, "st_revoker", &format!("&form[enrollment]={token}"))
                .await;
        let res = app
            .post(
                "/api/staff/api-clients/revoke",
                &format!("id={}", agent.client.id),
                Some(&staff.cookie),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(request(app, &agent, "x5", ask("da_hanako", 1)).await.0, 401);
    }
);

on_both_engines!(
    requests_are_limited_per_nickname_and_per_requester,
    async |app: &TestApp| {
        funded(app, "dr_hanako", 1_000).await;
        let a = terminal(app, "Spam Mart A").await;
        let b = terminal(app, "Spam Mart B").await;
        for i in 0..3 {
            assert_eq!(
                request(app, &a, &format!("a{i}"), ask("dr_hanako", 10))
                    .await
                    .0,
                200
            );
            assert_eq!(
                request(app, &b, &format!("b{i}"), ask("dr_hanako", 10))
                    .await
                    .0,
                200
            );
        }
        let (s, v) = request(app, &a, "a9", ask("dr_hanako", 10)).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (429, Some("rate_limited")),
            "the nickname's limit, across requesters"
        );
        // An unknown nickname is limited alike, so limits do not tell it apart.
        for i in 0..6 {
            assert_eq!(
                request(app, &b, &format!("u{i}"), ask("dr_nobody", 10))
                    .await
                    .0,
                400
            );
        }
        assert_eq!(request(app, &b, "u9", ask("dr_nobody", 10)).await.0, 429);
        // The requester's own limit, over many nicknames.
        let mut last = 0;
        for i in 0..40 {
            last = request(app, &a, &format!("n{i}"), ask(&format!("dr_nobody{i}"), 10))
                .await
                .0;
            if last == 429 {
                break;
            }
        }
        assert_eq!(last, 429);
    }
);

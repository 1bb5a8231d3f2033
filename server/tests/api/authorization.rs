//! Who may call what: every server function and endpoint, called as every
//! kind of caller — not signed in, a customer, a minor, a guardian, staff,
//! an enrolled ATM kiosk, a merchant, a shop terminal, an agent, a revoked
//! key — with the answer each must get.

use crate::helpers::{fake_dist, serve_args, DbEngine, TestDb};
use server::startup;

/// The people: not signed in, and each demo persona. Each row of the
/// views' table names their answers; the other callers' follow from them.
const CALLERS: [&str; 5] = ["anonymous", "hanako", "taro", "yoko", "sato"];

/// Callers that are not people. A kiosk's credential or an API key names no
/// person, so each gets what someone not signed in gets, except a kiosk at
/// the kiosk's own functions (`KIOSK`).
const NOT_PEOPLE: [&str; 5] = ["kiosk", "merchant", "shop_terminal", "agent", "revoked"];

/// What an enrolled kiosk gets where it differs from someone not signed in.
const KIOSK: [(&str, u16); 4] = [
    // A code nobody was given.
    ("/api/kiosk/scan", 422),
    // No withdrawal of this kiosk's has this id.
    ("/api/kiosk/progress", 404),
    // A code number nobody holds.
    ("/api/kiosk/code", 422),
    // It is enrolled already; the code is no enrollment code anyway.
    ("/api/kiosk/enroll", 422),
];

/// An enrolled kiosk's credential cookie (`anshin_atm=…`), for the demo ATM.
async fn kiosk_cookie(client: &reqwest::Client, base: &str, staff: &str) -> String {
    let post = |path: &str, body: String, cookie: Option<&str>| {
        let mut req = client
            .post(format!("{base}{path}"))
            .header("origin", base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(c) = cookie {
            req = req.header("cookie", c.to_string());
        }
        req.send()
    };
    let atms: Vec<shared::atm::Atm> = post("/api/atms/list", String::new(), Some(staff))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code: shared::atm::AtmEnrollment = post(
        "/api/atms/reissue",
        format!("id={}", atms[0].id.0),
        Some(staff),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let res = post("/api/kiosk/enroll", format!("code={}", code.code), None)
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "kiosk enrolled");
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_string()
}

async fn session_cookie(client: &reqwest::Client, base: &str, persona: &str) -> Option<String> {
    if persona == "anonymous" {
        return None;
    }
    let res = client
        .post(format!("{base}/api/identity/demo-sign-in"))
        .header("origin", base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("persona={persona}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "demo sign-in as {persona}");
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap();
    Some(set_cookie.split(';').next().unwrap().to_string())
}

async fn matrix(engine: DbEngine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let dist = fake_dist();
    let mut args = serve_args(&db, dist.path().to_path_buf());
    args.demo = true;
    // Many sign-ins from one address are the point here, not the limit on them.
    args.sign_in_per_minute = 1000;
    let running = startup::start(args).await.unwrap();
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    let hanako = server::identity::store::user_by_nickname(&running.db, "hanako")
        .await
        .unwrap()
        .unwrap();
    let hanako_account = running
        .ledger
        .accounts_of(&server::identity::holder(hanako.id))
        .await
        .unwrap()[0]
        .id;

    // (method, path, body, expected status per caller in CALLERS order)
    let statement = format!("account={hanako_account}");
    let prepare = format!("account={hanako_account}&yen=1000&key=matrix");
    let send_form = format!(
        "form[from]={hanako_account}&form[to]=kenta&form[yen]=1000&form[expected_name]=&form[key]=matrix"
    );
    let send = format!("{send_form}&ceremony=x&credential=%7B%7D");
    let rules = serde_json::to_value(shared::transfer::risk::Rules::default()).unwrap();
    let dry_run = serde_json::json!({ "draft": rules, "days": 7 }).to_string();
    // A stale base: staff get a conflict, so the matrix saves nothing.
    let save_rules =
        serde_json::json!({ "draft": rules, "based_on": 999, "note": "matrix" }).to_string();
    let taro = server::identity::store::user_by_nickname(&running.db, "taro")
        .await
        .unwrap()
        .unwrap();
    let conditions = serde_json::json!({
        "minor": taro.id,
        "conditions": shared::purchase::conditions::Conditions::default(),
    })
    .to_string();
    // Identity checks and relationships (F4): a refused document and unknown
    // people, so the matrix changes nothing.
    let bad_check = serde_json::json!({
        "details": { "full_name": "Matrix", "birth_date": "2001-01-01", "address": "Tokyo" },
        "document": "data:image/png;base64,AAAA",
    })
    .to_string();
    let bad_invite = serde_json::json!({
        "nickname": "nobody_here", "relation": "parent", "document": "data:image/png;base64,AAAA",
    })
    .to_string();
    let answer_none = serde_json::json!({ "guardian": 999_999, "accept": true }).to_string();
    let review_none =
        serde_json::json!({ "id": 999_999, "verdict": "approve", "reason": null }).to_string();
    let link_none = serde_json::json!({
        "guardian": 999_999, "ward": 999_998, "verify": true, "reason": null,
    })
    .to_string();
    let allowance_none = serde_json::json!({
        "minor": 999_999, "amount": { "amount_minor": 100, "currency": "JPY" }, "key": "matrix",
    })
    .to_string();
    let table: Vec<(&str, &str, &str, [u16; 5])> = vec![
        ("GET", "/healthz", "", [200; 5]),
        ("POST", "/api/system/status", "", [200; 5]),
        ("POST", "/api/identity/me", "", [200; 5]),
        ("POST", "/api/identity/sign-in/begin", "", [200; 5]),
        (
            "POST",
            "/api/identity/sign-up/begin",
            "form[display_name]=X&form[nickname]=newbie&form[birth_date]=1990-01-01",
            [200; 5],
        ),
        (
            "POST",
            "/api/identity/sign-in/finish",
            "ceremony=nope&credential=%7B%7D",
            [422; 5],
        ),
        (
            "POST",
            "/api/identity/sign-up/finish",
            "ceremony=nope&credential=%7B%7D",
            [422; 5],
        ),
        // Only someone signed in has accounts to see.
        ("POST", "/api/accounts/mine", "", [401, 200, 200, 200, 200]),
        // Only the account's holder sees its statement; to anyone else it does not exist.
        (
            "POST",
            "/api/accounts/statement",
            &statement,
            [401, 200, 404, 404, 404],
        ),
        // The audit trail is for staff.
        ("POST", "/api/audit/page", "", [401, 403, 403, 403, 200]),
        // So is flagging an adult as a ward.
        (
            "POST",
            "/api/identity/adult-ward",
            "nickname=hanako&ward=false",
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            "/api/identity/passkeys/begin",
            "",
            [401, 200, 200, 200, 200],
        ),
        (
            "POST",
            "/api/identity/passkeys/finish",
            "ceremony=nope&credential=%7B%7D",
            [401, 422, 422, 422, 422],
        ),
        // Everyone signed in has an inbox, a live channel and requests to decide.
        ("GET", "/api/events", "", [401, 200, 200, 200, 200]),
        ("POST", "/api/inbox/page", "", [401, 200, 200, 200, 200]),
        (
            "POST",
            "/api/inbox/read",
            "up_to=0",
            [401, 200, 200, 200, 200],
        ),
        ("POST", "/api/approvals/mine", "", [401, 200, 200, 200, 200]),
        (
            "POST",
            "/api/approvals/practice",
            "near_atm=false&seconds=60",
            [401, 200, 200, 200, 200],
        ),
        // Someone else's request (or none) does not exist for the caller.
        (
            "POST",
            "/api/approvals/approve/begin",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/approvals/approve/finish",
            "id=999999&ceremony=x&credential=%7B%7D",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/approvals/decline",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        // The ATM fleet is for staff.
        ("POST", "/api/atms/list", "", [401, 403, 403, 403, 200]),
        (
            "POST",
            "/api/atms/register",
            "atm[name]=Matrix&atm[address]=Here&atm[lat]=35.6&atm[lon]=139.7&atm[cash_yen]=0",
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            "/api/atms/reissue",
            "id=999999",
            [401, 403, 403, 403, 404],
        ),
        (
            "POST",
            "/api/atms/refill",
            "id=999999&yen=1000&key=k",
            [401, 403, 403, 403, 404],
        ),
        (
            "POST",
            "/api/atms/revoke",
            "id=999999",
            [401, 403, 403, 403, 404],
        ),
        // A kiosk needs no person: only its code, then its credential.
        ("POST", "/api/kiosk/enroll", "code=NOPE-NOPE-NOPE", [422; 5]),
        ("POST", "/api/kiosk/me", "", [200; 5]),
        // Scanning is for enrolled kiosks only, never for a person.
        ("POST", "/api/kiosk/scan", "code=1-000000", [403; 5]),
        ("POST", "/api/kiosk/progress", "id=1", [403; 5]),
        // Cardless withdrawals are the signed-in person's own.
        ("POST", "/api/cardless/mine", "", [401, 200, 200, 200, 200]),
        (
            "POST",
            "/api/cardless/prepare",
            &prepare,
            [401, 200, 404, 404, 404],
        ),
        (
            "POST",
            "/api/cardless/cancel",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        // Consultations: customers ask; clerks run the queue; only the two sides talk.
        (
            "POST",
            "/api/consultations/ask",
            "topic=Matrix",
            [401, 200, 200, 200, 403],
        ),
        (
            "POST",
            "/api/consultations/mine",
            "",
            [401, 200, 200, 200, 403],
        ),
        (
            "POST",
            "/api/consultations/queue",
            "",
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            "/api/consultations/take",
            "id=999999",
            [401, 403, 403, 403, 404],
        ),
        (
            "POST",
            "/api/consultations/say",
            "id=999999&text=hi",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/consultations/messages",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/consultations/end",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/consultations/ice-servers",
            "",
            [401, 200, 200, 200, 200],
        ),
        (
            "POST",
            "/api/consultations/signal",
            r#"{"id":999999,"signal":{"kind":"ready"}}"#,
            [401, 404, 404, 404, 404],
        ),
        // Withdrawal forms: only the consultation's clerk pushes; only its two sides see them.
        (
            "POST",
            "/api/withdrawal-forms/push",
            "consultation=999999&suggested_yen=10000",
            [401, 403, 403, 403, 404],
        ),
        (
            "POST",
            "/api/withdrawal-forms/of",
            "consultation=999999",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/withdrawal-forms/mine",
            "",
            [401, 200, 200, 200, 200],
        ),
        (
            "POST",
            "/api/withdrawal-forms/open",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/withdrawal-forms/begin-confirm",
            "id=999999&account=1&yen=1000",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/withdrawal-forms/confirm",
            r#"{"id":999999,"choice":{"kind":"generate"},"ceremony":"x","credential":"{}"}"#,
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/withdrawal-forms/cancel",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/withdrawal-forms/begin-passkey",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/withdrawal-forms/renew",
            r#"{"id":999999,"choice":{"kind":"generate"},"ceremony":"x","credential":"{}"}"#,
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/withdrawal-forms/unlock",
            "id=999999&ceremony=x&credential=%7B%7D",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/withdrawal-forms/ask-new-password",
            "id=999999",
            [401, 403, 403, 403, 404],
        ),
        (
            "POST",
            "/api/consultations/history",
            "",
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            "/api/kiosk/code",
            "number=12345678&password=407193",
            [403; 5],
        ),
        // Transfers to other people: from the caller's own account only; Hanako
        // has no passkey yet, which the review says before anything moves.
        (
            "POST",
            "/api/transfers/review",
            &send_form,
            [401, 409, 404, 404, 404],
        ),
        (
            "POST",
            "/api/transfers/send",
            &send,
            [401, 422, 404, 404, 404],
        ),
        ("POST", "/api/transfers/mine", "", [401, 200, 200, 200, 200]),
        (
            "POST",
            "/api/transfers/one",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/transfers/finish",
            "id=999999&go_ahead=true",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/transfers/proofs",
            "",
            [401, 200, 200, 200, 200],
        ),
        (
            "POST",
            "/api/transfers/proof/begin",
            "id=999999&message=hi",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/transfers/proof/give",
            "id=999999&message=hi&ceremony=x&credential=%7B%7D",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/transfers/proof/decline",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        ("POST", "/api/payees/mine", "", [401, 200, 200, 200, 200]),
        (
            "POST",
            "/api/payees/add",
            "to=nobody_here&label=X",
            [401, 422, 422, 422, 422],
        ),
        (
            "POST",
            "/api/payees/rename",
            "id=999999&label=X",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/payees/remove",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/messages/with",
            "with=nobody_here",
            [401, 422, 422, 422, 422],
        ),
        (
            "POST",
            "/api/messages/write",
            "with=nobody_here&body=hi",
            [401, 422, 422, 422, 422],
        ),
        (
            "POST",
            "/api/transfers/report",
            "to=nobody_here",
            [401, 422, 422, 422, 422],
        ),
        // Held transfers are for staff.
        (
            "POST",
            "/api/staff/transfers/held",
            "",
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            "/api/staff/transfers/review",
            "id=999999&release=true",
            [401, 403, 403, 403, 404],
        ),
        (
            "POST",
            "/api/staff/risk-rules",
            "",
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            "/api/staff/risk-rules/dry-run",
            &dry_run,
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            "/api/staff/risk-rules/save",
            &save_rules,
            [401, 403, 403, 403, 409],
        ),
        // Purchases (F4): the guardian's of their minors only, the minor's own only.
        (
            "POST",
            "/api/guardian/overview",
            "",
            [401, 200, 200, 200, 200],
        ),
        (
            "POST",
            "/api/guardian/conditions",
            &conditions,
            [401, 404, 404, 200, 404],
        ),
        (
            "POST",
            "/api/guardian/cancel",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/guardian/answer",
            "id=999999&yes=true",
            [401, 404, 404, 404, 404],
        ),
        ("POST", "/api/purchases/mine", "", [401, 200, 200, 200, 200]),
        (
            "POST",
            "/api/purchases/begin-confirm",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/purchases/confirm",
            "id=999999&ceremony=x&credential=%7B%7D",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/purchases/decline",
            "id=999999",
            [401, 404, 404, 404, 404],
        ),
        ("POST", "/api/identity/mine", "", [401, 200, 200, 200, 200]),
        (
            "POST",
            "/api/upload/identity-check",
            &bad_check,
            [401, 422, 422, 422, 422],
        ),
        (
            "POST",
            "/api/upload/invite-ward",
            &bad_invite,
            [401, 422, 422, 422, 422],
        ),
        (
            "POST",
            "/api/identity/answer",
            &answer_none,
            [401, 404, 404, 404, 404],
        ),
        ("POST", "/api/staff/reviews", "", [401, 403, 403, 403, 200]),
        (
            "POST",
            "/api/staff/review-check",
            &review_none,
            [401, 403, 403, 403, 404],
        ),
        (
            "POST",
            "/api/staff/review-link",
            &link_none,
            [401, 403, 403, 403, 404],
        ),
        (
            "POST",
            "/api/guardian/allowance",
            &allowance_none,
            [401, 404, 404, 404, 404],
        ),
        // A client's webhook deliveries are for staff.
        (
            "POST",
            "/api/staff/webhooks/deliveries",
            "client=999999",
            [401, 403, 403, 403, 404],
        ),
        (
            "POST",
            "/api/staff/webhooks/resend",
            "client=999999&msg_id=msg_none",
            [401, 403, 403, 403, 404],
        ),
        // Payments asked for on a person's behalf (F5): their own settings only.
        (
            "POST",
            "/api/delegation/settings",
            "",
            [401, 200, 200, 200, 200],
        ),
        (
            "POST",
            "/api/delegation/nickname",
            "nickname=x",
            [401, 422, 422, 422, 422],
        ),
        (
            "POST",
            "/api/delegation/hidden",
            "hidden=false",
            [401, 200, 200, 200, 200],
        ),
        (
            "POST",
            "/api/delegation/user-code",
            "code=12",
            [401, 422, 422, 422, 422],
        ),
        (
            "POST",
            "/api/delegation/ceilings",
            r#"{"client":999999,"day":null,"month":null}"#,
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/delegation/blocked",
            "client=999999&blocked=true",
            [401, 404, 404, 404, 404],
        ),
        (
            "POST",
            "/api/delegation/revoke",
            "request=999999",
            [401, 404, 404, 404, 404],
        ),
        // Demo mode's one-click sign-in takes only a persona's nickname.
        (
            "POST",
            "/api/identity/demo-sign-in",
            "persona=nobody",
            [404; 5],
        ),
        // API clients are registered and managed by staff; a nameless one is refused.
        (
            "POST",
            "/api/staff/api-clients",
            "",
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            "/api/staff/api-clients/register",
            r#"{"new":{"name":"","kind":"merchant","scopes":[]}}"#,
            [401, 403, 403, 403, 422],
        ),
        (
            "POST",
            "/api/staff/api-clients/revoke",
            "id=999999",
            [401, 403, 403, 403, 404],
        ),
        (
            "POST",
            "/api/staff/api-clients/rotate",
            "id=999999",
            [401, 403, 403, 403, 404],
        ),
        ("POST", "/api/identity/sign-out", "", [200; 5]),
    ];
    // Every server function the app registers has its row: a new one
    // cannot be added without saying who may call it.
    let rows: std::collections::HashSet<&str> = table.iter().map(|(_, path, _, _)| *path).collect();
    let mut missing: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .filter(|path| !rows.contains(path))
        .collect();
    missing.sort();
    assert!(
        missing.is_empty(),
        "server functions without a row: {missing:?}"
    );
    // The callers that are not people: the kiosk's cookie, and API keys
    // (sent as a bearer token, which the views' functions do not take).
    let sato = session_cookie(&client, &base, "sato").await.unwrap();
    let kiosk = kiosk_cookie(&client, &base, &sato).await;
    let mut bearer = Vec::new();
    for kind in ["merchant", "shop_terminal", "agent"] {
        let scopes = shared::machine::ClientKind::parse(kind)
            .unwrap()
            .usual_scopes();
        let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        bearer.push(api_key(&client, &base, &sato, kind, &scopes).await.1);
    }
    bearer.push(revoked_key(&client, &base, &sato).await);
    // Every mismatch is gathered, so one run shows them all.
    let mut wrong = Vec::new();
    let mut checked = 0;
    let everyone = CALLERS.iter().chain(NOT_PEOPLE.iter()).enumerate();
    for (i, caller) in everyone {
        let (cookie, key) = match i {
            0..5 => (session_cookie(&client, &base, caller).await, None),
            5 => (Some(kiosk.clone()), None),
            _ => (None, Some(bearer[i - 6].clone())),
        };
        for (method, path, body, people) in &table {
            let expected = if i < 5 {
                people[i]
            } else if *caller == "kiosk" {
                KIOSK
                    .iter()
                    .find(|(p, _)| p == path)
                    .map_or(people[0], |(_, status)| *status)
            } else {
                people[0]
            };
            let mut req = match *method {
                "GET" => client.get(format!("{base}{path}")),
                _ => client
                    .post(format!("{base}{path}"))
                    .header("origin", &base)
                    // A few functions take JSON (their bodies start with `{`); the rest, forms.
                    .header(
                        "content-type",
                        if body.starts_with('{') {
                            "application/json"
                        } else {
                            "application/x-www-form-urlencoded"
                        },
                    )
                    .body(body.to_string()),
            };
            if let Some(c) = &cookie {
                req = req.header("cookie", c);
            }
            if let Some(k) = &key {
                req = req.bearer_auth(k);
            }
            // Sign-out is last in the table, so it ends this caller's session only after the rest.
            let status = req.send().await.unwrap().status().as_u16();
            if status != expected {
                wrong.push(format!(
                    "{method} {path} as {caller}: {status}, expected {expected}"
                ));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    eprintln!(
        "authorization matrix on {}: {} endpoints x {} callers = {checked} checks",
        engine.name(),
        table.len(),
        CALLERS.len() + NOT_PEOPLE.len()
    );
    running.shutdown().await.unwrap();
}

crate::per_engine!(every_endpoint_as_every_caller, matrix);

/// The machine API's callers: no key, a session (which `/v1` does not
/// take), each kind of API client, and a revoked client's key. Each row of
/// its table names these answers.
const API_CALLERS: [&str; 7] = [
    "anonymous",
    "session",
    "merchant",
    "shop_terminal",
    "agent",
    "remittance_system",
    "revoked",
];

/// The other sessions `/v1` is called with ("session" is Hanako's): each
/// persona's, and a kiosk's credential. None is a key, so each gets the
/// "session" answer.
const SESSIONS: [&str; 4] = ["taro", "yoko", "sato", "kiosk"];

async fn api_key(
    client: &reqwest::Client,
    base: &str,
    staff: &str,
    kind: &str,
    scopes: &[&str],
) -> (i64, String) {
    let body = serde_json::json!({ "new": { "name": format!("matrix {kind}"), "kind": kind, "scopes": scopes } });
    let res = client
        .post(format!("{base}/api/staff/api-clients/register"))
        .header("origin", base)
        .header("cookie", staff)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "register {kind}");
    let issued: serde_json::Value = res.json().await.unwrap();
    (
        issued["client"]["id"].as_i64().unwrap(),
        issued["secret"].as_str().unwrap().to_string(),
    )
}

/// A merchant's key, revoked by staff.
async fn revoked_key(client: &reqwest::Client, base: &str, staff: &str) -> String {
    let scopes = ["purchases:write", "webhooks:manage"];
    let (id, key) = api_key(client, base, staff, "merchant", &scopes).await;
    let res = client
        .post(format!("{base}/api/staff/api-clients/revoke"))
        .header("origin", base)
        .header("cookie", staff)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("id={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    key
}

async fn machine_matrix(engine: DbEngine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let dist = fake_dist();
    let mut args = serve_args(&db, dist.path().to_path_buf());
    args.demo = true;
    let running = startup::start(args).await.unwrap();
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    let sato = session_cookie(&client, &base, "sato").await.unwrap();
    let hanako = session_cookie(&client, &base, "hanako").await.unwrap();
    let read = ["relationships:read"];
    let (_, merchant) = api_key(
        &client,
        &base,
        &sato,
        "merchant",
        &["purchases:write", "webhooks:manage", "payments:redeem"],
    )
    .await;
    let terminal_scopes = ["relationships:read", "payments:request", "payments:redeem"];
    let (_, terminal) = api_key(&client, &base, &sato, "shop_terminal", &terminal_scopes).await;
    let agent_scopes = ["relationships:read", "payments:request"];
    let (_, agent) = api_key(&client, &base, &sato, "agent", &agent_scopes).await;
    let (_, remittance) = api_key(&client, &base, &sato, "remittance_system", &read).await;
    let revoked = revoked_key(&client, &base, &sato).await;
    let keys = [
        None,
        None,
        Some(merchant),
        Some(terminal),
        Some(agent),
        Some(remittance),
        Some(revoked),
    ];
    let purchase = serde_json::json!({
        "minor": "9999999", "amount": 100, "currency": "JPY", "category": "books",
        "description": "matrix", "reference": "m", "payment": "elsewhere",
    });
    let endpoint = serde_json::json!({ "url": "http://127.0.0.1:9/hooks" });
    let empty = serde_json::json!({});
    let ask = serde_json::json!({
        "login_hint": "nobody_matrix", "binding_message": "M-1",
        "authorization_details": [{ "type": "payment", "amount": 100, "currency": "JPY", "description": "matrix" }],
    });
    let redeem = serde_json::json!({
        "payment_token": "pt_none", "amount": 100, "currency": "JPY", "reference": "m",
    });
    let initialize = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": { "name": "matrix", "version": "1" },
        },
    });
    // (method, path, body, expected per caller in API_CALLERS order)
    let table: Vec<(&str, &str, Option<&serde_json::Value>, [u16; 7])> = vec![
        (
            "GET",
            "/v1/relationships/guardianship?guardian=0000001&minor=0000002",
            None,
            [401, 401, 403, 200, 200, 200, 401],
        ),
        (
            "POST",
            "/v1/purchases",
            Some(&purchase),
            [401, 401, 422, 403, 403, 403, 401],
        ),
        (
            "GET",
            "/v1/purchases/999999",
            None,
            [401, 401, 404, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/v1/purchases/999999/refund",
            Some(&empty),
            [401, 401, 404, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/v1/webhooks/endpoint",
            Some(&endpoint),
            [401, 401, 200, 403, 403, 403, 401],
        ),
        (
            "GET",
            "/v1/webhooks/endpoint",
            None,
            [401, 401, 200, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/v1/webhooks/endpoint/rotate-secret",
            Some(&empty),
            [401, 401, 200, 403, 403, 403, 401],
        ),
        (
            "GET",
            "/v1/webhooks/deliveries",
            None,
            [401, 401, 200, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/v1/webhooks/deliveries/msg_none/resend",
            Some(&empty),
            [401, 401, 404, 403, 403, 403, 401],
        ),
        // F5: shop terminals and agents ask (an unknown nickname: CIBA's 400); payees redeem.
        (
            "POST",
            "/v1/payment-requests",
            Some(&ask),
            [401, 401, 403, 400, 400, 403, 401],
        ),
        (
            "GET",
            "/v1/payment-requests/ar_none",
            None,
            [401, 401, 403, 404, 404, 403, 401],
        ),
        (
            "POST",
            "/v1/payment-requests/ar_none/cancel",
            Some(&empty),
            [401, 401, 403, 404, 404, 403, 401],
        ),
        (
            "POST",
            "/v1/payments",
            Some(&redeem),
            [401, 401, 422, 422, 403, 403, 401],
        ),
        // MCP over streamable HTTP: agents only, checked before any message is read.
        (
            "POST",
            "/mcp",
            Some(&initialize),
            [401, 401, 403, 403, 200, 403, 401],
        ),
        ("GET", "/v1/openapi.json", None, [200; 7]),
        ("GET", "/v1/docs", None, [200; 7]),
    ];
    let mut sessions = Vec::new();
    for persona in &SESSIONS[..3] {
        sessions.push(session_cookie(&client, &base, persona).await.unwrap());
    }
    sessions.push(kiosk_cookie(&client, &base, &sato).await);
    // Each caller with the column of the table that names its answers.
    let callers = API_CALLERS
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                i,
                (*c).to_string(),
                (*c == "session").then(|| hanako.clone()),
            )
        })
        .chain(
            SESSIONS
                .iter()
                .zip(sessions)
                .map(|(name, cookie)| (1, format!("{name}'s session"), Some(cookie))),
        );
    let mut checked = 0;
    let mut kinds = 0;
    for (i, caller, cookie) in callers {
        kinds += 1;
        for (n, (method, path, body, expected)) in table.iter().enumerate() {
            let mut req = match (*method, body) {
                ("POST", Some(b)) => client
                    .post(format!("{base}{path}"))
                    .header("idempotency-key", format!("matrix-{kinds}-{n}"))
                    // What an MCP client accepts; the JSON endpoints answer JSON anyway.
                    .header("accept", "application/json, text/event-stream")
                    .json(b),
                _ => client.get(format!("{base}{path}")),
            };
            if let Some(k) = &keys[i] {
                req = req.bearer_auth(k);
            }
            if let Some(c) = &cookie {
                req = req.header("cookie", c);
            }
            let status = req.send().await.unwrap().status().as_u16();
            assert_eq!(status, expected[i], "{method} {path} as {caller}");
            checked += 1;
        }
    }
    eprintln!(
        "machine API matrix on {}: {} endpoints x {kinds} callers = {checked} checks",
        engine.name(),
        table.len(),
    );
    running.shutdown().await.unwrap();
}

crate::per_engine!(every_machine_endpoint_as_every_caller, machine_matrix);

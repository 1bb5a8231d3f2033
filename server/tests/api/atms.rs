//! The ATM fleet: staff register, refill, revoke and re-enroll machines; a
//! kiosk becomes a machine once with its code and then carries a revocable
//! credential. Cash moves only through the ledger.

use crate::{
    helpers::{DbEngine, TestApp},
    people::cookie_of,
};
use shared::atm::{Atm, AtmEnrollment, AtmState};

async fn staff(app: &TestApp) -> String {
    let res = app
        .post("/api/identity/demo-sign-in", "persona=sato", None)
        .await;
    assert_eq!(res.status(), 200);
    cookie_of(&res)
}

pub async fn register(app: &TestApp, cookie: &str, name: &str, yen: i64) -> reqwest::Response {
    let body = format!(
        "atm[name]={name}&atm[address]=Somewhere&atm[lat]=35.69&atm[lon]=139.70&atm[cash_yen]={yen}"
    );
    app.post("/api/atms/register", &body, Some(cookie)).await
}

async fn kiosk_me(app: &TestApp, kiosk: Option<&str>) -> Option<Atm> {
    let res = app.post("/api/kiosk/me", "", kiosk).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn enroll(app: &TestApp, code: &str) -> reqwest::Response {
    let body = format!("code={}", crate::people::urlencode(code));
    app.post("/api/kiosk/enroll", &body, None).await
}

async fn fleet(engine: DbEngine) {
    let Some(app) = TestApp::spawn_with(engine, |a| {
        a.demo = true;
        a.sign_in_per_minute = 1000;
    })
    .await
    else {
        return;
    };
    let sato = staff(&app).await;
    // The demo's machine is there, with its cash, waiting for a kiosk.
    let list: Vec<Atm> = app
        .post("/api/atms/list", "", Some(&sato))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "Shibuya Station");
    assert_eq!(list[0].cash, shared::Money::jpy(2_000_000));
    assert!((list[0].at.lat - 35.658).abs() < 0.001);

    for (yen, reason) in [(1_500, "not_whole_thousands"), (-1_000, "out_of_range")] {
        let res = register(&app, &sato, "Bad", yen).await;
        assert_eq!(res.status(), 422, "{yen}");
        assert_eq!(
            res.json::<shared::AppError>().await.unwrap(),
            shared::AppError::invalid("cash", shared::Reason::parse(reason).unwrap())
        );
    }
    let res = register(&app, &sato, "Shinjuku West", 1_000_000).await;
    assert_eq!(res.status(), 200);
    let enrollment: AtmEnrollment = res.json().await.unwrap();
    let id = enrollment.atm.id;
    assert_eq!(enrollment.atm.state, AtmState::AwaitingKiosk);
    assert_eq!(enrollment.atm.cash, shared::Money::jpy(1_000_000));
    assert_eq!(enrollment.code.len(), 14);

    // A kiosk types the code its own way; it works once.
    let typed = enrollment.code.to_lowercase().replace('-', " ");
    let res = enroll(&app, &typed).await;
    assert_eq!(res.status(), 200);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set_cookie.starts_with("anshin_atm="), "{set_cookie}");
    assert!(
        set_cookie.contains("HttpOnly; SameSite=Strict"),
        "{set_cookie}"
    );
    let kiosk = cookie_of(&res);
    let me = kiosk_me(&app, Some(&kiosk))
        .await
        .expect("the kiosk is the machine");
    assert_eq!((me.id, me.state), (id, AtmState::Active));
    assert!(me.last_seen_ms.is_some());
    assert_eq!(
        enroll(&app, &enrollment.code).await.status(),
        422,
        "used once"
    );
    assert_eq!(kiosk_me(&app, None).await, None);
    assert_eq!(kiosk_me(&app, Some("anshin_atm=forged")).await, None);

    // A refill retried with the same key counts once.
    for _ in 0..2 {
        let res = app
            .post(
                "/api/atms/refill",
                &format!("id={id}&yen=500000&key=refill-1"),
                Some(&sato),
            )
            .await;
        assert_eq!(res.status(), 200);
        let atm: Atm = res.json().await.unwrap();
        assert_eq!(atm.cash, shared::Money::jpy(1_500_000));
    }

    // Revoked: the kiosk is no longer the machine, and no cash goes in.
    let res = app
        .post("/api/atms/revoke", &format!("id={id}"), Some(&sato))
        .await;
    assert_eq!(res.json::<Atm>().await.unwrap().state, AtmState::Revoked);
    assert_eq!(kiosk_me(&app, Some(&kiosk)).await, None);
    let res = app
        .post(
            "/api/atms/refill",
            &format!("id={id}&yen=1000&key=refill-2"),
            Some(&sato),
        )
        .await;
    assert_eq!(res.status(), 409);

    // A new code brings it back with a new kiosk.
    let res = app
        .post("/api/atms/reissue", &format!("id={id}"), Some(&sato))
        .await;
    let again: AtmEnrollment = res.json().await.unwrap();
    assert_ne!(again.code, enrollment.code);
    let res = enroll(&app, &again.code).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        kiosk_me(&app, Some(&cookie_of(&res))).await.unwrap().state,
        AtmState::Active
    );

    let actions: Vec<String> = server::audit::page(app.db().pool(), None, 200)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "staff.atm_registered",
        "atm.kiosk_enrolled",
        "staff.atm_refilled",
        "staff.atm_revoked",
        "staff.atm_code_reissued",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
    let report = app.ledger().check().await.unwrap();
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    app.stop().await;
}

crate::per_engine!(staff_run_the_fleet_and_kiosks_enroll_once, fleet);

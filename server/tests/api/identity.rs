//! Passkey sign-up and sessions as the server sees them (the ceremonies
//! themselves need a browser and run in the end-to-end tests).

use crate::{helpers::TestApp, on_both_engines};
use shared::Reason;
use shared::{identity::Ceremony, AppError};

async fn call(app: &TestApp, path: &str, body: &str, cookie: Option<&str>) -> reqwest::Response {
    app.post(path, body, cookie).await
}

fn form(name: &str, nickname: &str, birth: &str) -> String {
    format!("form[display_name]={name}&form[nickname]={nickname}&form[birth_date]={birth}")
}

on_both_engines!(
    sign_up_checks_the_profile_before_any_passkey,
    async |app: &TestApp| {
        let cases = [
            (
                form("Hanako", "admin", "1990-01-01"),
                "nickname",
                "reserved",
            ),
            (form("Hanako", "ab", "1990-01-01"), "nickname", "too_short"),
            (form("", "hanako_s", "1990-01-01"), "display_name", "empty"),
            (
                form("Hanako", "hanako_s", "2999-01-01"),
                "birth_date",
                "in_the_future",
            ),
            (
                form("Hanako", "hanako_s", "1990-02-30"),
                "birth_date",
                "not_a_date",
            ),
        ];
        for (body, field, reason) in cases {
            let res = call(app, "/api/identity/sign-up/begin", &body, None).await;
            assert_eq!(res.status(), 422, "{body}");
            assert_eq!(
                res.json::<AppError>().await.unwrap(),
                AppError::invalid(field, Reason::parse(reason).unwrap()),
                "{body}"
            );
        }
        let res = call(
            app,
            "/api/identity/sign-up/begin",
            &form("Hanako", "hanako_s", "1990-01-01"),
            None,
        )
        .await;
        assert_eq!(res.status(), 200);
        let ceremony: Ceremony = res.json().await.unwrap();
        let options: serde_json::Value = serde_json::from_str(&ceremony.options_json).unwrap();
        let pk = &options["publicKey"];
        assert_eq!(pk["rp"]["id"], "localhost");
        assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
        assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(pk["user"]["name"], "hanako_s");
    }
);

on_both_engines!(
    ceremonies_work_once_and_bad_credentials_are_refused,
    async |app: &TestApp| {
        let res = call(app, "/api/identity/sign-in/begin", "", None).await;
        let ceremony: Ceremony = res.json().await.unwrap();
        assert!(
            !ceremony.options_json.contains("mediation"),
            "a button sign-in is modal"
        );
        let body = format!("ceremony={}&credential=%7B%7D", ceremony.id);
        let res = call(app, "/api/identity/sign-in/finish", &body, None).await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.json::<AppError>().await.unwrap(),
            AppError::invalid("passkey", Reason::Rejected)
        );
        // The ceremony was used up by that attempt.
        let res = call(app, "/api/identity/sign-in/finish", &body, None).await;
        assert_eq!(
            res.json::<AppError>().await.unwrap(),
            AppError::invalid("ceremony", Reason::Expired)
        );
    }
);

on_both_engines!(
    unknown_sessions_are_anonymous_and_sign_out_clears_the_cookie,
    async |app: &TestApp| {
        let res = call(
            app,
            "/api/identity/me",
            "",
            Some("anshin_session=forged-token"),
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.json::<Option<shared::identity::Me>>().await.unwrap(),
            None
        );
        let res = call(
            app,
            "/api/identity/sign-out",
            "",
            Some("anshin_session=forged-token"),
        )
        .await;
        assert_eq!(res.status(), 200);
        let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
        assert_eq!(
            set_cookie,
            "anshin_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        );
    }
);

on_both_engines!(
    sign_in_attempts_are_rate_limited_per_address,
    async |app: &TestApp| {
        let limit = server::http::rate_limit::PER_MINUTE;
        for i in 0..limit {
            let res = call(app, "/api/identity/sign-in/begin", "", None).await;
            assert_eq!(res.status(), 200, "attempt {i}");
        }
        let res = call(app, "/api/identity/sign-in/begin", "", None).await;
        assert_eq!(res.status(), 429);
        let retry_after: u32 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        assert!(matches!(
            res.json::<AppError>().await.unwrap(),
            AppError::RateLimited { .. }
        ));
        // Other endpoints are not affected.
        assert_eq!(call(app, "/api/identity/me", "", None).await.status(), 200);
    }
);

on_both_engines!(
    staff_enrollment_links_decide_role_and_name_and_work_once,
    async |app: &TestApp| {
        let bad = format!(
            "{}&form[enrollment]=not-a-token",
            form("", "kimura", "1990-01-01")
        );
        let res = call(app, "/api/identity/sign-up/begin", &bad, None).await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.json::<AppError>().await.unwrap(),
            AppError::invalid("enrollment", Reason::InvalidOrUsed)
        );

        let token = server::identity::create_staff_enrollment(app.db(), "Kimura Aya")
            .await
            .unwrap();
        let good = format!(
            "{}&form[enrollment]={token}",
            form("", "kimura", "1990-01-01")
        );
        let res = call(app, "/api/identity/sign-up/begin", &good, None).await;
        assert_eq!(res.status(), 200);
        let ceremony: Ceremony = res.json().await.unwrap();
        let options: serde_json::Value = serde_json::from_str(&ceremony.options_json).unwrap();
        assert_eq!(
            options["publicKey"]["user"]["displayName"], "Kimura Aya",
            "the enrollment's name, not the form's"
        );
    }
);

async fn demo_cookie(app: &TestApp, persona: &str) -> String {
    let res = call(
        app,
        "/api/identity/demo-sign-in",
        &format!("persona={persona}"),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    crate::people::cookie_of(&res)
}

async fn flag_adult_wards(engine: crate::helpers::DbEngine) {
    let Some(app) = TestApp::spawn_with(engine, |a| {
        a.demo = true;
        a.sign_in_per_minute = 1000;
    })
    .await
    else {
        return;
    };
    let sato = demo_cookie(&app, "sato").await;
    let hanako = demo_cookie(&app, "hanako").await;
    let me = |cookie: String| {
        let app = &app;
        async move {
            call(app, "/api/identity/me", "", Some(&cookie))
                .await
                .json::<Option<shared::identity::Me>>()
                .await
                .unwrap()
                .unwrap()
        }
    };
    assert!(!me(hanako.clone()).await.minor, "an adult is not a minor");

    // Only staff may mark someone; only a customer may be marked.
    let res = call(
        &app,
        "/api/identity/adult-ward",
        "nickname=hanako&ward=true",
        Some(&hanako),
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = call(
        &app,
        "/api/identity/adult-ward",
        "nickname=yoko&ward=true",
        Some(&sato),
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = call(
        &app,
        "/api/identity/adult-ward",
        "nickname=nobody_here&ward=true",
        Some(&sato),
    )
    .await;
    assert_eq!(res.status(), 404);

    let res = call(
        &app,
        "/api/identity/adult-ward",
        "nickname=HANAKO&ward=true",
        Some(&sato),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(
        me(hanako.clone()).await.minor,
        "a ward has restricted capacity"
    );
    let res = call(
        &app,
        "/api/identity/adult-ward",
        "nickname=hanako&ward=false",
        Some(&sato),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(!me(hanako.clone()).await.minor);

    let actions: Vec<String> = server::audit::page(app.db().pool(), None, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("staff.adult_ward"))
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        ["staff.adult_ward_cleared", "staff.adult_ward_flagged"]
    );
    app.stop().await;
}

crate::per_engine!(staff_mark_adult_wards, flag_adult_wards);

/// A client whose requests come from `ip` (any 127.0.0.0/8 address reaches the server).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().ok())
        .build()
        .unwrap()
}

async fn sign_in_from(
    app: &TestApp,
    client: &reqwest::Client,
    passkey: &mut crate::soft_passkey::SoftPasskey,
) -> u16 {
    let post = |path: &str, body: String| {
        client
            .post(app.url(path))
            .header("origin", app.origin())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let res = post("/api/identity/sign-in/begin", String::new())
        .await
        .unwrap();
    if res.status() != 200 {
        return res.status().as_u16();
    }
    let ceremony: Ceremony = res.json().await.unwrap();
    let credential = passkey.assert(&ceremony.options_json);
    let body = format!(
        "ceremony={}&credential={}",
        ceremony.id,
        crate::people::urlencode(&credential)
    );
    post("/api/identity/sign-in/finish", body)
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn sign_ins_limited_per_person(engine: crate::helpers::DbEngine) {
    let Some(app) = TestApp::spawn_with(engine, |a| a.sign_in_per_minute = 6).await else {
        return;
    };
    // From 127.0.0.1: sign-up (2 steps) and two sign-ins (4 steps) use that address's 6.
    let mut person = crate::people::sign_up(&app, "limited").await.passkey;
    let (a, b, c) = (
        client_from("127.0.0.1"),
        client_from("127.0.0.2"),
        client_from("127.0.0.3"),
    );
    for _ in 0..2 {
        assert_eq!(sign_in_from(&app, &a, &mut person).await, 200);
    }
    assert_eq!(
        sign_in_from(&app, &a, &mut person).await,
        429,
        "address used up"
    );
    // Three more from a second address, one from a third: six sign-ins for the person.
    for _ in 0..3 {
        assert_eq!(sign_in_from(&app, &b, &mut person).await, 200);
    }
    assert_eq!(sign_in_from(&app, &c, &mut person).await, 200);
    // The third address still has steps left, but the person has none.
    assert_eq!(
        sign_in_from(&app, &c, &mut person).await,
        429,
        "person used up"
    );
    app.stop().await;
}

crate::per_engine!(sign_ins_are_limited_per_person, sign_ins_limited_per_person);

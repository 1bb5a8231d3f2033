//! The approval engine over HTTP: passkey proof bound to the request,
//! location, exactly-once decisions, deadlines kept by the server (also
//! across a restart), who may decide, and the limit on decisions.

use crate::{
    helpers::{fake_dist, serve_args, DbEngine, TestApp, TestDb},
    on_both_engines,
    people::{sign_up, urlencode, Person},
};
use server::{approvals::NewApproval, startup};
use shared::{
    approval::{
        Approval, ApprovalContext, ApprovalKind, ApprovalState, NearRule, Outcome, Place, Warning,
    },
    events::Event,
    geo::LatLon,
    identity::Ceremony,
    ids::{ApprovalId, UserId},
    money::{Currency, Money},
    AppError, Reason,
};
use std::time::Duration;

const SHIBUYA: LatLon = LatLon {
    lat: 35.658_034,
    lon: 139.701_636,
};

async fn user_id(app: &TestApp, nickname: &str) -> UserId {
    server::identity::store::user_by_nickname(app.db(), nickname)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn request(decider: UserId, near: bool, ttl_ms: i64) -> NewApproval {
    NewApproval {
        kind: ApprovalKind::CardlessWithdrawal,
        decider,
        requester: "Shibuya Station ATM".into(),
        context: ApprovalContext {
            amount: Some(Money::new(30_000, Currency::Jpy)),
            fee: None,
            payee: None,
            place: Some(Place {
                name: "Shibuya Station".into(),
                at: SHIBUYA,
            }),
            warnings: vec![Warning::PhoneScam],
            reasons: vec![],
            delegated: None,
        },
        near: near.then_some(NearRule { within_m: 300 }),
        ttl_ms,
    }
}

async fn raise(app: &TestApp, decider: UserId, near: bool) -> ApprovalId {
    app.approvals()
        .raise(request(decider, near, 60_000))
        .await
        .unwrap()
        .id
}

pub async fn begin(app: &TestApp, who: &Person, id: ApprovalId) -> Ceremony {
    let res = app
        .post(
            "/api/approvals/approve/begin",
            &format!("id={id}"),
            Some(&who.cookie),
        )
        .await;
    assert_eq!(res.status(), 200, "begin approve {id}");
    let ceremony: Ceremony = res.json().await.unwrap();
    let options: serde_json::Value = serde_json::from_str(&ceremony.options_json).unwrap();
    assert_eq!(options["publicKey"]["userVerification"], "required");
    ceremony
}

pub async fn finish(
    app: &TestApp,
    who: &Person,
    id: ApprovalId,
    ceremony: &str,
    credential: &str,
    at: Option<LatLon>,
) -> reqwest::Response {
    let mut body = format!(
        "id={id}&ceremony={ceremony}&credential={}",
        urlencode(credential)
    );
    if let Some(p) = at {
        body.push_str(&format!("&lat={}&lon={}&accuracy_m=20", p.lat, p.lon));
    }
    app.post("/api/approvals/approve/finish", &body, Some(&who.cookie))
        .await
}

pub async fn decline(app: &TestApp, cookie: Option<&str>, id: ApprovalId) -> reqwest::Response {
    app.post("/api/approvals/decline", &format!("id={id}"), cookie)
        .await
}

async fn state_of(app: &TestApp, id: ApprovalId) -> Approval {
    app.approvals().get(id).await.unwrap().unwrap()
}

/// 5 km north of Shibuya Station.
fn five_km_away() -> LatLon {
    LatLon {
        lat: SHIBUYA.lat + 5_000.0 / 111_195.0,
        lon: SHIBUYA.lon,
    }
}

on_both_engines!(
    approving_needs_the_passkey_and_the_place,
    async |app: &TestApp| {
        let mut hanako = sign_up(app, "hanako_a").await;
        let id = raise(app, user_id(app, "hanako_a").await, true).await;
        let ceremony = begin(app, &hanako, id).await;
        let credential = hanako.passkey.assert(&ceremony.options_json);
        // Without a position nothing is decided, and the challenge is still usable.
        let res = finish(app, &hanako, id, &ceremony.id, &credential, None).await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.json::<AppError>().await.unwrap(),
            AppError::invalid("position", Reason::Required)
        );
        let near = LatLon {
            lat: SHIBUYA.lat + 0.001,
            lon: SHIBUYA.lon,
        };
        let res = finish(app, &hanako, id, &ceremony.id, &credential, Some(near)).await;
        assert_eq!(res.status(), 200);
        let approved: Approval = res.json().await.unwrap();
        assert_eq!(approved.state, ApprovalState::Approved);
        assert_eq!(approved.outcome, Some(Outcome::Approved));

        // Told to the inbox: raised, then ended.
        let inbox: shared::events::Inbox = app
            .post("/api/inbox/page", "", Some(&hanako.cookie))
            .await
            .json()
            .await
            .unwrap();
        let kinds: Vec<_> = inbox.items.iter().map(|n| n.event.clone()).collect();
        assert!(matches!(
            kinds[0],
            Event::ApprovalEnded { approval, state: ApprovalState::Approved, .. } if approval == id
        ));
        assert!(matches!(kinds[1], Event::ApprovalRequested { approval, .. } if approval == id));
        assert_eq!(inbox.unread, 2);
        assert_eq!(inbox.last_seq, 2);
        let unread: i64 = app
            .post("/api/inbox/read", "up_to=2", Some(&hanako.cookie))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(unread, 0);

        // Audited with the proof, never the raw assertion.
        let page = server::audit::page(app.db().pool(), None, 50)
            .await
            .unwrap();
        let entry = page
            .iter()
            .find(|e| e.action == "approval.approved")
            .expect("approval audited");
        assert_eq!(entry.subject, format!("approval:{id}"));
        assert!(entry.detail.contains("distance_m"), "{}", entry.detail);
        assert!(!entry.detail.contains("signature"), "{}", entry.detail);
    }
);

on_both_engines!(
    five_km_away_is_refused_and_ends_the_request,
    async |app: &TestApp| {
        let mut hanako = sign_up(app, "hanako_b").await;
        let id = raise(app, user_id(app, "hanako_b").await, true).await;
        let ceremony = begin(app, &hanako, id).await;
        let credential = hanako.passkey.assert(&ceremony.options_json);
        let res = finish(
            app,
            &hanako,
            id,
            &ceremony.id,
            &credential,
            Some(five_km_away()),
        )
        .await;
        assert_eq!(res.status(), 409);
        assert_eq!(
            res.json::<AppError>().await.unwrap(),
            AppError::Conflict {
                reason: Reason::ApprovalTooFar
            }
        );
        let a = state_of(app, id).await;
        assert_eq!(a.state, ApprovalState::Declined);
        assert_eq!(a.outcome, Some(Outcome::TooFar));
    }
);

on_both_engines!(
    a_challenge_works_for_its_own_request_once,
    async |app: &TestApp| {
        let mut hanako = sign_up(app, "hanako_c").await;
        let me = user_id(app, "hanako_c").await;
        let (a, b) = (raise(app, me, false).await, raise(app, me, false).await);
        let ca = begin(app, &hanako, a).await;
        let cb = begin(app, &hanako, b).await;

        // A's ceremony offered for B: not B's challenge.
        let for_a = hanako.passkey.assert(&ca.options_json);
        let res = finish(app, &hanako, b, &ca.id, &for_a, None).await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.json::<AppError>().await.unwrap(),
            AppError::invalid("ceremony", Reason::Expired)
        );
        // B's ceremony with an assertion over A's challenge: the signature is over the wrong challenge.
        let res = finish(app, &hanako, b, &cb.id, &for_a, None).await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.json::<AppError>().await.unwrap(),
            AppError::invalid("passkey", Reason::Rejected)
        );
        assert_eq!(state_of(app, b).await.state, ApprovalState::Pending);

        // A, properly: approved. The same assertion again: refused.
        let res = finish(app, &hanako, a, &ca.id, &for_a, None).await;
        assert_eq!(res.status(), 200);
        let res = finish(app, &hanako, a, &ca.id, &for_a, None).await;
        assert_eq!(
            res.status(),
            409,
            "a decided request cannot be decided again"
        );
        // Replayed on a fresh request with a fresh challenge: the old signature does not fit.
        let c = raise(app, me, false).await;
        let cc = begin(app, &hanako, c).await;
        let res = finish(app, &hanako, c, &cc.id, &for_a, None).await;
        assert_eq!(res.status(), 422);
        assert_eq!(state_of(app, c).await.state, ApprovalState::Pending);
    }
);

on_both_engines!(only_the_decider_sees_or_decides, async |app: &TestApp| {
    let hanako = sign_up(app, "hanako_d").await;
    let other = sign_up(app, "stranger_d").await;
    let id = raise(app, user_id(app, "hanako_d").await, false).await;
    for path in ["/api/approvals/decline", "/api/approvals/approve/begin"] {
        let res = app
            .post(path, &format!("id={id}"), Some(&other.cookie))
            .await;
        assert_eq!(res.status(), 404, "{path}");
    }
    let theirs: shared::approval::ApprovalList = app
        .post("/api/approvals/mine", "", Some(&other.cookie))
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs.items.is_empty());
    let mine: shared::approval::ApprovalList = app
        .post("/api/approvals/mine", "", Some(&hanako.cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.items.len(), 1);
    let res = decline(app, None, id).await;
    assert_eq!(res.status(), 401);
    let res = decline(app, Some(&hanako.cookie), id).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        state_of(app, id).await.outcome,
        Some(Outcome::DeclinedByUser)
    );
});

on_both_engines!(
    concurrent_decisions_change_the_state_exactly_once,
    async |app: &TestApp| {
        let hanako = sign_up(app, "hanako_e").await;
        let me = user_id(app, "hanako_e").await;
        // Within the default limit of 30 decisions a minute: 4 rounds of 6.
        for round in 0..4 {
            let id = raise(app, me, false).await;
            let body = format!("id={id}");
            let declines =
                (0..6).map(|_| app.post("/api/approvals/decline", &body, Some(&hanako.cookie)));
            let cancels = (0..4).map(|_| app.approvals().cancel(id, "test-requester"));
            let (declined, cancelled) = tokio::join!(
                futures::future::join_all(declines),
                futures::future::join_all(cancels)
            );
            let ok = declined.iter().filter(|r| r.status() == 200).count()
                + cancelled.iter().filter(|r| r.is_ok()).count();
            assert_eq!(ok, 1, "round {round}: exactly one decision wins");
            for r in &declined {
                assert!([200, 409].contains(&r.status().as_u16()), "{}", r.status());
            }
            let ended = server::audit::page(app.db().pool(), None, 200)
                .await
                .unwrap()
                .iter()
                .filter(|e| e.subject == format!("approval:{id}") && e.action != "approval.raised")
                .count();
            assert_eq!(
                ended, 1,
                "round {round}: one audit entry for the one change"
            );
        }
        let events = app.post("/api/inbox/page", "", Some(&hanako.cookie)).await;
        let inbox: shared::events::Inbox = events.json().await.unwrap();
        let ended = inbox
            .items
            .iter()
            .filter(|n| matches!(n.event, Event::ApprovalEnded { .. }))
            .count();
        assert_eq!(ended, 4);
    }
);

on_both_engines!(the_server_keeps_the_deadline, async |app: &TestApp| {
    let hanako = sign_up(app, "hanako_f").await;
    let id = app
        .approvals()
        .raise(request(user_id(app, "hanako_f").await, false, 150))
        .await
        .unwrap()
        .id;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Late is late, whether or not the sweeper has been round yet.
    let res = decline(app, Some(&hanako.cookie), id).await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<AppError>().await.unwrap(),
        AppError::Conflict {
            reason: Reason::ApprovalExpired
        }
    );
    let mut state = ApprovalState::Pending;
    for _ in 0..50 {
        state = state_of(app, id).await.state;
        if state != ApprovalState::Pending {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state, ApprovalState::Expired);
});

async fn expiry_while_down(engine: DbEngine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let dist = fake_dist();
    let mut args = serve_args(&db, dist.path().to_path_buf());
    args.approval_sweep_ms = 3_600_000;
    let first = startup::start(args.clone()).await.unwrap();
    let profile = server::identity::store::Profile {
        handle: uuid::Uuid::new_v4().to_string(),
        display_name: "Down".into(),
        nickname: "down".into(),
        nickname_canonical: "down".into(),
        birth_date: "1990-01-01".into(),
        enrollment: None,
    };
    let user = server::identity::store::create_user_without_passkey(
        &first.db,
        &profile,
        shared::identity::Role::Customer,
        0,
    )
    .await
    .map_err(|e| format!("{e:?}"))
    .unwrap();
    let id = first
        .approvals
        .raise(request(user.id, false, 300))
        .await
        .unwrap()
        .id;
    first.shutdown().await.unwrap();
    // The deadline passes while no server runs.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second = startup::start(args).await.unwrap();
    let mut a = second.approvals.get(id).await.unwrap().unwrap();
    for _ in 0..100 {
        if a.state != ApprovalState::Pending {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        a = second.approvals.get(id).await.unwrap().unwrap();
    }
    assert_eq!(a.state, ApprovalState::Expired, "expired on start-up");
    assert_eq!(a.outcome, Some(Outcome::Expired));
    let events = second.notifier.after(user.id, 0, 10).await.unwrap();
    assert!(matches!(
        events.last().map(|n| &n.event),
        Some(Event::ApprovalEnded {
            state: ApprovalState::Expired,
            ..
        })
    ));
    second.shutdown().await.unwrap();
}

crate::per_engine!(
    requests_that_fall_due_while_down_expire_on_start,
    expiry_while_down
);

async fn decisions_are_rate_limited(engine: DbEngine) {
    let Some(app) = TestApp::spawn_with(engine, |a| a.decisions_per_minute = 3).await else {
        return;
    };
    let hanako = sign_up(&app, "hanako_g").await;
    let id = raise(&app, user_id(&app, "hanako_g").await, false).await;
    let mut statuses = vec![];
    for _ in 0..4 {
        let res = app
            .post(
                "/api/approvals/approve/begin",
                &format!("id={id}"),
                Some(&hanako.cookie),
            )
            .await;
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(res.headers().contains_key("retry-after"));
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    app.stop().await;
}

crate::per_engine!(decisions_per_minute_are_limited, decisions_are_rate_limited);

on_both_engines!(
    practice_requests_exist_only_in_demo_mode,
    async |app: &TestApp| {
        let hanako = sign_up(app, "hanako_h").await;
        let res = app
            .post(
                "/api/approvals/practice",
                "near_atm=true&seconds=60",
                Some(&hanako.cookie),
            )
            .await;
        assert_eq!(res.status(), 404);
    }
);

on_both_engines!(a_vague_location_decides_nothing, async |app: &TestApp| {
    let mut hanako = sign_up(app, "hanako_i").await;
    let id = raise(app, user_id(app, "hanako_i").await, true).await;
    let at_station = format!("&lat={}&lon={}", SHIBUYA.lat, SHIBUYA.lon);
    // 290 m away, give or take 20 m: maybe inside 300 m, maybe not.
    let edge = format!(
        "&lat={}&lon={}",
        SHIBUYA.lat + 290.0 / 111_195.0,
        SHIBUYA.lon
    );
    for (position, case) in [
        (
            format!("{at_station}&accuracy_m=1500"),
            "vaguer than the circle",
        ),
        (format!("{edge}&accuracy_m=20"), "straddles the edge"),
        (at_station.clone(), "no accuracy at all"),
    ] {
        let ceremony = begin(app, &hanako, id).await;
        let credential = hanako.passkey.assert(&ceremony.options_json);
        let body = format!(
            "id={id}&ceremony={}&credential={}{position}",
            ceremony.id,
            urlencode(&credential)
        );
        let res = app
            .post("/api/approvals/approve/finish", &body, Some(&hanako.cookie))
            .await;
        assert_eq!(res.status(), 422, "{case}");
        let error = res.json::<AppError>().await.unwrap();
        assert!(
            matches!(&error, AppError::Invalid { field, .. } if field == "position"),
            "{case}: {error:?}"
        );
        assert_eq!(
            state_of(app, id).await.state,
            ApprovalState::Pending,
            "{case}"
        );
    }
});

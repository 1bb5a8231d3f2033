//! Remote consultations, server side: a customer asks, the request reaches
//! every clerk's inbox, one clerk takes it, the two chat (both hear each
//! line), and either ends it. Someone else's consultation does not exist
//! for a caller; each step is audited.

use crate::{
    helpers::{DbEngine, TestApp},
    people::{cookie_of, Live},
};
use shared::{
    audit::AuditPage,
    consultation::{ChatMessage, Consultation, ConsultationState, IceServer, Side},
    events::{CallSignal, Event, Inbox, Transient},
    AppError, Reason,
};
use std::time::Duration;

async fn persona(app: &TestApp, name: &str) -> String {
    let res = app
        .post(
            "/api/identity/demo-sign-in",
            &format!("persona={name}"),
            None,
        )
        .await;
    assert_eq!(res.status(), 200, "sign in as {name}");
    cookie_of(&res)
}

pub async fn call<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    path: &str,
    body: &str,
    cookie: &str,
) -> Result<T, (u16, AppError)> {
    let res = app.post(path, body, Some(cookie)).await;
    let status = res.status().as_u16();
    if status == 200 {
        Ok(res.json().await.unwrap())
    } else {
        Err((status, res.json().await.unwrap()))
    }
}

pub async fn inbox(app: &TestApp, cookie: &str) -> Vec<Event> {
    let page: Inbox = call(app, "/api/inbox/page", "", cookie).await.unwrap();
    page.items.into_iter().map(|n| n.event).collect()
}

pub fn conflict(reason: Reason) -> (u16, AppError) {
    (409, AppError::Conflict { reason })
}

async fn consultation_from_ask_to_end(engine: DbEngine) {
    let Some(app) = TestApp::spawn_with(engine, |a| {
        a.demo = true;
        a.sign_in_per_minute = 1000;
    })
    .await
    else {
        return;
    };
    let (hanako, taro, sato) = (
        persona(&app, "hanako").await,
        persona(&app, "taro").await,
        persona(&app, "sato").await,
    );

    // Asking: checked, one open at a time, not for staff.
    assert_eq!(
        call::<Consultation>(&app, "/api/consultations/ask", "topic=%20", &hanako)
            .await
            .unwrap_err(),
        (422, AppError::invalid("topic", Reason::Empty))
    );
    let asked: Consultation = call(
        &app,
        "/api/consultations/ask",
        "topic=Cash%20for%20my%20mother",
        &hanako,
    )
    .await
    .unwrap();
    assert_eq!(asked.state, ConsultationState::Waiting);
    assert_eq!(
        (asked.customer_name.as_str(), asked.topic.as_str()),
        ("Hanako Yamada", "Cash for my mother")
    );
    assert_eq!(
        call::<Consultation>(&app, "/api/consultations/ask", "topic=Again", &hanako)
            .await
            .unwrap_err(),
        conflict(Reason::ConsultationOpen)
    );
    assert_eq!(
        call::<Consultation>(&app, "/api/consultations/ask", "topic=Me", &sato)
            .await
            .unwrap_err()
            .0,
        403
    );
    let mine: Option<Consultation> = call(&app, "/api/consultations/mine", "", &hanako)
        .await
        .unwrap();
    assert_eq!(mine.map(|c| c.id), Some(asked.id));

    // Every clerk hears of it and sees it in the queue.
    assert!(inbox(&app, &sato).await.iter().any(|e| matches!(e,
        Event::ConsultationChanged { consultation } if consultation.id == asked.id
            && consultation.state == ConsultationState::Waiting)));
    let queue: Vec<Consultation> = call(&app, "/api/consultations/queue", "", &sato)
        .await
        .unwrap();
    assert_eq!(queue.first().map(|c| c.id), Some(asked.id));

    // Only one clerk takes it; the customer hears who.
    let id = format!("id={}", asked.id);
    let taken: Consultation = call(&app, "/api/consultations/take", &id, &sato)
        .await
        .unwrap();
    assert_eq!(taken.state, ConsultationState::Active);
    assert_eq!(taken.clerk_name.as_deref(), Some("Sato Kenji"));
    assert_eq!(
        call::<Consultation>(&app, "/api/consultations/take", &id, &sato)
            .await
            .unwrap_err(),
        conflict(Reason::ConsultationTaken)
    );
    assert!(inbox(&app, &hanako).await.iter().any(|e| matches!(e,
        Event::ConsultationChanged { consultation } if consultation.state == ConsultationState::Active)));

    // Chat both ways, kept in order, heard by both sides.
    let said: ChatMessage = call(
        &app,
        "/api/consultations/say",
        &format!("{id}&text=Hello%2C%20how%20can%20I%20help%3F"),
        &sato,
    )
    .await
    .unwrap();
    assert_eq!(
        (said.from, said.author.as_str()),
        (Side::Clerk, "Sato Kenji")
    );
    let reply: ChatMessage = call(
        &app,
        "/api/consultations/say",
        &format!("{id}&text=I%20need%20cash"),
        &hanako,
    )
    .await
    .unwrap();
    assert_eq!(reply.from, Side::Customer);
    for cookie in [&hanako, &sato] {
        let chat: Vec<ChatMessage> = call(&app, "/api/consultations/messages", &id, cookie)
            .await
            .unwrap();
        assert_eq!(
            chat.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
            ["Hello, how can I help?", "I need cash"]
        );
        assert!(inbox(&app, cookie).await.iter().any(|e| matches!(e,
            Event::ConsultationMessage { message } if message.id == reply.id)));
    }
    let newer: Vec<ChatMessage> = call(
        &app,
        "/api/consultations/messages",
        &format!("{id}&after={}", said.id),
        &hanako,
    )
    .await
    .unwrap();
    assert_eq!(newer.len(), 1);

    // Someone else's consultation does not exist for them.
    for path in ["/api/consultations/messages", "/api/consultations/end"] {
        assert_eq!(
            call::<serde_json::Value>(&app, path, &id, &taro)
                .await
                .unwrap_err()
                .0,
            404,
            "{path}"
        );
    }
    assert_eq!(
        call::<ChatMessage>(
            &app,
            "/api/consultations/say",
            &format!("{id}&text=hi"),
            &taro
        )
        .await
        .unwrap_err()
        .0,
        404
    );

    // Either side ends it, once; nothing more is said after.
    let ended: Consultation = call(&app, "/api/consultations/end", &id, &hanako)
        .await
        .unwrap();
    assert_eq!(
        (ended.state, ended.ended_by),
        (ConsultationState::Ended, Some(Side::Customer))
    );
    assert_eq!(
        call::<Consultation>(&app, "/api/consultations/end", &id, &sato)
            .await
            .unwrap_err(),
        conflict(Reason::ConsultationEnded)
    );
    assert_eq!(
        call::<ChatMessage>(
            &app,
            "/api/consultations/say",
            &format!("{id}&text=bye"),
            &sato
        )
        .await
        .unwrap_err(),
        conflict(Reason::ConsultationNotActive)
    );
    let none: Option<Consultation> = call(&app, "/api/consultations/mine", "", &hanako)
        .await
        .unwrap();
    assert_eq!(none, None);

    // Asked, taken and ended are in the audit trail.
    let audit: AuditPage = call(&app, "/api/audit/page", "", &sato).await.unwrap();
    let subject = format!("consultation:{}", asked.id);
    let mut actions: Vec<&str> = audit
        .entries
        .iter()
        .filter(|e| e.subject == subject)
        .map(|e| e.action.as_str())
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "consultation.asked",
            "consultation.ended",
            "consultation.taken"
        ]
    );
    app.stop().await;
}

crate::per_engine!(
    a_consultation_is_asked_taken_chatted_and_ended,
    consultation_from_ask_to_end
);

/// The video call's signalling: relayed to the other side's open pages only,
/// never kept, only between the two sides of an active consultation.
async fn call_signals_reach_the_other_side(engine: DbEngine) {
    let Some(app) = TestApp::spawn_with(engine, |a| {
        a.demo = true;
        a.sign_in_per_minute = 1000;
    })
    .await
    else {
        return;
    };
    let (hanako, taro, sato) = (
        persona(&app, "hanako").await,
        persona(&app, "taro").await,
        persona(&app, "sato").await,
    );
    let asked: Consultation = call(&app, "/api/consultations/ask", "topic=Video", &hanako)
        .await
        .unwrap();
    let signal = |body: serde_json::Value, cookie: String| {
        let app = &app;
        async move {
            app.post_json("/api/consultations/signal", &body, &cookie)
                .await
                .status()
                .as_u16()
        }
    };
    let offer = |sdp: &str| serde_json::json!({ "id": asked.id, "signal": { "kind": "offer", "sdp": sdp, "attempt": 1 } });
    // Not before a clerk has taken it.
    assert_eq!(signal(offer("v=0"), hanako.clone()).await, 409);
    let _: Consultation = call(
        &app,
        "/api/consultations/take",
        &format!("id={}", asked.id),
        &sato,
    )
    .await
    .unwrap();

    let mut customer_page = Live::open(&app.origin(), &hanako, None).await;
    let mut clerk_page = Live::open(&app.origin(), &sato, None).await;
    let kept_before = inbox(&app, &hanako).await.len();
    assert_eq!(
        signal(offer("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"), sato.clone()).await,
        200
    );
    let got = customer_page
        .next_transient(Duration::from_secs(5))
        .await
        .expect("the customer's page hears the offer");
    assert_eq!(
        got,
        Transient::CallSignal {
            consultation: asked.id,
            from: Side::Clerk,
            signal: CallSignal::Offer {
                sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n".into(),
                attempt: 1,
            },
        }
    );
    let answer = serde_json::json!({ "id": asked.id, "signal": { "kind": "answer", "sdp": "v=0", "attempt": 1 } });
    assert_eq!(signal(answer, hanako.clone()).await, 200);
    assert!(matches!(
        clerk_page.next_transient(Duration::from_secs(5)).await,
        Some(Transient::CallSignal {
            from: Side::Customer,
            signal: CallSignal::Answer { .. },
            ..
        })
    ));
    // The sender's own page hears nothing of its own signal, and nothing is kept.
    assert_eq!(
        customer_page
            .next_transient(Duration::from_millis(300))
            .await,
        None
    );
    assert_eq!(inbox(&app, &hanako).await.len(), kept_before);

    // Not for anyone else; not too big.
    assert_eq!(signal(offer("v=0"), taro.clone()).await, 404);
    assert_eq!(
        signal(offer(&"a".repeat(CallSignal::MAX_BYTES)), sato.clone()).await,
        422
    );
    let _: Consultation = call(
        &app,
        "/api/consultations/end",
        &format!("id={}", asked.id),
        &sato,
    )
    .await
    .unwrap();
    assert_eq!(signal(offer("v=0"), sato.clone()).await, 409);
    // Open live channels would hold a graceful shutdown open.
    drop((customer_page, clerk_page));
    app.stop().await;
}

crate::per_engine!(
    call_signals_are_relayed_not_kept,
    call_signals_reach_the_other_side
);

/// The STUN/TURN setting reaches signed-in browsers as it was given.
async fn ice_servers_are_served_to_the_signed_in(engine: DbEngine) {
    let Some(app) = TestApp::spawn_with(engine, |a| {
        a.demo = true;
        a.ice_servers = r#"[{"urls":["stun:stun.example.net:3478"]},
            {"urls":["turn:turn.example.net:3478"],"username":"anshin","credential":"s3cret"}]"#
            .into();
    })
    .await
    else {
        return;
    };
    let hanako = persona(&app, "hanako").await;
    let servers: Vec<IceServer> = call(&app, "/api/consultations/ice-servers", "", &hanako)
        .await
        .unwrap();
    assert_eq!(servers.len(), 2);
    assert_eq!(servers[0].urls, ["stun:stun.example.net:3478"]);
    assert_eq!(
        (
            servers[1].username.as_deref(),
            servers[1].credential.as_deref()
        ),
        (Some("anshin"), Some("s3cret"))
    );
    assert_eq!(
        app.post("/api/consultations/ice-servers", "", None)
            .await
            .status(),
        401
    );
    app.stop().await;
}

crate::per_engine!(
    the_ice_server_setting_is_served,
    ice_servers_are_served_to_the_signed_in
);

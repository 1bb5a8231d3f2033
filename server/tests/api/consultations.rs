//! Remote consultations, server side: a customer asks, the request reaches
//! every clerk's inbox, one clerk takes it, the two chat (both hear each
//! line), and either ends it. Someone else's consultation does not exist
//! for a caller; each step is audited.

use crate::{
    helpers::{DbEngine, TestApp},
    people::cookie_of,
};
use shared::{
    audit::AuditPage,
    consultation::{ChatMessage, Consultation, ConsultationState, Side},
    events::{Event, Inbox},
    AppError,
};

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

async fn call<T: serde::de::DeserializeOwned>(
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

async fn inbox(app: &TestApp, cookie: &str) -> Vec<Event> {
    let page: Inbox = call(app, "/api/inbox/page", "", cookie).await.unwrap();
    page.items.into_iter().map(|n| n.event).collect()
}

fn conflict(reason: &str) -> (u16, AppError) {
    (
        409,
        AppError::Conflict {
            reason: reason.into(),
        },
    )
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
        (422, AppError::invalid("topic", "empty"))
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
        conflict("consultation_open")
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
        conflict("consultation_taken")
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
        conflict("consultation_ended")
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
        conflict("consultation_not_active")
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

//! Withdrawals arranged in a consultation, server side: the clerk pushes a
//! form, the customer confirms with a passkey, the money moves into a
//! sub-account, and a kiosk pays it out with the number and password, with
//! this withdrawal's own fee. Five wrong passwords lock it; a passkey
//! unlocks it or sets a new password; unclaimed money goes back when it
//! expires. The password never reaches the clerk, the staff API, the
//! audit trail or the logs.

use crate::{
    cardless::{available, funded},
    consultations::{call, conflict, inbox},
    helpers::{DbEngine, TestApp},
    kiosk::kiosk_for,
    people::{cookie_of, urlencode, Person},
};
use shared::{
    consultation::Consultation,
    events::{Event, Notice},
    identity::Ceremony,
    ids::{AccountId, SubWithdrawalId},
    sub_withdrawal::{CodeReceipt, PasswordChoice, Revealed, SubWithdrawal, SubWithdrawalState},
    AppError, Reason,
};
use std::time::Duration;

pub async fn spawn(engine: DbEngine, ttl_ms: Option<i64>) -> Option<TestApp> {
    TestApp::spawn_with(engine, |a| {
        a.demo = true;
        a.sign_in_per_minute = 1000;
        if let Some(ttl) = ttl_ms {
            a.sub_account_ttl_ms = ttl;
        }
    })
    .await
}

/// Checks the ledger's invariants after a test's money moved, then stops the server.
pub async fn stop_checked(app: TestApp) {
    let report = app.ledger().check().await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    app.stop().await;
}

pub async fn raw(app: &TestApp, path: &str, body: &str, cookie: &str) -> (u16, String) {
    let res = app.post(path, body, Some(cookie)).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn staff(app: &TestApp) -> String {
    cookie_of(
        &app.post("/api/identity/demo-sign-in", "persona=sato", None)
            .await,
    )
}

/// A consultation between a funded customer and the demo clerk, taken.
pub async fn in_consultation(
    app: &TestApp,
    nickname: &str,
) -> (Person, AccountId, String, Consultation) {
    let (person, account) = funded(app, nickname, 200_000).await;
    let sato = staff(app).await;
    let asked: Consultation = call(app, "/api/consultations/ask", "topic=Cash", &person.cookie)
        .await
        .unwrap();
    let taken: Consultation = call(
        app,
        "/api/consultations/take",
        &format!("id={}", asked.id),
        &sato,
    )
    .await
    .unwrap();
    (person, account, sato, taken)
}

pub async fn push(
    app: &TestApp,
    sato: &str,
    c: &Consultation,
    suggested: Option<i64>,
) -> SubWithdrawal {
    try_push(app, sato, c, suggested).await.unwrap()
}

/// A push that may be refused, with the refusal.
pub async fn try_push(
    app: &TestApp,
    sato: &str,
    c: &Consultation,
    suggested: Option<i64>,
) -> Result<SubWithdrawal, (u16, AppError)> {
    let body = match suggested {
        Some(yen) => format!("consultation={}&suggested_yen={yen}", c.id),
        None => format!("consultation={}", c.id),
    };
    call(app, "/api/withdrawal-forms/push", &body, sato).await
}

pub async fn begin_confirm(
    app: &TestApp,
    who: &Person,
    id: SubWithdrawalId,
    account: AccountId,
    yen: i64,
) -> Result<Ceremony, (u16, AppError)> {
    call(
        app,
        "/api/withdrawal-forms/begin-confirm",
        &format!("id={id}&account={account}&yen={yen}"),
        &who.cookie,
    )
    .await
}

pub async fn confirm(
    app: &TestApp,
    who: &mut Person,
    id: SubWithdrawalId,
    ceremony: &Ceremony,
    choice: PasswordChoice,
) -> Result<Revealed, (u16, AppError)> {
    let credential = who.passkey.assert(&ceremony.options_json);
    let body = serde_json::json!({
        "id": id, "choice": choice, "ceremony": ceremony.id, "credential": credential,
    });
    let res = app
        .post_json("/api/withdrawal-forms/confirm", &body, &who.cookie)
        .await;
    let status = res.status().as_u16();
    if status == 200 {
        Ok(res.json().await.unwrap())
    } else {
        Err((status, res.json().await.unwrap()))
    }
}

/// Pushed, opened and confirmed with a passkey: a funded sub-account.
pub async fn arranged(
    app: &TestApp,
    who: &mut Person,
    account: AccountId,
    sato: &str,
    c: &Consultation,
    yen: i64,
    choice: PasswordChoice,
) -> Revealed {
    let form = push(app, sato, c, Some(yen)).await;
    let ceremony = begin_confirm(app, who, form.id, account, yen)
        .await
        .unwrap();
    confirm(app, who, form.id, &ceremony, choice).await.unwrap()
}

pub async fn withdraw(
    app: &TestApp,
    kiosk: &str,
    number: &str,
    password: &str,
) -> Result<CodeReceipt, (u16, AppError)> {
    call(
        app,
        "/api/kiosk/code",
        &format!(
            "number={}&password={}",
            urlencode(number),
            urlencode(password)
        ),
        kiosk,
    )
    .await
}

async fn from_push_to_cash(engine: DbEngine) {
    let capturing = crate::logs::capture();
    let Some(app) = spawn(engine, None).await else {
        return;
    };
    let (mut hanako, account, sato, c) = in_consultation(&app, "sw_hanako").await;

    // Only the consultation's clerk pushes, one open form at a time.
    assert_eq!(
        try_push(&app, &hanako.cookie, &c, None)
            .await
            .unwrap_err()
            .0,
        403
    );
    let form = push(&app, &sato, &c, Some(30_000)).await;
    assert_eq!(form.state, SubWithdrawalState::Pushed);
    assert_eq!(form.suggested, Some(shared::Money::jpy(30_000)));
    assert_eq!(
        try_push(&app, &sato, &c, None).await.unwrap_err(),
        conflict(Reason::FormOpen)
    );
    // The customer hears of it live (it is in their inbox) and opens it; the clerk sees that.
    assert!(inbox(&app, &hanako.cookie).await.iter().any(|e| matches!(e,
        Event::SubWithdrawalChanged { withdrawal } if withdrawal.id == form.id)));
    let opened: SubWithdrawal = call(
        &app,
        "/api/withdrawal-forms/open",
        &format!("id={}", form.id),
        &hanako.cookie,
    )
    .await
    .unwrap();
    assert_eq!(opened.state, SubWithdrawalState::Opened);

    // Amounts are checked before the passkey; so is the password policy.
    assert_eq!(
        begin_confirm(&app, &hanako, form.id, account, 30_500)
            .await
            .unwrap_err(),
        (422, AppError::invalid("amount", Reason::NotWholeThousands))
    );
    let other_tab = begin_confirm(&app, &hanako, form.id, account, 30_000)
        .await
        .unwrap();
    let ceremony = begin_confirm(&app, &hanako, form.id, account, 40_000)
        .await
        .unwrap();
    let progress: Vec<SubWithdrawal> = call(
        &app,
        "/api/withdrawal-forms/of",
        &format!("consultation={}", c.id),
        &sato,
    )
    .await
    .unwrap();
    assert_eq!(progress[0].state, SubWithdrawalState::Submitted);
    assert_eq!(progress[0].amount, Some(shared::Money::jpy(40_000)));
    // A challenge is for the amount it was issued with: one from another tab,
    // issued for ¥30,000, cannot confirm the ¥40,000 asked for since.
    assert_eq!(
        confirm(
            &app,
            &mut hanako,
            form.id,
            &other_tab,
            PasswordChoice::Generate
        )
        .await
        .unwrap_err(),
        (422, AppError::invalid("ceremony", Reason::Expired))
    );
    assert_eq!(
        confirm(
            &app,
            &mut hanako,
            form.id,
            &ceremony,
            PasswordChoice::Chosen("123456".into())
        )
        .await
        .unwrap_err(),
        (422, AppError::invalid("password", Reason::StraightRun))
    );
    let password = "407193";
    let revealed = confirm(
        &app,
        &mut hanako,
        form.id,
        &ceremony,
        PasswordChoice::Chosen(password.into()),
    )
    .await
    .unwrap();
    assert_eq!(revealed.password, password);
    let w = &revealed.withdrawal;
    let number = w.number.clone().unwrap();
    assert_eq!(number.len(), 8);
    assert_eq!(
        revealed.qr_payload,
        format!("anshin:sw:{number}:{password}")
    );
    assert_eq!(w.state, SubWithdrawalState::Ready);
    assert_eq!(w.fee, shared::Money::jpy(220));
    let day = 24 * 3600 * 1000;
    assert!((w.expires_at_ms.unwrap() - w.created_at_ms - day).abs() < 60_000);

    // The money (with the fee) moved into the customer's sub-account.
    let sub = w.sub_account.unwrap();
    assert_eq!(available(&app, account).await, 200_000 - 40_220);
    assert_eq!(available(&app, sub).await, 40_220);
    // Its money is for the code alone: no cardless withdrawal may reserve it.
    let res = crate::cardless::prepare(&app, &hanako, sub, 10_000, "from-sub").await;
    assert_eq!(res.status(), 404);
    // A confirmed form cannot be confirmed again.
    let again = begin_confirm(&app, &hanako, form.id, account, 40_000).await;
    assert_eq!(again.unwrap_err(), conflict(Reason::FormClosed));

    // Nothing the clerk or any staff API sees carries the password.
    let kiosk = kiosk_for(&app, &sato, 1).await;
    let cardless_fee =
        call::<shared::cardless::CashOverview>(&app, "/api/cardless/mine", "", &hanako.cookie)
            .await
            .unwrap()
            .fee;
    let wrong = withdraw(&app, &kiosk, &number, "902718").await;
    assert_eq!(
        wrong.unwrap_err(),
        (422, AppError::invalid("code", Reason::Unknown))
    );
    let receipt = withdraw(&app, &kiosk, &number, password).await.unwrap();
    assert_eq!(receipt.amount, shared::Money::jpy(40_000));
    assert_eq!(receipt.fee, shared::Money::jpy(220));
    assert_ne!(
        receipt.fee, cardless_fee,
        "its own fee, not the cardless one"
    );
    assert_eq!(available(&app, sub).await, 0);
    assert_eq!(
        withdraw(&app, &kiosk, &number, password).await.unwrap_err(),
        conflict(Reason::CodeUsed)
    );
    let end = format!("id={}", c.id);
    let _: Consultation = call(&app, "/api/consultations/end", &end, &sato)
        .await
        .unwrap();
    for (path, body) in [
        ("/api/withdrawal-forms/of", format!("consultation={}", c.id)),
        ("/api/consultations/queue", String::new()),
        ("/api/consultations/history", String::new()),
        ("/api/inbox/page", String::new()),
        ("/api/audit/page", String::new()),
    ] {
        let (status, text) = raw(&app, path, &body, &sato).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            !text.contains(password),
            "{path} carries the password: {text}"
        );
    }
    let history: Vec<shared::sub_withdrawal::ConsultationRecord> =
        call(&app, "/api/consultations/history", "", &sato)
            .await
            .unwrap();
    assert_eq!(history[0].consultation.id, c.id);
    assert_eq!(
        history[0].withdrawals[0].state,
        SubWithdrawalState::Dispensed
    );
    let audit = raw(&app, "/api/audit/page", "", &sato).await.1;
    for action in [
        "sub_withdrawal.pushed",
        "sub_withdrawal.confirmed",
        "sub_withdrawal.funded",
        "sub_withdrawal.dispensed",
    ] {
        assert!(audit.contains(action), "{action} audited");
    }
    app.stop().await;
    let logs = capturing.logs().text();
    assert!(logs.contains("anshin listening"), "logs were captured");
    assert!(!logs.contains(password), "the logs carry the password");
}
crate::per_engine!(
    from_push_to_cash_and_the_password_stays_with_the_customer,
    from_push_to_cash
);

async fn wrong_passwords_lock(engine: DbEngine) {
    let Some(app) = spawn(engine, None).await else {
        return;
    };
    let (mut hanako, account, sato, c) = in_consultation(&app, "sw_lock").await;
    let revealed = arranged(
        &app,
        &mut hanako,
        account,
        &sato,
        &c,
        20_000,
        PasswordChoice::Generate,
    )
    .await;
    let number = revealed.withdrawal.number.clone().unwrap();
    let id = revealed.withdrawal.id;
    assert_eq!(revealed.password.len(), 6);
    let kiosk = kiosk_for(&app, &sato, 1).await;
    let wrong = if revealed.password == "902718" {
        "902719"
    } else {
        "902718"
    };
    for _ in 0..5 {
        assert_eq!(
            withdraw(&app, &kiosk, &number, wrong).await.unwrap_err().0,
            422
        );
    }
    // Locked: even the right password is refused, and the customer is told.
    assert_eq!(
        withdraw(&app, &kiosk, &number, &revealed.password)
            .await
            .unwrap_err(),
        conflict(Reason::SubAccountLocked)
    );
    let mine: Vec<SubWithdrawal> = call(&app, "/api/withdrawal-forms/mine", "", &hanako.cookie)
        .await
        .unwrap();
    assert_eq!(
        (mine[0].state, mine[0].failed_tries),
        (SubWithdrawalState::Locked, 5)
    );
    assert!(inbox(&app, &hanako.cookie).await.iter().any(|e| matches!(e,
        Event::Notice { notice: Notice::SubAccountLocked { number: n, tries: 5, .. } } if *n == number)));

    // The clerk the customer is talking with may ask them to confirm a new password; the customer may not ask.
    let ask = format!("id={id}");
    let asked: SubWithdrawal = call(&app, "/api/withdrawal-forms/ask-new-password", &ask, &sato)
        .await
        .unwrap();
    assert_eq!(asked.state, SubWithdrawalState::Locked);
    assert!(inbox(&app, &hanako.cookie).await.iter().any(|e| matches!(e,
        Event::Notice { notice: Notice::NewPasswordAsked { number: n, .. } } if *n == number)));
    assert_eq!(
        call::<SubWithdrawal>(
            &app,
            "/api/withdrawal-forms/ask-new-password",
            &ask,
            &hanako.cookie
        )
        .await
        .unwrap_err()
        .0,
        403
    );

    // A passkey unlocks it, counting from zero again.
    let ceremony: Ceremony = call(
        &app,
        "/api/withdrawal-forms/begin-passkey",
        &format!("id={id}"),
        &hanako.cookie,
    )
    .await
    .unwrap();
    let credential = hanako.passkey.assert(&ceremony.options_json);
    let unlocked: SubWithdrawal = call(
        &app,
        "/api/withdrawal-forms/unlock",
        &format!(
            "id={id}&ceremony={}&credential={}",
            ceremony.id,
            urlencode(&credential)
        ),
        &hanako.cookie,
    )
    .await
    .unwrap();
    assert_eq!(
        (unlocked.state, unlocked.failed_tries),
        (SubWithdrawalState::Ready, 0)
    );

    // A new password (fresh passkey) replaces the old one.
    let ceremony: Ceremony = call(
        &app,
        "/api/withdrawal-forms/begin-passkey",
        &format!("id={id}"),
        &hanako.cookie,
    )
    .await
    .unwrap();
    let credential = hanako.passkey.assert(&ceremony.options_json);
    let body = serde_json::json!({
        "id": id, "choice": PasswordChoice::Chosen("5820317".into()),
        "ceremony": ceremony.id, "credential": credential,
    });
    let res = app
        .post_json("/api/withdrawal-forms/renew", &body, &hanako.cookie)
        .await;
    assert_eq!(res.status(), 200);
    let renewed: Revealed = res.json().await.unwrap();
    assert_eq!(renewed.password, "5820317");
    assert_eq!(renewed.withdrawal.number.as_deref(), Some(number.as_str()));
    if revealed.password != "5820317" {
        assert_eq!(
            withdraw(&app, &kiosk, &number, &revealed.password)
                .await
                .unwrap_err()
                .0,
            422
        );
    }
    let receipt = withdraw(&app, &kiosk, &number, "5820317").await.unwrap();
    assert_eq!(receipt.amount, shared::Money::jpy(20_000));
    // Someone else's sub-account does not exist for them.
    let (other, _) = funded(&app, "sw_other", 1_000).await;
    assert_eq!(
        call::<Ceremony>(
            &app,
            "/api/withdrawal-forms/begin-passkey",
            &format!("id={id}"),
            &other.cookie
        )
        .await
        .unwrap_err()
        .0,
        404
    );
    app.stop().await;
}
crate::per_engine!(
    five_wrong_passwords_lock_and_a_passkey_unlocks,
    wrong_passwords_lock
);

async fn unclaimed_money_returns(engine: DbEngine) {
    let Some(app) = spawn(engine, Some(1_500)).await else {
        return;
    };
    let (mut hanako, account, sato, c) = in_consultation(&app, "sw_expiry").await;
    let revealed = arranged(
        &app,
        &mut hanako,
        account,
        &sato,
        &c,
        50_000,
        PasswordChoice::Generate,
    )
    .await;
    assert_eq!(available(&app, account).await, 200_000 - 50_220);
    let mut returned = false;
    for _ in 0..100 {
        let mine: Vec<SubWithdrawal> = call(&app, "/api/withdrawal-forms/mine", "", &hanako.cookie)
            .await
            .unwrap();
        if mine[0].state == SubWithdrawalState::Returned {
            returned = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(returned, "returned within 10 s of a 1.5 s expiry");
    assert_eq!(available(&app, account).await, 200_000);
    assert_eq!(
        available(&app, revealed.withdrawal.sub_account.unwrap()).await,
        0
    );
    assert!(inbox(&app, &hanako.cookie).await.iter().any(|e| matches!(e,
        Event::Notice { notice: Notice::SubAccountReturned { returned, .. } } if returned.amount_minor > 0)));
    let kiosk = kiosk_for(&app, &sato, 1).await;
    let number = revealed.withdrawal.number.unwrap();
    assert_eq!(
        withdraw(&app, &kiosk, &number, &revealed.password)
            .await
            .unwrap_err(),
        conflict(Reason::CodeExpired)
    );
    stop_checked(app).await;
}
crate::per_engine!(
    unclaimed_money_returns_when_the_sub_account_expires,
    unclaimed_money_returns
);

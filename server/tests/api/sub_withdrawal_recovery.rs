//! Withdrawals arranged in a consultation when a request is cut off
//! mid-way: a row left in `funding` or `dispensing` is settled by the sweep
//! from the ledger (the money moves once, and a cancel or the
//! consultation's end cannot strand it), and one sub-account whose money
//! cannot go back does not hold up the others.

use crate::{
    cardless::available,
    consultations::{call, conflict, inbox},
    helpers::{DbEngine, TestApp},
    kiosk::kiosk_for,
    sub_withdrawals::{
        arranged, begin_confirm, in_consultation, push, stop_checked, try_push, withdraw,
    },
};
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHasher, SaltString},
    Argon2,
};
use shared::{
    consultation::Consultation,
    events::Event,
    ids::{AccountId, SubWithdrawalId},
    ledger::{AccountKind, IdempotencyKey, TransferCode, TransferRequest},
    money::{Currency, Money},
    sub_withdrawal::{PasswordChoice, SubWithdrawal, SubWithdrawalState},
};

/// A demo server whose own sweep waits an hour: each test runs the passes
/// itself, so it knows which pass settled what.
async fn spawn(engine: DbEngine) -> Option<TestApp> {
    TestApp::spawn_with(engine, |a| {
        a.demo = true;
        a.sign_in_per_minute = 1000;
        a.approval_sweep_ms = 3_600_000;
    })
    .await
}

async fn state_of(app: &TestApp, id: SubWithdrawalId) -> SubWithdrawalState {
    let row =
        server::sub_withdrawals::store::get(&mut app.db().pool().acquire().await.unwrap(), id)
            .await
            .unwrap()
            .unwrap();
    row.withdrawal.state
}

/// The cash the ledger says is in ATM 1's cassette, as staff see it.
async fn cash_in(app: &TestApp, staff: &str) -> i64 {
    let atms: Vec<shared::atm::Atm> = call(app, "/api/atms/list", "", staff).await.unwrap();
    atms.iter()
        .find(|a| a.id.0 == 1)
        .map(|a| a.cash.amount_minor)
        .unwrap()
}

async fn sql(app: &TestApp, statement: &str, id: SubWithdrawalId) {
    sqlx::query(statement)
        .bind(id.0)
        .execute(app.db().pool())
        .await
        .unwrap();
}

/// The row exactly as a confirming request leaves it when it stops after
/// taking the row out of the form and before the ledger answered: its own
/// sub-account, number and password hash, in flight since long ago.
async fn left_funding(
    app: &TestApp,
    id: SubWithdrawalId,
    main: AccountId,
    number: &str,
    password: &str,
) -> AccountId {
    let holder = app.ledger().holder_of(main).await.unwrap().unwrap();
    let mut account = server::ledger::NewAccount::held_by(
        &holder,
        AccountKind::WithdrawalSub,
        Currency::Jpy,
        "Withdrawal sub-account",
    );
    account.owner = Some(main);
    let sub = app.ledger().open_account(account).await.unwrap();
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
    sqlx::query(
        "UPDATE sub_withdrawals SET state = 'funding', sub_account = $2, number = $3, \
         password_hash = $4, expires_at_ms = $5, claimed_at_ms = 0 WHERE id = $1",
    )
    .bind(id.0)
    .bind(sub.0)
    .bind(number)
    .bind(hash)
    .bind(server::system::now_ms() + 3_600_000)
    .execute(app.db().pool())
    .await
    .unwrap();
    sub
}

async fn cut_off(engine: DbEngine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let (hanako, account, sato, c) = in_consultation(&app, "sw_cut_off").await;
    let form = push(&app, &sato, &c, Some(30_000)).await;
    begin_confirm(&app, &hanako, form.id, account, 30_000)
        .await
        .unwrap();
    let sub = left_funding(&app, form.id, account, "31415926", "407193").await;

    // In flight, the row is no longer a form: neither side can withdraw it,
    // and ending the consultation leaves it alone.
    let cancel = format!("id={}", form.id);
    for who in [&hanako.cookie, &sato] {
        assert_eq!(
            call::<SubWithdrawal>(&app, "/api/withdrawal-forms/cancel", &cancel, who)
                .await
                .unwrap_err(),
            conflict("form_closed")
        );
    }
    let end = format!("id={}", c.id);
    let _: Consultation = call(&app, "/api/consultations/end", &end, &hanako.cookie)
        .await
        .unwrap();
    assert_eq!(state_of(&app, form.id).await, SubWithdrawalState::Funding);
    assert_eq!(available(&app, account).await, 200_000);

    // The sweep finishes the funding the customer confirmed, and tells them
    // how to get the password they may not have seen.
    assert!(app.sub_withdrawals().settle_due().await.unwrap() >= 1);
    assert_eq!(state_of(&app, form.id).await, SubWithdrawalState::Ready);
    assert_eq!(available(&app, account).await, 200_000 - 30_220);
    assert_eq!(available(&app, sub).await, 30_220);
    assert!(inbox(&app, &hanako.cookie).await.iter().any(|e| matches!(e,
        Event::Notice { text } if text.contains("get a new one with your passkey"))));
    // The bell counts the notice, not the form's progress events.
    let page: shared::events::Inbox = call(&app, "/api/inbox/page", "", &hanako.cookie)
        .await
        .unwrap();
    let progress =
        |n: &&shared::events::Notification| matches!(n.event, Event::SubWithdrawalChanged { .. });
    assert!(page.items.iter().filter(progress).count() >= 3);
    assert!(page.items.iter().filter(progress).all(|n| n.read));
    assert_eq!(
        page.unread,
        page.items.iter().filter(|n| !n.read).count() as i64
    );
    assert!(page.unread >= 1, "the notice is unread");
    // A second pass moves nothing again.
    app.sub_withdrawals().settle_due().await.unwrap();
    assert_eq!(available(&app, account).await, 200_000 - 30_220);

    // A kiosk cut off after taking the row but before any money moved: no
    // other ATM may take it meanwhile, and the sweep makes it ready again.
    sql(
        &app,
        "UPDATE sub_withdrawals SET state = 'dispensing', claimed_at_ms = 0 WHERE id = $1",
        form.id,
    )
    .await;
    let kiosk = kiosk_for(&app, &sato, 1).await;
    let other: shared::atm::AtmEnrollment =
        crate::atms::register(&app, &sato, "Shinjuku West", 1_000_000)
            .await
            .json()
            .await
            .unwrap();
    let other = kiosk_for(&app, &sato, other.atm.id.0).await;
    assert_eq!(
        withdraw(&app, &other, "31415926", "407193")
            .await
            .unwrap_err(),
        conflict("code_used"),
        "another kiosk cannot take a row in flight"
    );
    assert!(app.sub_withdrawals().settle_due().await.unwrap() >= 1);
    assert_eq!(state_of(&app, form.id).await, SubWithdrawalState::Ready);
    assert_eq!(available(&app, sub).await, 30_220);

    let receipt = withdraw(&app, &kiosk, "31415926", "407193").await.unwrap();
    assert_eq!(receipt.amount, Money::jpy(30_000));
    assert_eq!(available(&app, sub).await, 0);
    let cassette = cash_in(&app, &sato).await;

    // The ATM paid in the ledger but never heard back, so it gave out no
    // cash: the same ATM finishes that payout, moving nothing twice.
    let in_flight = "UPDATE sub_withdrawals SET state = 'dispensing', claimed_at_ms = $2, \
                     ended_at_ms = NULL WHERE id = $1";
    let cut_at = |at: i64| {
        sqlx::query(in_flight)
            .bind(form.id.0)
            .bind(at)
            .execute(app.db().pool())
    };
    cut_at(server::system::now_ms()).await.unwrap();
    assert_eq!(
        withdraw(&app, &other, "31415926", "407193")
            .await
            .unwrap_err(),
        conflict("code_used")
    );
    let again = withdraw(&app, &kiosk, "31415926", "407193").await.unwrap();
    assert_eq!(again.amount, Money::jpy(30_000));
    assert_eq!(state_of(&app, form.id).await, SubWithdrawalState::Dispensed);
    assert_eq!(available(&app, sub).await, 0);
    assert_eq!(cash_in(&app, &sato).await, cassette);

    // Had it walked away instead, the sweep puts the payout back (cash to
    // the sub-account, the fee too), and the next payout is a new attempt.
    cut_at(0).await.unwrap();
    assert!(app.sub_withdrawals().settle_due().await.unwrap() >= 1);
    assert_eq!(state_of(&app, form.id).await, SubWithdrawalState::Ready);
    assert_eq!(available(&app, sub).await, 30_220);
    assert_eq!(cash_in(&app, &sato).await, cassette + 30_000);
    withdraw(&app, &kiosk, "31415926", "407193").await.unwrap();
    assert_eq!(state_of(&app, form.id).await, SubWithdrawalState::Dispensed);
    assert_eq!(available(&app, sub).await, 0);
    assert_eq!(cash_in(&app, &sato).await, cassette);
    assert_eq!(available(&app, account).await, 200_000 - 30_220);

    stop_checked(app).await;
}
crate::per_engine!(
    a_withdrawal_cut_off_in_flight_is_settled_from_the_ledger,
    cut_off
);

async fn stuck_return(engine: DbEngine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let (mut hanako, account, sato, c) = in_consultation(&app, "sw_stuck").await;
    let mut subs = Vec::new();
    for yen in [10_000, 20_000] {
        let revealed = arranged(
            &app,
            &mut hanako,
            account,
            &sato,
            &c,
            yen,
            PasswordChoice::Generate,
        )
        .await;
        subs.push(revealed.withdrawal);
    }
    assert_eq!(available(&app, account).await, 200_000 - 30_440);
    // The first sub-account's money is gone by some other way, so it cannot
    // be returned; both expire.
    let first = subs[0].sub_account.unwrap();
    app.ledger()
        .transfer(
            "test",
            &IdempotencyKey::parse("drain-first").unwrap(),
            TransferRequest::Single {
                debit: first,
                credit: account,
                amount: Money::jpy(10_220),
                code: TransferCode::SubAccountReturn,
                reference: "Drained by the test".into(),
            },
        )
        .await
        .unwrap();
    for w in &subs {
        sql(
            &app,
            "UPDATE sub_withdrawals SET expires_at_ms = 0 WHERE id = $1",
            w.id,
        )
        .await;
    }

    // The first cannot be settled; the pass goes on to the second.
    assert_eq!(app.sub_withdrawals().settle_due().await.unwrap(), 1);
    assert_eq!(state_of(&app, subs[0].id).await, SubWithdrawalState::Ready);
    assert_eq!(
        state_of(&app, subs[1].id).await,
        SubWithdrawalState::Returned
    );
    assert_eq!(available(&app, account).await, 200_000);
    assert_eq!(available(&app, subs[1].sub_account.unwrap()).await, 0);

    // And a form cannot be pushed into a consultation that has ended.
    let end = format!("id={}", c.id);
    let _: Consultation = call(&app, "/api/consultations/end", &end, &sato)
        .await
        .unwrap();
    assert_eq!(
        try_push(&app, &sato, &c, None).await.unwrap_err(),
        conflict("consultation_not_active")
    );
    stop_checked(app).await;
}
crate::per_engine!(
    one_sub_account_that_cannot_be_returned_does_not_hold_up_the_rest,
    stuck_return
);

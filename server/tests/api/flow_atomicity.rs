//! A flow's row and its money commit together: when the ledger refuses the
//! money, or the row's own write fails after the money moved, neither
//! stands (so no flow needs in-flight states to repair a half-done step);
//! and one sub-account whose money cannot go back does not hold up the
//! others.

use crate::{
    cardless::available,
    consultations::{call, conflict},
    helpers::{DbEngine, TestApp},
    kiosk::kiosk_for,
    sub_withdrawals::{
        arranged, begin_confirm, confirm, in_consultation, push, stop_checked, try_push, withdraw,
    },
};
use shared::{
    consultation::Consultation,
    ids::{AccountId, SubWithdrawalId},
    ledger::{AccountKind, IdempotencyKey, TransferCode, TransferRequest},
    money::{Currency, Money},
    sub_withdrawal::{PasswordChoice, SubWithdrawalState},
    Reason,
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

/// Moves `yen` out of `account` by another way, as if it were spent meanwhile.
async fn spend(app: &TestApp, account: AccountId, yen: i64, key: &str) {
    let elsewhere = app
        .ledger()
        .open_account(server::ledger::NewAccount::platform(
            AccountKind::Funding,
            Currency::Jpy,
            "spent elsewhere",
        ))
        .await
        .unwrap();
    app.ledger()
        .transfer(
            "test",
            &IdempotencyKey::parse(key).unwrap(),
            TransferRequest::Single {
                debit: account,
                credit: elsewhere,
                amount: Money::jpy(yen),
                code: TransferCode::Withdrawal,
                reference: "Spent elsewhere".into(),
            },
        )
        .await
        .unwrap();
}

/// The holder's withdrawal sub-accounts, whatever their rows say.
async fn subs_of(app: &TestApp, main: AccountId) -> Vec<AccountId> {
    let holder = app.ledger().holder_of(main).await.unwrap().unwrap();
    app.ledger()
        .accounts_of(&holder)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == AccountKind::WithdrawalSub)
        .map(|a| a.id)
        .collect()
}

async fn refused_funding(engine: DbEngine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let (mut hanako, account, sato, c) = in_consultation(&app, "sw_refused").await;
    let form = push(&app, &sato, &c, Some(30_000)).await;
    let ceremony = begin_confirm(&app, &hanako, form.id, account, 30_000)
        .await
        .unwrap();
    // The money goes elsewhere between the form and the passkey.
    spend(&app, account, 190_000, "spend-first").await;
    let refused = confirm(
        &app,
        &mut hanako,
        form.id,
        &ceremony,
        PasswordChoice::Generate,
    )
    .await
    .unwrap_err();
    assert_eq!(
        refused,
        (
            422,
            shared::AppError::invalid("amount", Reason::InsufficientFunds)
        )
    );
    // Nothing of the confirmation stands: no sub-account, no number, the
    // form as it was, and the money where it was.
    let row =
        server::sub_withdrawals::store::get(&mut app.db().pool().acquire().await.unwrap(), form.id)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(row.withdrawal.state, SubWithdrawalState::Submitted);
    assert_eq!(
        (row.withdrawal.sub_account, row.withdrawal.number),
        (None, None)
    );
    assert!(row.password_hash.is_none());
    assert!(
        subs_of(&app, account).await.is_empty(),
        "no sub-account opened"
    );
    assert_eq!(available(&app, account).await, 10_000);

    // With the money back, the same form confirms, and its money moves once.
    crate::cardless::top_up(&app, account, 190_000, "top-up").await;
    let ceremony = begin_confirm(&app, &hanako, form.id, account, 30_000)
        .await
        .unwrap();
    let revealed = confirm(
        &app,
        &mut hanako,
        form.id,
        &ceremony,
        PasswordChoice::Generate,
    )
    .await
    .unwrap();
    assert_eq!(revealed.withdrawal.state, SubWithdrawalState::Ready);
    assert_eq!(
        subs_of(&app, account).await,
        vec![revealed.withdrawal.sub_account.unwrap()]
    );
    assert_eq!(available(&app, account).await, 200_000 - 30_220);
    assert_eq!(
        available(&app, revealed.withdrawal.sub_account.unwrap()).await,
        30_220
    );
    stop_checked(app).await;
}
crate::per_engine!(
    a_refused_funding_leaves_the_form_and_opens_no_sub_account,
    refused_funding
);

async fn refused_payout(engine: DbEngine) {
    let Some(app) = spawn(engine).await else {
        return;
    };
    let (mut hanako, account, sato, c) = in_consultation(&app, "sw_payout").await;
    let revealed = arranged(
        &app,
        &mut hanako,
        account,
        &sato,
        &c,
        30_000,
        PasswordChoice::Generate,
    )
    .await;
    let (sub, number) = (
        revealed.withdrawal.sub_account.unwrap(),
        revealed.withdrawal.number.clone().unwrap(),
    );
    let kiosk = kiosk_for(&app, &sato, 1).await;
    let cassette = cash_in(&app, &sato).await;
    // The sub-account's money is gone by some other way: the ledger refuses
    // the payout, and the row, which would say dispensed, stays ready.
    spend(&app, sub, 30_220, "drain-sub").await;
    assert_eq!(
        withdraw(&app, &kiosk, &number, &revealed.password)
            .await
            .unwrap_err(),
        (
            422,
            shared::AppError::invalid("amount", Reason::InsufficientFunds)
        )
    );
    assert_eq!(
        state_of(&app, revealed.withdrawal.id).await,
        SubWithdrawalState::Ready
    );
    assert_eq!(
        cash_in(&app, &sato).await,
        cassette,
        "no cash left the cassette"
    );
    crate::cardless::top_up(&app, sub, 30_220, "refill-sub").await;
    withdraw(&app, &kiosk, &number, &revealed.password)
        .await
        .unwrap();
    assert_eq!(
        state_of(&app, revealed.withdrawal.id).await,
        SubWithdrawalState::Dispensed
    );
    assert_eq!(cash_in(&app, &sato).await, cassette - 30_000);
    assert_eq!(available(&app, sub).await, 0);
    stop_checked(app).await;
}
crate::per_engine!(
    a_payout_the_ledger_refuses_leaves_the_row_ready,
    refused_payout
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

    // The first cannot be returned; the pass goes on to the second.
    assert_eq!(app.sub_withdrawals().return_expired().await.unwrap(), 1);
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
        conflict(Reason::ConsultationNotActive)
    );
    stop_checked(app).await;
}
crate::per_engine!(
    one_sub_account_that_cannot_be_returned_does_not_hold_up_the_rest,
    stuck_return
);

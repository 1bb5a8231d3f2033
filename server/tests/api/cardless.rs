//! Preparing cardless withdrawals on the phone: the amount is reserved at
//! once, limits hold, a retried request reserves once, and cancel or expiry
//! releases the money.

use crate::{
    helpers::{DbEngine, TestApp},
    on_both_engines,
    people::{sign_up, Person},
};
use shared::{
    cardless::{CashOverview, Prepared, Withdrawal, WithdrawalState},
    ids::{AccountId, WithdrawalId},
    ledger::{AccountKind, IdempotencyKey, TransferCode, TransferRequest},
    money::{Currency, Money},
    AppError, Reason,
};
use std::time::Duration;

/// The first account of the person with this nickname.
pub async fn account_of(app: &TestApp, nickname: &str) -> AccountId {
    let user = server::identity::store::user_by_nickname(app.db(), nickname)
        .await
        .unwrap()
        .unwrap();
    app.ledger()
        .accounts_of(&server::identity::holder(user.id))
        .await
        .unwrap()[0]
        .id
}

/// A signed-up customer with `yen` in their account.
pub async fn funded(app: &TestApp, nickname: &str, yen: i64) -> (Person, AccountId) {
    let person = sign_up(app, nickname).await;
    let account = account_of(app, nickname).await;
    if yen > 0 {
        top_up(app, account, yen, &format!("fund-{nickname}")).await;
    }
    (person, account)
}

/// Pays `yen` into `account` from a funding account of the test's own.
pub async fn top_up(app: &TestApp, account: AccountId, yen: i64, key: &str) {
    let funding = app
        .ledger()
        .open_account(server::ledger::NewAccount::platform(
            AccountKind::Funding,
            Currency::Jpy,
            "test funding",
        ))
        .await
        .unwrap();
    let request = TransferRequest::Single {
        debit: funding,
        credit: account,
        amount: Money::jpy(yen),
        code: TransferCode::Deposit,
        reference: "salary".into(),
    };
    let key = IdempotencyKey::parse(key).unwrap();
    app.ledger().transfer("test", &key, request).await.unwrap();
}

pub async fn prepare(
    app: &TestApp,
    who: &Person,
    account: AccountId,
    yen: i64,
    key: &str,
) -> reqwest::Response {
    app.post(
        "/api/cardless/prepare",
        &format!("account={account}&yen={yen}&key={key}"),
        Some(&who.cookie),
    )
    .await
}

pub async fn cancel(app: &TestApp, who: &Person, id: WithdrawalId) -> reqwest::Response {
    app.post(
        "/api/cardless/cancel",
        &format!("id={id}"),
        Some(&who.cookie),
    )
    .await
}

pub async fn available(app: &TestApp, account: AccountId) -> i64 {
    app.ledger()
        .balance(account)
        .await
        .unwrap()
        .available()
        .amount_minor
}

on_both_engines!(
    preparing_reserves_the_amount_and_cancel_releases_it,
    async |app: &TestApp| {
        let (hanako, account) = funded(app, "cw_hanako", 300_000).await;
        let res = prepare(app, &hanako, account, 30_000, "k1").await;
        assert_eq!(res.status(), 200);
        let first: Prepared = res.json().await.unwrap();
        let w = &first.withdrawal;
        assert_eq!(
            (w.amount, w.state),
            (Money::jpy(30_000), WithdrawalState::Ready)
        );
        assert!(w.expires_at_ms - w.created_at_ms == 600_000);
        assert!(first.qr_payload.starts_with("anshin:cw:"));
        assert_eq!(
            first.qr_payload.len(),
            "anshin:cw:".len() + 43,
            "256-bit token"
        );
        let (number, pin) = first.short_code.split_once('-').unwrap();
        assert_eq!(number, w.id.to_string());
        assert_eq!(pin.len(), 6);
        assert_eq!(w.fee, Money::jpy(110));
        assert_eq!(
            available(app, account).await,
            300_000 - 30_110,
            "reserved at once, with the fee"
        );

        // The page retries (its first answer was lost): the same reservation, new codes.
        let again: Prepared = prepare(app, &hanako, account, 30_000, "k1")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(again.withdrawal.id, w.id);
        assert_ne!(again.qr_payload, first.qr_payload);
        assert_eq!(
            available(app, account).await,
            300_000 - 30_110,
            "reserved once"
        );

        let listed: CashOverview = app
            .post("/api/cardless/mine", "", Some(&hanako.cookie))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed.recent.len(), 1);
        assert_eq!(
            (listed.fee, listed.left_today),
            (Money::jpy(110), Money::jpy(1_000_000 - 30_000)),
            "the fee does not count against the daily limit"
        );

        let res = cancel(app, &hanako, w.id).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.json::<Withdrawal>().await.unwrap().state,
            WithdrawalState::Cancelled
        );
        assert_eq!(available(app, account).await, 300_000, "released");
        let res = cancel(app, &hanako, w.id).await;
        assert_eq!(res.status(), 409, "cancelled once");

        // The stored codes are hashes: neither the token nor the digits appear.
        let token = first
            .qr_payload
            .trim_start_matches("anshin:cw:")
            .to_string();
        let row = sqlx::query("SELECT token_hash, pin_hash FROM cardless_withdrawals")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        let (token_hash, pin_hash): (String, String) = (
            sqlx::Row::try_get(&row, 0).unwrap(),
            sqlx::Row::try_get(&row, 1).unwrap(),
        );
        assert!(!token_hash.contains(&token));
        assert!(pin_hash.starts_with("$argon2id$"));
        let report = app.ledger().check().await.unwrap();
        assert!(report.violations.is_empty(), "{:?}", report.violations);
    }
);

on_both_engines!(
    amounts_accounts_and_limits_are_checked,
    async |app: &TestApp| {
        let (hanako, account) = funded(app, "cw_limits", 2_000_000).await;
        let (other, _) = funded(app, "cw_other", 1_000).await;
        let cases = [
            (1_500, "not_whole_thousands"),
            (0, "not_positive"),
            (501_000, "over_withdrawal_limit"),
        ];
        for (yen, reason) in cases {
            let res = prepare(app, &hanako, account, yen, &format!("bad{yen}")).await;
            assert_eq!(res.status(), 422, "{yen}");
            assert_eq!(
                res.json::<AppError>().await.unwrap(),
                AppError::invalid("amount", Reason::parse(reason).unwrap())
            );
        }
        // Someone else's account does not exist for the caller.
        assert_eq!(
            prepare(app, &other, account, 10_000, "steal")
                .await
                .status(),
            404
        );
        let res = app
            .post(
                "/api/cardless/prepare",
                &format!("account={account}&yen=1000&key=a"),
                None,
            )
            .await;
        assert_eq!(res.status(), 401);
        // Not more than the account holds.
        let (poor, poor_account) = funded(app, "cw_poor", 5_000).await;
        let res = prepare(app, &poor, poor_account, 10_000, "too-much").await;
        assert_eq!(res.status(), 422);

        // ¥1,000,000 a day: two of ¥500,000, then nothing more.
        for i in 0..2 {
            assert_eq!(
                prepare(app, &hanako, account, 500_000, &format!("day{i}"))
                    .await
                    .status(),
                200
            );
        }
        let res = prepare(app, &hanako, account, 1_000, "day2").await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.json::<AppError>().await.unwrap(),
            AppError::invalid("amount", Reason::OverDailyLimit)
        );
        let overview: CashOverview = app
            .post("/api/cardless/mine", "", Some(&hanako.cookie))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(overview.left_today, Money::jpy(0));
    }
);

on_both_engines!(
    the_daily_limit_holds_when_withdrawals_are_prepared_at_once,
    async |app: &TestApp| {
        let (hanako, account) = funded(app, "cw_race", 3_000_000).await;
        // Five at once, ¥300,000 each, against ¥1,000,000 a day: three fit.
        let keys: Vec<String> = (0..5).map(|i| format!("race{i}")).collect();
        let attempts = keys
            .iter()
            .map(|k| prepare(app, &hanako, account, 300_000, k));
        let statuses: Vec<u16> = futures::future::join_all(attempts)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            3,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 422).count(),
            2,
            "{statuses:?}"
        );
        // The refused ones reserve nothing.
        assert_eq!(
            available(app, account).await,
            3_000_000 - 3 * 300_110,
            "only the three are reserved"
        );
        let report = app.ledger().check().await.unwrap();
        assert!(report.violations.is_empty(), "{:?}", report.violations);
    }
);

async fn expiry_releases(engine: DbEngine) {
    let Some(app) = TestApp::spawn_with(engine, |a| {
        a.cardless_ttl_ms = 1_000;
        a.approval_sweep_ms = 50;
    })
    .await
    else {
        return;
    };
    let (hanako, account) = funded(&app, "cw_expiry", 100_000).await;
    let prepared: Prepared = prepare(&app, &hanako, account, 20_000, "soon")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(available(&app, account).await, 100_000 - 20_110);
    let mut state = WithdrawalState::Ready;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let listed: CashOverview = app
            .post("/api/cardless/mine", "", Some(&hanako.cookie))
            .await
            .json()
            .await
            .unwrap();
        state = listed.recent[0].state;
        if state != WithdrawalState::Ready {
            break;
        }
    }
    assert_eq!(state, WithdrawalState::Expired);
    assert_eq!(
        available(&app, account).await,
        100_000,
        "the reservation is released"
    );
    let res = cancel(&app, &hanako, prepared.withdrawal.id).await;
    assert_eq!(res.status(), 409);
    app.stop().await;
}

crate::per_engine!(
    an_unused_code_expires_and_releases_the_money,
    expiry_releases
);

on_both_engines!(
    a_replay_near_the_daily_limit_answers_the_first_withdrawal,
    async |app: &TestApp| {
        let (hanako, account) = funded(app, "cw_replay", 2_000_000).await;
        for (yen, key) in [(500_000, "first"), (400_000, "second")] {
            assert_eq!(prepare(app, &hanako, account, yen, key).await.status(), 200);
        }
        // The page lost the second answer and asks again: ¥900,000 of today's
        // ¥1,000,000 are used, counting this very withdrawal, yet the replay
        // is the first request, not a new one over the limit.
        let again = prepare(app, &hanako, account, 400_000, "second").await;
        assert_eq!(again.status(), 200);
        let again: Prepared = again.json().await.unwrap();
        assert_eq!(again.withdrawal.amount, Money::jpy(400_000));
        // A new request over the limit is still refused.
        let over = prepare(app, &hanako, account, 200_000, "third").await;
        assert_eq!(
            over.json::<AppError>().await.unwrap(),
            AppError::invalid("amount", Reason::OverDailyLimit)
        );
        assert_eq!(available(app, account).await, 2_000_000 - 900_220);
    }
);

on_both_engines!(
    no_client_key_names_another_requests_key,
    async |app: &TestApp| {
        let (hanako, account) = funded(app, "cw_keys", 100_000).await;
        // Once, a key ending in ":undo" spelled the undo key of the key before it.
        let first: Prepared = prepare(app, &hanako, account, 10_000, "abc")
            .await
            .json()
            .await
            .unwrap();
        let second: Prepared = prepare(app, &hanako, account, 20_000, "abc:undo")
            .await
            .json()
            .await
            .unwrap();
        assert_ne!(first.withdrawal.id, second.withdrawal.id);
        assert_eq!(second.withdrawal.amount, Money::jpy(20_000));
        assert_eq!(available(app, account).await, 100_000 - 30_220);
    }
);

/// Makes every `op` (INSERT or UPDATE) on cardless withdrawals fail, as a
/// crash or a database error between the money and the row would.
async fn break_rows(app: &TestApp, op: &str) {
    let statements: Vec<String> = match app.db().engine() {
        DbEngine::Sqlite => vec![format!(
            "CREATE TRIGGER broken BEFORE {op} ON cardless_withdrawals \
             BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        )],
        DbEngine::Postgres => vec![
            "CREATE OR REPLACE FUNCTION broken() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql"
                .into(),
            format!(
                "CREATE TRIGGER broken BEFORE {op} ON cardless_withdrawals \
                 FOR EACH ROW EXECUTE FUNCTION broken()"
            ),
        ],
    };
    ddl(app, &statements).await;
}

/// Schema changes on a connection of their own, opened for them: a pooled
/// connection may still see the schema of an earlier snapshot (SQLite),
/// and then finds a dropped trigger still there.
async fn ddl(app: &TestApp, statements: &[String]) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(app.db_url()).await.unwrap();
    for sql in statements {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
}

async fn mend_rows(app: &TestApp) {
    let sql = match app.db().engine() {
        DbEngine::Sqlite => "DROP TRIGGER broken",
        DbEngine::Postgres => "DROP TRIGGER broken ON cardless_withdrawals",
    };
    ddl(app, &[sql.to_string()]).await;
}

async fn pending_on(app: &TestApp, account: AccountId) -> i64 {
    app.ledger().balance(account).await.unwrap().debits_pending
}

on_both_engines!(
    a_row_that_cannot_be_written_takes_its_money_movement_with_it,
    async |app: &TestApp| {
        let (hanako, account) = funded(app, "cw_fault", 300_000).await;
        // The row's insert fails after the hold: no money stays held without a withdrawal.
        break_rows(app, "INSERT").await;
        let res = prepare(app, &hanako, account, 30_000, "k1").await;
        assert_eq!(res.status(), 500);
        assert_eq!(available(app, account).await, 300_000);
        assert_eq!(pending_on(app, account).await, 0);
        mend_rows(app).await;
        // The page retries with the same key: one withdrawal, reserved once.
        let w: Prepared = prepare(app, &hanako, account, 30_000, "k1")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(pending_on(app, account).await, 30_110);

        // The row's update fails after the release: the withdrawal stays open with its money held.
        break_rows(app, "UPDATE").await;
        let res = cancel(app, &hanako, w.withdrawal.id).await;
        assert_eq!(res.status(), 500);
        let listed: CashOverview = app
            .post("/api/cardless/mine", "", Some(&hanako.cookie))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed.recent[0].state, WithdrawalState::Ready);
        assert_eq!(pending_on(app, account).await, 30_110);
        mend_rows(app).await;
        let res = cancel(app, &hanako, w.withdrawal.id).await;
        assert_eq!(res.status(), 200);
        assert_eq!(pending_on(app, account).await, 0);
        assert_eq!(available(app, account).await, 300_000);
        let report = app.ledger().check().await.unwrap();
        assert!(report.violations.is_empty(), "{:?}", report.violations);
    }
);

/// Clients preparing, replaying and cancelling at once, two of them as one
/// person: every answer is an answer (never a 5xx: no deadlock, no "database
/// is locked"), and what they leave adds up.
async fn busy(engine: DbEngine) {
    let Some(app) = TestApp::spawn_with(engine, |a| a.sign_in_per_minute = 1000).await else {
        return;
    };
    const PEOPLE: usize = 6;
    const ROUNDS: usize = 15;
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        people.push(funded(&app, &format!("cw_busy{i}"), 1_000_000).await);
    }
    let app = &app;
    let clients = (0..PEOPLE + 2).map(|c| {
        // Clients 6 and 7 are the first two people again, on a second phone.
        let (who, account) = &people[c % PEOPLE];
        async move {
            let mut statuses = Vec::new();
            for round in 0..ROUNDS {
                let key = format!("c{c}r{round}");
                let first = prepare(app, who, *account, 10_000, &key).await;
                statuses.push(first.status().as_u16());
                let replay = prepare(app, who, *account, 10_000, &key).await;
                statuses.push(replay.status().as_u16());
                if let Ok(p) = replay.json::<Prepared>().await {
                    let res = cancel(app, who, p.withdrawal.id).await;
                    statuses.push(res.status().as_u16());
                }
            }
            statuses
        }
    });
    let statuses: Vec<u16> = futures::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 200),
        "every request answered 200: {:?}",
        statuses.iter().filter(|s| **s != 200).collect::<Vec<_>>()
    );
    assert_eq!(statuses.len(), (PEOPLE + 2) * ROUNDS * 3);
    for (_, account) in &people {
        assert_eq!(available(app, *account).await, 1_000_000, "all released");
    }
    let report = app.ledger().check().await.unwrap();
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    assert!(matches!(
        server::audit::verify(app.db().pool()).await.unwrap(),
        server::audit::Verdict::Ok { .. }
    ));
}
crate::per_engine!(many_clients_at_once_never_get_a_server_error, busy);

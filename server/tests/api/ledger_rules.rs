//! Ledger rules through the real service on both engines: moving money,
//! holds, linked groups, idempotency, and every kind of bad input refused
//! with a typed error and nothing written.

use crate::{helpers::TestApp, on_both_engines};
use server::ledger::{Ledger, LedgerError, NewAccount, MAX_AMOUNT_MINOR};
use shared::{
    ids::{AccountId, TransferId},
    ledger::{
        AccountKind, IdempotencyKey, TransferCode, TransferKind, TransferRequest, TransferState,
    },
    money::{Currency, Money},
};
use std::time::Duration;

pub fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::parse(k).unwrap()
}

pub fn single(debit: AccountId, credit: AccountId, yen: i64) -> TransferRequest {
    TransferRequest::Single {
        debit,
        credit,
        amount: Money::jpy(yen),
        code: TransferCode::Transfer,
        reference: "test".into(),
    }
}

pub fn hold(debit: AccountId, credit: AccountId, yen: i64, timeout_ms: i64) -> TransferRequest {
    TransferRequest::Pending {
        debit,
        credit,
        amount: Money::jpy(yen),
        code: TransferCode::Withdrawal,
        reference: "hold".into(),
        timeout_ms,
    }
}

/// Opens one of the platform's own accounts.
pub async fn open(
    ledger: &Ledger,
    kind: AccountKind,
    currency: Currency,
    label: &str,
) -> AccountId {
    ledger
        .open_account(NewAccount::platform(kind, currency, label))
        .await
        .unwrap()
}

/// A funding account, two customers with `yen` each, and an ATM with `cash` yen.
pub struct Fixture {
    pub ledger: Ledger,
    pub funding: AccountId,
    pub alice: AccountId,
    pub bob: AccountId,
    pub atm: AccountId,
}

pub async fn fixture(app: &TestApp, yen: i64, cash: i64) -> Fixture {
    let ledger = app.ledger().clone();
    let funding = open(&ledger, AccountKind::Funding, Currency::Jpy, "funding").await;
    let alice = open(&ledger, AccountKind::CustomerMain, Currency::Jpy, "alice").await;
    let bob = open(&ledger, AccountKind::CustomerMain, Currency::Jpy, "bob").await;
    let atm = open(&ledger, AccountKind::AtmCassette, Currency::Jpy, "atm").await;
    for (i, to) in [alice, bob].into_iter().enumerate() {
        ledger
            .transfer("t", &key(&format!("fund-{i}")), single(funding, to, yen))
            .await
            .unwrap();
    }
    if cash > 0 {
        // Cash put into the ATM: the cassette (an asset) is debited.
        ledger
            .transfer("t", &key("refill"), single(atm, funding, cash))
            .await
            .unwrap();
    }
    Fixture {
        ledger,
        funding,
        alice,
        bob,
        atm,
    }
}

async fn posted(l: &Ledger, a: AccountId) -> i64 {
    l.balance(a).await.unwrap().posted().amount_minor
}

async fn available(l: &Ledger, a: AccountId) -> i64 {
    l.balance(a).await.unwrap().available().amount_minor
}

async fn assert_ok(l: &Ledger) {
    let report = l.check().await.unwrap();
    assert!(report.is_ok(), "{report}");
}

on_both_engines!(single_transfer_moves_money, async |app: &TestApp| {
    let f = fixture(app, 10_000, 0).await;
    let t = f
        .ledger
        .transfer("t", &key("a"), single(f.alice, f.bob, 2_500))
        .await
        .unwrap();
    assert_eq!(
        (t.kind, t.state),
        (TransferKind::Single, TransferState::Posted)
    );
    assert_eq!(posted(&f.ledger, f.alice).await, 7_500);
    assert_eq!(posted(&f.ledger, f.bob).await, 12_500);
    assert_eq!(
        f.ledger.transfer_by_id(t.id).await.unwrap(),
        Some(t.clone())
    );
    assert_eq!(
        f.ledger.transfer_by_key("t", &key("a")).await.unwrap(),
        Some(t)
    );
    assert_ok(&f.ledger).await;
});

on_both_engines!(
    bad_input_is_refused_and_nothing_is_written,
    async |app: &TestApp| {
        let f = fixture(app, 10_000, 5_000).await;
        let usd = open(&f.ledger, AccountKind::CustomerMain, Currency::Usd, "usd").await;
        let before = f.ledger.check().await.unwrap();
        let cases: Vec<(TransferRequest, &str)> = vec![
            (single(f.alice, f.bob, 0), "amount_not_positive"),
            (single(f.alice, f.bob, -5), "amount_not_positive"),
            (
                single(f.alice, f.bob, MAX_AMOUNT_MINOR + 1),
                "amount_too_large",
            ),
            (single(f.alice, f.alice, 1), "same_account"),
            (single(f.alice, AccountId(999_999), 1), "unknown_account"),
            (single(f.alice, usd, 1), "currency_mismatch"),
            (single(f.alice, f.bob, 10_001), "insufficient_funds"),
            // The ATM holds ¥5,000: it cannot hand out ¥5,001.
            (single(f.alice, f.atm, 5_001), "insufficient_cash"),
            (hold(f.alice, f.bob, 100, 0), "bad_timeout"),
            (
                TransferRequest::PostPending {
                    pending_id: TransferId(999_999),
                    amount: None,
                },
                "unknown_transfer",
            ),
        ];
        for (i, (request, expected)) in cases.into_iter().enumerate() {
            let err = f
                .ledger
                .transfer("t", &key(&format!("bad-{i}")), request.clone())
                .await
                .unwrap_err();
            assert_eq!(
                err.reason().as_str(),
                expected,
                "case {i}: {request:?} gave {err:?}"
            );
            assert!(f
                .ledger
                .transfer_by_key("t", &key(&format!("bad-{i}")))
                .await
                .unwrap()
                .is_none());
        }
        // Typed errors name the account that ran short.
        let err = f
            .ledger
            .transfer("t", &key("short"), single(f.alice, f.atm, 5_001))
            .await
            .unwrap_err();
        assert!(
            matches!(err, LedgerError::InsufficientCash(a) if a == f.atm),
            "{err:?}"
        );
        let mut long = single(f.alice, f.bob, 1);
        if let TransferRequest::Single { reference, .. } = &mut long {
            *reference = "x".repeat(201);
        }
        let err = f
            .ledger
            .transfer("t", &key("long"), long)
            .await
            .unwrap_err();
        assert!(
            matches!(err, LedgerError::ReferenceTooLong { .. }),
            "{err:?}"
        );
        assert_eq!(
            f.ledger.check().await.unwrap(),
            before,
            "a refused request wrote something"
        );
    }
);

on_both_engines!(
    holds_reserve_then_post_in_part_or_void,
    async |app: &TestApp| {
        let f = fixture(app, 10_000, 50_000).await;
        let h = f
            .ledger
            .transfer("t", &key("h1"), hold(f.alice, f.atm, 6_000, 60_000))
            .await
            .unwrap();
        assert_eq!(h.state, TransferState::Pending);
        assert_eq!(posted(&f.ledger, f.alice).await, 10_000);
        assert_eq!(available(&f.ledger, f.alice).await, 4_000);
        // The reservation counts: no second ¥6,000 while it stands.
        let err = f
            .ledger
            .transfer("t", &key("too-much"), single(f.alice, f.bob, 4_001))
            .await
            .unwrap_err();
        assert!(matches!(err, LedgerError::InsufficientFunds(_)), "{err:?}");

        let over = TransferRequest::PostPending {
            pending_id: h.id,
            amount: Some(Money::jpy(6_001)),
        };
        let err = f
            .ledger
            .transfer("t", &key("over"), over)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                LedgerError::ExceedsHold {
                    requested: 6_001,
                    held: 6_000
                }
            ),
            "{err:?}"
        );

        let part = TransferRequest::PostPending {
            pending_id: h.id,
            amount: Some(Money::jpy(5_000)),
        };
        let p = f.ledger.transfer("t", &key("post"), part).await.unwrap();
        assert_eq!(
            (p.kind, p.amount, p.pending_id),
            (TransferKind::PostPending, Money::jpy(5_000), Some(h.id))
        );
        assert_eq!(posted(&f.ledger, f.alice).await, 5_000);
        assert_eq!(
            available(&f.ledger, f.alice).await,
            5_000,
            "the unposted ¥1,000 is released"
        );
        assert_eq!(
            f.ledger.balance(f.atm).await.unwrap().posted().amount_minor,
            45_000
        );

        let again = TransferRequest::VoidPending { pending_id: h.id };
        let err = f
            .ledger
            .transfer("t", &key("void-posted"), again)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                LedgerError::HoldNotPending {
                    state: TransferState::Posted,
                    ..
                }
            ),
            "{err:?}"
        );

        let h2 = f
            .ledger
            .transfer("t", &key("h2"), hold(f.alice, f.atm, 3_000, 60_000))
            .await
            .unwrap();
        f.ledger
            .transfer(
                "t",
                &key("void"),
                TransferRequest::VoidPending { pending_id: h2.id },
            )
            .await
            .unwrap();
        assert_eq!(available(&f.ledger, f.alice).await, 5_000);
        let post_voided = TransferRequest::PostPending {
            pending_id: h2.id,
            amount: None,
        };
        let err = f
            .ledger
            .transfer("t", &key("post-voided"), post_voided)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                LedgerError::HoldNotPending {
                    state: TransferState::Voided,
                    ..
                }
            ),
            "{err:?}"
        );
        let not_hold = TransferRequest::VoidPending { pending_id: p.id };
        let err = f
            .ledger
            .transfer("t", &key("not-hold"), not_hold)
            .await
            .unwrap_err();
        assert!(matches!(err, LedgerError::NotAHold(_)), "{err:?}");
        assert_ok(&f.ledger).await;
    }
);

on_both_engines!(
    expired_holds_release_and_cannot_be_posted,
    async |app: &TestApp| {
        let f = fixture(app, 10_000, 0).await;
        let h = f
            .ledger
            .transfer("t", &key("h"), hold(f.alice, f.bob, 7_000, 150))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let late = TransferRequest::PostPending {
            pending_id: h.id,
            amount: None,
        };
        let err = f
            .ledger
            .transfer("t", &key("late"), late)
            .await
            .unwrap_err();
        assert!(matches!(err, LedgerError::HoldExpired(_)), "{err:?}");
        assert_eq!(f.ledger.expire_due().await.unwrap(), 1);
        assert_eq!(f.ledger.expire_due().await.unwrap(), 0);
        let h = f.ledger.transfer_by_id(h.id).await.unwrap().unwrap();
        assert_eq!(h.state, TransferState::Expired);
        assert_eq!(available(&f.ledger, f.alice).await, 10_000);
        assert_ok(&f.ledger).await;
    }
);

on_both_engines!(
    linked_transfers_commit_together_or_not_at_all,
    async |app: &TestApp| {
        let f = fixture(app, 10_000, 0).await;
        let fees = open(&f.ledger, AccountKind::FeeIncome, Currency::Jpy, "fees").await;
        // ¥9,900 plus a ¥110 fee is more than ¥10,000: neither may happen.
        let err = f
            .ledger
            .transfer_linked(
                "t",
                vec![
                    (key("w1"), single(f.alice, f.bob, 9_900)),
                    (key("fee1"), single(f.alice, fees, 110)),
                ],
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, LedgerError::LinkedFailed { index: 1, cause } if matches!(**cause, LedgerError::InsufficientFunds(_))),
            "{err:?}"
        );
        assert_eq!(posted(&f.ledger, f.alice).await, 10_000);
        assert!(f
            .ledger
            .transfer_by_key("t", &key("w1"))
            .await
            .unwrap()
            .is_none());

        let done = f
            .ledger
            .transfer_linked(
                "t",
                vec![
                    (key("w2"), single(f.alice, f.bob, 9_000)),
                    (key("fee2"), single(f.alice, fees, 110)),
                ],
            )
            .await
            .unwrap();
        assert_eq!(done.len(), 2);
        assert_eq!(posted(&f.ledger, f.alice).await, 890);
        assert_eq!(posted(&f.ledger, fees).await, 110);
        assert_ok(&f.ledger).await;
    }
);

on_both_engines!(
    replays_return_the_first_result_and_reuse_is_a_conflict,
    async |app: &TestApp| {
        let f = fixture(app, 10_000, 0).await;
        let first = f
            .ledger
            .transfer("caller-a", &key("k"), single(f.alice, f.bob, 1_000))
            .await
            .unwrap();
        let replay = f
            .ledger
            .transfer("caller-a", &key("k"), single(f.alice, f.bob, 1_000))
            .await
            .unwrap();
        assert_eq!(first, replay);
        assert_eq!(
            posted(&f.ledger, f.alice).await,
            9_000,
            "a replay moves nothing"
        );
        let err = f
            .ledger
            .transfer("caller-a", &key("k"), single(f.alice, f.bob, 1_001))
            .await
            .unwrap_err();
        assert!(matches!(err, LedgerError::IdempotencyConflict), "{err:?}");
        // Keys are per caller: another caller's "k" is a different request.
        let other = f
            .ledger
            .transfer("caller-b", &key("k"), single(f.alice, f.bob, 1_000))
            .await
            .unwrap();
        assert_ne!(other.id, first.id);
        assert_eq!(posted(&f.ledger, f.alice).await, 8_000);
        // A refused request can be retried with its key once it would succeed.
        let err = f
            .ledger
            .transfer("caller-a", &key("retry"), single(f.bob, f.alice, 50_000))
            .await
            .unwrap_err();
        assert!(matches!(err, LedgerError::InsufficientFunds(_)), "{err:?}");
        f.ledger
            .transfer("t", &key("topup"), single(f.funding, f.bob, 50_000))
            .await
            .unwrap();
        f.ledger
            .transfer("caller-a", &key("retry"), single(f.bob, f.alice, 50_000))
            .await
            .unwrap();
        assert_ok(&f.ledger).await;
    }
);

on_both_engines!(
    statements_page_newest_first_without_gaps,
    async |app: &TestApp| {
        let f = fixture(app, 100_000, 0).await;
        for i in 0..24 {
            f.ledger
                .transfer("t", &key(&format!("s{i}")), single(f.alice, f.bob, 100 + i))
                .await
                .unwrap();
        }
        let mut seen = Vec::new();
        let mut before = None;
        let mut pages = 0;
        loop {
            let page = f.ledger.statement(f.alice, before, 10).await.unwrap();
            pages += 1;
            seen.extend(
                page.lines
                    .iter()
                    .map(|l| (l.transfer.id, l.signed_amount.amount_minor)),
            );
            match page.next {
                Some(n) => before = Some(n),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), 25, "24 payments and the funding deposit");
        assert!(
            seen.windows(2).all(|w| w[0].0 > w[1].0),
            "newest first, no repeats"
        );
        assert_eq!(seen[0].1, -123);
        assert_eq!(seen[24].1, 100_000);
    }
);

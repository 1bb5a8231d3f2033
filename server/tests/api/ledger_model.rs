//! Property test: random sequences of ledger operations, run one by one on
//! a fresh SQLite database, must give exactly the results of a small
//! in-memory model of the rules, and end with the same balances.

use crate::helpers::{DbEngine, TestDb};
use proptest::prelude::*;
use server::{
    ledger::{Ledger, LedgerError, NewAccount, MAX_AMOUNT_MINOR},
    startup::open_database,
};
use shared::{
    ids::{AccountId, TransferId},
    ledger::{AccountKind, BalanceRule, IdempotencyKey, TransferCode, TransferRequest},
    money::{Currency, Money},
};

/// Accounts: 0 = funding, 1..=3 customers, 4 = ATM, 5 = an id that does not exist.
const ACCOUNTS: usize = 6;

#[derive(Debug, Clone)]
enum Step {
    Single { d: usize, c: usize, amount: i64 },
    Hold { d: usize, c: usize, amount: i64 },
    Post { hold: usize, amount: Option<i64> },
    Void { hold: usize },
    Replay { step: usize, change: bool },
}

fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => 1i64..40_000,
        1 => Just(0i64),
        1 => -5i64..0,
        1 => Just(MAX_AMOUNT_MINOR + 1),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let acct = 0..ACCOUNTS;
    prop_oneof![
        4 => (acct.clone(), acct.clone(), amount()).prop_map(|(d, c, amount)| Step::Single { d, c, amount }),
        2 => (acct.clone(), acct, amount()).prop_map(|(d, c, amount)| Step::Hold { d, c, amount }),
        2 => (0usize..8, proptest::option::of(amount())).prop_map(|(hold, amount)| Step::Post { hold, amount }),
        1 => (0usize..8).prop_map(|hold| Step::Void { hold }),
        1 => (0usize..40, any::<bool>()).prop_map(|(step, change)| Step::Replay { step, change }),
    ]
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Sums {
    dp: i64,
    cp: i64,
    dq: i64,
    cq: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HoldState {
    Pending,
    Done,
}

/// The rules, written plainly.
struct Model {
    rules: Vec<BalanceRule>,
    sums: Vec<Sums>,
    holds: Vec<(usize, usize, i64, HoldState)>,
}

impl Model {
    fn fits(&self, i: usize, s: Sums) -> bool {
        match self.rules[i] {
            BalanceRule::DebitsWithinCredits => s.dp + s.dq <= s.cp,
            BalanceRule::CreditsWithinDebits => s.cp + s.cq <= s.dp,
            BalanceRule::Unlimited => true,
        }
    }

    /// Applies a movement, or says which error the ledger must give.
    fn movement(&mut self, d: usize, c: usize, a: i64, pending: bool) -> Result<(), &'static str> {
        if a <= 0 {
            return Err("amount_not_positive");
        }
        if a > MAX_AMOUNT_MINOR {
            return Err("amount_too_large");
        }
        if d == c {
            return Err("same_account");
        }
        let (mut sd, mut sc) = (self.sums[d], self.sums[c]);
        if pending {
            sd.dq += a;
            sc.cq += a;
        } else {
            sd.dp += a;
            sc.cp += a;
        }
        // The debit side is checked in full before the credit side.
        for (i, s) in [(d, sd), (c, sc)] {
            if i == 5 {
                return Err("unknown_account");
            }
            if !self.fits(i, s) {
                return Err(match self.rules[i] {
                    BalanceRule::CreditsWithinDebits => "insufficient_cash",
                    _ => "insufficient_funds",
                });
            }
        }
        self.sums[d] = sd;
        self.sums[c] = sc;
        Ok(())
    }

    fn settle(&mut self, h: usize, post: Option<Option<i64>>) -> Result<(), &'static str> {
        let Some(&(d, c, held, state)) = self.holds.get(h) else {
            return Err("skip");
        };
        if state != HoldState::Pending {
            return Err("hold_not_pending");
        }
        let posted = match post {
            None => 0,
            Some(None) => held,
            Some(Some(a)) if a <= 0 => return Err("amount_not_positive"),
            Some(Some(a)) if a > MAX_AMOUNT_MINOR => return Err("amount_too_large"),
            Some(Some(a)) if a > held => return Err("exceeds_hold"),
            Some(Some(a)) => a,
        };
        self.sums[d].dq -= held;
        self.sums[d].dp += posted;
        self.sums[c].cq -= held;
        self.sums[c].cp += posted;
        self.holds[h].3 = HoldState::Done;
        Ok(())
    }
}

fn reason(e: &LedgerError) -> &'static str {
    e.reason().as_str()
}

async fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let db_handle = TestDb::new(DbEngine::Sqlite).await.unwrap();
    let db = open_database(&db_handle.url).await.unwrap();
    let ledger = Ledger::start(db.clone(), None);
    let kinds = [
        AccountKind::Funding,
        AccountKind::CustomerMain,
        AccountKind::CustomerMain,
        AccountKind::CustomerMain,
        AccountKind::AtmCassette,
    ];
    let mut ids = Vec::new();
    for (i, kind) in kinds.into_iter().enumerate() {
        ids.push(
            ledger
                .open_account(NewAccount::platform(kind, Currency::Jpy, &format!("a{i}")))
                .await
                .unwrap(),
        );
    }
    ids.push(AccountId(9_999_999));
    let mut model = Model {
        rules: kinds
            .iter()
            .map(|k| k.rule())
            .chain([BalanceRule::Unlimited])
            .collect(),
        sums: vec![Sums::default(); ACCOUNTS],
        holds: Vec::new(),
    };
    let mut hold_ids: Vec<TransferId> = Vec::new();
    let mut sent: Vec<(IdempotencyKey, TransferRequest, TransferId)> = Vec::new();
    for (n, step) in steps.into_iter().enumerate() {
        let key = IdempotencyKey::parse(&format!("k{n}")).unwrap();
        let (request, expected) = match step {
            Step::Single { d, c, amount } => (
                TransferRequest::Single {
                    debit: ids[d],
                    credit: ids[c],
                    amount: Money::jpy(amount),
                    code: TransferCode::Transfer,
                    reference: String::new(),
                },
                model.movement(d, c, amount, false),
            ),
            Step::Hold { d, c, amount } => {
                let r = model.movement(d, c, amount, true);
                if r.is_ok() {
                    model.holds.push((d, c, amount, HoldState::Pending));
                }
                (
                    TransferRequest::Pending {
                        debit: ids[d],
                        credit: ids[c],
                        amount: Money::jpy(amount),
                        code: TransferCode::Withdrawal,
                        reference: String::new(),
                        timeout_ms: 3_600_000,
                    },
                    r,
                )
            }
            Step::Post { hold, amount } => {
                let Some(&pending_id) = hold_ids.get(hold) else {
                    continue;
                };
                (
                    TransferRequest::PostPending {
                        pending_id,
                        amount: amount.map(Money::jpy),
                    },
                    model.settle(hold, Some(amount)),
                )
            }
            Step::Void { hold } => {
                let Some(&pending_id) = hold_ids.get(hold) else {
                    continue;
                };
                (
                    TransferRequest::VoidPending { pending_id },
                    model.settle(hold, None),
                )
            }
            Step::Replay { step, change } => {
                let Some((old_key, old_request, old_id)) = sent.get(step).cloned() else {
                    continue;
                };
                let request = if change {
                    TransferRequest::VoidPending {
                        pending_id: TransferId(old_id.0 + 1_000_000),
                    }
                } else {
                    old_request
                };
                let got = ledger.transfer("model", &old_key, request).await;
                match (change, got) {
                    (false, Ok(t)) => prop_assert_eq!(t.id, old_id),
                    (true, Err(LedgerError::IdempotencyConflict)) => {}
                    (_, other) => {
                        prop_assert!(false, "replay {step} (change={change}) gave {other:?}")
                    }
                }
                continue;
            }
        };
        let got = ledger.transfer("model", &key, request.clone()).await;
        match (&expected, &got) {
            (Ok(()), Ok(t)) => {
                if matches!(request, TransferRequest::Pending { .. }) {
                    hold_ids.push(t.id);
                }
                sent.push((key, request, t.id));
            }
            (Err(want), Err(e)) => prop_assert_eq!(*want, reason(e), "step {}: {:?}", n, request),
            _ => prop_assert!(
                false,
                "step {n}: model says {expected:?}, ledger says {got:?} for {request:?}"
            ),
        }
    }
    for (i, id) in ids.iter().enumerate().take(ACCOUNTS - 1) {
        let b = ledger.balance(*id).await.unwrap();
        let s = model.sums[i];
        prop_assert_eq!(
            (
                b.debits_posted,
                b.credits_posted,
                b.debits_pending,
                b.credits_pending
            ),
            (s.dp, s.cp, s.dq, s.cq),
            "account {}",
            i
        );
    }
    let report = ledger.check().await.unwrap();
    prop_assert!(report.is_ok(), "{}", report);
    db.close().await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn ledger_matches_the_model(steps in proptest::collection::vec(step(), 1..60)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(steps))?;
    }
}

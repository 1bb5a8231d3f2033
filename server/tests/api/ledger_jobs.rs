//! The flow job itself, as the next flows will use it: its money and its
//! own writes commit together, a check that fails after the money moved
//! takes the money back with it, a replay of its key is told apart from a
//! first run, and it may touch only what it declared.

use crate::{helpers::TestApp, on_both_engines};
use async_trait::async_trait;
use server::{
    error::Error,
    ledger::{Flow, FlowJob, Key, LedgerError, Locks, NewAccount, Purpose, Work},
};
use shared::{
    ids::AccountId,
    ledger::{AccountKind, TransferCode, TransferRequest},
    money::{Currency, Money},
    AppError, Reason,
};

const TEST_FLOW: Flow = Flow::new("test_flow");

/// Moves `yen` from `from` to `to` under `subject`'s key, writes a setting
/// row as the flow's own write, then refuses if `refuse_after` says so.
#[derive(Debug)]
struct MoveAndNote {
    from: AccountId,
    to: AccountId,
    declared: AccountId,
    yen: i64,
    subject: i64,
    refuse_after: bool,
}

#[async_trait]
impl FlowJob for MoveAndNote {
    /// Whether the transfer was new (not a replay of the key).
    type Output = bool;

    fn locks(&self) -> Locks {
        Locks::new().account(self.from).account(self.declared)
    }

    async fn run(&self, w: &mut Work<'_>) -> Result<bool, Error> {
        let request = TransferRequest::Single {
            debit: self.from,
            credit: self.to,
            amount: Money::jpy(self.yen),
            code: TransferCode::Transfer,
            reference: "flow job test".into(),
        };
        let moved = w
            .transfer(&Key::of(TEST_FLOW, Purpose::Fund, self.subject), request)
            .await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at_ms) VALUES ($1, 'x', 0) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(format!("flow-job-{}", self.subject))
        .execute(w.unit.conn())
        .await?;
        if self.refuse_after {
            return Err(Error::conflict(Reason::FormClosed));
        }
        Ok(moved.fresh)
    }
}

async fn account(app: &TestApp, label: &str) -> AccountId {
    app.ledger()
        .open_account(NewAccount::platform(
            AccountKind::Funding,
            Currency::Jpy,
            label,
        ))
        .await
        .unwrap()
}

async fn noted(app: &TestApp, subject: i64) -> bool {
    sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(format!("flow-job-{subject}"))
        .fetch_optional(app.db().pool())
        .await
        .unwrap()
        .is_some()
}

async fn posted(app: &TestApp, id: AccountId) -> i64 {
    app.ledger().balance(id).await.unwrap().credits_posted
}

on_both_engines!(
    a_flow_job_commits_its_money_and_its_rows_together,
    async |app: &TestApp| {
        let (from, to) = (account(app, "from").await, account(app, "to").await);
        let job = |subject, refuse_after| MoveAndNote {
            from,
            to,
            declared: to,
            yen: 1_000,
            subject,
            refuse_after,
        };
        // A check that fails after the money moved refuses the whole job.
        let refused = app.ledger().run("test", job(1, true)).await.unwrap_err();
        assert!(matches!(
            refused,
            Error::App(AppError::Conflict {
                reason: Reason::FormClosed
            })
        ));
        assert_eq!((posted(app, to).await, noted(app, 1).await), (0, false));
        // Its key was never used: the same job, now passing, runs fresh.
        assert!(app.ledger().run("test", job(1, false)).await.unwrap());
        assert_eq!((posted(app, to).await, noted(app, 1).await), (1_000, true));
        // A replay answers the first transfer and moves nothing again.
        assert!(!app.ledger().run("test", job(1, false)).await.unwrap());
        assert_eq!(posted(app, to).await, 1_000);

        // A job may not touch an account it did not declare.
        let other = account(app, "undeclared").await;
        let undeclared = MoveAndNote {
            declared: other,
            ..job(2, false)
        };
        let err = app.ledger().run("test", undeclared).await.unwrap_err();
        assert!(
            matches!(err, Error::Ledger(LedgerError::Database(_))),
            "{err:?}"
        );
        assert_eq!((posted(app, to).await, noted(app, 2).await), (1_000, false));

        let report = app.ledger().check().await.unwrap();
        assert!(report.violations.is_empty(), "{:?}", report.violations);
    }
);

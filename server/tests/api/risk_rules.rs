//! The staff's risk rules (F3): the built-in version until staff save one,
//! a dry run of a draft over the facts past transfers were assessed on,
//! checks that refuse a bad draft by its field, versions saved with who and
//! why (audited), two staff saving at once, and the next transfer assessed
//! by the version just saved.

use crate::{
    cardless::funded,
    helpers::{answer, TestApp},
    on_both_engines,
    transfers::{form, ledger_ok, number, review, send, staff},
};
use serde_json::json;
use shared::{
    transfer::{
        risk::{Decision, ReasonKind, Rules},
        rules::{DryRun, RulesPage, RulesVersion},
        send::Purpose,
    },
    AppError, Reason,
};

/// A JSON server function (the rules hold lists of pairs).
async fn json_call<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    path: &str,
    body: serde_json::Value,
    cookie: &str,
) -> Result<T, AppError> {
    answer(app.post_json(path, &body, cookie).await).await
}

async fn page(app: &TestApp, cookie: &str) -> Result<RulesPage, AppError> {
    answer(app.post("/api/staff/risk-rules", "", Some(cookie)).await).await
}

async fn dry_run(
    app: &TestApp,
    cookie: &str,
    draft: &Rules,
    days: u32,
) -> Result<DryRun, AppError> {
    let body = json!({ "draft": draft, "days": days });
    json_call(app, "/api/staff/risk-rules/dry-run", body, cookie).await
}

async fn save(
    app: &TestApp,
    cookie: &str,
    draft: &Rules,
    based_on: u32,
    note: &str,
) -> Result<RulesVersion, AppError> {
    let body = json!({ "draft": draft, "based_on": based_on, "note": note });
    json_call(app, "/api/staff/risk-rules/save", body, cookie).await
}

/// The built-in rules, with "no history" leading to a hold whatever the score.
fn strangers_held() -> Rules {
    let mut r = Rules::default();
    r.floors.push((ReasonKind::NoHistory, Decision::Hold));
    r
}

on_both_engines!(
    a_saved_version_is_dry_run_first_audited_and_assesses_the_next_transfer,
    async |app: &TestApp| {
        let sato = staff(app).await;
        let first = page(app, &sato).await.unwrap();
        assert_eq!(first.current.version, 0);
        assert_eq!(first.current.rules, Rules::default());
        assert_eq!(first.history.len(), 1);

        // A transfer under the built-in rules: a stranger is warned about.
        let (mut ann, from) = funded(app, "rr_ann", 100_000).await;
        let (_bo, to) = funded(app, "rr_bo", 0).await;
        let f = form(from, &number(to), 10_000, "rr_bo", "r1");
        let sent = send(app, &mut ann, &f, Some(Purpose::GoodsOrServices))
            .await
            .unwrap();
        assert_eq!(sent.assessment.decision, Decision::Warn);
        assert_eq!(sent.assessment.rules_version, 0);

        // The draft over that transfer, as it was assessed: it would be held.
        let run = dry_run(app, &sato, &strangers_held(), 7).await.unwrap();
        assert_eq!((run.days, run.transfers, run.capped), (7, 1, false));
        assert_eq!((run.in_force.warn, run.draft.hold), (1, 1));
        assert_eq!((run.stricter, run.looser), (1, 0));
        // The built-in rules against themselves change nothing.
        let same = dry_run(app, &sato, &Rules::default(), 7).await.unwrap();
        assert_eq!((same.stricter, same.looser), (0, 0));

        // A bad draft is refused by its field and saves nothing.
        let bad = Rules {
            hold_from: 40,
            ..Rules::default()
        };
        assert_eq!(
            save(app, &sato, &bad, 0, "lower holds").await,
            Err(AppError::invalid("hold_from", Reason::OutOfOrder))
        );
        let bad = Rules {
            trust_days: 0,
            ..Rules::default()
        };
        assert_eq!(
            dry_run(app, &sato, &bad, 7).await,
            Err(AppError::invalid("trust_days", Reason::OutOfRange))
        );
        assert_eq!(
            dry_run(app, &sato, &Rules::default(), 0).await,
            Err(AppError::invalid("days", Reason::OutOfRange))
        );
        assert_eq!(
            save(app, &sato, &strangers_held(), 0, "   ").await,
            Err(AppError::invalid("note", Reason::EmptyOrTooLong))
        );
        assert_eq!(page(app, &sato).await.unwrap().current.version, 0);

        // Customers may neither read nor change the rules.
        assert_eq!(page(app, &ann.cookie).await, Err(AppError::Forbidden));
        assert_eq!(
            save(app, &ann.cookie, &strangers_held(), 0, "mine").await,
            Err(AppError::Forbidden)
        );

        let saved = save(
            app,
            &sato,
            &strangers_held(),
            0,
            "Hold first payments to strangers",
        )
        .await
        .unwrap();
        assert_eq!(saved.version, 1);
        assert_eq!(saved.author, "f3_kimura");
        assert_eq!(saved.note, "Hold first payments to strangers");
        assert!(saved
            .rules
            .floors
            .contains(&(ReasonKind::NoHistory, Decision::Hold)));
        // A draft built on the version before is now stale.
        assert_eq!(
            save(app, &sato, &Rules::default(), 0, "undo").await,
            Err(AppError::Conflict {
                reason: Reason::RulesChanged
            })
        );
        let now = page(app, &sato).await.unwrap();
        assert_eq!(now.current.version, 1);
        let versions: Vec<u32> = now.history.iter().map(|v| v.version).collect();
        assert_eq!(versions, vec![1, 0]);

        // The change is in the audit chain with who made it and what it was.
        let (actor, detail): (String, String) = sqlx::query_as(
            "SELECT actor, detail FROM audit_log WHERE action = 'risk.rules.saved' AND subject = 'risk_rules:1'",
        )
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        assert!(actor.starts_with("user:"), "{actor}");
        let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
        assert_eq!(detail["based_on"], 0);
        assert_eq!(detail["note"], "Hold first payments to strangers");
        assert_eq!(detail["rules"]["hold_from"], 75);

        // The next transfer to a stranger is assessed by version 1: held.
        let (_cy, other) = funded(app, "rr_cy", 0).await;
        let f = form(from, &number(other), 10_000, "rr_cy", "r2");
        let reviewed = review(app, &ann, &f).await.unwrap();
        assert_eq!(reviewed.assessment.decision, Decision::Hold);
        assert_eq!(reviewed.assessment.rules_version, 1);
        let verdict = server::audit::verify(app.db().pool()).await.unwrap();
        assert!(
            matches!(verdict, server::audit::Verdict::Ok { .. }),
            "{verdict}"
        );
        ledger_ok(app).await;
    }
);

on_both_engines!(
    two_staff_saving_at_once_make_one_version_and_one_conflict,
    async |app: &TestApp| {
        let sato = staff(app).await;
        let a = Rules {
            warn_from: 20,
            ..Rules::default()
        };
        let b = Rules {
            warn_from: 30,
            ..Rules::default()
        };
        let (one, two) = tokio::join!(
            save(app, &sato, &a, 0, "warn earlier"),
            save(app, &sato, &b, 0, "warn later"),
        );
        let outcomes = [one, two];
        let saved: Vec<&RulesVersion> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        assert_eq!(saved.len(), 1, "{outcomes:?}");
        assert!(outcomes.contains(&Err(AppError::Conflict {
            reason: Reason::RulesChanged
        })));
        let now = page(app, &sato).await.unwrap();
        assert_eq!(now.current.version, 1);
        assert_eq!(now.current.rules.warn_from, saved[0].rules.warn_from);
        let audited: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'risk.rules.saved'")
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        assert_eq!(audited, 1);
    }
);

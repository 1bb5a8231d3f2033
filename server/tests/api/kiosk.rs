//! A cardless withdrawal at the ATM, server side: the kiosk scans the QR
//! payload or the typed short code; the phone is asked to confirm near the
//! ATM; on approval the kiosk dispenses and the ledger shows it. Used,
//! declined, unknown codes and an ATM short of cash each end as they should.

use crate::{
    cardless::{funded, prepare},
    helpers::{DbEngine, TestApp},
    people::{cookie_of, urlencode, Person},
};
use shared::{
    atm::AtmEnrollment,
    cardless::{KioskStep, KioskWithdrawal, Prepared},
    events::{Event, Inbox, Notice},
    identity::Ceremony,
    ids::ApprovalId,
    ledger::AccountKind,
    AppError, Money, Reason,
};

pub(crate) async fn staff(app: &TestApp) -> String {
    cookie_of(
        &app.post("/api/identity/demo-sign-in", "persona=sato", None)
            .await,
    )
}

/// A kiosk enrolled as ATM `id` (staff issue a fresh code for it).
pub async fn kiosk_for(app: &TestApp, sato: &str, id: i64) -> String {
    let code: AtmEnrollment = app
        .post("/api/atms/reissue", &format!("id={id}"), Some(sato))
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .post("/api/kiosk/enroll", &format!("code={}", code.code), None)
        .await;
    assert_eq!(res.status(), 200);
    cookie_of(&res)
}

pub(crate) async fn scan(app: &TestApp, kiosk: &str, code: &str) -> reqwest::Response {
    app.post(
        "/api/kiosk/scan",
        &format!("code={}", urlencode(code)),
        Some(kiosk),
    )
    .await
}

pub(crate) async fn progress(
    app: &TestApp,
    kiosk: &str,
    id: shared::ids::WithdrawalId,
) -> KioskStep {
    let res = app
        .post("/api/kiosk/progress", &format!("id={id}"), Some(kiosk))
        .await;
    assert_eq!(res.status(), 200);
    res.json::<KioskWithdrawal>().await.unwrap().step
}

pub(crate) async fn approve_near_shibuya(app: &TestApp, who: &mut Person, approval: i64) -> u16 {
    let res = app
        .post(
            "/api/approvals/approve/begin",
            &format!("id={approval}"),
            Some(&who.cookie),
        )
        .await;
    let ceremony: Ceremony = res.json().await.unwrap();
    let credential = who.passkey.assert(&ceremony.options_json);
    let body = format!(
        "id={approval}&ceremony={}&credential={}&lat=35.6585&lon=139.7016&accuracy_m=15",
        ceremony.id,
        urlencode(&credential)
    );
    app.post("/api/approvals/approve/finish", &body, Some(&who.cookie))
        .await
        .status()
        .as_u16()
}

async fn latest_approval(app: &TestApp, who: &Person) -> i64 {
    let inbox: Inbox = app
        .post("/api/inbox/page", "", Some(&who.cookie))
        .await
        .json()
        .await
        .unwrap();
    inbox
        .items
        .iter()
        .find_map(|n| match &n.event {
            Event::ApprovalRequested {
                approval,
                requester,
                request,
                ..
            } => {
                assert_eq!(requester, "Shibuya Station ATM");
                // The event carries the whole request, fee and place included.
                let request = request.as_ref().expect("the request rides with its event");
                assert_eq!(request.id, *approval);
                assert_eq!(request.context.fee, Some(Money::jpy(110)));
                assert_eq!(
                    request.context.place.as_ref().map(|p| p.name.as_str()),
                    Some("Shibuya Station")
                );
                Some(approval.0)
            }
            _ => None,
        })
        .expect("the phone was asked")
}

async fn at_the_atm(engine: DbEngine) {
    let Some(app) = TestApp::spawn_with(engine, |a| {
        a.demo = true;
        a.sign_in_per_minute = 1000;
    })
    .await
    else {
        return;
    };
    let sato = staff(&app).await;
    let kiosk = kiosk_for(&app, &sato, 1).await;
    let (mut hanako, account) = funded(&app, "kiosk_hanako", 200_000).await;

    // Scanned by QR: the phone is asked; the code cannot be used again.
    let p: Prepared = prepare(&app, &hanako, account, 30_000, "w1")
        .await
        .json()
        .await
        .unwrap();
    let res = scan(&app, &kiosk, &p.qr_payload).await;
    assert_eq!(res.status(), 200);
    let at_atm: KioskWithdrawal = res.json().await.unwrap();
    assert!(matches!(at_atm.step, KioskStep::AwaitingPhone { .. }));
    let res = scan(&app, &kiosk, &p.qr_payload).await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.json::<AppError>().await.unwrap(),
        AppError::Conflict {
            reason: Reason::CodeUsed
        }
    );
    assert!(matches!(
        progress(&app, &kiosk, at_atm.id).await,
        KioskStep::AwaitingPhone { .. }
    ));

    // Confirmed on the phone near the ATM: the kiosk dispenses, once.
    let approval = latest_approval(&app, &hanako).await;
    assert_eq!(approve_near_shibuya(&app, &mut hanako, approval).await, 200);
    let dispensed = progress(&app, &kiosk, at_atm.id).await;
    assert!(matches!(dispensed, KioskStep::Dispensing { .. }));
    assert_eq!(
        progress(&app, &kiosk, at_atm.id).await,
        dispensed,
        "dispensed once: the same receipt"
    );
    let balance = app.ledger().balance(account).await.unwrap();
    assert_eq!(balance.posted(), Money::jpy(200_000 - 30_000 - 110));
    let fees = app
        .ledger()
        .platform_account("fee_income_account", AccountKind::FeeIncome, "Fee income")
        .await
        .unwrap();
    assert_eq!(
        app.ledger().balance(fees).await.unwrap().posted(),
        Money::jpy(110),
        "the fee is taken with the cash"
    );
    let atms: Vec<shared::atm::Atm> = app
        .post("/api/atms/list", "", Some(&sato))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(atms[0].cash, Money::jpy(2_000_000 - 30_000));

    // Typed short code, declined on the phone: refused, and the money stays reserved.
    let p: Prepared = prepare(&app, &hanako, account, 10_000, "w2")
        .await
        .json()
        .await
        .unwrap();
    let typed = p.short_code.replace('-', " - ");
    let at_atm: KioskWithdrawal = scan(&app, &kiosk, &typed).await.json().await.unwrap();
    let approval = latest_approval(&app, &hanako).await;
    let res = crate::approvals::decline(&app, Some(&hanako.cookie), ApprovalId(approval)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        progress(&app, &kiosk, at_atm.id).await,
        KioskStep::Refused {
            reason: Reason::DeclinedByUser
        }
    );
    assert_eq!(
        app.ledger().balance(account).await.unwrap().available(),
        Money::jpy(200_000 - 30_110 - 10_110)
    );

    // A machine short of cash refuses without using the code, and the customer hears of it.
    let tiny: AtmEnrollment = app
        .post(
            "/api/atms/register",
            "atm[name]=Tiny&atm[address]=Here&atm[lat]=35.6&atm[lon]=139.7&atm[cash_yen]=5000",
            Some(&sato),
        )
        .await
        .json()
        .await
        .unwrap();
    let tiny_kiosk = kiosk_for(&app, &sato, tiny.atm.id.0).await;
    let p: Prepared = prepare(&app, &hanako, account, 10_000, "w3")
        .await
        .json()
        .await
        .unwrap();
    let res = scan(&app, &tiny_kiosk, &p.qr_payload).await;
    assert_eq!(
        res.json::<AppError>().await.unwrap(),
        AppError::Conflict {
            reason: Reason::AtmShortOfCash
        }
    );
    let inbox: Inbox = app
        .post("/api/inbox/page", "", Some(&hanako.cookie))
        .await
        .json()
        .await
        .unwrap();
    assert!(inbox
        .items
        .iter()
        .any(|n| matches!(&n.event, Event::Notice { notice: Notice::CashCodeAtmShort { atm, .. } } if atm.contains("Tiny"))));
    assert_eq!(
        scan(&app, &kiosk, &p.qr_payload).await.status(),
        200,
        "still good elsewhere"
    );

    // Cancelled on the phone while it is asked: the request is withdrawn, the
    // kiosk hears why, and the money is free again.
    let before = app.ledger().balance(account).await.unwrap().available();
    let p: Prepared = prepare(&app, &hanako, account, 10_000, "w4")
        .await
        .json()
        .await
        .unwrap();
    let at_atm: KioskWithdrawal = scan(&app, &kiosk, &p.qr_payload)
        .await
        .json()
        .await
        .unwrap();
    let approval = latest_approval(&app, &hanako).await;
    let res = app
        .post(
            "/api/cardless/cancel",
            &format!("id={}", at_atm.id),
            Some(&hanako.cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        progress(&app, &kiosk, at_atm.id).await,
        KioskStep::Refused {
            reason: Reason::Cancelled
        }
    );
    let res = crate::approvals::decline(&app, Some(&hanako.cookie), ApprovalId(approval)).await;
    assert_eq!(res.status(), 409, "the phone's request was withdrawn");
    assert_eq!(
        app.ledger().balance(account).await.unwrap().available(),
        before
    );

    // Wrong codes lock the kiosk after five in a row, and staff are told.
    for i in 1..=5 {
        let res = scan(&app, &kiosk, &format!("anshin:cw:nonsense{i}")).await;
        assert_eq!(res.status(), 422, "wrong code {i}");
    }
    let res = scan(&app, &kiosk, "1-000000").await;
    assert_eq!(
        res.json::<AppError>().await.unwrap(),
        AppError::Conflict {
            reason: Reason::AtmLocked
        }
    );
    let staff_inbox: Inbox = app
        .post("/api/inbox/page", "", Some(&sato))
        .await
        .json()
        .await
        .unwrap();
    assert!(staff_inbox.items.iter().any(|n| matches!(
        &n.event,
        Event::Notice {
            notice: Notice::AtmLocked { after: 5, .. }
        }
    )));
    // No kiosk at all: not an ATM.
    assert_eq!(scan(&app, "", "1-000000").await.status(), 403);

    let report = app.ledger().check().await.unwrap();
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    app.stop().await;
}

crate::per_engine!(a_code_becomes_cash_only_when_the_phone_confirms, at_the_atm);

//! Identity checks and guardian–ward relationships (F4), on both engines:
//! a check goes from upload through staff's review; what is not a readable
//! image, or not a proper detail, is refused and stores nothing; the
//! document is shown only to its owner and staff; a guardian's invitation
//! is accepted or declined by the minor and verified by staff only once
//! both people's checks are approved; a second guardian is another link;
//! every step is audited and told to the people concerned.

use crate::{
    helpers::{answer, TestApp},
    on_both_engines,
    people::{sign_up, sign_up_born, Person},
    purchases::user_id,
    transfers::staff,
};
use base64::Engine as _;
use serde_json::{json, Value};
use shared::{
    events::{Event, Inbox, Notice},
    ids::{IdentityCheckId, UserId},
    kyc::{
        port::{IdentityCheck, Link, MyIdentity, ReviewQueue},
        CheckState, IdentityEvent, LinkState, ReviewReason,
    },
    AppError, Reason,
};

/// The first bytes of a PNG of `w`×`h` (signature and header: all a type
/// and size are read from), padded to look like a photo's worth.
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    b.resize(40_000, 7);
    b
}

fn data_url(bytes: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn details(name: &str, birth: &str) -> Value {
    json!({ "full_name": name, "birth_date": birth, "address": "1-2-3 Jingumae, Shibuya, Tokyo" })
}

async fn call<T: serde::de::DeserializeOwned>(
    app: &TestApp,
    who: &str,
    path: &str,
    body: Value,
) -> Result<T, AppError> {
    answer(app.post_json(path, &body, who).await).await
}

async fn mine(app: &TestApp, p: &Person) -> MyIdentity {
    call(app, &p.cookie, "/api/identity/mine", json!({}))
        .await
        .unwrap()
}

async fn submit(
    app: &TestApp,
    p: &Person,
    birth: &str,
    doc: &str,
) -> Result<IdentityCheck, AppError> {
    let body = json!({ "details": details("Suzuki Taro", birth), "document": doc });
    call(app, &p.cookie, "/api/upload/identity-check", body).await
}

async fn review(
    app: &TestApp,
    who: &str,
    id: IdentityCheckId,
    verdict: &str,
    reason: Option<ReviewReason>,
) -> Result<IdentityCheck, AppError> {
    let body = json!({ "id": id, "verdict": verdict, "reason": reason });
    call(app, who, "/api/staff/review-check", body).await
}

/// A check submitted and approved by `clerk`.
async fn checked(app: &TestApp, p: &Person, birth: &str, clerk: &str) {
    let c = submit(app, p, birth, &data_url(&png(800, 500)))
        .await
        .unwrap();
    review(app, clerk, c.id, "approve", None).await.unwrap();
}

async fn invite(app: &TestApp, g: &Person, nickname: &str) -> Result<Link, AppError> {
    let body = json!({ "nickname": nickname, "relation": "parent", "document": data_url(&png(1200, 1600)) });
    call(app, &g.cookie, "/api/upload/invite-ward", body).await
}

async fn answer_invite(app: &TestApp, w: &Person, g: UserId, yes: bool) -> Result<Link, AppError> {
    let body = json!({ "guardian": g, "accept": yes });
    call(app, &w.cookie, "/api/identity/answer", body).await
}

async fn review_link(
    app: &TestApp,
    who: &str,
    (g, w): (UserId, UserId),
    verify: bool,
    reason: Option<ReviewReason>,
) -> Result<Link, AppError> {
    let body = json!({ "guardian": g, "ward": w, "verify": verify, "reason": reason });
    call(app, who, "/api/staff/review-link", body).await
}

async fn queue(app: &TestApp, clerk: &str) -> ReviewQueue {
    call(app, clerk, "/api/staff/reviews", json!({}))
        .await
        .unwrap()
}

async fn document(app: &TestApp, id: i64, cookie: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(&format!("/documents/{id}")));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.unwrap()
}

fn invalid(e: AppError) -> (String, Reason) {
    match e {
        AppError::Invalid { field, reason } => (field, reason),
        other => panic!("not invalid: {other:?}"),
    }
}

async fn actions(app: &TestApp, like: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE $1 ORDER BY seq")
        .bind(like)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
}

/// The identity notices in the inbox of whoever holds `cookie`, oldest first.
async fn told(app: &TestApp, cookie: &str) -> Vec<(IdentityEvent, String)> {
    let inbox: Inbox = call(app, cookie, "/api/inbox/page", json!({ "before": null }))
        .await
        .unwrap();
    let mut out: Vec<_> = inbox
        .items
        .into_iter()
        .filter_map(|n| match n.event {
            Event::Notice {
                notice: Notice::Identity { event, name },
            } => Some((event, name)),
            _ => None,
        })
        .collect();
    out.reverse();
    out
}

on_both_engines!(
    a_check_goes_from_upload_to_approval_and_bad_uploads_store_nothing,
    async |app: &TestApp| {
        let kid = sign_up_born(app, "kyc_kid", "2012-08-03", "").await;
        let other = sign_up(app, "kyc_other").await;
        let clerk = staff(app).await;
        let script = data_url(b"<svg onload=alert(1)>");
        let refusals = [
            (
                script.as_str(),
                "2012-08-03",
                ("document", Reason::NotAnImage),
            ),
            (
                &data_url(&png(150, 150)),
                "2012-08-03",
                ("document", Reason::TooSmall),
            ),
            ("", "2012-08-03", ("document", Reason::Required)),
            (
                &data_url(&png(800, 500)),
                "2031-01-01",
                ("birth_date", Reason::InTheFuture),
            ),
        ];
        for (doc, birth, (field, reason)) in refusals {
            let got = invalid(submit(app, &kid, birth, doc).await.unwrap_err());
            assert_eq!(got, (field.to_string(), reason));
        }
        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
        assert_eq!(stored, 0, "a refused upload stores nothing");
        assert_eq!(mine(app, &kid).await.check, None);

        let first = submit(app, &kid, "2012-08-03", &data_url(&png(800, 500)))
            .await
            .unwrap();
        assert_eq!(first.state, CheckState::Submitted);
        assert_eq!(first.details.full_name, "Suzuki Taro");
        let again = submit(app, &kid, "2012-08-03", &data_url(&png(800, 500))).await;
        assert_eq!(again.unwrap_err(), AppError::conflict(Reason::CheckPending));

        let q = queue(app, &clerk).await;
        assert_eq!(q.checks.len(), 1);
        let waiting = &q.checks[0];
        assert_eq!(
            (waiting.check.id, waiting.person.nickname.as_str()),
            (first.id, "kyc_kid")
        );
        assert_eq!(waiting.registered_birth_date, "2012-08-03");
        let doc = waiting.document.expect("a document").0;
        let shown = document(app, doc, Some(&clerk)).await;
        assert_eq!(shown.status(), 200);
        assert_eq!(shown.headers()["content-type"], "image/png");
        assert_eq!(shown.headers()["x-content-type-options"], "nosniff");
        assert_eq!(shown.headers()["cache-control"], "private, no-store");
        assert_eq!(shown.bytes().await.unwrap().to_vec(), png(800, 500));
        assert_eq!(document(app, doc, Some(&kid.cookie)).await.status(), 200);
        assert_eq!(document(app, doc, Some(&other.cookie)).await.status(), 404);
        assert_eq!(document(app, doc, None).await.status(), 401);
        assert_eq!(document(app, doc + 1000, Some(&clerk)).await.status(), 404);

        // Only staff review, and anything but a yes needs a reason.
        let by_customer = review(app, &other.cookie, first.id, "approve", None).await;
        assert_eq!(by_customer.unwrap_err(), AppError::Forbidden);
        let no_reason = review(app, &clerk, first.id, "ask_again", None).await;
        assert_eq!(invalid(no_reason.unwrap_err()).1, Reason::ReasonRequired);
        let asked = review(
            app,
            &clerk,
            first.id,
            "ask_again",
            Some(ReviewReason::Unreadable),
        )
        .await
        .unwrap();
        assert_eq!(
            (asked.state, asked.reason),
            (CheckState::Resubmit, Some(ReviewReason::Unreadable))
        );
        assert_eq!(
            mine(app, &kid).await.check.unwrap().state,
            CheckState::Resubmit
        );
        let late = review(app, &clerk, first.id, "approve", None).await;
        assert_eq!(
            late.unwrap_err(),
            AppError::conflict(Reason::AlreadyReviewed)
        );

        let second = submit(app, &kid, "2012-08-03", &data_url(&png(1600, 1000)))
            .await
            .unwrap();
        assert_ne!(second.id, first.id);
        let approved = review(app, &clerk, second.id, "approve", None)
            .await
            .unwrap();
        assert_eq!(
            (approved.state, approved.reason),
            (CheckState::Approved, None)
        );
        assert!(approved.reviewed_at_ms.is_some());
        assert!(queue(app, &clerk).await.checks.is_empty());
        let after = submit(app, &kid, "2012-08-03", &data_url(&png(800, 500))).await;
        assert_eq!(after.unwrap_err(), AppError::conflict(Reason::CheckPending));

        assert_eq!(
            actions(app, "kyc.check.%").await,
            [
                "kyc.check.submitted",
                "kyc.check.resubmit",
                "kyc.check.submitted",
                "kyc.check.approved"
            ]
        );
        assert_eq!(
            told(app, &kid.cookie).await,
            [
                (IdentityEvent::CheckResubmit, String::new()),
                (IdentityEvent::CheckApproved, String::new())
            ]
        );
        let waiting = (IdentityEvent::ReviewWaiting, "kyc_kid".to_string());
        assert_eq!(
            told(app, &clerk).await,
            [waiting.clone(), waiting],
            "staff told of each submission"
        );
    }
);

on_both_engines!(
    a_guardian_is_linked_only_after_the_minor_accepts_and_staff_verify_both_checks,
    async |app: &TestApp| {
        let kid = sign_up_born(app, "lk_kid", "2013-01-09", "").await;
        let mum = sign_up(app, "lk_mum").await;
        let dad = sign_up(app, "lk_dad").await;
        let adult = sign_up(app, "lk_adult").await;
        let clerk = staff(app).await;
        let (k, m, d) = (
            user_id(app, "lk_kid").await,
            user_id(app, "lk_mum").await,
            user_id(app, "lk_dad").await,
        );
        let since = async |g: UserId| {
            server::identity::store::verified_guardian_since(app.db().pool(), g, k)
                .await
                .unwrap()
        };

        // Who can be invited, and by whom.
        assert_eq!(
            invalid(invite(app, &mum, "nobody_here").await.unwrap_err()).1,
            Reason::Unknown
        );
        assert_eq!(
            invalid(invite(app, &mum, "lk_adult").await.unwrap_err()).1,
            Reason::NotAMinor
        );
        assert_eq!(
            invalid(invite(app, &mum, "lk_mum").await.unwrap_err()).1,
            Reason::OwnAccount
        );
        assert_eq!(
            invite(app, &kid, "lk_kid").await.unwrap_err(),
            AppError::invalid("nickname", Reason::OwnAccount)
        );
        let bad_doc = json!({ "nickname": "lk_kid", "relation": "parent", "document": data_url(b"%PDF-1.7") });
        let refused: Result<Link, _> =
            call(app, &mum.cookie, "/api/upload/invite-ward", bad_doc).await;
        assert_eq!(invalid(refused.unwrap_err()).1, Reason::NotAnImage);

        let invited = invite(app, &mum, "lk_kid").await.unwrap();
        assert_eq!((invited.state, invited.ward.user), (LinkState::Invited, k));
        assert_eq!(
            invite(app, &mum, "LK_KID").await.unwrap_err(),
            AppError::conflict(Reason::Duplicate)
        );
        assert_eq!(mine(app, &kid).await.guardians[0].state, LinkState::Invited);
        assert_eq!(
            told(app, &kid.cookie).await,
            [(IdentityEvent::Invited, "lk_mum".to_string())]
        );

        // Only the minor answers; staff see it once accepted.
        assert_eq!(
            answer_invite(app, &adult, m, true).await.unwrap_err(),
            AppError::NotFound
        );
        assert!(queue(app, &clerk).await.links.is_empty());
        let accepted = answer_invite(app, &kid, m, true).await.unwrap();
        assert_eq!(accepted.state, LinkState::Accepted);
        assert_eq!(
            answer_invite(app, &kid, m, false).await.unwrap_err(),
            AppError::conflict(Reason::LinkNotOpen)
        );
        let q = queue(app, &clerk).await;
        assert_eq!(q.links.len(), 1);
        assert_eq!(
            (q.links[0].guardian_check, q.links[0].ward_check),
            (None, None)
        );
        assert!(q.links[0].document.is_some());

        // Not before both identities are checked.
        let early = review_link(app, &clerk, (m, k), true, None).await;
        assert_eq!(
            early.unwrap_err(),
            AppError::conflict(Reason::IdentityNotChecked)
        );
        checked(app, &kid, "2013-01-09", &clerk).await;
        let half = review_link(app, &clerk, (m, k), true, None).await;
        assert_eq!(
            half.unwrap_err(),
            AppError::conflict(Reason::IdentityNotChecked)
        );
        assert_eq!(since(m).await, None);
        checked(app, &mum, "1990-04-01", &clerk).await;
        let by_customer = review_link(app, &mum.cookie, (m, k), true, None).await;
        assert_eq!(by_customer.unwrap_err(), AppError::Forbidden);
        let verified = review_link(app, &clerk, (m, k), true, None).await.unwrap();
        assert_eq!(verified.state, LinkState::Verified);
        let at = verified.verified_at_ms.expect("verified at");
        assert_eq!(since(m).await, Some(at));
        assert_eq!(mine(app, &mum).await.wards[0].state, LinkState::Verified);
        let overview: shared::purchase::port::GuardianOverview =
            call(app, &mum.cookie, "/api/guardian/overview", json!({}))
                .await
                .unwrap();
        assert_eq!(
            overview.wards.len(),
            1,
            "the verified minor is in the guardian's care"
        );

        // A second guardian: declined, asked again, rejected by staff with a reason.
        invite(app, &dad, "lk_kid").await.unwrap();
        assert_eq!(
            answer_invite(app, &kid, d, false).await.unwrap().state,
            LinkState::Declined
        );
        assert_eq!(
            invite(app, &dad, "lk_kid").await.unwrap().state,
            LinkState::Invited
        );
        answer_invite(app, &kid, d, true).await.unwrap();
        let no_reason = review_link(app, &clerk, (d, k), false, None).await;
        assert_eq!(invalid(no_reason.unwrap_err()).1, Reason::ReasonRequired);
        let rejected = review_link(
            app,
            &clerk,
            (d, k),
            false,
            Some(ReviewReason::WrongDocument),
        )
        .await
        .unwrap();
        assert_eq!(
            (rejected.state, rejected.reason),
            (LinkState::Rejected, Some(ReviewReason::WrongDocument))
        );
        assert_eq!(since(d).await, None);
        let kids_view = mine(app, &kid).await.guardians;
        let states: Vec<_> = kids_view
            .iter()
            .map(|l| (l.guardian.user, l.state))
            .collect();
        assert_eq!(states, [(d, LinkState::Rejected), (m, LinkState::Verified)]);
        assert_eq!(
            told(app, &dad.cookie).await,
            [
                (IdentityEvent::InvitationDeclined, "lk_kid".to_string()),
                (IdentityEvent::InvitationAccepted, "lk_kid".to_string()),
                (IdentityEvent::LinkRejected, "lk_kid".to_string()),
            ]
        );
        assert_eq!(
            actions(app, "kyc.link.%").await,
            [
                "kyc.link.invited",
                "kyc.link.accepted",
                "kyc.link.verified",
                "kyc.link.invited",
                "kyc.link.declined",
                "kyc.link.invited",
                "kyc.link.accepted",
                "kyc.link.rejected",
            ]
        );
    }
);

on_both_engines!(
    a_body_announced_as_too_big_is_refused_with_413_before_it_is_read,
    async |app: &TestApp| {
        let p = sign_up(app, "big_body").await;
        let res = app
            .client
            .post(app.url("/api/identity/mine"))
            .header("origin", app.origin())
            .header("cookie", &p.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![b'a'; 2_100_000])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413);
        let e: AppError = res.json().await.unwrap();
        assert_eq!(e, AppError::invalid("body", Reason::TooBig));
        // The same body sent in chunks, with no length announced: also 413, as JSON.
        let (status, body) = chunked_post(app, "/api/identity/mine", &p.cookie, 2_100_000).await;
        assert_eq!(status, 413, "{body}");
        let e: AppError = serde_json::from_str(&body).unwrap();
        assert_eq!(e, AppError::invalid("body", Reason::TooBig));
        // A document of 4 MB fits the upload's larger limit.
        let mut big = png(2000, 1500);
        big.resize(4_000_000, 1);
        let c = submit(app, &p, "1990-04-01", &data_url(&big))
            .await
            .unwrap();
        assert_eq!(c.state, CheckState::Submitted);
    }
);

on_both_engines!(
    an_allowance_moves_once_and_only_to_a_minor_in_verified_care,
    async |app: &TestApp| {
        use crate::cardless::{account_of, available, funded};
        let f = crate::purchases::family(app, "alw", 0).await;
        let (guardian, from) = (&f.guardian, account_of(app, "alw_mum").await);
        crate::cardless::top_up(app, from, 50_000, "fund-alw-mum").await;
        let (_stranger, _) = funded(app, "alw_other", 0).await;
        let other = user_id(app, "alw_other").await;
        let send = async |minor: UserId,
                          yen: i64,
                          key: &str|
               -> Result<shared::ledger::Transfer, AppError> {
            let body = json!({ "minor": minor, "amount": { "amount_minor": yen, "currency": "JPY" }, "key": key });
            call(app, &guardian.cookie, "/api/guardian/allowance", body).await
        };
        let first = send(f.minor_id, 3_000, "allowance-dec-1").await.unwrap();
        let again = send(f.minor_id, 3_000, "allowance-dec-1").await.unwrap();
        assert_eq!(first.id, again.id, "a retry answers the first transfer");
        assert_eq!(
            (available(app, f.account).await, available(app, from).await),
            (3_000, 47_000)
        );
        let changed = send(f.minor_id, 5_000, "allowance-dec-1").await;
        assert_eq!(
            changed.unwrap_err(),
            AppError::conflict(Reason::IdempotencyConflict)
        );
        // Refusals move nothing.
        assert_eq!(
            send(other, 1_000, "a2").await.unwrap_err(),
            AppError::NotFound
        );
        assert_eq!(
            invalid(send(f.minor_id, 0, "a3").await.unwrap_err()).1,
            Reason::NotPositive
        );
        assert_eq!(
            invalid(send(f.minor_id, 100_001, "a4").await.unwrap_err()).1,
            Reason::OverTransferLimit
        );
        assert_eq!(
            invalid(send(f.minor_id, 60_000, "a5").await.unwrap_err()).1,
            Reason::InsufficientFunds
        );
        let by_minor = json!({ "minor": f.minor_id, "amount": { "amount_minor": 100, "currency": "JPY" }, "key": "a6" });
        let refused: Result<shared::ledger::Transfer, _> =
            call(app, &f.minor.cookie, "/api/guardian/allowance", by_minor).await;
        assert_eq!(refused.unwrap_err(), AppError::NotFound);
        assert_eq!(
            (available(app, f.account).await, available(app, from).await),
            (3_000, 47_000)
        );
        let inbox: Inbox = call(
            app,
            &f.minor.cookie,
            "/api/inbox/page",
            json!({ "before": null }),
        )
        .await
        .unwrap();
        let received: Vec<_> = inbox
            .items
            .iter()
            .filter(|n| matches!(&n.event, Event::Notice { notice: Notice::TransferReceived { from, amount } }
                if from == "alw_mum" && amount.amount_minor == 3_000))
            .collect();
        assert_eq!(received.len(), 1, "the minor is told once");
        assert_eq!(
            actions(app, "guardian.allowance.%").await,
            ["guardian.allowance.sent"]
        );
    }
);

/// POSTs `len` bytes with `Transfer-Encoding: chunked` (no length announced)
/// over a raw connection; answers the status and the body.
async fn chunked_post(app: &TestApp, path: &str, cookie: &str, len: usize) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let origin = app.origin();
    let host = origin.trim_start_matches("http://").to_string();
    let addr = host.replace("localhost", "127.0.0.1");
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    while sent < len {
        let n = chunk.len().min(len - sent);
        let piece = format!("{n:x}\r\n");
        // The server may answer and close before all is sent: that is its right.
        if s.write_all(piece.as_bytes()).await.is_err()
            || s.write_all(&chunk[..n]).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
        sent += n;
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

//! The demo's people for transfers to others, so every path of the risk
//! check can be seen at once from Hanako's phone: Kenta, a friend with
//! years of history (straight through); Mika, a stranger with an ordinary
//! account (a warning); Yui, whose account is new and who wrote an hour
//! ago asking for money (her proof is asked for); and "quickcash", an
//! account that eight new senders paid in the last day (held for staff).
//! Every yen moves through the ledger; only the dates of the history are
//! set back. The history of the last 90 days keeps the facts an assessment
//! would have read at the time, so a dry run of the staff's rules has
//! transfers to run over.

use shared::{
    identity::Role,
    ids::{AccountId, UserId},
    ledger::{account_label, AccountKind, IdempotencyKey, TransferCode, TransferRequest},
    money::{Currency, Money},
    transfer::risk::NameAnswer,
};

use super::{
    facts::{self, Parties},
    store::{self, Past},
};
use crate::{
    db::Db,
    identity::holder,
    ledger::{Ledger, NewAccount},
    system::now_ms,
};

const SCOPE: &str = "demo-seed";
const DAY_MS: i64 = 24 * 3600 * 1000;
/// How far back the demo's history keeps its facts (a dry run's longest reach).
const ASSESSED_DAYS: i64 = 90;

/// (nickname, display name, date of birth, account age in days)
const OTHERS: [(&str, &str, &str, i64); 12] = [
    ("kenta", "Kenta Watanabe", "1987-07-09", 1_100),
    ("mika", "Mika Tanaka", "1992-03-27", 400),
    ("yui", "Yui Kobayashi", "1999-10-12", 20),
    ("quickcash", "Daiki Mori", "1995-01-30", 5),
    ("aoi", "Aoi Ito", "1990-06-01", 700),
    ("ren", "Ren Kato", "1985-09-15", 900),
    ("sora", "Sora Yoshida", "1993-12-24", 650),
    ("hina", "Hina Yamamoto", "1997-04-08", 500),
    ("riku", "Riku Nakamura", "1991-08-19", 820),
    ("mei", "Mei Saito", "1996-02-11", 430),
    ("haru", "Haru Matsumoto", "1989-11-30", 1_000),
    ("yuna", "Yuna Inoue", "1994-05-05", 560),
];

/// Yui's first message to Hanako, an hour before the demo starts.
const YUI_ASKS: &str = "ハナコさん、ヨガ教室のユイです！財布をなくしてしまって…今日中に3万円送ってもらえませんか？明日必ず返します。 / Hi Hanako, it's Yui from yoga! I lost my wallet, could you send me ¥30,000 today? I'll pay you back tomorrow.";

struct Person {
    user: UserId,
    main: AccountId,
}

pub(crate) async fn seed(
    db: &Db,
    ledger: &Ledger,
    hanako: UserId,
    hanako_main: AccountId,
    funding: AccountId,
) -> crate::error::Result<()> {
    let now = now_ms();
    let mut people = Vec::new();
    for (n, (nickname, name, birth, age_days)) in OTHERS.into_iter().enumerate() {
        let user = crate::demo::person(db, nickname, name, birth, Role::Customer).await?;
        let main = ledger
            .open_account(NewAccount::held_by(
                &holder(user),
                AccountKind::CustomerMain,
                Currency::Jpy,
                account_label::ORDINARY,
            ))
            .await?;
        sqlx::query("UPDATE ledger_accounts SET created_at_ms = $2 WHERE id = $1")
            .bind(main.0)
            .bind(now - age_days * DAY_MS)
            .execute(db.pool())
            .await?;
        let opening = TransferRequest::Single {
            debit: funding,
            credit: main,
            amount: Money::jpy(150_000),
            code: TransferCode::Deposit,
            reference: "Salary".into(),
        };
        ledger
            .transfer(SCOPE, &key(&format!("p2p-open-{n}")), opening)
            .await?;
        people.push(Person { user, main });
    }
    let hanako = Person {
        user: hanako,
        main: hanako_main,
    };
    let (kenta, mika, yui, mule) = (&people[0], &people[1], &people[2], &people[3]);
    let feeders = &people[4..];
    let mut n = 0;
    let mut history = Vec::new();
    let mut past = |from: &Person, to: &Person, yen: i64, days_ago: f64| {
        history.push(Past {
            sender: from.user,
            recipient: to.user,
            from: from.main,
            to: to.main,
            amount: Money::jpy(yen),
            at_ms: now - (days_ago * DAY_MS as f64) as i64,
        });
    };
    // Hanako and Kenta settle dinners and trips; the two directions even out.
    for (yen, days) in [(10_000, 120.0), (10_000, 90.0), (10_000, 60.0)] {
        past(&hanako, kenta, yen, days);
    }
    past(kenta, &hanako, 12_000, 75.0);
    past(kenta, &hanako, 18_000, 30.0);
    // Mika has paid and been paid by many people over the year.
    for (i, f) in feeders.iter().enumerate() {
        past(f, mika, 3_000 + 500 * i as i64, 300.0 - 30.0 * i as f64);
        past(mika, f, 2_000 + 250 * i as i64, 200.0 - 20.0 * i as f64);
    }
    // Eight people who never paid "quickcash" before did so in the last day.
    for (i, f) in feeders.iter().enumerate() {
        past(f, mule, 30_000, (1.0 + 2.5 * i as f64) / 24.0);
    }
    history.sort_by_key(|p| p.at_ms);
    for p in history {
        n += 1;
        let request = TransferRequest::Single {
            debit: p.from,
            credit: p.to,
            amount: p.amount,
            code: TransferCode::Transfer,
            reference: "Transfer".into(),
        };
        let k = format!("p2p-history-{n}");
        ledger.transfer(SCOPE, &key(&k), request).await?;
        let mut conn = db.conn().await?;
        let seen = if now - p.at_ms <= ASSESSED_DAYS * DAY_MS {
            let parties = Parties {
                sender: p.sender,
                from: p.from,
                recipient: p.recipient,
                to: p.to,
            };
            let read = facts::gather(&mut conn, parties, p.amount, NameAnswer::Match, p.at_ms);
            Some(read.await?)
        } else {
            None
        };
        store::record_past(&mut conn, p, &k, seen.as_ref()).await?;
    }
    sqlx::query("INSERT INTO payees (user_id, account, label, created_at_ms, last_paid_at_ms) VALUES ($1, $2, $3, $4, $5)")
        .bind(hanako.user.0)
        .bind(kenta.main.0)
        .bind("Kenta (running club)")
        .bind(now - 200 * DAY_MS)
        .bind(now - 60 * DAY_MS)
        .execute(db.pool())
        .await?;
    // Yui wrote first, an hour ago, asking for money.
    let (lo, hi) = (hanako.user.0.min(yui.user.0), hanako.user.0.max(yui.user.0));
    let started = now - 60 * 60_000;
    let conversation: i64 = sqlx::query_scalar(
        "INSERT INTO conversations (user_lo, user_hi, started_by, started_at_ms) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(lo)
    .bind(hi)
    .bind(yui.user.0)
    .bind(started)
    .fetch_one(db.pool())
    .await?;
    sqlx::query("INSERT INTO direct_messages (conversation_id, author_id, body, at_ms) VALUES ($1, $2, $3, $4)")
        .bind(conversation)
        .bind(yui.user.0)
        .bind(YUI_ASKS)
        .bind(started)
        .execute(db.pool())
        .await?;
    Ok(())
}

fn key(s: &str) -> IdempotencyKey {
    IdempotencyKey::parse(s).expect("demo keys are valid")
}

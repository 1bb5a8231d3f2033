//! Demo data, seeded only when the server runs with `--demo`: the personas
//! (customer Hanako, minor Taro and his guardian Yoko, clerk Sato), who sign
//! in with one click, and their accounts with a realistic history, every
//! yen of it moved by real ledger transfers from the platform's funding
//! account.
//!
//! Seeding is idempotent: every transfer has a fixed key, and a setting
//! records that it is done, so a restart neither repeats nor duplicates it.

use shared::{
    ids::AccountId,
    ledger::{account_label, AccountKind, IdempotencyKey, TransferCode, TransferRequest},
    money::{Currency, Money},
};

use crate::{
    db::Db,
    identity::store::{self, CreateError, Profile},
    ledger::{Ledger, NewAccount},
    system::now_ms,
};
use shared::{identity::Role, ids::UserId};

/// The personas' nicknames, which the one-click demo sign-in takes.
pub const PERSONAS: [&str; 5] = ["hanako", "taro", "yoko", "sato", "yui"];

/// (nickname, display name, date of birth, role)
const PEOPLE: [(&str, &str, &str, Role); 4] = [
    ("hanako", "Hanako Yamada", "1988-05-14", Role::Customer),
    ("taro", "Taro Suzuki", "2012-08-03", Role::Customer),
    ("yoko", "Yoko Suzuki", "1984-02-20", Role::Guardian),
    ("sato", "Sato Kenji", "1979-11-02", Role::Staff),
];
const SCOPE: &str = "demo-seed";
const DONE: &str = "demo_seeded_at_ms";

/// Shops Hanako paid, with amounts: small everyday spending.
const PAYMENTS: [(&str, i64); 20] = [
    ("Lawson Shibuya", 864),
    ("JR East Suica charge", 5_000),
    ("Tokyo Gas", 6_420),
    ("Uniqlo Shinjuku", 12_900),
    ("Tsutaya Books", 2_310),
    ("Matsuya", 780),
    ("Docomo", 7_150),
    ("Amazon.co.jp", 18_640),
    ("Seijo Ishii", 4_268),
    ("Tokyo Electric Power", 9_870),
    ("Starbucks Omotesando", 1_320),
    ("Bic Camera", 39_800),
    ("FamilyMart", 598),
    ("Tokyo Metro", 3_000),
    ("Ichiran Ramen", 1_180),
    ("Muji Yurakucho", 8_990),
    ("Aeon", 15_402),
    ("Toho Cinemas", 2_000),
    ("Sushiro", 3_520),
    ("7-Eleven", 1_012),
];

pub async fn seed(db: &Db, ledger: &Ledger) -> crate::error::Result<()> {
    let seeded = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(DONE)
        .fetch_optional(db.pool())
        .await?;
    if seeded.is_some() {
        return Ok(());
    }
    let mut ids = Vec::new();
    for (nickname, name, birth, role) in PEOPLE {
        ids.push(person(db, nickname, name, birth, role).await?);
    }
    let (hanako, taro, yoko) = (ids[0], ids[1], ids[2]);
    store::link_guardian(db, yoko, taro, now_ms()).await?;
    for (who, name, birth) in [
        (yoko, "鈴木 陽子 (Yoko Suzuki)", "1984-02-20"),
        (taro, "鈴木 太郎 (Taro Suzuki)", "2012-08-03"),
    ] {
        let details = shared::kyc::IdentityDetails {
            full_name: name.into(),
            birth_date: birth.into(),
            address: "東京都渋谷区神宮前1-2-3".into(),
        };
        crate::kyc::approve_at_branch(db, who, &details).await?;
    }
    let holder = |id: UserId| crate::identity::holder(id);
    if !ledger.accounts_of(&holder(hanako)).await?.is_empty() {
        // An earlier seeding stopped half-way; leave its data as it is.
        tracing::warn!("demo accounts exist but seeding never finished; not seeding again");
        return Ok(());
    }
    let open = |a: NewAccount| ledger.open_account(a);
    let funding = open(NewAccount::platform(
        AccountKind::Funding,
        Currency::Jpy,
        "Anshin funding",
    ))
    .await?;
    let shops = open(NewAccount::platform(
        AccountKind::MerchantSettlement,
        Currency::Jpy,
        "Card and QR shops",
    ))
    .await?;
    let held = |id: UserId, label: &str| {
        NewAccount::held_by(&holder(id), AccountKind::CustomerMain, Currency::Jpy, label)
    };
    let main = open(held(hanako, account_label::ORDINARY)).await?;
    let savings = open(held(hanako, account_label::SAVINGS)).await?;
    let taro_main = open(held(taro, account_label::ORDINARY)).await?;
    let yoko_main = open(held(yoko, account_label::ORDINARY)).await?;

    let mut n = 0;
    let mut single =
        |debit: AccountId, credit: AccountId, yen: i64, code: TransferCode, reference: &str| {
            n += 1;
            (
                key(n),
                TransferRequest::Single {
                    debit,
                    credit,
                    amount: Money::jpy(yen),
                    code,
                    reference: reference.into(),
                },
            )
        };
    let spent: i64 = PAYMENTS.iter().map(|(_, y)| y).sum();
    // Salaries and spending that leave exactly ¥500,000 in the ordinary account.
    let mut steps = vec![
        single(
            funding,
            main,
            280_000,
            TransferCode::Deposit,
            "Salary, Shibuya Design Co.",
        ),
        single(
            funding,
            savings,
            1_200_000,
            TransferCode::Deposit,
            "Opening deposit",
        ),
        single(
            funding,
            main,
            220_000 + spent,
            TransferCode::Deposit,
            "Salary, Shibuya Design Co.",
        ),
    ];
    steps.push(single(
        funding,
        yoko_main,
        300_000,
        TransferCode::Deposit,
        "Salary, Meguro Clinic",
    ));
    steps.push(single(
        yoko_main,
        taro_main,
        12_000,
        TransferCode::Transfer,
        "Allowance for Taro",
    ));
    for (shop, yen) in PAYMENTS {
        steps.push(single(main, shops, yen, TransferCode::Payment, shop));
    }
    for (key, request) in steps {
        ledger.transfer(SCOPE, &key, request).await?;
    }
    crate::transfers::demo::seed(db, ledger, hanako, main, funding).await?;
    // A hotel's deposit hold, still pending: shows available below posted.
    let hold = TransferRequest::Pending {
        debit: main,
        credit: shops,
        amount: Money::jpy(8_000),
        code: TransferCode::Payment,
        reference: "Hotel Gracery, deposit hold".into(),
        timeout_ms: 7 * 24 * 3600 * 1000,
    };
    ledger.transfer(SCOPE, &key(1000), hold).await?;

    sqlx::query("INSERT INTO settings (key, value, updated_at_ms) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING")
        .bind(DONE)
        .bind(now_ms().to_string())
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    let main_balance = ledger.balance(main).await?;
    tracing::info!(
        posted = main_balance.posted().amount_minor,
        "demo data seeded"
    );
    Ok(())
}

/// A persona, created once (found again by nickname on later starts).
pub(crate) async fn person(
    db: &Db,
    nickname: &str,
    name: &str,
    birth: &str,
    role: Role,
) -> crate::error::Result<UserId> {
    if let Some(user) = store::user_by_nickname(db, nickname).await? {
        return Ok(user.id);
    }
    let profile = Profile {
        handle: uuid::Uuid::new_v4().to_string(),
        display_name: name.to_string(),
        nickname: nickname.to_string(),
        nickname_canonical: nickname.to_string(),
        birth_date: birth.to_string(),
        enrollment: None,
    };
    match store::create_user_without_passkey(db, &profile, role, now_ms()).await {
        Ok(user) => Ok(user.id),
        Err(CreateError::Db(e)) => Err(e.into()),
        Err(CreateError::NicknameTaken | CreateError::EnrollmentUsed) => {
            Err(sqlx::Error::Protocol(format!("demo nickname {nickname} is taken")).into())
        }
    }
}

fn key(n: u32) -> IdempotencyKey {
    IdempotencyKey::parse(&format!("demo-{n}")).expect("demo keys are valid")
}

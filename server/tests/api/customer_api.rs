//! The customer view's server functions: only one's own accounts, with the
//! right HTTP status when not.

use crate::helpers::{fake_dist, serve_args, DbEngine, TestDb};
use server::startup;
use shared::{
    ledger::{AccountBalance, StatementPage},
    AppError,
};

async fn post(client: &reqwest::Client, base: &str, path: &str, body: &str) -> reqwest::Response {
    client
        .post(format!("{base}{path}"))
        .header("origin", base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn customer_sees_only_own_accounts(engine: DbEngine) {
    let Some(db) = TestDb::new(engine).await else {
        return;
    };
    let dist = fake_dist();
    let client = reqwest::Client::new();

    // Without demo mode the one-click sign-in does not exist, and nobody
    // who is not signed in sees accounts.
    let plain = startup::start(serve_args(&db, dist.path().to_path_buf()))
        .await
        .unwrap();
    let base = format!("http://{}", plain.addr);
    let res = post(&client, &base, "/api/accounts/mine", "").await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<AppError>().await.unwrap(),
        AppError::Unauthenticated
    );
    let res = post(
        &client,
        &base,
        "/api/identity/demo-sign-in",
        "persona=hanako",
    )
    .await;
    assert_eq!(res.status(), 404);
    plain.shutdown().await.unwrap();

    let mut args = serve_args(&db, dist.path().to_path_buf());
    args.demo = true;
    let demo = startup::start(args).await.unwrap();
    let base = format!("http://{}", demo.addr);
    let res = post(&client, &base, "/api/accounts/mine", "").await;
    assert_eq!(
        res.status(),
        401,
        "demo mode does not sign anyone in by itself"
    );
    let res = post(
        &client,
        &base,
        "/api/identity/demo-sign-in",
        "persona=hanako",
    )
    .await;
    assert_eq!(res.status(), 200);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set_cookie.contains("HttpOnly; SameSite=Strict"),
        "{set_cookie}"
    );
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "cookie",
        set_cookie.split(';').next().unwrap().parse().unwrap(),
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let res = post(&client, &base, "/api/accounts/mine", "").await;
    assert_eq!(res.status(), 200);
    let accounts: Vec<AccountBalance> = res.json().await.unwrap();
    assert_eq!(
        accounts
            .iter()
            .map(|a| a.label.as_str())
            .collect::<Vec<_>>(),
        ["ordinary", "savings"]
    );

    let main = accounts[0].id;
    let res = post(
        &client,
        &base,
        "/api/accounts/statement",
        &format!("account={main}"),
    )
    .await;
    assert_eq!(res.status(), 200);
    let page: StatementPage = res.json().await.unwrap();
    assert_eq!(page.lines.len(), 20);
    let next = page.next.expect("a second page");
    let res = post(
        &client,
        &base,
        "/api/accounts/statement",
        &format!("account={main}&before={next}"),
    )
    .await;
    let page: StatementPage = res.json().await.unwrap();
    // 20 shop payments, two salaries and the hotel hold, and five transfers with Kenta (F3's demo friend).
    assert_eq!(page.lines.len(), 8);
    assert_eq!(page.next, None);

    // The funding account (id 1) is not the customer's: it does not exist for them.
    let res = post(&client, &base, "/api/accounts/statement", "account=1").await;
    assert_eq!(res.status(), 404);
    let res = post(&client, &base, "/api/accounts/statement", "account=abc").await;
    assert!(res.status().is_client_error(), "{}", res.status());
    demo.shutdown().await.unwrap();
}

crate::per_engine!(
    customer_sees_only_own_accounts,
    customer_sees_only_own_accounts
);

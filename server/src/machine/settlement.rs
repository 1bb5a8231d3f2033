//! Where a payee's money goes: each merchant (or shop terminal) that is
//! paid through Anshin has one settlement account, opened on its first
//! payment. Minors' purchases (F4) and delegated payments (F5) both pay
//! into it.

use shared::{
    ids::{AccountId, ApiClientId},
    ledger::AccountKind,
    money::Currency,
};

use crate::{
    db::Db,
    error::{Error, Result},
    ledger::{Ledger, NewAccount},
};

/// The payee's settlement account, opened if it has none yet.
pub async fn account(
    db: &Db,
    ledger: &Ledger,
    payee: ApiClientId,
) -> std::result::Result<AccountId, Error> {
    if let Some(a) = settlement_of(db.pool(), payee).await? {
        return Ok(a);
    }
    let opened = ledger
        .open_account(NewAccount::platform(
            AccountKind::MerchantSettlement,
            Currency::Jpy,
            &format!("Merchant {payee} settlement"),
        ))
        .await?;
    // Two first payments at once: the first recorded wins, the other stays empty.
    set_settlement(db.pool(), payee, opened).await?;
    Ok(settlement_of(db.pool(), payee).await?.unwrap_or(opened))
}

/// The merchant's settlement account, if one was opened.
pub async fn settlement_of<'e, E>(ex: E, merchant: ApiClientId) -> Result<Option<AccountId>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let id: Option<Option<i64>> =
        sqlx::query_scalar("SELECT settlement_account_id FROM api_clients WHERE id = $1")
            .bind(merchant.0)
            .fetch_optional(ex)
            .await?;
    Ok(id.flatten().map(AccountId))
}

/// Records `account` as the merchant's unless one was recorded first.
pub async fn set_settlement<'e, E>(ex: E, merchant: ApiClientId, account: AccountId) -> Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE api_clients SET settlement_account_id = $2 WHERE id = $1 AND settlement_account_id IS NULL",
    )
    .bind(merchant.0)
    .bind(account.0)
    .execute(ex)
    .await?;
    Ok(())
}

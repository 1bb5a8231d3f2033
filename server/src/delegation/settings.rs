//! What a user controls about requests made on their behalf: their
//! nickname, whether requesters can find it, a user code, each requester's
//! ceilings and block, and their live tokens. Each change is one
//! transaction with its audit entry.

use async_trait::async_trait;
use shared::{
    delegation::{
        check_ceiling, parse_user_code, DelegationPort, DelegationSettings, RequestState,
    },
    ids::{ApiClientId, PaymentRequestId, UserId},
    money::Money,
    nickname::Nickname,
    ports::Caller,
    AppError, Reason,
};

use super::{decided, store, Delegation};
use crate::{
    db::Unit,
    identity::{
        clock::{start_of_day_jst, start_of_month_jst},
        holder, secret,
    },
    system::now_ms,
};

impl Delegation {
    /// Runs `change` for `user` in one transaction, audited as `action`.
    async fn change<F>(
        &self,
        user: UserId,
        action: &str,
        detail: serde_json::Value,
        change: F,
    ) -> Result<(), AppError>
    where
        F: for<'a, 'c> FnOnce(
                &'a mut Unit<'c>,
            ) -> futures::future::BoxFuture<'a, Result<(), AppError>>
            + Send,
    {
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let mut unit = Unit::new(&mut tx, self.db.engine(), now);
        change(&mut unit).await?;
        unit.audit(holder(user), action, holder(user), detail);
        let deliveries = unit.finish().await?;
        self.notifier.commit(tx, deliveries).await?;
        Ok(())
    }
}

#[async_trait]
impl DelegationPort for Delegation {
    async fn delegation_settings(&self, caller: &Caller) -> Result<DelegationSettings, AppError> {
        let user = caller.require_user()?;
        let now = now_ms();
        let mut conn = self.db.conn().await?;
        let (nickname, hidden, has_user_code) = store::profile(&mut conn, user).await?;
        let mut requesters = Vec::new();
        for (mut r, _) in store::requesters(&mut conn, user).await? {
            let today =
                store::spent_since(&mut conn, user, r.client, start_of_day_jst(now)).await?;
            let month =
                store::spent_since(&mut conn, user, r.client, start_of_month_jst(now)).await?;
            r.spent_today = Money::jpy(today);
            r.spent_month = Money::jpy(month);
            requesters.push(r);
        }
        let live_tokens = store::live_tokens(&mut conn, user, now).await?;
        Ok(DelegationSettings {
            server_now_ms: now,
            nickname,
            hidden,
            has_user_code,
            requesters,
            live_tokens,
        })
    }

    async fn set_nickname(&self, caller: &Caller, nickname: &str) -> Result<(), AppError> {
        let user = caller.require_user()?;
        let parsed =
            Nickname::parse(nickname).map_err(|e| AppError::invalid("nickname", e.reason()))?;
        let detail = serde_json::json!({ "nickname": parsed.display() });
        self.change(user, "delegation.nickname.set", detail, move |unit| {
            Box::pin(async move {
                let display = parsed.display().to_string();
                let canonical = parsed.canonical().to_string();
                if !store::set_nickname(unit.conn(), user, &display, &canonical).await? {
                    return Err(AppError::invalid("nickname", Reason::NicknameTaken));
                }
                Ok(())
            })
        })
        .await
    }

    async fn set_hidden(&self, caller: &Caller, hidden: bool) -> Result<(), AppError> {
        let user = caller.require_user()?;
        let detail = serde_json::json!({ "hidden": hidden });
        self.change(user, "delegation.nickname.hidden", detail, move |unit| {
            Box::pin(async move { Ok(store::set_hidden(unit.conn(), user, hidden).await?) })
        })
        .await
    }

    async fn set_user_code(&self, caller: &Caller, code: Option<String>) -> Result<(), AppError> {
        let user = caller.require_user()?;
        let hash = match code {
            Some(c) => {
                let c = parse_user_code(&c).map_err(|r| AppError::invalid("user_code", r))?;
                Some(secret::hash_off_workers(c).await?)
            }
            None => None,
        };
        let detail = serde_json::json!({ "set": hash.is_some() });
        self.change(user, "delegation.user_code.set", detail, move |unit| {
            Box::pin(
                async move { Ok(store::set_user_code(unit.conn(), user, hash.as_deref()).await?) },
            )
        })
        .await
    }

    async fn set_ceilings(
        &self,
        caller: &Caller,
        client: ApiClientId,
        day: Option<Money>,
        month: Option<Money>,
    ) -> Result<(), AppError> {
        let user = caller.require_user()?;
        let day = check_ceiling(day).map_err(|r| AppError::invalid("day", r))?;
        let month = check_ceiling(month).map_err(|r| AppError::invalid("month", r))?;
        if let (Some(d), Some(m)) = (day, month) {
            if d.amount_minor > m.amount_minor {
                return Err(AppError::invalid("month", Reason::OutOfOrder));
            }
        }
        let detail = serde_json::json!({
            "client": client.0,
            "day_minor": day.map(|m| m.amount_minor),
            "month_minor": month.map(|m| m.amount_minor),
        });
        self.change(user, "delegation.ceilings.set", detail, move |unit| {
            Box::pin(async move {
                let mut s = store::settings(unit.conn(), user, client).await?;
                s.day_ceiling = day.map(|m| m.amount_minor);
                s.month_ceiling = month.map(|m| m.amount_minor);
                known(unit, user, client).await?;
                let now = unit.now_ms();
                Ok(store::put_settings(unit.conn(), user, client, s, now).await?)
            })
        })
        .await
    }

    async fn set_blocked(
        &self,
        caller: &Caller,
        client: ApiClientId,
        blocked: bool,
    ) -> Result<(), AppError> {
        let user = caller.require_user()?;
        let detail = serde_json::json!({ "client": client.0, "blocked": blocked });
        self.change(user, "delegation.blocked.set", detail, move |unit| {
            Box::pin(async move {
                let mut s = store::settings(unit.conn(), user, client).await?;
                s.blocked = blocked;
                known(unit, user, client).await?;
                let now = unit.now_ms();
                Ok(store::put_settings(unit.conn(), user, client, s, now).await?)
            })
        })
        .await
    }

    async fn revoke_token(
        &self,
        caller: &Caller,
        request: PaymentRequestId,
    ) -> Result<(), AppError> {
        let user = caller.require_user()?;
        let r = self.of_user(user, request).await?;
        let detail = serde_json::json!({ "request": request.0 });
        self.change(user, "delegation.token.revoked", detail, move |unit| {
            Box::pin(async move {
                let now = unit.now_ms();
                let live = r.state == RequestState::Approved
                    && store::conclude(unit.conn(), r.id, r.state, RequestState::Revoked, now)
                        .await?;
                if !live {
                    return Err(AppError::conflict(Reason::RequestNotOpen));
                }
                Ok(decided::ping(unit, &r, RequestState::Revoked).await?)
            })
        })
        .await?;
        self.webhooks.wake();
        Ok(())
    }
}

/// Only a requester that asked this user for something may be set (to
/// anyone else's id the answer is "not found", so ids cannot be probed).
async fn known(unit: &mut Unit<'_>, user: UserId, client: ApiClientId) -> Result<(), AppError> {
    let asked = store::requesters(unit.conn(), user)
        .await?
        .iter()
        .any(|(r, _)| r.client == client);
    if asked {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

//! Proving presence again for one decision: a fresh passkey assertion with
//! user verification, whose challenge is bound to a purpose (such as
//! `approval:17`) and to the person, and works once. Also adding a passkey
//! to an account that is already signed in.

use shared::Reason;
use shared::{identity::Ceremony, ids::UserId, AppError};
use webauthn_rs::prelude::*;

use super::{rejected, require_discoverable, store, Identity};
use crate::{db::Db, error::internal, system::now_ms};

/// What a successful re-authentication proved, for the record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reauth {
    /// The passkey used (base64url credential id).
    pub credential: String,
    pub user_verified: bool,
}

fn kind(user: UserId, purpose: &str) -> String {
    format!("reauth:{user}:{purpose}")
}

impl Identity {
    /// Passkey options for `user`'s own passkeys, bound to `purpose`.
    pub async fn begin_reauth(&self, user: UserId, purpose: &str) -> Result<Ceremony, AppError> {
        let passkeys = store::passkeys_of_user(&self.db, user).await?;
        if passkeys.is_empty() {
            return Err(AppError::Conflict {
                reason: Reason::NoPasskey,
            });
        }
        let (options, state) = self
            .webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|e| internal("passkey options", e))?;
        self.open_ceremony(&kind(user, purpose), &state, None, &options)
            .await
    }

    /// Checks the assertion against the challenge issued for exactly this
    /// user and purpose; the challenge is used up either way.
    pub async fn finish_reauth(
        &self,
        user: UserId,
        purpose: &str,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<Reauth, AppError> {
        let (state, _) = self
            .take_ceremony::<PasskeyAuthentication>(ceremony, &kind(user, purpose))
            .await?;
        let credential: PublicKeyCredential =
            serde_json::from_str(credential_json).map_err(|e| rejected("assertion json", e))?;
        let result = self
            .webauthn
            .finish_passkey_authentication(&credential, &state)
            .map_err(|e| rejected("assertion", e))?;
        if !result.user_verified() {
            return Err(AppError::invalid("passkey", Reason::NotVerified));
        }
        let passkeys = store::passkeys_of_user(&self.db, user).await?;
        for mut passkey in passkeys {
            if passkey.update_credential(&result) == Some(true) {
                store::save_passkey(&self.db, &passkey, now_ms()).await?;
            }
        }
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
        Ok(Reauth {
            credential: URL_SAFE_NO_PAD.encode(result.cred_id()),
            user_verified: true,
        })
    }

    /// Options to register one more passkey for a signed-in user.
    pub async fn begin_add_passkey(&self, user: UserId) -> Result<Ceremony, AppError> {
        let found = store::user(&self.db, user).await?;
        let handle = store::handle_of(&self.db, user).await?;
        let (Some(found), Some(handle)) = (found, handle) else {
            return Err(AppError::Unauthenticated);
        };
        let handle = Uuid::parse_str(&handle).map_err(|e| internal("add passkey", e))?;
        let existing = store::passkeys_of_user(&self.db, user)
            .await?
            .iter()
            .map(|p| p.cred_id().clone())
            .collect::<Vec<_>>();
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(
                handle,
                &found.nickname,
                &found.display_name,
                Some(existing),
            )
            .map_err(|e| internal("passkey options", e))?;
        require_discoverable(&mut options);
        self.open_ceremony(&kind(user, "add_passkey"), &state, None, &options)
            .await
    }

    pub async fn finish_add_passkey(
        &self,
        user: UserId,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<(), AppError> {
        let (state, _) = self
            .take_ceremony::<PasskeyRegistration>(ceremony, &kind(user, "add_passkey"))
            .await?;
        let credential: RegisterPublicKeyCredential =
            serde_json::from_str(credential_json).map_err(|e| rejected("registration json", e))?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&credential, &state)
            .map_err(|e| rejected("registration", e))?;
        let mut conn = self.db.begin().await?;
        store::add_passkey(&mut conn, user, &passkey, now_ms()).await?;
        crate::audit::append(
            &mut conn,
            &[super::auth_event(user, "auth.passkey_added")],
            now_ms(),
        )
        .await?;
        Db::commit(conn).await?;
        Ok(())
    }
}

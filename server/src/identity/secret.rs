//! Short secrets a person chooses (a user code): hashed with argon2id,
//! checked off the async workers, since a short secret falls to a search
//! of a fast hash.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString},
    Argon2, PasswordVerifier,
};
use shared::AppError;

use crate::error::internal;

pub fn hash(secret: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map_err(|e| internal("secret hash", e))?
        .to_string())
}

pub async fn verify(secret: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let hash = PasswordHash::new(&hash).map_err(|e| internal("secret hash", e))?;
        Ok(Argon2::default()
            .verify_password(secret.as_bytes(), &hash)
            .is_ok())
    })
    .await
    .map_err(|e| internal("secret hash", e))?
}

//! Short secrets (a cardless PIN, a withdrawal password, a user code):
//! hashed with argon2id, since a short secret falls to a search of a fast
//! hash. argon2id spends tens of milliseconds of CPU on purpose, so the
//! async callers hash and check off the async workers.

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

/// [`hash`], off the async workers.
pub async fn hash_off_workers(secret: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash(&secret))
        .await
        .map_err(|e| internal("secret hash", e))?
}

/// Whether `secret` is the one `hash` was made from, checked off the async workers.
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

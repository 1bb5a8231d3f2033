//! The passkey steps of sending and proving: an assertion for a challenge
//! the server issued, and a passkey set up on this device for someone who
//! has none yet (a demo persona, say).

use shared::AppError;

use crate::api::{begin_add_passkey, finish_add_passkey};
use crate::webauthn::{self, PasskeyError};

#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    PasskeyCancelled,
    PasskeyFailed,
    Other(AppError),
}

impl From<PasskeyError> for Problem {
    fn from(e: PasskeyError) -> Self {
        match e {
            PasskeyError::Cancelled => Problem::PasskeyCancelled,
            PasskeyError::Failed(_) => Problem::PasskeyFailed,
        }
    }
}

pub async fn sign(options_json: &str) -> Result<String, Problem> {
    Ok(webauthn::get(options_json).await?)
}

pub async fn add_here() -> Result<(), Problem> {
    let ceremony = begin_add_passkey().await.map_err(Problem::Other)?;
    let credential = webauthn::create(&ceremony.options_json).await?;
    finish_add_passkey(ceremony.id, credential)
        .await
        .map_err(Problem::Other)
}

pub fn no_passkey(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Conflict {
            reason: shared::Reason::NoPasskey
        }
    )
}

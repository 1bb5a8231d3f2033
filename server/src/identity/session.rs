//! Session tokens and the cookie that carries them.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "anshin_session";
/// A session lasts 12 hours; signing out ends it at once.
pub const TTL_MS: i64 = 12 * 3600 * 1000;

/// 256 random bits, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps instead of the token.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Bytes as lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        TTL_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session token in a `Cookie:` header, if there is one.
pub fn token_from_cookies(header: &str) -> Option<String> {
    named_cookie(header, COOKIE_NAME)
}

/// The value of cookie `wanted` in a `Cookie:` header, if set.
pub fn named_cookie(header: &str, wanted: &str) -> Option<String> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == wanted && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_and_same_site() {
        let c = cookie("abc", true);
        assert!(
            c.starts_with("anshin_session=abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200")
        );
        assert!(c.ends_with("; Secure"));
        assert!(!cookie("abc", false).contains("Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
    }

    #[test]
    fn finds_the_token_among_other_cookies() {
        assert_eq!(
            token_from_cookies("a=1; anshin_session=t0k; b=2").as_deref(),
            Some("t0k")
        );
        assert_eq!(token_from_cookies("anshin_session=; b=2"), None);
        assert_eq!(token_from_cookies("x_anshin_session=t"), None);
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), a);
    }
}

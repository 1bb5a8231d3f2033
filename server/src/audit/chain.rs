//! The hash chain: each entry's SHA-256 covers the previous entry's hash and
//! every field of its own, each length-prefixed so no two different entries
//! can encode to the same bytes.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an entry that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields<'a> {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: &'a str,
}

pub fn hash(prev_hash: &str, f: &Fields<'_>) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash.as_bytes(),
        &f.seq.to_be_bytes(),
        &f.at_ms.to_be_bytes(),
        f.actor.as_bytes(),
        f.action.as_bytes(),
        f.subject.as_bytes(),
        f.detail.as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    crate::identity::session::hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(actor: &'a str, subject: &'a str) -> Fields<'a> {
        Fields {
            seq: 1,
            at_ms: 5,
            actor,
            action: "a",
            subject,
            detail: "{}",
        }
    }

    #[test]
    fn hashes_are_hex_sha256_and_depend_on_every_field_and_the_past() {
        let h = hash(GENESIS, &fields("x", "y"));
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(h, hash(GENESIS, &fields("x", "z")));
        assert_ne!(h, hash(&h, &fields("x", "y")));
        assert_eq!(h, hash(GENESIS, &fields("x", "y")));
    }

    #[test]
    fn field_boundaries_matter() {
        assert_ne!(
            hash(GENESIS, &fields("ab", "c")),
            hash(GENESIS, &fields("a", "bc"))
        );
    }
}

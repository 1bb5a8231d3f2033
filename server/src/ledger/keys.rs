//! Idempotency keys that flows give the ledger, built in one place.
//!
//! A key names one money movement by its flow, its purpose and its subject:
//! `cardless:hold:u7:<client key>`, `cardless:post:42`. The purpose is a
//! fixed word chosen here, a subject is a number, and a client's own key is
//! only ever the last part of a `Request` key, so no text a client sends
//! can spell another request's key, nor another purpose's.

use shared::{ids::UserId, ledger::IdempotencyKey};

/// Which flow a key belongs to; each flow names itself in its own folder
/// (`const FLOW: Flow = Flow::new("cardless")`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow(&'static str);

impl Flow {
    /// A flow's name: lower-case letters and `_`, checked when compiled.
    pub const fn new(name: &'static str) -> Flow {
        let bytes = name.as_bytes();
        assert!(!bytes.is_empty(), "a flow needs a name");
        let mut i = 0;
        while i < bytes.len() {
            assert!(
                bytes[i].is_ascii_lowercase() || bytes[i] == b'_',
                "a flow's name is lower-case letters and _"
            );
            i += 1;
        }
        Flow(name)
    }

    const fn as_str(self) -> &'static str {
        self.0
    }
}

/// What a movement does for its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Reserve the money (a hold).
    Hold,
    /// Release a hold.
    Release,
    /// Post a hold.
    Post,
    /// Cash out to an ATM's cassette.
    Cash,
    /// Take the fee.
    Fee,
    /// Move money into a withdrawal sub-account.
    Fund,
    /// Give unclaimed money back.
    Return,
    /// Money paid straight to another person.
    Send,
    /// A payment a user approved for someone else to take (F5).
    Pay,
}

impl Purpose {
    const fn as_str(self) -> &'static str {
        match self {
            Purpose::Hold => "hold",
            Purpose::Release => "release",
            Purpose::Post => "post",
            Purpose::Cash => "cash",
            Purpose::Fee => "fee",
            Purpose::Fund => "fund",
            Purpose::Return => "return",
            Purpose::Send => "send",
            Purpose::Pay => "pay",
        }
    }
}

/// A key as the ledger stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// The movement `purpose` of the flow's row `subject`.
    pub fn of(flow: Flow, purpose: Purpose, subject: i64) -> Key {
        Key(format!("{}:{}:{subject}", flow.as_str(), purpose.as_str()))
    }

    /// The movement `purpose` a person asked for with their own key.
    pub fn requested(flow: Flow, purpose: Purpose, by: UserId, client: &IdempotencyKey) -> Key {
        Key(format!(
            "{}:{}:u{by}:{}",
            flow.as_str(),
            purpose.as_str(),
            client.as_str()
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key a client chose for its request, or the refusal a malformed one gets.
pub fn client_key(s: &str) -> Result<IdempotencyKey, shared::AppError> {
    IdempotencyKey::parse(s)
        .map_err(|_| shared::AppError::invalid("key", shared::Reason::Malformed))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARDLESS: Flow = Flow::new("cardless");

    fn client(s: &str) -> IdempotencyKey {
        IdempotencyKey::parse(s).unwrap()
    }

    #[test]
    fn no_client_key_spells_another_key() {
        let me = UserId(7);
        let plain = Key::requested(CARDLESS, Purpose::Hold, me, &client("abc"));
        // The collision the old `format!("…:{request_key}:undo")` keys allowed.
        let suffixed = Key::requested(CARDLESS, Purpose::Hold, me, &client("abc:undo"));
        assert_ne!(plain, suffixed);
        for purpose in [Purpose::Release, Purpose::Post, Purpose::Cash, Purpose::Fee] {
            assert_ne!(Key::requested(CARDLESS, purpose, me, &client("abc")), plain);
        }
        // Another person's key, however the client text is chosen.
        assert_ne!(
            Key::requested(CARDLESS, Purpose::Hold, UserId(71), &client("abc")),
            Key::requested(CARDLESS, Purpose::Hold, me, &client("1:abc"))
        );
        // A subject's key can never be a client's.
        assert!(!Key::of(CARDLESS, Purpose::Hold, 7).as_str().contains(":u"));
    }
}

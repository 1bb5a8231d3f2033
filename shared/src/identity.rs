//! People as the views see them: roles, the signed-in person, and the
//! messages of a passkey ceremony (sign-up and sign-in).

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Guardian,
    Staff,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Guardian => "guardian",
            Role::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Customer, Role::Guardian, Role::Staff]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// The signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: UserId,
    pub display_name: String,
    pub nickname: String,
    pub role: Role,
    /// Under 18 today: restricted capacity, spending under a guardian's control.
    pub minor: bool,
}

/// What a new customer gives to sign up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpForm {
    pub display_name: String,
    pub nickname: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// A staff enrollment token from `anshin create-staff`'s link: the new
    /// person becomes staff (under the name given there).
    #[serde(default)]
    pub enrollment: Option<String>,
}

/// A WebAuthn ceremony in flight: its id, and the options for the browser
/// (`{"publicKey": …}` JSON, as `PublicKeyCredential.parse…FromJSON` takes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    pub id: String,
    pub options_json: String,
}

/// The outcome of a finished sign-up or sign-in, on the server side:
/// who, and the `Set-Cookie` value that carries their new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub me: Me,
    pub set_cookie: String,
}

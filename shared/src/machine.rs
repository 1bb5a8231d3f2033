//! The machine API's callers as staff manage them: API clients of a kind
//! (merchant, shop terminal, agent, remittance system), the scopes a client
//! may use, its keys (each shown once, stored hashed, rotatable with a
//! grace period, revocable with the client), and the staff's port for them.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ids::ApiClientId, ports::Caller, AppError, Reason};

/// Longest name an API client may be registered under.
pub const MAX_CLIENT_NAME_CHARS: usize = 80;
/// How long a rotated key keeps working beside its successor.
pub const ROTATION_GRACE_MS: i64 = 24 * 3600 * 1000;

/// What an API client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    Merchant,
    ShopTerminal,
    Agent,
    RemittanceSystem,
}

impl ClientKind {
    pub const ALL: [ClientKind; 4] = [
        ClientKind::Merchant,
        ClientKind::ShopTerminal,
        ClientKind::Agent,
        ClientKind::RemittanceSystem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Merchant => "merchant",
            ClientKind::ShopTerminal => "shop_terminal",
            ClientKind::Agent => "agent",
            ClientKind::RemittanceSystem => "remittance_system",
        }
    }

    pub fn parse(code: &str) -> Option<ClientKind> {
        ClientKind::ALL.into_iter().find(|k| k.as_str() == code)
    }

    /// What a client of this kind usually needs: the staff's form starts there.
    pub fn usual_scopes(self) -> Vec<Scope> {
        match self {
            ClientKind::Merchant => vec![
                Scope::PurchasesWrite,
                Scope::WebhooksManage,
                Scope::PaymentsRedeem,
            ],
            ClientKind::ShopTerminal => vec![Scope::PaymentsRequest, Scope::PaymentsRedeem],
            ClientKind::Agent => vec![Scope::PaymentsRequest, Scope::WebhooksManage],
            ClientKind::RemittanceSystem => vec![Scope::RelationshipsRead],
        }
    }
}

/// What an API client may do; each endpoint needs one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Ask whether someone is the verified guardian of a minor.
    #[serde(rename = "relationships:read")]
    RelationshipsRead,
    /// Report a minor's purchases, charge them, confirm refunds.
    #[serde(rename = "purchases:write")]
    PurchasesWrite,
    /// Set the webhook endpoint, rotate its secret, read and resend deliveries.
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
    /// Ask a user, by nickname, to approve a payment (shop terminals, agents).
    #[serde(rename = "payments:request")]
    PaymentsRequest,
    /// Redeem the payment tokens users approved for you (the payee).
    #[serde(rename = "payments:redeem")]
    PaymentsRedeem,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::RelationshipsRead,
        Scope::PurchasesWrite,
        Scope::WebhooksManage,
        Scope::PaymentsRequest,
        Scope::PaymentsRedeem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::RelationshipsRead => "relationships:read",
            Scope::PurchasesWrite => "purchases:write",
            Scope::WebhooksManage => "webhooks:manage",
            Scope::PaymentsRequest => "payments:request",
            Scope::PaymentsRedeem => "payments:redeem",
        }
    }

    pub fn parse(code: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == code)
    }
}

/// One of a client's keys, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    /// The key's public start (`ak_…`), to tell keys apart in logs and lists.
    pub prefix: String,
    pub created_at_ms: i64,
    /// Set when the key was rotated: it works until then.
    pub expires_at_ms: Option<i64>,
    pub last_used_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiClientView {
    pub id: ApiClientId,
    pub name: String,
    pub kind: ClientKind,
    pub scopes: Vec<Scope>,
    /// Newest first.
    pub keys: Vec<KeyView>,
    pub created_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
}

/// A client with a new key: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedKey {
    pub client: ApiClientView,
    pub secret: String,
}

/// What staff register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiClient {
    pub name: String,
    pub kind: ClientKind,
    pub scopes: Vec<Scope>,
}

impl NewApiClient {
    /// The name trimmed, at least one scope, each once.
    pub fn checked(mut self) -> Result<NewApiClient, (&'static str, Reason)> {
        self.name = self.name.trim().to_string();
        if self.name.is_empty() || self.name.chars().count() > MAX_CLIENT_NAME_CHARS {
            return Err(("name", Reason::EmptyOrTooLong));
        }
        if self.scopes.is_empty() {
            return Err(("scopes", Reason::Required));
        }
        self.scopes.sort_by_key(|s| s.as_str());
        self.scopes.dedup();
        Ok(self)
    }
}

/// What staff may do with API clients.
#[async_trait]
pub trait ApiClientsPort: Send + Sync {
    async fn api_clients(&self, caller: &Caller) -> Result<Vec<ApiClientView>, AppError>;
    async fn register_api_client(
        &self,
        caller: &Caller,
        new: NewApiClient,
    ) -> Result<IssuedKey, AppError>;
    /// A new key; the ones before keep working for [`ROTATION_GRACE_MS`].
    async fn rotate_api_key(&self, caller: &Caller, id: ApiClientId)
        -> Result<IssuedKey, AppError>;
    /// Ends the client: none of its keys works again.
    async fn revoke_api_client(
        &self,
        caller: &Caller,
        id: ApiClientId,
    ) -> Result<ApiClientView, AppError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in ClientKind::ALL {
            assert_eq!(ClientKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }

    #[test]
    fn a_new_client_needs_a_name_and_a_scope() {
        let new = |name: &str, scopes: Vec<Scope>| NewApiClient {
            name: name.into(),
            kind: ClientKind::Merchant,
            scopes,
        };
        assert_eq!(
            new("  ", vec![Scope::RelationshipsRead]).checked(),
            Err(("name", Reason::EmptyOrTooLong))
        );
        assert_eq!(
            new("Shop", vec![]).checked(),
            Err(("scopes", Reason::Required))
        );
        let ok = new(
            " Shop ",
            vec![Scope::RelationshipsRead, Scope::RelationshipsRead],
        )
        .checked()
        .unwrap();
        assert_eq!((ok.name.as_str(), ok.scopes.len()), ("Shop", 1));
    }
}

//! Identifier newtypes: an id of one kind cannot be passed where another is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

define_id!(
    /// A person known to the platform (customer, minor, guardian or staff).
    UserId
);
define_id!(
    /// A ledger account.
    AccountId
);
define_id!(
    /// A ledger transfer (also a hold, or a hold's settlement).
    TransferId
);
define_id!(
    /// A request for someone to approve or decline something.
    ApprovalId
);
define_id!(
    /// An ATM in the fleet.
    AtmId
);
define_id!(
    /// A cardless withdrawal prepared on the phone.
    WithdrawalId
);
define_id!(
    /// A video consultation between a customer and a bank clerk.
    ConsultationId
);
define_id!(
    /// A chat message within a consultation.
    MessageId
);
define_id!(
    /// A withdrawal form pushed in a consultation, and the sub-account it became.
    SubWithdrawalId
);
define_id!(
    /// A transfer to another person (F3), with its risk and its decision.
    SendId
);
define_id!(
    /// A saved payee in someone's list.
    PayeeId
);
define_id!(
    /// A message between two customers.
    DirectMessageId
);
define_id!(
    /// A client of the machine API (a merchant, shop terminal, agent or remittance system).
    ApiClientId
);
define_id!(
    /// A purchase a merchant reported for a minor (F4).
    PurchaseId
);
define_id!(
    /// A message to an API client's webhook endpoint, in the outbox.
    WebhookMessageId
);
define_id!(
    /// A person's identity check (KYC): their details and document, and staff's verdict.
    IdentityCheckId
);
define_id!(
    /// An image a person uploaded: an identity document or proof of a relationship.
    DocumentId
);
define_id!(
    /// A payment a shop terminal or an agent asked a user for (F5).
    PaymentRequestId
);

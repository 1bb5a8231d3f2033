//! The audit trail as staff see it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    /// The previous entry's hash, which this one's hash covers.
    pub prev_hash: String,
    /// This entry's link in the chain (SHA-256, hex).
    pub hash: String,
}

/// A page of entries, newest first; `next` continues with older ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next: Option<i64>,
}

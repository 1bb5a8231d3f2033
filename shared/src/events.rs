//! Live events: what the server pushes to a signed-in person's open pages,
//! and keeps in their inbox. Each person's events are numbered 1, 2, 3…
//! in the order they happened, so a page that reconnects asks for
//! everything after the last number it saw and misses none.

use serde::{Deserialize, Serialize};

use crate::{
    approval::{Approval, ApprovalKind, ApprovalState, Outcome},
    consultation::{ChatMessage, Consultation},
    ids::ApprovalId,
};

/// Something that happened to, or for, the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Someone asks this person to decide.
    ApprovalRequested {
        approval: ApprovalId,
        kind: ApprovalKind,
        requester: String,
        deadline_ms: i64,
        /// The whole request as raised, so an open Approvals page can show it
        /// at once instead of asking for its list first. Absent in events
        /// recorded before it was added.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<Box<Approval>>,
    },
    /// A request for this person ended.
    ApprovalEnded {
        approval: ApprovalId,
        state: ApprovalState,
        outcome: Outcome,
    },
    /// A demo or staff message, already in words.
    Notice { text: String },
    /// A consultation this person is part of (or, for staff, one in the
    /// queue) was asked for, taken or ended.
    ConsultationChanged { consultation: Consultation },
    /// A chat line in a consultation this person is part of.
    ConsultationMessage { message: ChatMessage },
}

/// An event as kept in the inbox and sent down the live channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// This person's event number: 1, 2, 3… with no gaps.
    pub seq: i64,
    /// When it happened, in microseconds since the Unix epoch (fine enough to time delivery).
    pub at_us: i64,
    pub read: bool,
    pub event: Event,
}

/// A page of the inbox, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbox {
    pub items: Vec<Notification>,
    pub unread: i64,
    /// The newest event number: the live channel resumes after it.
    pub last_seq: i64,
    /// Pass as `before` for the next page; `None` at the end.
    pub next_before: Option<i64>,
}

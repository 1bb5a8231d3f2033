//! Live events: what the server pushes to a signed-in person's open pages,
//! and keeps in their inbox. Each person's events are numbered 1, 2, 3…
//! in the order they happened, so a page that reconnects asks for
//! everything after the last number it saw and misses none.

use serde::{Deserialize, Serialize};

use crate::{
    approval::{Approval, ApprovalKind, ApprovalState, Outcome},
    consultation::{ChatMessage, Consultation, Side},
    ids::{ApprovalId, ConsultationId, PurchaseId},
    kyc::IdentityEvent,
    money::Money,
    purchase::PurchaseState,
    sub_withdrawal::SubWithdrawal,
    transfer::send::SendState,
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
    /// Something the person should know, as a code with its particulars;
    /// the app puts it in words, in the reader's language.
    Notice { notice: Notice },
    /// A consultation this person is part of (or, for staff, one in the
    /// queue) was asked for, taken or ended.
    ConsultationChanged { consultation: Consultation },
    /// A chat line in a consultation this person is part of.
    ConsultationMessage { message: ChatMessage },
    /// A withdrawal form pushed in a consultation changed (pushed, opened,
    /// confirmed, paid, locked, returned…), for its customer and its clerk.
    /// It never carries the password.
    SubWithdrawalChanged { withdrawal: SubWithdrawal },
}

impl Event {
    /// Whether it counts as unread (the bell). A withdrawal form's progress
    /// only keeps open pages in step; what the person must act on or know
    /// about it (locked, returned, taken) comes as a `Notice` of its own.
    pub fn needs_attention(&self) -> bool {
        !matches!(self, Event::SubWithdrawalChanged { .. })
    }
}

/// What a notice says, by code; each carries what its words need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Notice {
    /// Their cardless code was scanned at an ATM and refused: already used,
    /// cancelled or expired.
    CashCodeRefused { atm: String, address: String },
    /// Their cardless code was scanned at an ATM without enough cash; the
    /// money stays reserved.
    CashCodeAtmShort { atm: String, address: String },
    /// Their withdrawal sub-account locked after `tries` wrong passwords.
    SubAccountLocked {
        number: String,
        tries: u32,
        atm: String,
    },
    /// The clerk they are talking with asks them to confirm a new password.
    NewPasswordAsked { clerk: String, number: String },
    /// Their withdrawal sub-account was paid out at an ATM.
    SubAccountTaken {
        amount: Money,
        fee: Money,
        atm: String,
    },
    /// Their withdrawal sub-account expired unclaimed; `returned` (amount
    /// and fee) is back in their account.
    SubAccountReturned { amount: Money, returned: Money },
    /// For staff: an ATM locked itself after `after` wrong codes in a row.
    AtmLocked { atm: String, after: u32 },
    /// Someone sending them money asks them to prove who they are (F3).
    ProofAsked { from: String, amount: Money },
    /// The person they are sending to answered with a signed message.
    ProofGiven { to: String, amount: Money },
    /// Money from another customer arrived.
    TransferReceived { from: String, amount: Money },
    /// Their transfer to another customer ended as `state` (settled after
    /// a wait, declined, expired).
    TransferEnded {
        to: String,
        amount: Money,
        state: SendState,
    },
    /// Another customer wrote to them.
    MessageReceived { from: String },
    /// For staff: a transfer was held for their review (F3).
    TransferHeld {
        from: String,
        to: String,
        amount: Money,
    },
    /// A minor's purchase changed (F4), for the minor and their guardians:
    /// reported, waiting for someone, cancelled, completed. Why it was
    /// cancelled is on the purchase itself (kept out of every page's code).
    Purchase {
        purchase: PurchaseId,
        minor: String,
        merchant: String,
        amount: Money,
        state: PurchaseState,
    },
    /// Their identity check or one of their relationships moved on (F4);
    /// `name` is the other side of a relationship, empty for a check.
    Identity { event: IdentityEvent, name: String },
    /// A payment they approved for `requester` was taken by `payee` (F5).
    DelegatedPaid {
        requester: String,
        payee: String,
        amount: Money,
    },
    /// A notice recorded as English text before notices became codes (a
    /// migration wrapped the old rows); never written now.
    LegacyText { text: String },
}

/// A message for someone's open pages that is not kept: it matters only
/// while they are there (a video call's signalling). It travels the live
/// channel as a separate SSE event type, with no number, and is never
/// replayed on reconnection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Transient {
    /// The other side of a consultation's video call says something to this one.
    CallSignal {
        consultation: ConsultationId,
        from: Side,
        signal: CallSignal,
    },
}

/// WebRTC signalling between the two sides of a consultation, relayed by the
/// server to the other side only. SDP and candidates are the browser's own text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallSignal {
    /// This side's camera and microphone are on; the clerk's side then offers.
    Ready,
    /// `attempt` numbers the clerk's offers; the answer repeats it, so an
    /// answer to an offer since replaced is recognised and dropped.
    Offer {
        sdp: String,
        attempt: u32,
    },
    Answer {
        sdp: String,
        attempt: u32,
    },
    /// For the connection of offer `attempt`.
    Candidate {
        candidate: String,
        sdp_mid: Option<String>,
        sdp_m_line_index: Option<u16>,
        attempt: u32,
    },
    /// This side left the call (the consultation may go on in the chat).
    Hangup,
}

impl CallSignal {
    /// Largest signal the server relays, in bytes of JSON: an SDP for one
    /// audio and one video track is a few KB, and on PostgreSQL the whole
    /// message must fit one NOTIFY (8000 bytes).
    pub const MAX_BYTES: usize = 7_000;
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

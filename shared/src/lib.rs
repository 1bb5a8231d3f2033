//! Anshin's typed contract, shared by the browser app and the server.
//!
//! Everything here compiles to wasm32 and does no I/O: money, identifiers,
//! the models the views exchange with the server, the error that crosses the
//! wire, and the service ports the server implements.

#[macro_use]
mod codes;

pub mod age;
pub mod allowance;
pub mod approval;
pub mod atm;
pub mod audit;
pub mod bundle;
pub mod cardless;
pub mod consultation;
pub mod delegation;
pub mod error;
pub mod events;
pub mod geo;
pub mod identity;
pub mod ids;
pub mod kyc;
pub mod lang;
pub mod ledger;
pub mod machine;
pub mod money;
pub mod nickname;
pub mod ports;
pub mod purchase;
pub mod reason;
pub mod sub_withdrawal;
pub mod system;
pub mod transfer;
pub mod webhook;

pub use error::{AppError, ErrorCode};
pub use lang::Lang;
pub use money::{Currency, Money, MoneyError, Yen};
pub use reason::Reason;

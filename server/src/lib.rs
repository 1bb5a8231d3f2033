//! Anshin's server: configuration, database, HTTP layer and the domain services.
//!
//! `main.rs` is only the command line; everything it runs lives here so the
//! integration tests can start the very same server on a random port.

pub mod accounts;
pub mod approvals;
pub mod atms;
pub mod audit;
pub mod bench;
pub mod cardless;
pub mod config;
pub mod consultations;
pub mod db;
pub mod delegation;
pub mod demo;
pub mod demo_shop;
pub mod due;
pub mod error;
pub mod flow;
pub mod guardians;
pub mod housekeeping;
pub mod http;
pub mod identity;
pub mod kyc;
pub mod ledger;
pub mod machine;
pub mod mcp;
pub mod notify;
pub mod purchases;
pub mod startup;
pub mod sub_withdrawals;
pub mod system;
pub mod telemetry;
pub mod transfers;
pub mod webhooks;

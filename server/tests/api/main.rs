//! Integration tests: each starts the real server on a random port with a
//! fresh database, on SQLite and on PostgreSQL, and talks to it over HTTP.

// Test helpers unwrap too: a panic is how a test reports failure.
#![allow(clippy::unwrap_used)]

mod helpers;
mod logs;

mod approvals;
mod atms;
mod audit;
mod authorization;
mod bounds;
mod cardless;
mod cli;
mod consultations;
mod customer_api;
mod database;
mod delegation;
mod flow_atomicity;
mod health;
mod housekeeping;
mod identity;
mod kiosk;
mod kyc;
mod ledger_jobs;
mod ledger_model;
mod ledger_restart;
mod ledger_rules;
mod ledger_stress;
mod live;
mod machine_api;
mod people;
mod purchases;
mod receiver;
mod risk_rules;
mod schema;
mod server_fns;
mod soft_passkey;
mod startup_errors;
mod static_files;
mod sub_withdrawals;
mod transfers;
mod two_instances;
mod webhooks;

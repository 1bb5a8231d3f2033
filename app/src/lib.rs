//! Anshin's browser app.
//!
//! Built two ways: with `csr` (by Trunk, for wasm32) it is the whole
//! client-side SPA — router, views, translations; with `ssr` (by the server)
//! it is only [`api`], the server-function declarations, whose bodies the
//! server links in and runs.

pub mod api;

#[cfg(feature = "csr")]
include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

#[cfg(feature = "csr")]
mod attempt;
#[cfg(feature = "csr")]
mod call;
#[cfg(feature = "csr")]
mod camera;
#[cfg(feature = "csr")]
mod components;
#[cfg(feature = "csr")]
mod geolocation;
#[cfg(feature = "csr")]
mod live;
#[cfg(feature = "csr")]
mod pages;
#[cfg(feature = "csr")]
mod root;
#[cfg(feature = "csr")]
mod session;
#[cfg(feature = "csr")]
mod webauthn;

#[cfg(feature = "csr")]
pub use root::{AtmApp, CashApp, CustomerApp, GuardianApp, SendApp, StaffApp, WelcomeApp};

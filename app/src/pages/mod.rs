//! One module per view; each holds the view's shell and its sections.

pub mod accounts;
pub mod api_clients;
pub mod approvals;
pub mod atm;
pub mod atm_fleet;
pub mod audit;
pub mod cash;
pub mod consult;
pub mod customer;
pub mod guardian;
pub mod held;
pub mod identity;
pub mod inbox;
pub mod kiosk_code;
pub mod kiosk_flow;
pub mod landing;
pub mod my_purchases;
pub mod not_found;
pub mod people;
pub mod reviews;
pub mod risk_rules;
pub mod send;
pub mod sign_in;
pub mod staff;
pub mod staff_history;
pub mod webhook_log;

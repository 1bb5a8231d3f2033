//! One module per view; each holds the view's shell and its sections.

pub mod accounts;
pub mod atm;
pub mod audit;
pub mod customer;
pub mod guardian;
pub mod landing;
pub mod not_found;
pub mod sign_in;
pub mod staff;

//! Flow F3, transfers to other people checked for risk before the money
//! moves: the payee name check, the risk assessment's facts, reasons,
//! score and decision, the rules staff keep, and what the views exchange
//! about a transfer.

pub mod name_check;
pub mod port;
pub mod risk;
pub mod rules;
pub mod send;

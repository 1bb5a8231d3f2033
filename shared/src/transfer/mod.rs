//! Flow F3, transfers to other people checked for risk before the money
//! moves: the payee name check, and the risk assessment's facts, reasons,
//! score and decision.

pub mod name_check;
pub mod risk;

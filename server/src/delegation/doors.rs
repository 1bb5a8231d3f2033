//! How this flow is reached from the views: its port in the server
//! functions' context. The only file of the flow that knows of Leptos.
//! (Its machine API is `crate::machine::payments`; what falls due is the
//! approval engine's expiry, which settles requests through `decided`.)

use leptos::prelude::provide_context;
use shared::delegation::DelegationPort;
use std::sync::Arc;

use super::Delegation;
use crate::flow::Flow;

impl Flow for Delegation {
    fn provide_ports(&self) {
        provide_context::<Arc<dyn DelegationPort>>(Arc::new(self.clone()));
    }
}

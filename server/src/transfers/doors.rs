//! How this flow is reached: it places its port in the views' server
//! functions' context and hands its due-work to the registry. The only
//! file of the flow that knows of Leptos.

use leptos::prelude::provide_context;
use shared::transfer::port::TransfersPort;
use std::sync::Arc;

use super::Transfers;
use crate::{due::DueWork, flow::Flow};

impl Flow for Transfers {
    fn provide_ports(&self) {
        provide_context::<Arc<dyn TransfersPort>>(Arc::new(self.clone()));
    }

    fn due_work(&self) -> Option<Arc<dyn DueWork>> {
        Some(Arc::new(self.clone()))
    }
}

//! How this flow is reached: its port in the views' server functions'
//! context, and its due-work (deadlines and windows) in the registry. The
//! only file of the flow that knows of Leptos.

use leptos::prelude::provide_context;
use shared::purchase::port::PurchasesPort;
use std::sync::Arc;

use super::Purchases;
use crate::{due::DueWork, error::Error, flow::Flow};

impl Flow for Purchases {
    fn provide_ports(&self) {
        provide_context::<Arc<dyn PurchasesPort>>(Arc::new(self.clone()));
    }

    fn due_work(&self) -> Option<Arc<dyn DueWork>> {
        Some(Arc::new(self.clone()))
    }
}

#[async_trait::async_trait]
impl DueWork for Purchases {
    fn what(&self) -> &'static str {
        "purchases past their deadline or window"
    }

    async fn run_due(&self) -> Result<usize, Error> {
        self.run_due_purchases().await
    }
}

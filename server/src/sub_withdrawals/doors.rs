//! How this flow is reached: it places its ports in the views' server
//! functions' context (see `app::api`), and hands its due-work to the
//! registry. The only file of the flow that knows of Leptos.

use leptos::prelude::provide_context;
use shared::sub_withdrawal::port::{CodeKioskPort, SubWithdrawalPort};
use std::sync::Arc;

use super::SubWithdrawals;
use crate::{due::DueWork, flow::Flow};

impl Flow for SubWithdrawals {
    fn provide_ports(&self) {
        let me = Arc::new(self.clone());
        provide_context::<Arc<dyn SubWithdrawalPort>>(me.clone());
        provide_context::<Arc<dyn CodeKioskPort>>(me);
    }

    fn due_work(&self) -> Option<Arc<dyn DueWork>> {
        Some(Arc::new(self.clone()))
    }
}

//! What a flow hands the server: the ports its server functions look up,
//! and its background due-work. Each flow implements [`Flow`] in its own
//! folder; start-up lists the flows once, and the HTTP layer and the
//! due-work registry take everything else from that list.

use std::sync::Arc;

use crate::due::DueWork;

pub trait Flow: std::fmt::Debug + Send + Sync + 'static {
    /// Places the flow's ports in a server function's context.
    fn provide_ports(&self);
    /// What falls due with time in this flow, if anything.
    fn due_work(&self) -> Option<Arc<dyn DueWork>> {
        None
    }
}

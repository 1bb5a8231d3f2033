//! Service ports: what the views may ask of the server.
//!
//! The server implements these traits and places them in the server functions'
//! context; a server function's body only looks its port up and delegates, so
//! no business rule lives in view code.

use async_trait::async_trait;

use crate::{system::ServiceStatus, AppError};

/// Facts about the running service.
#[async_trait]
pub trait SystemPort: Send + Sync {
    async fn service_status(&self) -> Result<ServiceStatus, AppError>;
}

//! PostgreSQL LISTEN: brings every instance's committed events to this one's hub.

use sqlx::postgres::PgListener;
use std::sync::Arc;
use tokio::{sync::broadcast, task::JoinHandle};

use super::{Delivery, Signal, CHANNEL};

/// Connects and listens before returning; then forwards in the background.
pub async fn start(url: &str, hub: broadcast::Sender<Signal>) -> Result<JoinHandle<()>, String> {
    let mut listener = PgListener::connect(url)
        .await
        .map_err(|e| format!("LISTEN connection: {e}"))?;
    listener
        .listen(CHANNEL)
        .await
        .map_err(|e| format!("LISTEN {CHANNEL}: {e}"))?;
    Ok(tokio::spawn(async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => match serde_json::from_str::<Delivery>(n.payload()) {
                    Ok(d) => {
                        let _ = hub.send(Signal::Event(Arc::new(d)));
                    }
                    Err(e) => tracing::warn!(error = %e, "unreadable event notification"),
                },
                // The connection dropped; the next call reconnects. Anything sent
                // meanwhile is lost to LISTEN but not to the inbox.
                Ok(None) => {
                    tracing::warn!("event LISTEN connection lost; reconnecting");
                    let _ = hub.send(Signal::Resync);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "event LISTEN failed; retrying");
                    let _ = hub.send(Signal::Resync);
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }))
}

//! PostgreSQL LISTEN: brings every instance's committed events to this one's hub.

use sqlx::postgres::PgListener;
use std::sync::Arc;
use tokio::{sync::broadcast, task::JoinHandle};

use super::{Delivery, Passing, Signal, CHANNEL, RESYNC, TRANSIENT_PREFIX};

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
                Ok(Some(n)) if n.payload() == RESYNC => {
                    let _ = hub.send(Signal::Resync);
                }
                Ok(Some(n)) if n.payload().starts_with(TRANSIENT_PREFIX) => {
                    match serde_json::from_str::<Passing>(&n.payload()[TRANSIENT_PREFIX.len()..]) {
                        Ok(p) => {
                            let _ = hub.send(Signal::Transient(Arc::new(p)));
                        }
                        Err(e) => tracing::warn!(error = %e, "unreadable transient notification"),
                    }
                }
                Ok(Some(n)) => match serde_json::from_str::<Delivery>(n.payload()) {
                    Ok(d) => {
                        let _ = hub.send(Signal::Event(Arc::new(d)));
                    }
                    Err(e) => tracing::warn!(error = %e, "unreadable event notification"),
                },
                // The connection dropped. Anything sent meanwhile is lost to
                // LISTEN but not to the inbox: once LISTEN is back, every
                // reader re-reads its inbox.
                Ok(None) => relisten(&mut listener, &hub).await,
                Err(e) => {
                    tracing::warn!(error = %e, "event LISTEN failed");
                    relisten(&mut listener, &hub).await;
                }
            }
        }
    }))
}

/// Reconnects and listens again (with back-off), then asks readers to catch up.
async fn relisten(listener: &mut PgListener, hub: &broadcast::Sender<Signal>) {
    let mut wait = std::time::Duration::from_millis(100);
    while let Err(e) = listener.listen(CHANNEL).await {
        tracing::warn!(error = %e, "event LISTEN reconnect failed; retrying");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(std::time::Duration::from_secs(5));
    }
    let _ = hub.send(Signal::Resync);
}

//! Background sweeps: work that runs once at start-up (catching up on what
//! fell due while the server was down) and then at a fixed period, such as
//! releasing expired holds or expiring overdue approval requests.

use std::{fmt::Display, future::Future, time::Duration};
use tokio::task::JoinHandle;

/// Runs `sweep` now and then every `period`; it returns how many things it
/// handled. A failure is logged and retried at the next period.
pub fn every<F, Fut, E>(period: Duration, what: &'static str, sweep: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<usize, E>> + Send,
    E: Display,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(handled = n, what, "sweep done"),
                Err(e) => tracing::error!(error = %e, what, "sweep failed; will retry"),
            }
        }
    })
}

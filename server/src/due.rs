//! Background due-work: what falls due with time rather than with a request
//! (holds and approvals past their deadline, codes and sub-accounts past
//! their expiry). Each service that has some implements [`DueWork`] and is
//! added to one [`Registry`], which runs every entry once at start-up
//! (catching up on what fell due while the server was down) and then at its
//! period. Several server instances may run the same work: each piece of it
//! is a conditional change, so only one of them does it.

use async_trait::async_trait;
use std::{sync::Arc, time::Duration};
use tokio::task::JoinHandle;

use crate::error::Error;

#[async_trait]
pub trait DueWork: Send + Sync + 'static {
    /// What it does, for the log.
    fn what(&self) -> &'static str;
    /// Does what is due now; returns how many things it handled.
    async fn run_due(&self) -> Result<usize, Error>;
}

/// Every piece of due-work and how often it runs.
#[derive(Default)]
pub struct Registry {
    entries: Vec<(Duration, Arc<dyn DueWork>)>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|(p, w)| (w.what(), p)))
            .finish()
    }
}

impl Registry {
    pub fn add(&mut self, period: Duration, work: Arc<dyn DueWork>) -> &mut Self {
        self.entries.push((period, work));
        self
    }

    /// Starts one task per entry. A failure is logged and retried at the next period.
    pub fn start(self) -> Vec<JoinHandle<()>> {
        self.entries
            .into_iter()
            .map(|(period, work)| {
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(period);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tick.tick().await;
                        let what = work.what();
                        match work.run_due().await {
                            Ok(0) => {}
                            Ok(n) => tracing::info!(handled = n, what, "due work done"),
                            Err(e) => {
                                tracing::error!(error = %e, what, "due work failed; will retry")
                            }
                        }
                    }
                })
            })
            .collect()
    }
}

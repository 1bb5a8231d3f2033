//! How many live channels may be open on this instance: per session (one
//! browser's tabs) and in all. A channel holds memory and now and then a
//! database connection; bounded, no caller can take them all, and a page
//! past the bound is told to come back rather than left hanging.

use shared::AppError;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// Tabs one browser may keep live at once.
pub const PER_SESSION: usize = 8;
/// Channels one instance serves at once.
pub const TOTAL: usize = 10_000;
/// When a refused page should try again.
const RETRY_AFTER_S: u32 = 15;

#[derive(Debug, Clone)]
pub struct Channels {
    open: Arc<Mutex<Open>>,
    per_session: usize,
    total: usize,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_session: HashMap<String, usize>,
}

/// One open channel, counted until it is dropped (the page went away).
#[derive(Debug)]
pub struct Held {
    open: Arc<Mutex<Open>>,
    session: String,
}

impl Channels {
    pub fn new(per_session: usize, total: usize) -> Channels {
        Channels {
            open: Arc::default(),
            per_session,
            total,
        }
    }

    /// Counts a channel for `session` (its token's hash), or refuses it with
    /// a 429 and when to come back.
    pub fn open(&self, session: &str) -> Result<Held, AppError> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let mine = open.by_session.get(session).copied().unwrap_or(0);
        if mine >= self.per_session || open.total >= self.total {
            return Err(AppError::RateLimited {
                retry_after_s: RETRY_AFTER_S,
            });
        }
        open.total += 1;
        open.by_session.insert(session.to_string(), mine + 1);
        Ok(Held {
            open: self.open.clone(),
            session: session.to_string(),
        })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_session.get_mut(&self.session) {
            *n -= 1;
            if *n == 0 {
                open.by_session.remove(&self.session);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_session_and_the_whole_instance_have_their_bound() {
        let channels = Channels::new(2, 3);
        let a1 = channels.open("a").unwrap();
        let _a2 = channels.open("a").unwrap();
        assert!(matches!(
            channels.open("a"),
            Err(AppError::RateLimited { .. })
        ));
        let _b1 = channels.open("b").unwrap();
        assert!(channels.open("c").is_err(), "the instance is full");
        drop(a1);
        assert!(
            channels.open("c").is_ok(),
            "a closed channel frees its place"
        );
    }
}

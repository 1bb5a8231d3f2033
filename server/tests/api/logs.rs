//! Captures what the server logs during one test, at every level, so a test
//! can assert that a secret never reaches the logs.
//!
//! `tracing` caches each call site's interest once, process-wide, computed
//! against the default subscriber of whichever thread reaches it first. A
//! thread-local subscriber (`set_default`) therefore loses events whenever a
//! sibling test without one reaches a call site first. So there is one global
//! subscriber, installed before any test's server starts, and it routes each
//! event to the capture of the thread that emitted it; threads without one
//! are filtered out per event, so other tests pay almost nothing.

use std::{
    cell::RefCell,
    io::Write,
    sync::{Arc, Mutex, Once},
};
use tracing_subscriber::{filter::dynamic_filter_fn, fmt, layer::SubscriberExt, Layer};

/// Every log line written on a capturing test's thread.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

thread_local! {
    static CAPTURE: RefCell<Option<Logs>> = const { RefCell::new(None) };
}

fn capturing() -> bool {
    CAPTURE.with(|c| c.borrow().is_some())
}

/// Appends to this thread's capture; a line from elsewhere is dropped.
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(logs) = c.borrow().as_ref() {
                logs.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the routing subscriber once; every test's database set-up calls it.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let layer = fmt::layer()
            .with_ansi(false)
            .with_writer(|| ThreadWriter)
            // Decided per event, never cached: whether a thread captures changes.
            .with_filter(dynamic_filter_fn(|_, _| capturing()));
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
            .expect("no other global subscriber in the test binary");
        // A call site that another thread registered while the global was being
        // stored was judged against no subscriber; judge every call site again.
        tracing::callsite::rebuild_interest_cache();
    });
}

/// Stops this thread's capture when dropped.
pub struct Capturing(Logs);

impl Capturing {
    pub fn logs(&self) -> &Logs {
        &self.0
    }
}

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURE.with(|c| c.borrow_mut().take());
    }
}

/// Starts capturing this thread's log lines at every level. The test's
/// runtime has one thread, so the server it starts logs here too; work moved
/// to the blocking pool (password hashing) is not captured.
pub fn capture() -> Capturing {
    install();
    let logs = Logs::default();
    CAPTURE.with(|c| *c.borrow_mut() = Some(logs.clone()));
    Capturing(logs)
}

fn say(word: &str) {
    tracing::info!(word, "heard");
}

#[test]
fn a_line_is_captured_even_when_another_thread_reached_its_call_site_first() {
    install();
    std::thread::spawn(|| say("elsewhere")).join().unwrap();
    let capturing = capture();
    say("here");
    let text = capturing.logs().text();
    assert!(text.contains("word=\"here\""), "{text}");
    assert!(!text.contains("elsewhere"), "{text}");
}

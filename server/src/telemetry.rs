//! Structured logs: human-readable by default, JSON with `ANSHIN_LOG_FORMAT=json`.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("ANSHIN_LOG_FORMAT").is_ok_and(|v| v == "json");
    // Logs go to stderr; stdout carries only what a person running `anshin` reads.
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_writer(std::io::stderr);
    // A second init (tests start several servers) keeps the first subscriber.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

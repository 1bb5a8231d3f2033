//! Command line and environment: what `anshin` can be asked to do, and with which settings.

use clap::{Args, Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf};

/// Default database: a SQLite file beside wherever the server is started.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/anshin.db?mode=rwc";

#[derive(Debug, Parser)]
#[command(
    name = "anshin",
    version,
    about = "Anshin: safe money movement across people, places and devices"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings for `serve`, which runs when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app and its API (the default). A flag given twice takes its
    /// last value, so a wrapper's defaults can be overridden after them.
    #[command(args_override_self = true)]
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Check the ledger's invariants: prints `ledger ok …`, or each violation and exits 1.
    CheckLedger(DatabaseArgs),
    /// Make a one-time link (valid 24 h) for a new member of staff to register their passkey.
    CreateStaff(CreateStaffArgs),
    /// Walk the audit trail's hash chain: prints `audit ok entries=N`, or the first broken entry and exits 1.
    VerifyAudit(DatabaseArgs),
    /// Print the machine API's OpenAPI document (as `/v1/openapi.json` serves it) and exit.
    Openapi,
    /// Serve the MCP tools for AI agents over stdin/stdout, against a running server's `/v1`.
    Mcp(McpArgs),
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        what: Bench,
    },
}

#[derive(Debug, Clone, Args)]
pub struct McpArgs {
    /// Where the Anshin server answers.
    #[arg(long, env = "ANSHIN_URL", default_value = "http://127.0.0.1:3000")]
    pub url: String,
    /// An agent API client's key (`ak_…`), issued by the bank's staff.
    #[arg(long, env = "ANSHIN_API_KEY", hide_env_values = true)]
    pub api_key: String,
}

#[derive(Debug, Clone, Args)]
pub struct CreateStaffArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The staff member's name, as it will be shown and audited.
    #[arg(long)]
    pub name: String,
    /// Where the app is served, for the link.
    #[arg(long, env = "ANSHIN_ORIGIN", default_value = "http://localhost:3000")]
    pub origin: String,
}

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// Transfers per second and latency through the ledger service.
    Ledger(LedgerBenchArgs),
    /// Risk assessment latency over a generated population, and confirm → credit.
    Risk(RiskBenchArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RiskBenchArgs {
    /// A scratch database: the benchmark fills it with a population (once) and moves money in it.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/bench-risk.db?mode=rwc"
    )]
    pub database_url: String,
    #[arg(long, default_value_t = 100_000)]
    pub accounts: usize,
    /// Completed transfers between the accounts.
    #[arg(long, default_value_t = 1_000_000)]
    pub transfers: usize,
    /// Assessments timed.
    #[arg(long, default_value_t = 5_000)]
    pub samples: usize,
    /// Transfers confirmed and timed until the recipient's balance changed.
    #[arg(long, default_value_t = 500)]
    pub confirms: usize,
}

#[derive(Debug, Clone, Args)]
pub struct LedgerBenchArgs {
    /// A scratch database: the benchmark opens accounts and moves money in it.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/bench.db?mode=rwc"
    )]
    pub database_url: String,
    /// Concurrent clients, each sending one transfer at a time.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Accounts to move money between (Zipf-skewed: a few are hot).
    #[arg(long, default_value_t = 1000)]
    pub accounts: usize,
    /// Most transfers committed per transaction; 1 measures commit-per-transfer.
    #[arg(long, default_value_t = crate::ledger::MAX_BATCH)]
    pub max_batch: usize,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address and port to listen on.
    #[arg(long, env = "ANSHIN_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Trunk's output directory with the built browser app.
    #[arg(long, env = "ANSHIN_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Seed demo personas and data; refused when `--production` is set.
    #[arg(long, env = "ANSHIN_DEMO")]
    pub demo: bool,
    /// Marks a real deployment: demo mode cannot be turned on.
    #[arg(long, env = "ANSHIN_PRODUCTION")]
    pub production: bool,
    /// STUN/TURN servers for consultation video calls, as a JSON array of
    /// `{"urls": ["turn:host:3478"], "username": "…", "credential": "…"}`.
    /// None are needed on one machine or a LAN; real networks need them.
    #[arg(long, env = "ANSHIN_ICE_SERVERS", default_value = "[]")]
    pub ice_servers: String,
    /// Extra origins (scheme://host:port) allowed to call state-changing endpoints,
    /// besides the one the request was addressed to. Comma-separated.
    #[arg(long, env = "ANSHIN_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Addresses of proxies in front of the server, whose `X-Forwarded-For`
    /// names the client that per-address limits count. Comma-separated.
    #[arg(long, env = "ANSHIN_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The passkey relying-party id: the site's domain.
    #[arg(long, env = "ANSHIN_RP_ID", default_value = "localhost")]
    pub rp_id: String,
    /// The exact origin pages are served from; default `http://<rp-id>:<port>`.
    #[arg(long, env = "ANSHIN_ORIGIN")]
    pub origin: Option<String>,
    /// Sign-in and sign-up steps allowed per network address per minute.
    #[arg(long, env = "ANSHIN_SIGN_IN_PER_MINUTE", default_value_t = crate::http::rate_limit::PER_MINUTE)]
    pub sign_in_per_minute: u32,
    /// How often expired holds are released, in milliseconds.
    #[arg(long, env = "ANSHIN_EXPIRY_SWEEP_MS", default_value_t = 1000)]
    pub expiry_sweep_ms: u64,
    /// How often overdue approval requests are expired, in milliseconds.
    #[arg(long, env = "ANSHIN_APPROVAL_SWEEP_MS", default_value_t = 500)]
    pub approval_sweep_ms: u64,
    /// Approval decisions allowed per person and per network address per minute.
    #[arg(long, env = "ANSHIN_DECISIONS_PER_MINUTE", default_value_t = crate::http::rate_limit::DECISIONS_PER_MINUTE)]
    pub decisions_per_minute: u32,
    /// Calls each machine API client may make per minute.
    #[arg(long, env = "ANSHIN_API_PER_MINUTE", default_value_t = crate::machine::API_PER_MINUTE)]
    pub api_per_minute: u32,
    /// Payment requests naming one nickname per minute, from all requesters together (F5).
    #[arg(long, env = "ANSHIN_REQUESTS_PER_NICKNAME", default_value_t = crate::delegation::PER_NICKNAME_PER_MINUTE)]
    pub requests_per_nickname: u32,
    /// Payment requests one shop terminal or agent may make per minute (F5).
    #[arg(long, env = "ANSHIN_REQUESTS_PER_REQUESTER", default_value_t = crate::delegation::PER_REQUESTER_PER_MINUTE)]
    pub requests_per_requester: u32,
    /// How long a guardian may cancel a minor's purchase (ms).
    #[arg(long, env = "ANSHIN_PURCHASE_WINDOW_MS", default_value_t = 30 * 60 * 1000)]
    pub purchase_window_ms: i64,

    /// Wait before the first retry of a failed webhook (ms); each later one doubles it.
    #[arg(long, env = "ANSHIN_WEBHOOK_FIRST_RETRY_MS", default_value_t = 5_000)]
    pub webhook_first_retry_ms: i64,

    /// How often the webhook outbox is looked at when nothing wakes it (ms).
    #[arg(long, env = "ANSHIN_WEBHOOK_SWEEP_MS", default_value_t = 1_000)]
    pub webhook_sweep_ms: u64,

    /// How long a cardless withdrawal code waits for an ATM, in milliseconds.
    #[arg(long, env = "ANSHIN_CARDLESS_TTL_MS", default_value_t = 10 * 60 * 1000)]
    pub cardless_ttl_ms: i64,
    /// The fee for one cardless withdrawal, in yen (charged only when the cash is taken).
    #[arg(long, env = "ANSHIN_CARDLESS_FEE_YEN", default_value_t = 110)]
    pub cardless_fee_yen: u32,
    /// How long a withdrawal sub-account from a consultation waits for an
    /// ATM before its money goes back to the main account, in milliseconds.
    #[arg(long, env = "ANSHIN_SUB_ACCOUNT_TTL_MS", default_value_t = 24 * 3600 * 1000)]
    pub sub_account_ttl_ms: i64,
    /// The fee for one withdrawal with a code (from a consultation's
    /// sub-account), in yen: its own schedule, apart from the cardless fee.
    #[arg(long, env = "ANSHIN_CODE_WITHDRAWAL_FEE_YEN", default_value_t = 220)]
    pub code_withdrawal_fee_yen: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serve_flag_given_twice_takes_its_last_value() {
        let cli = Cli::try_parse_from([
            "anshin",
            "serve",
            "--sign-in-per-minute",
            "1000",
            "--sign-in-per-minute",
            "5",
        ])
        .expect("parses");
        let Some(Command::Serve(args)) = cli.command else {
            panic!("not serve");
        };
        assert_eq!(args.sign_in_per_minute, 5);
    }
}

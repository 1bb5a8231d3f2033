//! Bringing the server up and down: database, migrations, services, listener,
//! graceful shutdown. Used by `main` and by the integration tests alike.

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{
    accounts::AccountsService,
    approvals::Approvals,
    config::ServeArgs,
    db::Db,
    demo,
    error::StartupError,
    http::{self, AppState},
    identity::Identity,
    ledger::Ledger,
    notify::Notifier,
    system::SystemService,
};

/// How often rows of no more use are cut back (`housekeeping`).
const HOUSEKEEPING_PERIOD: Duration = Duration::from_secs(600);

/// Opens the database and applies migrations (what `anshin migrate` does).
pub async fn open_database(url: &str) -> Result<Db, StartupError> {
    let db = Db::connect(url).await?;
    db.migrate().await.map_err(|e| StartupError::Migrate {
        url: crate::db::redact(url),
        cause: e.to_string(),
    })?;
    Ok(db)
}

/// A server answering on `addr` until [`Running::shutdown`] or the task ends.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub db: Db,
    pub ledger: Ledger,
    pub approvals: Approvals,
    pub notifier: Notifier,
    /// Its due-work is run by hand in tests of expiry.
    pub sub_withdrawals: crate::sub_withdrawals::SubWithdrawals,
    /// Background tasks: hold expiry, approval expiry, event LISTEN.
    background: Vec<JoinHandle<()>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, then closes the pool.
    pub async fn shutdown(mut self) -> Result<(), StartupError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.wait().await
    }

    /// Waits for the server to end (after a shutdown signal).
    pub async fn wait(&mut self) -> Result<(), StartupError> {
        let result = (&mut self.task)
            .await
            .map_err(|e| StartupError::Serve(e.to_string()))?
            .map_err(|e| StartupError::Serve(e.to_string()));
        for task in &self.background {
            task.abort();
        }
        self.db.close().await;
        result
    }

    /// A sender that starts the graceful shutdown when used.
    pub fn take_stop(&mut self) -> Option<oneshot::Sender<()>> {
        self.stop.take()
    }
}

/// Checks the settings, opens everything and starts serving in the background.
pub async fn start(args: ServeArgs) -> Result<Running, StartupError> {
    if args.demo && args.production {
        return Err(StartupError::DemoInProduction);
    }
    require_dist(&args.dist)?;
    let ice_servers: Vec<shared::consultation::IceServer> = serde_json::from_str(&args.ice_servers)
        .map_err(|e| StartupError::IceServers(e.to_string()))?;
    let db = open_database(&args.database.database_url).await?;
    let system = SystemService::new(db.clone(), args.demo);
    system
        .record_installation()
        .await
        .map_err(|e| StartupError::Database {
            url: crate::db::redact(&args.database.database_url),
            cause: e.to_string(),
        })?;
    let (notifier, event_listener) = Notifier::start(db.clone(), &args.database.database_url)
        .await
        .map_err(|cause| StartupError::Database {
            url: crate::db::redact(&args.database.database_url),
            cause,
        })?;
    let ledger = Ledger::start(db.clone(), Some(notifier.publisher()));
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| StartupError::Listen {
            addr: args.listen,
            cause: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| StartupError::Listen {
        addr: args.listen,
        cause: e.to_string(),
    })?;
    let origin = match &args.origin {
        Some(o) => o.clone(),
        None => format!("http://{}:{}", args.rp_id, addr.port()),
    };
    let origin = url::Url::parse(&origin)
        .map_err(|e| StartupError::Passkeys(format!("origin {origin:?}: {e}")))?;
    let identity = Identity::new(
        db.clone(),
        ledger.clone(),
        &args.rp_id,
        &origin,
        origin.scheme() == "https",
        args.demo,
        args.sign_in_per_minute,
    )
    .map_err(StartupError::Passkeys)?;
    if args.demo {
        demo::seed(&db, &ledger)
            .await
            .map_err(|e| StartupError::Database {
                url: crate::db::redact(&args.database.database_url),
                cause: format!("seeding demo data: {e}"),
            })?;
    }
    let identity = Arc::new(identity);
    let approvals = Approvals::new(
        db.clone(),
        identity.clone(),
        notifier.clone(),
        args.decisions_per_minute,
        args.demo,
    );
    let atms = crate::atms::AtmFleet::new(
        db.clone(),
        ledger.clone(),
        notifier.clone(),
        origin.scheme() == "https",
    );
    if args.demo {
        atms.seed_demo().await.map_err(|e| StartupError::Database {
            url: crate::db::redact(&args.database.database_url),
            cause: format!("seeding the demo ATM: {e}"),
        })?;
    }
    let atms = Arc::new(atms);
    let cardless = crate::cardless::Cardless::new(
        db.clone(),
        ledger.clone(),
        atms.clone(),
        approvals.clone(),
        notifier.clone(),
        crate::cardless::Terms {
            ttl_ms: args.cardless_ttl_ms.clamp(1_000, 24 * 3600 * 1000),
            fee_yen: i64::from(args.cardless_fee_yen),
        },
    );
    let consultations = Arc::new(crate::consultations::Consultations::new(
        db.clone(),
        notifier.clone(),
        ice_servers,
    ));
    let sub_withdrawals = crate::sub_withdrawals::SubWithdrawals::new(
        db.clone(),
        ledger.clone(),
        identity.clone(),
        atms.clone(),
        consultations.clone(),
        crate::sub_withdrawals::Terms {
            ttl_ms: args.sub_account_ttl_ms.clamp(1_000, 30 * 24 * 3600 * 1000),
            fee_yen: i64::from(args.code_withdrawal_fee_yen),
        },
    );
    let hold_period = Duration::from_millis(args.expiry_sweep_ms.max(10));
    let approval_period = Duration::from_millis(args.approval_sweep_ms.max(10));
    let mut due = crate::due::Registry::default();
    due.add(hold_period, Arc::new(ledger.clone()))
        .add(approval_period, Arc::new(approvals.clone()))
        .add(
            HOUSEKEEPING_PERIOD,
            Arc::new(crate::housekeeping::Housekeeping::new(db.clone())),
        );
    // The money flows: each brings its ports and its due-work.
    let transfers = crate::transfers::Transfers::new(
        db.clone(),
        ledger.clone(),
        identity.clone(),
        notifier.clone(),
        crate::transfers::Terms::default(),
    );
    let webhooks = crate::webhooks::Webhooks::new(
        db.clone(),
        crate::webhooks::Terms {
            first_retry_ms: args.webhook_first_retry_ms.clamp(10, 3_600_000),
            sweep_ms: args.webhook_sweep_ms.clamp(10, 60_000),
        },
    );
    let purchases = crate::purchases::Purchases::new(
        db.clone(),
        ledger.clone(),
        identity.clone(),
        notifier.clone(),
        webhooks.clone(),
        crate::purchases::Waits {
            window_ms: args.purchase_window_ms.clamp(1_000, 7 * 24 * 3600 * 1000),
            ..crate::purchases::Waits::default()
        },
    );
    let delegation = crate::delegation::Delegation::new(
        db.clone(),
        ledger.clone(),
        notifier.clone(),
        webhooks.clone(),
        crate::delegation::Limits {
            per_requester: args.requests_per_requester,
            per_nickname: args.requests_per_nickname,
        },
    );
    approvals.on_decided(
        shared::approval::ApprovalKind::DelegatedPayment,
        Arc::new(crate::delegation::decided::Decided {
            webhooks: webhooks.clone(),
        }),
    );
    let kyc = crate::kyc::Kyc::new(db.clone(), notifier.clone());
    let guardians = crate::guardians::Guardians::new(db.clone(), ledger.clone());
    let flows: Vec<Arc<dyn crate::flow::Flow>> = vec![
        Arc::new(cardless),
        Arc::new(sub_withdrawals.clone()),
        Arc::new(transfers),
        Arc::new(purchases.clone()),
        Arc::new(kyc.clone()),
        Arc::new(guardians.clone()),
        Arc::new(delegation.clone()),
    ];
    for work in flows.iter().filter_map(|f| f.due_work()) {
        due.add(approval_period, work);
    }
    let mut background = due.start();
    background.push(event_listener);
    background.push(webhooks.start());
    let state = AppState {
        system: Arc::new(system),
        accounts: Arc::new(AccountsService::new(ledger.clone())),
        identity,
        audit: Arc::new(crate::audit::AuditService::new(db.clone())),
        approvals: Arc::new(approvals.clone()),
        atms,
        consultations,
        flows: flows.into(),
        notifier: Arc::new(notifier.clone()),
        live_channels: http::channels::Channels::new(
            http::channels::PER_SESSION,
            http::channels::TOTAL,
        ),
        address_limits: http::rate_limit::AddressLimits {
            sign_in: http::rate_limit::Limiter::new(
                &db,
                "sign_in_address",
                args.sign_in_per_minute,
            ),
            trusted_proxies: args.trusted_proxies.clone().into(),
            decisions: http::rate_limit::Limiter::new(
                &db,
                "decisions_address",
                args.decisions_per_minute,
            ),
        },
        demo: args.demo,
        // The site's own origin is always ours, whatever host a request
        // was addressed to (an instance behind a balancer, or beside another).
        allowed_origins: Arc::new(
            args.allowed_origins
                .iter()
                .cloned()
                .chain([origin.origin().ascii_serialization()])
                .collect(),
        ),
        api_clients: Arc::new(crate::machine::clients::ApiClients::new(
            db.clone(),
            args.api_per_minute,
        )),
        guardians: Arc::new(guardians),
        kyc: Arc::new(kyc),
        purchases: Arc::new(purchases),
        delegation: Arc::new(delegation),
        webhooks,
        db: db.clone(),
    };
    let shop = match args.demo {
        true => Some(demo_shop(&state, &ledger, addr).await?.router()),
        false => None,
    };
    // The agents' MCP door calls this server's own `/v1` over loopback.
    let mcp = crate::mcp::service(&state, format!("http://127.0.0.1:{}", addr.port()));
    let router = http::router(state, &args.dist, mcp, shop);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(http::serve::serve(listener, router, async move {
        let _ = stopped.await;
    }));
    tracing::info!(%addr, engine = db.engine().name(), demo = args.demo, "anshin listening");
    Ok(Running {
        addr,
        db,
        ledger,
        approvals,
        notifier,
        sub_withdrawals,
        background,
        stop: Some(stop),
        task,
    })
}

fn require_dist(dist: &Path) -> Result<(), StartupError> {
    let pages = shared::bundle::Bundle::ALL.map(|b| b.page());
    if pages.iter().all(|page| dist.join(page).is_file()) {
        Ok(())
    } else {
        Err(StartupError::MissingDist {
            path: dist.to_path_buf(),
        })
    }
}

/// The demo shop, registered as a merchant by the demo clerk, selling to the demo minor.
async fn demo_shop(
    state: &AppState,
    ledger: &crate::ledger::Ledger,
    addr: SocketAddr,
) -> Result<crate::demo_shop::DemoShop, StartupError> {
    let failed = |e: crate::error::Error| StartupError::Database {
        url: String::new(),
        cause: format!("setting up the demo shop: {e}"),
    };
    let person = |nickname: &'static str| async move {
        crate::identity::store::user_by_nickname(&state.db, nickname)
            .await
            .map_err(failed)?
            .ok_or_else(|| failed(shared::AppError::NotFound.into()))
    };
    let (clerk, minor) = (person("sato").await?, person("taro").await?);
    let account = ledger
        .accounts_of(&crate::identity::holder(minor.id))
        .await
        .map_err(|e| failed(e.into()))?
        .first()
        .map(|a| shared::transfer::send::account_number(a.id))
        .unwrap_or_default();
    let host = if addr.ip().is_unspecified() {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        addr.ip()
    };
    let base = format!("http://{}", SocketAddr::new(host, addr.port()));
    crate::demo_shop::DemoShop::setup(
        &state.db,
        &state.api_clients,
        &state.webhooks,
        clerk.id,
        account,
        base,
    )
    .await
    .map_err(failed)
}

//! The ATM fleet: staff register machines (each with a cash cassette in the
//! ledger), load and refill their cash, and take them out of service; a
//! kiosk browser becomes a machine by entering its one-time code once, and
//! then carries a credential cookie (`anshin_atm`) that staff can revoke.

pub mod store;

pub use store::AtmRow;

use async_trait::async_trait;
use shared::{
    atm::{Atm, AtmEnrollment, AtmState, NewAtm},
    geo::LatLon,
    ids::{AccountId, AtmId},
    ledger::{AccountKind, IdempotencyKey, TransferCode, TransferRequest},
    money::{Currency, Money},
    ports::{AtmFleetPort, Caller},
    AppError, Reason, Yen,
};

use crate::{
    audit,
    db::Db,
    error::internal,
    identity::{holder, session},
    ledger::{Ledger, NewAccount},
    system::now_ms,
};

/// The kiosk's credential cookie.
pub const COOKIE_NAME: &str = "anshin_atm";
/// How long an enrollment code works.
const CODE_TTL_MS: i64 = 24 * 3600 * 1000;
/// How long a kiosk credential lasts before staff must enroll the kiosk again.
const KIOSK_TTL_S: i64 = 365 * 24 * 3600;
/// Most cash one load or refill may add, in yen.
const MAX_LOAD_YEN: i64 = 50_000_000;
const SCOPE: &str = "atm-fleet";
/// Where the platform's own cash comes from (its account id is kept in `settings`).
const VAULT_SETTING: &str = "cash_vault_account";
/// The demo's ATM, at Shibuya Station's real coordinates.
pub const DEMO_ATM: &str = "Shibuya Station";

#[derive(Debug, Clone)]
pub struct AtmFleet {
    db: Db,
    ledger: Ledger,
    notifier: crate::notify::Notifier,
    secure_cookies: bool,
}

/// Wrong codes in a row after which a kiosk locks until staff look at it.
pub const LOCK_AFTER_BAD_CODES: i64 = 5;

/// A code a person can type at a kiosk: 12 letters and digits without look-alikes, in groups of four (60 bits).
fn new_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..12)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Codes are compared without case, spaces or dashes, as people type them.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn validate(new: &NewAtm) -> Result<LatLon, AppError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::invalid("name", Reason::EmptyOrTooLong));
    }
    if new.address.trim().is_empty() || new.address.chars().count() > 200 {
        return Err(AppError::invalid("address", Reason::EmptyOrTooLong));
    }
    let at = LatLon::new(new.lat, new.lon)
        .ok_or_else(|| AppError::invalid("place", Reason::OutOfRange))?;
    check_yen(new.cash_yen, true)?;
    Ok(at)
}

fn check_yen(cash: Yen, zero_ok: bool) -> Result<(), AppError> {
    let yen = cash.0;
    if (yen == 0 && !zero_ok) || !(0..=MAX_LOAD_YEN).contains(&yen) {
        return Err(AppError::invalid("cash", Reason::OutOfRange));
    }
    if yen % 1000 != 0 {
        return Err(AppError::invalid("cash", Reason::NotWholeThousands));
    }
    Ok(())
}

impl AtmFleet {
    pub fn new(
        db: Db,
        ledger: Ledger,
        notifier: crate::notify::Notifier,
        secure_cookies: bool,
    ) -> Self {
        AtmFleet {
            db,
            ledger,
            notifier,
            secure_cookies,
        }
    }

    /// The machine an enrolled, working kiosk is.
    pub async fn active_kiosk(&self, device: Option<&str>) -> Result<store::AtmRow, AppError> {
        let token = device.ok_or(AppError::Forbidden)?;
        let row = store::by_token(&self.db, &session::hash(token), now_ms())
            .await?
            .ok_or(AppError::Forbidden)?;
        match row.state {
            AtmState::Active => Ok(row),
            AtmState::Locked => Err(AppError::Conflict {
                reason: Reason::AtmLocked,
            }),
            _ => Err(AppError::Forbidden),
        }
    }

    /// Counts a wrong code at `atm`; locking it tells every member of staff.
    pub async fn bad_code(&self, atm: &store::AtmRow) -> Result<(), AppError> {
        let locked = store::bad_code(&self.db, atm.id, LOCK_AFTER_BAD_CODES).await?;
        if locked {
            tracing::warn!(atm = %atm.id, "ATM locked after repeated wrong codes");
            self.audited(
                "system".into(),
                "atm.locked",
                Some(atm.id),
                async |_| Ok(()),
            )
            .await?;
            let staff = crate::identity::store::staff_ids(self.db.pool()).await?;
            let event = shared::events::Event::Notice {
                notice: shared::events::Notice::AtmLocked {
                    atm: atm.name.clone(),
                    after: LOCK_AFTER_BAD_CODES as u32,
                },
            };
            for id in staff {
                self.notifier.notify(id, &event).await?;
            }
        }
        Ok(())
    }

    pub async fn good_code(&self, atm: &store::AtmRow) -> Result<(), AppError> {
        Ok(store::good_code(&self.db, atm.id).await?)
    }

    /// Registers a machine on behalf of `actor` (staff, or the demo seed).
    pub async fn register(&self, actor: String, new: NewAtm) -> Result<AtmEnrollment, AppError> {
        let at = validate(&new)?;
        let name = new.name.trim().to_string();
        let cassette = self
            .ledger
            .open_account(NewAccount::platform(
                AccountKind::AtmCassette,
                Currency::Jpy,
                &format!("ATM cassette: {name}"),
            ))
            .await?;
        let code = new_code();
        let expires = now_ms() + CODE_TTL_MS;
        let code_hash = session::hash(&normalise(&code));
        let address = new.address.trim().to_string();
        let id = self
            .audited(actor, "staff.atm_registered", None, async |conn| {
                store::insert(
                    conn,
                    store::Insert {
                        name: &name,
                        address: &address,
                        at,
                        cassette,
                        code_hash: &code_hash,
                        code_expires_ms: expires,
                        now_ms: now_ms(),
                    },
                )
                .await
                .map_err(|e| internal("atm", e))
            })
            .await?;
        // The machine exists even if loading fails; a refill (same key) finishes the job.
        self.load_cash(&self.row(id).await?, new.cash_yen.0, "initial-load")
            .await?;
        self.enrollment(id, code, expires).await
    }

    /// Demo mode: the Shibuya Station ATM, registered once with ¥2,000,000.
    pub async fn seed_demo(&self) -> Result<(), AppError> {
        if store::named(&self.db, DEMO_ATM).await? {
            return Ok(());
        }
        self.register(
            "demo-seed".into(),
            NewAtm {
                name: DEMO_ATM.into(),
                address: "1-1-1 Dogenzaka, Shibuya-ku, Tokyo (JR Shibuya Station)".into(),
                lat: 35.658_034,
                lon: 139.701_636,
                cash_yen: Yen(2_000_000),
            },
        )
        .await
        .map(|_| ())
    }

    /// The platform's cash vault account, opened on first use.
    async fn vault(&self) -> Result<AccountId, AppError> {
        Ok(self
            .ledger
            .platform_account(VAULT_SETTING, AccountKind::Funding, "Cash vault")
            .await?)
    }

    async fn load_cash(&self, row: &store::AtmRow, yen: i64, key: &str) -> Result<(), AppError> {
        if yen == 0 {
            return Ok(());
        }
        let key = IdempotencyKey::parse(&format!("atm:{}:{key}", row.id))
            .map_err(|_| AppError::invalid("key", Reason::Malformed))?;
        let request = TransferRequest::Single {
            debit: row.cassette,
            credit: self.vault().await?,
            amount: Money::jpy(yen),
            code: TransferCode::CashRefill,
            reference: format!("Cash loaded into {}", row.name),
        };
        self.ledger.transfer(SCOPE, &key, request).await?;
        Ok(())
    }

    async fn view(&self, row: store::AtmRow) -> Result<Atm, AppError> {
        let cash = self.ledger.balance(row.cassette).await?.available();
        Ok(Atm {
            id: row.id,
            name: row.name,
            address: row.address,
            at: row.at,
            state: row.state,
            cash,
            last_seen_ms: row.last_seen_ms,
        })
    }

    async fn row(&self, id: AtmId) -> Result<store::AtmRow, AppError> {
        let mut conn = self.db.conn().await?;
        store::get(&mut conn, id).await?.ok_or(AppError::NotFound)
    }

    /// Runs `change` and its audit entry in one transaction.
    async fn audited<T>(
        &self,
        actor: String,
        action: &str,
        id: Option<AtmId>,
        change: impl AsyncFnOnce(&mut sqlx::AnyConnection) -> Result<T, AppError>,
    ) -> Result<T, AppError>
    where
        T: AuditSubject,
    {
        let mut tx = self.db.begin().await?;
        let out = change(&mut tx).await?;
        let subject = id
            .or(out.atm_id())
            .map_or_else(String::new, |id| format!("atm:{id}"));
        let event = audit::Event {
            actor,
            action: action.into(),
            subject,
            detail: "{}".into(),
        };
        audit::append(&mut tx, &[event], now_ms()).await?;
        Db::commit(tx).await?;
        Ok(out)
    }

    async fn enrollment(
        &self,
        id: AtmId,
        code: String,
        expires: i64,
    ) -> Result<AtmEnrollment, AppError> {
        let atm = self.view(self.row(id).await?).await?;
        Ok(AtmEnrollment {
            atm,
            code,
            expires_at_ms: expires,
        })
    }

    fn kiosk_cookie(&self, token: &str) -> String {
        format!(
            "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={KIOSK_TTL_S}{}",
            if self.secure_cookies { "; Secure" } else { "" }
        )
    }
}

/// Which machine a change was about, for its audit entry.
trait AuditSubject {
    fn atm_id(&self) -> Option<AtmId>;
}

impl AuditSubject for AtmId {
    fn atm_id(&self) -> Option<AtmId> {
        Some(*self)
    }
}

impl AuditSubject for () {
    fn atm_id(&self) -> Option<AtmId> {
        None
    }
}

#[async_trait]
impl AtmFleetPort for AtmFleet {
    async fn atms(&self, caller: &Caller) -> Result<Vec<Atm>, AppError> {
        caller.require_staff()?;
        let rows = store::all(&self.db).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.view(row).await?);
        }
        Ok(out)
    }

    async fn register_atm(&self, caller: &Caller, new: NewAtm) -> Result<AtmEnrollment, AppError> {
        let staff = caller.require_staff()?;
        self.register(holder(staff), new).await
    }

    async fn reissue_code(&self, caller: &Caller, id: AtmId) -> Result<AtmEnrollment, AppError> {
        let staff = caller.require_staff()?;
        let code = new_code();
        let expires = now_ms() + CODE_TTL_MS;
        let hash = session::hash(&normalise(&code));
        self.audited(
            holder(staff),
            "staff.atm_code_reissued",
            Some(id),
            async |conn| match store::reissue(conn, id, &hash, expires).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(AppError::NotFound),
                Err(e) => Err(internal("atm", e)),
            },
        )
        .await?;
        self.enrollment(id, code, expires).await
    }

    async fn refill(
        &self,
        caller: &Caller,
        id: AtmId,
        cash: Yen,
        key: &str,
    ) -> Result<Atm, AppError> {
        let staff = caller.require_staff()?;
        check_yen(cash, false)?;
        let yen = cash.0;
        let row = self.row(id).await?;
        if row.state == AtmState::Revoked {
            return Err(AppError::Conflict {
                reason: Reason::AtmRevoked,
            });
        }
        self.load_cash(&row, yen, &format!("refill:{key}")).await?;
        self.audited(holder(staff), "staff.atm_refilled", Some(id), async |_| {
            Ok(())
        })
        .await?;
        self.view(self.row(id).await?).await
    }

    async fn revoke(&self, caller: &Caller, id: AtmId) -> Result<Atm, AppError> {
        let staff = caller.require_staff()?;
        self.audited(
            holder(staff),
            "staff.atm_revoked",
            Some(id),
            async |conn| match store::revoke(conn, id).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(AppError::NotFound),
                Err(e) => Err(internal("atm", e)),
            },
        )
        .await?;
        self.view(self.row(id).await?).await
    }

    async fn enroll_kiosk(&self, code: &str) -> Result<(Atm, String), AppError> {
        let token = session::new_token();
        let code_hash = session::hash(&normalise(code));
        let token_hash = session::hash(&token);
        let id = self
            .audited("kiosk".into(), "atm.kiosk_enrolled", None, async |conn| {
                store::enroll(conn, &code_hash, &token_hash, now_ms())
                    .await?
                    .ok_or_else(|| AppError::invalid("code", Reason::InvalidOrUsed))
            })
            .await?;
        let atm = self.view(self.row(id).await?).await?;
        Ok((atm, self.kiosk_cookie(&token)))
    }

    async fn this_kiosk(&self, device: Option<&str>) -> Result<Option<Atm>, AppError> {
        let Some(token) = device else { return Ok(None) };
        let row = store::by_token(&self.db, &session::hash(token), now_ms()).await?;
        match row {
            Some(row) => Ok(Some(self.view(row).await?)),
            None => Ok(None),
        }
    }
}

/// What a withdrawal flow may ask of the fleet at a kiosk: which machine
/// the kiosk is, and counting its wrong and right codes.
#[async_trait]
pub trait Kiosks: std::fmt::Debug + Send + Sync + 'static {
    async fn active_kiosk(&self, device: Option<&str>) -> Result<AtmRow, AppError>;
    async fn bad_code(&self, atm: &AtmRow) -> Result<(), AppError>;
    async fn good_code(&self, atm: &AtmRow) -> Result<(), AppError>;
}

#[async_trait]
impl Kiosks for AtmFleet {
    async fn active_kiosk(&self, device: Option<&str>) -> Result<AtmRow, AppError> {
        AtmFleet::active_kiosk(self, device).await
    }

    async fn bad_code(&self, atm: &AtmRow) -> Result<(), AppError> {
        AtmFleet::bad_code(self, atm).await
    }

    async fn good_code(&self, atm: &AtmRow) -> Result<(), AppError> {
        AtmFleet::good_code(self, atm).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typeable_and_compare_as_typed() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(normalise(&typed), normalise(&code));
        assert_ne!(new_code(), code);
    }

    #[test]
    fn cash_comes_in_whole_thousands() {
        assert!(check_yen(Yen(2_000_000), false).is_ok());
        assert!(check_yen(Yen(0), true).is_ok());
        assert!(check_yen(Yen(0), false).is_err());
        assert!(check_yen(Yen(1_500), false).is_err());
        assert!(check_yen(Yen(-1_000), false).is_err());
        assert!(check_yen(Yen(MAX_LOAD_YEN + 1_000), false).is_err());
    }
}

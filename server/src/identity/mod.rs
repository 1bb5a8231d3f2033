//! Identity: customers sign up and sign in with passkeys (WebAuthn, user
//! verification required; no passwords), and get a revocable server-side
//! session carried by an HttpOnly, SameSite=Strict cookie.
//!
//! Each ceremony's state lives in the database for five minutes and is
//! taken (deleted) when finished, so a challenge works once. Only a hash of
//! a session token is stored. Sign-ups, sign-ins and sign-outs are audited.

pub mod clock;
mod reauth;
pub mod secret;
pub mod session;
pub mod store;

pub use reauth::Reauth;

pub use session::COOKIE_NAME;

use async_trait::async_trait;
use shared::{
    age::{self, Date},
    identity::{Ceremony, Me, Role, SignUpForm, SignedIn},
    ids::UserId,
    ledger::AccountKind,
    money::Currency,
    nickname::Nickname,
    ports::{Caller, IdentityPort},
    AppError, Reason,
};
use std::sync::Arc;
use webauthn_rs::prelude::*;

use crate::{
    audit,
    db::Db,
    error::internal,
    ledger::{Ledger, NewAccount},
    system::now_ms,
};

/// How long a passkey prompt may stay open.
const CEREMONY_TTL_MS: i64 = 5 * 60 * 1000;
const MAX_DISPLAY_NAME_CHARS: usize = 50;

#[derive(Clone)]
pub struct Identity {
    db: Db,
    ledger: Ledger,
    webauthn: Arc<Webauthn>,
    /// Adds `Secure` to cookies (behind TLS in production).
    secure_cookies: bool,
    /// Demo mode: personas may sign in with one click.
    demo: bool,
    /// Sign-ins per person per minute (the address limit is in the HTTP layer).
    per_person: crate::http::rate_limit::Limiter,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("secure_cookies", &self.secure_cookies)
            .finish()
    }
}

impl Identity {
    /// `rp_id` is the site's domain (`localhost` in development); `origin`
    /// the exact origin pages are served from (`http://localhost:3000`).
    pub fn new(
        db: Db,
        ledger: Ledger,
        rp_id: &str,
        origin: &Url,
        secure_cookies: bool,
        demo: bool,
        sign_ins_per_minute: u32,
    ) -> Result<Self, String> {
        let webauthn = WebauthnBuilder::new(rp_id, origin)
            .and_then(|b| b.rp_name("Anshin").build())
            .map_err(|e| format!("passkey settings rp_id={rp_id} origin={origin}: {e}"))?;
        let per_person =
            crate::http::rate_limit::Limiter::new(&db, "sign_in_person", sign_ins_per_minute);
        Ok(Identity {
            db,
            ledger,
            webauthn: Arc::new(webauthn),
            secure_cookies,
            demo,
            per_person,
        })
    }

    /// The signed-in caller behind a session cookie, if any.
    pub async fn caller_for_cookie(&self, cookie_header: Option<&str>) -> Caller {
        let Some(token) = cookie_header.and_then(session::token_from_cookies) else {
            return Caller::Anonymous;
        };
        let hash = session::hash(&token);
        match store::session_user(&self.db, &hash, now_ms()).await {
            Ok(Some(user)) => Caller::User {
                role: user.role,
                id: user.id,
                session: hash,
            },
            Ok(None) => Caller::Anonymous,
            Err(e) => {
                tracing::warn!(error = %e, "session lookup failed; treating caller as anonymous");
                Caller::Anonymous
            }
        }
    }

    /// Keeps a ceremony's state for five minutes (with a sign-up's profile)
    /// and returns its id with the options for the browser.
    async fn open_ceremony<S: serde::Serialize>(
        &self,
        kind: &str,
        state: &S,
        profile: Option<&store::Profile>,
        options: &impl serde::Serialize,
    ) -> Result<Ceremony, AppError> {
        let id =
            store::put_ceremony(&self.db, kind, state, profile, now_ms() + CEREMONY_TTL_MS).await?;
        let options_json = serde_json::to_string(options).map_err(|e| internal("ceremony", e))?;
        Ok(Ceremony { id, options_json })
    }

    /// Uses up a live ceremony of `kind`; a missing, spent or other-kind one is "expired".
    async fn take_ceremony<S: serde::de::DeserializeOwned>(
        &self,
        id: &str,
        kind: &str,
    ) -> Result<(S, Option<store::Profile>), AppError> {
        store::take_ceremony(&self.db, id, kind, now_ms())
            .await?
            .ok_or_else(|| AppError::invalid("ceremony", Reason::Expired))
    }

    fn me(&self, user: &store::User) -> Me {
        let minor = user.is_minor();
        Me {
            id: user.id,
            display_name: user.display_name.clone(),
            nickname: user.nickname.clone(),
            role: user.role,
            minor,
        }
    }

    async fn signed_in(&self, user: &store::User, action: &str) -> Result<SignedIn, AppError> {
        let token = session::new_token();
        let now = now_ms();
        let mut conn = self.db.begin().await?;
        store::insert_session(
            &mut conn,
            &session::hash(&token),
            user.id,
            now,
            now + session::TTL_MS,
        )
        .await?;
        audit::append(&mut conn, &[auth_event(user.id, action)], now).await?;
        Db::commit(conn).await?;
        Ok(SignedIn {
            me: self.me(user),
            set_cookie: session::cookie(&token, self.secure_cookies),
        })
    }
}

fn validate(form: &SignUpForm) -> Result<(String, Nickname, Date), AppError> {
    let display_name = form.display_name.trim().to_string();
    if display_name.is_empty() {
        return Err(AppError::invalid("display_name", Reason::Empty));
    }
    if display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(AppError::invalid("display_name", Reason::TooLong));
    }
    let nickname =
        Nickname::parse(&form.nickname).map_err(|e| AppError::invalid("nickname", e.reason()))?;
    let birth = Date::parse(&form.birth_date)
        .ok_or_else(|| AppError::invalid("birth_date", Reason::NotADate))?;
    match age::age_on(birth, clock::today_in_japan()) {
        None => Err(AppError::invalid("birth_date", Reason::InTheFuture)),
        Some(a) if a > 130 => Err(AppError::invalid("birth_date", Reason::TooOld)),
        Some(_) => Ok((display_name, nickname, birth)),
    }
}

/// Asks for a discoverable credential, so signing in needs no user name.
fn require_discoverable(options: &mut CreationChallengeResponse) {
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
}

fn rejected(what: &'static str, e: impl std::fmt::Display) -> AppError {
    tracing::info!(error = %e, what, "passkey ceremony rejected");
    AppError::invalid("passkey", Reason::Rejected)
}

#[async_trait]
impl IdentityPort for Identity {
    async fn begin_sign_up(&self, form: SignUpForm) -> Result<Ceremony, AppError> {
        // A staff enrollment decides the role and the name on record.
        let mut form = form;
        let enrollment = match form.enrollment.take() {
            None => None,
            Some(token) => {
                let hash = session::hash(&token);
                form.display_name = store::live_enrollment(&self.db, &hash, now_ms())
                    .await?
                    .ok_or_else(|| AppError::invalid("enrollment", Reason::InvalidOrUsed))?;
                Some(hash)
            }
        };
        let (display_name, nickname, birth) = validate(&form)?;
        if store::nickname_taken(&self.db, nickname.canonical()).await? {
            return Err(AppError::Conflict {
                reason: Reason::NicknameTaken,
            });
        }
        let handle = Uuid::new_v4();
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(handle, nickname.canonical(), &display_name, None)
            .map_err(|e| internal("passkey options", e))?;
        require_discoverable(&mut options);
        let profile = store::Profile {
            handle: handle.to_string(),
            display_name,
            nickname: nickname.display().to_string(),
            nickname_canonical: nickname.canonical().to_string(),
            birth_date: format!("{:04}-{:02}-{:02}", birth.year, birth.month, birth.day),
            enrollment,
        };
        self.open_ceremony("sign_up", &state, Some(&profile), &options)
            .await
    }

    async fn finish_sign_up(
        &self,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<SignedIn, AppError> {
        let (state, profile) = self
            .take_ceremony::<PasskeyRegistration>(ceremony, "sign_up")
            .await?;
        let profile = profile.ok_or_else(|| AppError::invalid("ceremony", Reason::Expired))?;
        let credential: RegisterPublicKeyCredential =
            serde_json::from_str(credential_json).map_err(|e| rejected("registration json", e))?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&credential, &state)
            .map_err(|e| rejected("registration", e))?;
        let role = if profile.enrollment.is_some() {
            Role::Staff
        } else {
            Role::Customer
        };
        let user = store::create_user(&self.db, &profile, &passkey, role, now_ms())
            .await
            .map_err(|e| match e {
                store::CreateError::NicknameTaken => AppError::Conflict {
                    reason: Reason::NicknameTaken,
                },
                store::CreateError::EnrollmentUsed => {
                    AppError::invalid("enrollment", Reason::InvalidOrUsed)
                }
                store::CreateError::Db(e) => crate::error::database("sign-up", e),
            })?;
        if role == Role::Customer {
            // Every customer starts with an ordinary account of their own.
            let account = NewAccount::held_by(
                &holder(user.id),
                AccountKind::CustomerMain,
                Currency::Jpy,
                shared::ledger::account_label::ORDINARY,
            );
            self.ledger.open_account(account).await?;
        }
        self.signed_in(&user, "auth.sign_up").await
    }

    async fn begin_sign_in(&self) -> Result<Ceremony, AppError> {
        let (options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| internal("passkey options", e))?;
        let mut options = serde_json::to_value(&options).map_err(|e| internal("ceremony", e))?;
        // A button press opens the passkey prompt at once; "conditional" would wait for autofill.
        if let Some(o) = options.as_object_mut() {
            o.remove("mediation");
        }
        self.open_ceremony("sign_in", &state, None, &options).await
    }

    async fn finish_sign_in(
        &self,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<SignedIn, AppError> {
        let (state, _) = self
            .take_ceremony::<DiscoverableAuthentication>(ceremony, "sign_in")
            .await?;
        let credential: PublicKeyCredential =
            serde_json::from_str(credential_json).map_err(|e| rejected("assertion json", e))?;
        let (handle, credential_id) = self
            .webauthn
            .identify_discoverable_authentication(&credential)
            .map_err(|e| rejected("assertion", e))?;
        let (user, mut passkey) = store::passkey_of(&self.db, &handle.to_string(), credential_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        self.per_person.check(user.id).await?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(&credential, state, &passkey)
            .map_err(|e| rejected("assertion", e))?;
        if passkey.update_credential(&result) == Some(true) {
            store::save_passkey(&self.db, &passkey, now_ms()).await?;
        }
        self.signed_in(&user, "auth.sign_in").await
    }

    async fn demo_sign_in(&self, persona: &str) -> Result<SignedIn, AppError> {
        // Outside demo mode this door does not exist.
        if !self.demo || !crate::demo::PERSONAS.contains(&persona) {
            return Err(AppError::NotFound);
        }
        let user = store::user_by_nickname(&self.db, persona)
            .await?
            .ok_or(AppError::NotFound)?;
        self.signed_in(&user, "auth.demo_sign_in").await
    }

    async fn me(&self, caller: &Caller) -> Result<Option<Me>, AppError> {
        match caller {
            Caller::User { id, .. } => {
                let user = store::user(&self.db, *id).await?;
                Ok(user.map(|u| self.me(&u)))
            }
            _ => Ok(None),
        }
    }

    async fn sign_out(&self, caller: &Caller) -> Result<String, AppError> {
        if let Caller::User { id, session, .. } = caller {
            let now = now_ms();
            let mut conn = self.db.begin().await?;
            store::revoke_session(&mut conn, session, now).await?;
            audit::append(&mut conn, &[auth_event(*id, "auth.sign_out")], now).await?;
            Db::commit(conn).await?;
        }
        Ok(session::clear_cookie(self.secure_cookies))
    }

    async fn flag_adult_ward(
        &self,
        caller: &Caller,
        nickname: &str,
        ward: bool,
    ) -> Result<Me, AppError> {
        let staff = caller.require_staff()?;
        let canonical =
            Nickname::parse(nickname).map_err(|e| AppError::invalid("nickname", e.reason()))?;
        let user = store::user_by_nickname(&self.db, canonical.canonical())
            .await?
            .ok_or(AppError::NotFound)?;
        if user.role != Role::Customer {
            return Err(AppError::invalid("nickname", Reason::NotACustomer));
        }
        let now = now_ms();
        let mut conn = self.db.begin().await?;
        store::set_adult_ward(&mut conn, user.id, ward).await?;
        let event = audit::Event {
            actor: holder(staff),
            action: if ward {
                "staff.adult_ward_flagged"
            } else {
                "staff.adult_ward_cleared"
            }
            .into(),
            subject: holder(user.id),
            detail: "{}".into(),
        };
        audit::append(&mut conn, &[event], now).await?;
        Db::commit(conn).await?;
        Ok(self.me(&store::User {
            adult_ward: ward,
            ..user
        }))
    }

    async fn begin_add_passkey(&self, caller: &Caller) -> Result<Ceremony, AppError> {
        match caller {
            Caller::User { id, .. } => Identity::begin_add_passkey(self, *id).await,
            Caller::Client { .. } => Err(AppError::Forbidden),
            Caller::Anonymous => Err(AppError::Unauthenticated),
        }
    }

    async fn finish_add_passkey(
        &self,
        caller: &Caller,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<(), AppError> {
        match caller {
            Caller::User { id, .. } => {
                Identity::finish_add_passkey(self, *id, ceremony, credential_json).await
            }
            Caller::Client { .. } => Err(AppError::Forbidden),
            Caller::Anonymous => Err(AppError::Unauthenticated),
        }
    }
}

/// The audit entry for a sign-in, sign-up or sign-out.
fn auth_event(id: UserId, action: &str) -> audit::Event {
    audit::Event {
        actor: holder(id),
        action: action.to_string(),
        subject: holder(id),
        detail: "{}".into(),
    }
}

/// Who a user id names in the ledger (and the audit trail).
pub fn holder(id: UserId) -> String {
    format!("user:{id}")
}

/// The person a ledger holder names, if it names a person.
pub fn user_of(holder: &str) -> Option<UserId> {
    holder
        .strip_prefix("user:")
        .and_then(|id| id.parse().ok())
        .map(UserId)
}

/// How long a staff enrollment link stays valid.
pub const ENROLLMENT_TTL_MS: i64 = 24 * 3600 * 1000;

/// Creates a one-time staff enrollment for `name` and returns its token
/// (shown once, in the link; only its hash is stored). Audited.
pub async fn create_staff_enrollment(db: &Db, name: &str) -> crate::error::Result<String> {
    let token = session::new_token();
    let now = now_ms();
    // The link and its audit entry exist together or not at all.
    let mut conn = db.pool().begin().await?;
    store::put_enrollment(
        &mut conn,
        &session::hash(&token),
        name,
        now,
        now + ENROLLMENT_TTL_MS,
    )
    .await?;
    let event = audit::Event {
        actor: "cli".into(),
        action: "staff.enrollment_created".into(),
        subject: format!("staff:{name}"),
        detail: "{}".into(),
    };
    audit::append(&mut conn, &[event], now).await?;
    Db::commit(conn).await?;
    Ok(token)
}

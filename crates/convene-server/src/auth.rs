//! Login and tokens: account + password (HTTP Basic, argon2), App ID
//! signatures (HMAC-SHA256), access tokens, and the extractor that turns
//! `X-Access-Token` into the calling [`User`].
//!
//! Tokens are 32 random bytes; storage keeps only their SHA-256, so a copy of
//! the database does not hand out sessions. Validated sessions are cached in
//! memory; a miss reads the database, so any node can check any token.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::Json;
use base64::Engine;
use convene_core::auth::{self as rules, AppAuthRefusal};
use convene_proto::rest::{AppAuthRequest, AuthResult, AuthUser};
use convene_proto::SdkErr;
use convene_store::{App, NewUser, User};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::util::json_body;
use crate::AppState;

/// A logged-in user as the meeting rules know it.
pub fn live_account(u: &User) -> convene_core::live::Account {
    convene_core::live::Account {
        user_id: u.id.clone(),
        enterprise_id: u.enterprise_id.clone(),
        name: u.name.clone(),
        account: u.account.clone(),
        third_user_id: u.third_user_id.clone(),
    }
}

/// Hashes a password with argon2id and a fresh salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Password checks run at once at most this many per core. Each argon2
/// check holds ~19 MiB and ~15 ms of a core; unbounded, a
/// burst of logins (to made-up accounts too, which are checked against a
/// dummy hash so as not to tell them apart) would take one blocking thread
/// each, up to tokio's 512: gigabytes of memory and every core. The rest
/// wait their turn.
const PASSWORD_CHECKS_PER_CORE: usize = 2;

fn password_gate() -> &'static Arc<tokio::sync::Semaphore> {
    static GATE: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    GATE.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Arc::new(tokio::sync::Semaphore::new(cores * PASSWORD_CHECKS_PER_CORE))
    })
}

/// Runs `work` on a blocking thread once `gate` lets it in. The work holds
/// its place until it is done, even when the caller stops waiting (a client
/// that hangs up mid-login must not free a place while its check runs on).
async fn gated<T: Send + 'static>(
    gate: &Arc<tokio::sync::Semaphore>,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let permit = gate.clone().acquire_owned().await.map_err(|_| ApiError::internal())?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(|_| ApiError::internal())
}

/// The digest under which a token's session is stored.
pub fn token_key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Cached, validated sessions: token digest -> (user, expiry).
#[derive(Default)]
pub struct SessionCache {
    inner: RwLock<HashMap<String, (Arc<User>, i64)>>,
}

impl SessionCache {
    fn get(&self, key: &str, now: i64) -> Option<Arc<User>> {
        // A poisoned lock only means another request panicked mid-insert;
        // the map itself is still a valid cache.
        let map = self.inner.read().unwrap_or_else(|e| e.into_inner());
        map.get(key).filter(|(_, exp)| *exp > now).map(|(u, _)| u.clone())
    }

    /// Forgets every cached session of an account (its password changed,
    /// or it was deleted): the next request reads the store again.
    pub fn forget_user(&self, user: &convene_core::UserId) {
        self.forget_where(|u| &u.id == user);
    }

    /// Forgets one cached session (a logout).
    pub fn forget(&self, key: &str) {
        self.inner.write().unwrap_or_else(|e| e.into_inner()).remove(key);
    }

    /// Forgets the cached sessions of every account `gone` picks.
    pub fn forget_where(&self, gone: impl Fn(&User) -> bool) {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (u, _)| !gone(u));
    }

    fn put(&self, key: String, user: Arc<User>, expires: i64, now: i64) {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, exp)| *exp > now);
        }
        map.insert(key, (user, expires));
    }
}

/// How long a nonce of a never-expiring signature is remembered.
const NONCE_MEMORY: i64 = 24 * 3600;

/// The logged-in caller of a request.
pub struct Caller(pub Arc<User>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get("X-Access-Token")
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized(SdkErr::USG_INVALID_TOKEN, "X-Access-Token is missing"))?;
        state.user_for_token(token).await.map(Caller)
    }
}

/// `delete_token` (`DELETE /v1/usg/acs/token`): logs out: the token stops
/// working at once (on this node; other nodes of a cluster forget it when
/// they hear of it, see `bus.rs`).
#[utoipa::path(delete, path = "/v1/usg/acs/token", tag = "auth",
    params(("X-Access-Token" = String, Header)),
    responses((status = 200, description = "logged out"), (status = 401, body = convene_proto::RestError)))]
pub async fn logout(
    axum::extract::State(state): axum::extract::State<AppState>,
    Caller(_user): Caller,
    headers: axum::http::HeaderMap,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let token = headers
        .get("X-Access-Token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let key = token_key(token);
    state.store.delete_session(&key).await?;
    state.forget_session(&key);
    Ok(axum::Json(serde_json::json!({})))
}

fn invalid_token() -> ApiError {
    ApiError::unauthorized(SdkErr::USG_INVALID_TOKEN, "the access token is invalid or has expired")
}

impl AppState {
    /// The user a token belongs to, if the token is valid now.
    pub async fn user_for_token(&self, token: &str) -> ApiResult<Arc<User>> {
        let t = self.now();
        let key = token_key(token);
        if let Some(u) = self.sessions.get(&key, t) {
            return Ok(u);
        }
        let (user_id, expires) = self.store.session(&key).await?.ok_or_else(invalid_token)?;
        if expires <= t {
            return Err(invalid_token());
        }
        let user = Arc::new(self.store.user_by_id(&user_id).await?.ok_or_else(invalid_token)?);
        self.sessions.put(key, user.clone(), expires, t);
        Ok(user)
    }

    async fn issue_token(&self, user: User) -> ApiResult<AuthResult> {
        let t = self.now();
        let token = convene_core::ids::random_hex(&mut rand::thread_rng(), 32);
        let expires = t + self.config.token_ttl;
        let key = token_key(&token);
        self.store.put_session(&key, &user.id, expires, t).await?;
        let auth_user = AuthUser {
            user_uuid: user.id.0.clone(),
            user_id: user.account.clone(),
            name: user.name.clone(),
            corp_id: user.enterprise_id.0.clone(),
            third_account: user.third_user_id.clone().unwrap_or_default(),
            vmr_id: user.personal_room.0.clone(),
        };
        self.sessions.put(key, Arc::new(user), expires, t);
        Ok(AuthResult {
            access_token: token,
            valid_period: self.config.token_ttl,
            expire_time: expires,
            create_time: t,
            token_type: 0,
            user: auth_user,
        })
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("Authorization")?.to_str().ok()?;
    let encoded = value.trim().strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (account, password) = text.split_once(':')?;
    Some((account.to_owned(), password.to_owned()))
}

/// A well-formed hash that matches no password, checked when the account does
/// not exist so that both refusals take the same time.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("convene-no-such-account").unwrap_or_default())
}

/// `POST /v1/usg/acs/auth/account`: account + password in HTTP Basic.
///
/// Wrong passwords are counted twice (`convene_core::auth`): per account
/// name and client address (five lock that address out of that name for
/// ten minutes, as the product does) and per name from everywhere (a slower
/// ceiling against guesses spread over many addresses). A run from one
/// address therefore does not lock the account's owner out elsewhere.
pub async fn login_account(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> ApiResult<Json<AuthResult>> {
    let (account, password) = basic_credentials(&headers).ok_or_else(|| {
        ApiError::bad_request(
            SdkErr::USG_PARAM_ERR,
            "Authorization: Basic base64(account:password) is required",
        )
    })?;
    if account.is_empty() || password.is_empty() || account.len() > 128 || password.len() > 256 {
        return Err(ApiError::bad_request(
            SdkErr::USG_PARAM_ERR,
            "account and password are required",
        ));
    }
    if account.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            SdkErr::USG_PARAM_ERR,
            "the account may not contain control characters",
        ));
    }
    let t = state.now();
    let refused = || ApiError::unauthorized(SdkErr::USG_ERR_PASSWORD, "wrong account or password");
    let locked = || ApiError::forbidden(SdkErr::USG_USER_LOCKED, "too many wrong passwords: try again later");
    let (by_address, everywhere) = (&rules::LOGIN_ADDRESS_RULE, &rules::LOGIN_ACCOUNT_RULE);
    let address_key = rules::login_address_key(&account, &convene_core::guard::caller_key(None, peer.ip()));
    if state.store.login_failures(&address_key).await?.is_locked(t)
        || state.store.login_failures(&account).await?.is_locked(t)
    {
        return Err(locked());
    }
    // The attempt counts as wrong before it is checked (and is forgiven if
    // right): concurrent guesses each take one of the tries, so a burst of
    // parallel requests gets no more than a sequence would.
    let here = state.store.add_login_failure(&address_key, t, by_address).await?;
    let all = state.store.add_login_failure(&account, t, everywhere).await?;
    if !here.may_check(by_address) || !all.may_check(everywhere) {
        return Err(locked());
    }
    let user = state.store.user_by_account(&account).await?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let pw = password.clone();
    let ok = gated(password_gate(), move || verify_password(&pw, &hash)).await?;
    match user {
        Some(user) if ok && user.password_hash.is_some() => {
            // This address proved itself; the account-wide run loses only
            // this attempt (guesses from elsewhere still count).
            state.store.set_login_failures(&address_key, Default::default()).await?;
            state.store.forgive_login_failure(&account, everywhere).await?;
            Ok(Json(state.issue_token(user).await?))
        }
        _ => Err(refused()),
    }
}

type HmacSha256 = Hmac<Sha256>;

fn signature_matches(key: &str, data: &str, signature: &[u8]) -> bool {
    // An HMAC key of any length is accepted, so `new_from_slice` cannot fail.
    let Ok(mut mac) = HmacSha256::new_from_slice(key.as_bytes()) else {
        return false;
    };
    mac.update(data.as_bytes());
    mac.verify_slice(signature).is_ok()
}

fn app_refusal(r: AppAuthRefusal) -> ApiError {
    match r {
        AppAuthRefusal::Expired => ApiError::unauthorized(SdkErr::USG_APPID_AUTH_EXPIRE, "the signature has expired"),
        AppAuthRefusal::BadSignature => {
            ApiError::unauthorized(SdkErr::USG_APPID_AUTH_FAILED, "App ID authentication failed")
        }
    }
}

/// Checks an App ID login request against the app's key.
pub fn verify_app_auth(app: &App, header: &str, req: &AppAuthRequest, now: i64) -> Result<(), AppAuthRefusal> {
    let user_id = req.user_id.as_deref().unwrap_or("");
    let nonce = req.nonce.as_deref().unwrap_or("");
    let expire_time = req.expire_time.unwrap_or(-1);
    let signature = rules::parse_app_authorization(header).ok_or(AppAuthRefusal::BadSignature)?;
    // `access=` is optional; when present it must name the same app.
    if let Some(access) = header.split(',').find_map(|p| p.trim().strip_prefix("access=")) {
        let named = base64::engine::general_purpose::STANDARD
            .decode(access.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        if named.as_deref() != Some(app.app_id.as_str()) {
            return Err(AppAuthRefusal::BadSignature);
        }
    }
    let single = rules::app_sign_data(&app.app_id, None, user_id, expire_time, nonce);
    let multi = req
        .corp_id
        .as_deref()
        .map(|corp| rules::app_sign_data(&app.app_id, Some(corp), user_id, expire_time, nonce));
    let matches = signature_matches(&app.app_key, &single, &signature)
        || multi.is_some_and(|m| signature_matches(&app.app_key, &m, &signature));
    if !matches {
        return Err(AppAuthRefusal::BadSignature);
    }
    // Checked after the signature, so an expired answer proves the caller
    // holds the key and reveals nothing to anyone else.
    rules::check_app_auth_fields(user_id, expire_time, nonce, now)
}

/// `POST /v2/usg/acs/auth/appauth`: App ID login; the user is made on first login.
pub async fn login_app(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<AuthResult>> {
    let req: AppAuthRequest = json_body(&body, SdkErr::USG_PARAM_ERR)?;
    let header = headers.get("Authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    let app_id = req.app_id.clone().unwrap_or_default();
    let t = state.now();
    let info = state
        .store
        .app_info(&app_id)
        .await?
        .ok_or_else(|| app_refusal(AppAuthRefusal::BadSignature))?;
    if info.disabled {
        return Err(ApiError::forbidden(
            SdkErr::USG_APPID_ACCOUNT_DISABLED,
            "this App ID is disabled by its enterprise's administrator",
        ));
    }
    let app = info.app;
    verify_app_auth(&app, header, &req, t).map_err(app_refusal)?;
    let user_id = req.user_id.clone().unwrap_or_default();
    let nonce = req.nonce.clone().unwrap_or_default();
    // Remembered in the store until the signature expires (a day for one
    // that never does): a replay through any node is refused.
    let expire = req.expire_time.unwrap_or(0);
    let until = if expire == 0 { t + NONCE_MEMORY } else { expire };
    let first = state
        .store
        .first_nonce_use(&app.app_id, &nonce, until, t)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "remembering an App ID nonce");
            ApiError::internal()
        })?;
    if !first {
        return Err(app_refusal(AppAuthRefusal::BadSignature));
    }
    let clip = |s: Option<String>, n: usize| {
        s.filter(|v| !v.is_empty())
            .map(|v| v.chars().take(n).collect::<String>())
    };
    let user = state
        .store
        .upsert_app_user(
            &app,
            NewUser {
                enterprise_id: app.enterprise_id.clone(),
                account: format!("{}/{}", app.app_id, user_id),
                password_hash: None,
                name: clip(req.user_name.clone(), 64).unwrap_or_else(|| user_id.clone()),
                email: clip(req.user_email.clone(), 255),
                phone: clip(req.user_phone.clone(), 32),
                app_id: Some(app.app_id.clone()),
                third_user_id: Some(user_id),
            },
            t,
        )
        .await?;
    Ok(Json(state.issue_token(user).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn password_checks_wait_for_the_gate() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let gate = Arc::new(tokio::sync::Semaphore::new(3));
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..24)
            .map(|i| {
                let (gate, running, peak) = (gate.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    gated(&gate, move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut done = Vec::new();
        for t in tasks {
            done.push(t.await.unwrap());
        }
        assert_eq!(
            done,
            (0..24).collect::<Vec<_>>(),
            "every check ran and answered its caller"
        );
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= 3, "{peak} at once, more than the gate lets in");
        assert!(peak >= 2, "the gate let only one in at a time");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_stops_waiting_keeps_its_check_counted() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = Arc::new(tokio::sync::Semaphore::new(3));
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        // Callers that hang up 2 ms in, one after another, while each check
        // would run 40 ms.
        for _ in 0..12 {
            let (running, peak) = (running.clone(), peak.clone());
            let check = gated(&gate, move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(40));
                running.fetch_sub(1, Ordering::SeqCst);
            });
            let _ = tokio::time::timeout(std::time::Duration::from_millis(2), check).await;
        }
        while gate.available_permits() < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= 3, "{peak} checks at once after callers hung up");
    }

    fn sign(key: &str, data: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(key.as_bytes()).unwrap();
        mac.update(data.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn app_signatures_in_every_public_form() {
        let app = App {
            app_id: "app1".into(),
            app_key: "k".into(),
            enterprise_id: "e".into(),
        };
        let nonce = "n".repeat(40);
        let req = AppAuthRequest {
            app_id: Some("app1".into()),
            user_id: Some("alice".into()),
            expire_time: Some(2000),
            nonce: Some(nonce.clone()),
            ..Default::default()
        };
        let sig = sign("k", &format!("app1:alice:2000:{nonce}"));
        let access = base64::engine::general_purpose::STANDARD.encode("app1");
        for header in [
            format!("HMAC-SHA256 signature={},access={access}", sig.to_uppercase()),
            format!("HMAC-SHA256 signature={sig},access={access}"),
            format!("HMAC-SHA256 signature={sig}"),
        ] {
            assert_eq!(verify_app_auth(&app, &header, &req, 1000), Ok(()), "{header}");
        }
        assert_eq!(
            verify_app_auth(&app, &format!("HMAC-SHA256 signature={sig}"), &req, 2000),
            Err(AppAuthRefusal::Expired)
        );
        let wrong = sign("other", &format!("app1:alice:2000:{nonce}"));
        assert_eq!(
            verify_app_auth(&app, &format!("HMAC-SHA256 signature={wrong}"), &req, 1000),
            Err(AppAuthRefusal::BadSignature)
        );
        let bad_access = base64::engine::general_purpose::STANDARD.encode("app2");
        assert_eq!(
            verify_app_auth(
                &app,
                &format!("HMAC-SHA256 signature={sig},access={bad_access}"),
                &req,
                1000
            ),
            Err(AppAuthRefusal::BadSignature)
        );
        // Multi-tenant form: corpId is signed too.
        let multi = AppAuthRequest {
            corp_id: Some("corp".into()),
            ..req.clone()
        };
        let msig = sign("k", &format!("app1:corp:alice:2000:{nonce}"));
        assert_eq!(
            verify_app_auth(&app, &format!("HMAC-SHA256 signature={msig}"), &multi, 1000),
            Ok(())
        );
    }
}

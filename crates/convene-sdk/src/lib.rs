//! The Rust client SDK of convene, shaped like the product's client SDK.
//!
//! Each call comes in the product's callback style, which returns at once and
//! later calls `on_result(ret: SdkErr, reason: String, result)` exactly as the
//! seed's `createConf(createConfInfo, onCreateConfResult)` does, and as an
//! `async fn` returning `Result<_, SdkError>`. The callback forms need a tokio
//! runtime to run on.
//!
//! The SDK speaks the product's REST API (so does everything else): a
//! `CreateConfInfo` travels as the REST create body with the SDK-only fields
//! as extras (see `convene_proto::rest`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), convene_sdk::SdkError> {
//! use convene_sdk::*;
//! let client = ConveneClient::new("http://127.0.0.1:8080")?;
//! client.login_by_account_async(LoginByAccountInfo { account: "dev".into(), password: "...".into() }).await?;
//! let result = client.create_conf_async(CreateConfInfo::new("Weekly", MediaType::Video, true)).await?;
//! println!("meeting {} guest link {}", result.conf_id, result.guest_join_uri);
//! # Ok(()) }
//! ```

pub mod calls;
pub mod session;
mod tls;

use std::sync::{Arc, RwLock};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;

pub use calls::{CallEvent, CallListener, CallState, IncomingCall};
pub use convene_proto::live::{Attendee, ChatMessage, Event, LiveInfo, ParticipantId, RecordOp, RecordState};
pub use convene_proto::rest::{
    AuthResult, ConferenceInfo, RestScheduleConfDto, SearchMeetingsResponse, ShowMeetingDetailResponse,
};
pub use convene_proto::*;
pub use session::{ConfSession, JoinConfByIdInfo, JoinConfByRandomInfo, JoinConfResult, MediaSignal};

/// A failed call: the SDKERR code and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {reason}")]
pub struct SdkError {
    pub code: SdkErr,
    pub reason: String,
}

impl SdkError {
    fn new(code: SdkErr, reason: impl Into<String>) -> Self {
        SdkError {
            code,
            reason: reason.into(),
        }
    }
}

/// `loginByAccount` input.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginByAccountInfo {
    pub account: String,
    pub password: String,
}

impl std::fmt::Debug for LoginByAccountInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginByAccountInfo")
            .field("account", &self.account)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// `loginByAppId` input (spec §1), plus the `appId` the product's SDK takes at
/// initialisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginByAppIdInfo {
    pub app_id: String,
    pub corp_id: Option<String>,
    pub third_user_id: String,
    pub user_name: String,
    /// Hex HMAC-SHA256 (any case), made by the app's server with the app key.
    pub signature: String,
    pub nonce: String,
    /// Unix seconds; 0 = never.
    pub expire_time: i64,
    pub user_email: String,
    pub user_phone: String,
    pub dept_code: String,
}

impl LoginByAppIdInfo {
    /// Fills `nonce` and `signature` with `app_key`, as an app's server would
    /// (spec §3.2). Keep app keys on servers: a client should receive the
    /// signed info, not the key.
    pub fn signed(mut self, app_key: &str) -> Self {
        if self.nonce.is_empty() {
            self.nonce = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        }
        self.signature = app_signature(
            app_key,
            &self.app_id,
            self.corp_id.as_deref(),
            &self.third_user_id,
            self.expire_time,
            &self.nonce,
        );
        self
    }
}

/// HEX(HMAC_SHA256(app_key, appId[:corpId]:userId:expireTime:nonce)), upper case.
pub fn app_signature(
    app_key: &str,
    app_id: &str,
    corp_id: Option<&str>,
    user_id: &str,
    expire_time: i64,
    nonce: &str,
) -> String {
    let data = match corp_id {
        Some(c) => format!("{app_id}:{c}:{user_id}:{expire_time}:{nonce}"),
        None => format!("{app_id}:{user_id}:{expire_time}:{nonce}"),
    };
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(app_key.as_bytes()).expect("HMAC accepts any key length");
    mac.update(data.as_bytes());
    hex::encode_upper(mac.finalize().into_bytes())
}

/// `loginByAccount` / `loginByAppId` result (spec §1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginResult {
    pub user_uuid: String,
    pub account: String,
    pub third_account: String,
    /// The user's display name and personal room, which the server also tells.
    pub name: String,
    pub vmr_id: String,
}

struct Inner {
    base: String,
    http: reqwest::Client,
    accept_invalid_certs: bool,
    /// TLS of a joined meeting's live channel (`wss://`), made at the first
    /// such join: it reads the system's root certificates.
    ws_tls: std::sync::OnceLock<Arc<rustls::ClientConfig>>,
    token: RwLock<Option<String>>,
}

/// A connection to one convene server; cheap to clone, shares its login.
#[derive(Clone)]
pub struct ConveneClient {
    inner: Arc<Inner>,
}

/// Options of a [`ConveneClient`].
pub struct ClientBuilder {
    base: String,
    accept_invalid_certs: bool,
    timeout: std::time::Duration,
}

impl ClientBuilder {
    /// Trust any server certificate (a self-signed test server), over
    /// HTTPS and on a joined meeting's WebSocket.
    pub fn accept_invalid_certs(mut self, yes: bool) -> Self {
        self.accept_invalid_certs = yes;
        self
    }

    pub fn timeout(mut self, t: std::time::Duration) -> Self {
        self.timeout = t;
        self
    }

    pub fn build(self) -> Result<ConveneClient, SdkError> {
        let http = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(self.accept_invalid_certs)
            .timeout(self.timeout)
            .build()
            .map_err(|e| SdkError::new(SdkErr::UISDK_COMMON_ERROR, format!("HTTP client: {e}")))?;
        Ok(ConveneClient {
            inner: Arc::new(Inner {
                base: self.base.trim_end_matches('/').to_owned(),
                http,
                accept_invalid_certs: self.accept_invalid_certs,
                ws_tls: std::sync::OnceLock::new(),
                token: RwLock::new(None),
            }),
        })
    }
}

fn spawn_with_callback<T, F, Fut>(fut: Fut, on_result: F)
where
    T: Default + Send + 'static,
    Fut: std::future::Future<Output = Result<T, SdkError>> + Send + 'static,
    F: FnOnce(SdkErr, String, T) + Send + 'static,
{
    let call = async move {
        match fut.await {
            Ok(v) => on_result(SdkErr::SDKERR_SUCCESS, String::new(), v),
            Err(e) => on_result(e.code, e.reason, T::default()),
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) => {
            h.spawn(call);
        }
        Err(_) => {
            // No runtime to run on: answer at once rather than never.
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match rt {
                Ok(rt) => rt.block_on(call),
                Err(e) => tracing_free_fallback(e),
            }
        }
    }
}

fn tracing_free_fallback(e: std::io::Error) {
    eprintln!("convene-sdk: no tokio runtime and none could be made: {e}");
}

impl ConveneClient {
    /// A client for the server at `base_url` (`http://host:port` or `https://...`).
    pub fn new(base_url: &str) -> Result<ConveneClient, SdkError> {
        Self::builder(base_url).build()
    }

    /// A client that reuses an access token another client obtained (each
    /// client keeps its own HTTP connections).
    pub fn with_token(base_url: &str, token: &str) -> Result<ConveneClient, SdkError> {
        let c = Self::new(base_url)?;
        *c.inner.token.write().unwrap_or_else(|e| e.into_inner()) = Some(token.to_owned());
        Ok(c)
    }

    pub fn builder(base_url: &str) -> ClientBuilder {
        ClientBuilder {
            base: base_url.to_owned(),
            accept_invalid_certs: false,
            timeout: std::time::Duration::from_secs(30),
        }
    }

    /// The TLS settings of a meeting's live channel, for an `https://`
    /// server (`None`: plain `ws://`).
    fn ws_tls(&self) -> Result<Option<Arc<rustls::ClientConfig>>, SdkError> {
        if !self.inner.base.starts_with("https://") {
            return Ok(None);
        }
        if let Some(config) = self.inner.ws_tls.get() {
            return Ok(Some(config.clone()));
        }
        let config = tls::ws_config(self.inner.accept_invalid_certs)?;
        Ok(Some(self.inner.ws_tls.get_or_init(|| config).clone()))
    }

    /// The access token of the current login, if any.
    pub fn access_token(&self) -> Option<String> {
        self.inner.token.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.inner.base, path)
    }

    fn token(&self) -> Result<String, SdkError> {
        self.access_token()
            .ok_or_else(|| SdkError::new(SdkErr::UISDK_UNLOGIN_ERROR, "not logged in"))
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, SdkError> {
        let resp = req.send().await.map_err(|e| {
            let code = if e.is_timeout() {
                SdkErr::UISDK_HTTP_CONNECT_SERVER_TIMEOUT_ERROR
            } else {
                SdkErr::UISDK_NO_NETWORK_ERROR
            };
            SdkError::new(code, e.to_string())
        })?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| SdkError::new(SdkErr::UISDK_NO_NETWORK_ERROR, e.to_string()))?;
        if !status.is_success() {
            return Err(match serde_json::from_slice::<RestError>(&body) {
                Ok(e) => SdkError::new(e.sdk_err(), e.error_msg),
                Err(_) => SdkError::new(SdkErr::UISDK_HTTP_SERVER_ERROR, format!("HTTP {status}")),
            });
        }
        serde_json::from_slice(&body)
            .map_err(|e| SdkError::new(SdkErr::UISDK_HTTP_SERVER_ERROR, format!("unreadable answer: {e}")))
    }

    fn logged_in(&self, auth: AuthResult) -> LoginResult {
        *self.inner.token.write().unwrap_or_else(|e| e.into_inner()) = Some(auth.access_token);
        LoginResult {
            user_uuid: auth.user.user_uuid,
            account: auth.user.user_id,
            third_account: auth.user.third_account,
            name: auth.user.name,
            vmr_id: auth.user.vmr_id,
        }
    }

    /// `loginByAccount`, async form.
    pub async fn login_by_account_async(&self, info: LoginByAccountInfo) -> Result<LoginResult, SdkError> {
        if info.account.is_empty() || info.password.is_empty() {
            return Err(SdkError::new(
                SdkErr::UISDK_PASSWORD_OR_ACCOUNT_EMPTY,
                "account and password are required",
            ));
        }
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", info.account, info.password));
        let req = self
            .inner
            .http
            .post(self.url("/v1/usg/acs/auth/account"))
            .header("Authorization", format!("Basic {basic}"))
            .json(&serde_json::json!({"account": info.account, "clientType": 72}));
        let auth: AuthResult = self.send(req).await?;
        Ok(self.logged_in(auth))
    }

    /// `loginByAccount(info, onResult)`: returns at once, calls back later.
    pub fn login_by_account(
        &self,
        info: LoginByAccountInfo,
        on_result: impl FnOnce(SdkErr, String, LoginResult) + Send + 'static,
    ) {
        let me = self.clone();
        spawn_with_callback(async move { me.login_by_account_async(info).await }, on_result);
    }

    /// `loginByAppId`, async form.
    pub async fn login_by_app_id_async(&self, info: LoginByAppIdInfo) -> Result<LoginResult, SdkError> {
        let access = base64::engine::general_purpose::STANDARD.encode(&info.app_id);
        let body = serde_json::json!({
            "appId": info.app_id, "userId": info.third_user_id, "corpId": info.corp_id,
            "expireTime": info.expire_time, "nonce": info.nonce, "clientType": 72,
            "userName": info.user_name, "userEmail": info.user_email, "userPhone": info.user_phone,
            "deptCode": info.dept_code,
        });
        let req = self
            .inner
            .http
            .post(self.url("/v2/usg/acs/auth/appauth"))
            .header(
                "Authorization",
                format!("HMAC-SHA256 signature={},access={access}", info.signature),
            )
            .json(&body);
        let auth: AuthResult = self.send(req).await?;
        Ok(self.logged_in(auth))
    }

    /// `loginByAppId(info, onResult)`: returns at once, calls back later.
    pub fn login_by_app_id(
        &self,
        info: LoginByAppIdInfo,
        on_result: impl FnOnce(SdkErr, String, LoginResult) + Send + 'static,
    ) {
        let me = self.clone();
        spawn_with_callback(async move { me.login_by_app_id_async(info).await }, on_result);
    }

    /// `createConf`, async form: the caller becomes the host.
    pub async fn create_conf_async(&self, info: CreateConfInfo) -> Result<CreateConfResult, SdkError> {
        let token = self.token()?;
        let body = RestScheduleConfDto::from(&info);
        let req = self
            .inner
            .http
            .post(self.url("/v1/mmc/management/conferences"))
            .header("X-Access-Token", token)
            .json(&body);
        self.first_result(self.send(req).await?)
    }

    /// `createConf(createConfInfo, onCreateConfResult)`, the seed's call:
    /// returns at once; `on_create_conf_result(ret, reason, createConfResult)`
    /// is called when the server has answered.
    pub fn create_conf(
        &self,
        create_conf_info: CreateConfInfo,
        on_create_conf_result: impl FnOnce(SdkErr, String, CreateConfResult) + Send + 'static,
    ) {
        let me = self.clone();
        spawn_with_callback(
            async move { me.create_conf_async(create_conf_info).await },
            on_create_conf_result,
        );
    }

    /// `bookConf`, async form: a meeting booked for `param.start_time`; the
    /// caller becomes its host. It can be started from 30 minutes before.
    pub async fn book_conf_async(&self, param: BookConfParam) -> Result<CreateConfResult, SdkError> {
        let token = self.token()?;
        let req = self
            .inner
            .http
            .post(self.url("/v1/mmc/management/conferences"))
            .header("X-Access-Token", token)
            .json(&RestScheduleConfDto::from(&param));
        self.first_result(self.send(req).await?)
    }

    /// `bookConf(param, onBookConfResult)`: returns at once; the callback
    /// hears `(ret, reason, createConfResult)`.
    pub fn book_conf(
        &self,
        param: BookConfParam,
        on_result: impl FnOnce(SdkErr, String, CreateConfResult) + Send + 'static,
    ) {
        let me = self.clone();
        spawn_with_callback(async move { me.book_conf_async(param).await }, on_result);
    }

    /// `modifyConf`, async form: edits a booked meeting that has not started
    /// (its ID, passwords and links stay; a guest password in `param` is new).
    pub async fn modify_conf_async(&self, conf_id: &str, param: BookConfParam) -> Result<CreateConfResult, SdkError> {
        let token = self.token()?;
        let req = self
            .inner
            .http
            .put(self.url("/v1/mmc/management/conferences"))
            .query(&[("conferenceID", conf_id)])
            .header("X-Access-Token", token)
            .json(&RestScheduleConfDto::from(&param));
        self.first_result(self.send(req).await?)
    }

    /// `modifyConf(confId, param, onModifyConfResult)`, callback form.
    pub fn modify_conf(
        &self,
        conf_id: String,
        param: BookConfParam,
        on_result: impl FnOnce(SdkErr, String, CreateConfResult) + Send + 'static,
    ) {
        let me = self.clone();
        spawn_with_callback(async move { me.modify_conf_async(&conf_id, param).await }, on_result);
    }

    fn first_result(&self, confs: Vec<ConferenceInfo>) -> Result<CreateConfResult, SdkError> {
        confs
            .first()
            .map(ConferenceInfo::to_create_conf_result)
            .ok_or_else(|| SdkError::new(SdkErr::UISDK_HTTP_SERVER_ERROR, "the server answered no meeting"))
    }

    fn join_msg(&self, conf_id: String, nick_name: String, mic: bool, camera: bool) -> convene_proto::live::JoinMsg {
        convene_proto::live::JoinMsg {
            conf_id,
            nick_name,
            is_mic_on: mic,
            is_camera_on: camera,
            access_token: self.access_token(),
            ..Default::default()
        }
    }

    /// `joinConfById`, async form: works without login (then `nick_name` is
    /// required); a logged-in client joins as its user.
    pub async fn join_conf_by_id_async(&self, info: JoinConfByIdInfo) -> Result<ConfSession, SdkError> {
        let mut msg = self.join_msg(info.conf_id, info.nick_name, info.is_mic_on, info.is_camera_on);
        msg.password = Some(info.password);
        msg.attendee_type = info.attendee_type;
        ConfSession::join(&self.inner.base, self.ws_tls()?, msg).await
    }

    /// `joinConfById(info, onResult)`.
    pub fn join_conf_by_id(
        &self,
        info: JoinConfByIdInfo,
        on_result: impl FnOnce(SdkErr, String, JoinConfResult) + Send + 'static,
    ) {
        let me = self.clone();
        spawn_with_callback(
            async move {
                me.join_conf_by_id_async(info)
                    .await
                    .map(|s| JoinConfResult { session: Some(s) })
            },
            on_result,
        );
    }

    /// Listens for calls to the logged-in account (invitations into
    /// running meetings) until the listener is dropped.
    pub async fn listen_calls_async(&self) -> Result<CallListener, SdkError> {
        let token = self.access_token().ok_or_else(|| SdkError {
            code: SdkErr::USG_INVALID_TOKEN,
            reason: "log in first".into(),
        })?;
        let url = session::ws_url(&self.inner.base).replace("/v1/convene/ws", "/v1/convene/calls");
        CallListener::open(&url, self.ws_tls()?, token).await
    }

    /// Answers a call: joins its meeting as the logged-in account (the
    /// invitation lets it in without the password).
    pub async fn accept_call_async(&self, call: &IncomingCall) -> Result<ConfSession, SdkError> {
        self.join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: call.conf_id.clone(),
            is_mic_on: true,
            is_camera_on: call.media_type == MediaType::Video,
            ..Default::default()
        })
        .await
    }

    /// `joinConfByRandom`, async form: the code of a guest link, no password.
    pub async fn join_conf_by_random_async(&self, info: JoinConfByRandomInfo) -> Result<ConfSession, SdkError> {
        let mut msg = self.join_msg(info.conf_id, info.nick_name, info.is_mic_on, info.is_camera_on);
        msg.random = Some(info.random);
        ConfSession::join(&self.inner.base, self.ws_tls()?, msg).await
    }

    /// `joinConfByRandom(info, onResult)`.
    pub fn join_conf_by_random(
        &self,
        info: JoinConfByRandomInfo,
        on_result: impl FnOnce(SdkErr, String, JoinConfResult) + Send + 'static,
    ) {
        let me = self.clone();
        spawn_with_callback(
            async move {
                me.join_conf_by_random_async(info)
                    .await
                    .map(|s| JoinConfResult { session: Some(s) })
            },
            on_result,
        );
    }

    /// Reads a guest link (`.../j/{confId}/{random}`) into a `joinConfByRandom` input.
    pub fn parse_join_link(link: &str) -> Option<(String, String)> {
        let mut parts = link.trim_end_matches('/').rsplit('/');
        let random = parts.next()?.to_owned();
        let conf_id = parts.next()?.to_owned();
        (parts.next()? == "j" && !random.is_empty() && !conf_id.is_empty()).then_some((conf_id, random))
    }

    /// The detail of a meeting (every setting it was created with).
    pub async fn conf_detail_async(&self, conf_id: &str) -> Result<ConferenceInfo, SdkError> {
        let token = self.token()?;
        let req = self
            .inner
            .http
            .get(self.url("/v1/mmc/management/conferences/confDetail"))
            .query(&[("conferenceID", conf_id)])
            .header("X-Access-Token", token);
        let detail: ShowMeetingDetailResponse = self.send(req).await?;
        Ok(detail.conference_data)
    }

    /// The minutes of a held meeting created with `defaultSummaryState` on
    /// (attendance, speaking time, control log, chat, recording), for its
    /// organiser, its hosts and the enterprise's administrators.
    pub async fn minutes_async(&self, conf_uuid: &str) -> Result<convene_proto::minutes::Minutes, SdkError> {
        let token = self.token()?;
        let req = self
            .inner
            .http
            .get(self.url("/v1/convene/minutes"))
            .query(&[("confUUID", conf_uuid)])
            .header("X-Access-Token", token);
        self.send(req).await
    }

    /// A page of the caller's meetings not over yet (running and booked), newest first.
    pub async fn list_confs_async(&self, offset: i64, limit: i64) -> Result<SearchMeetingsResponse, SdkError> {
        let token = self.token()?;
        let req = self
            .inner
            .http
            .get(self.url("/v1/mmc/management/conferences"))
            .query(&[("offset", offset), ("limit", limit)])
            .header("X-Access-Token", token);
        self.send(req).await
    }

    /// Cancels a meeting the caller created: a booked one, or a started
    /// one, which is then ended for everyone in it (the REST call's `type=1`).
    pub async fn cancel_conf_async(&self, conf_id: &str) -> Result<(), SdkError> {
        let token = self.token()?;
        let req = self
            .inner
            .http
            .delete(self.url("/v1/mmc/management/conferences"))
            .query(&[("conferenceID", conf_id), ("type", "1")])
            .header("X-Access-Token", token);
        let _: serde_json::Value = self.send(req).await?;
        Ok(())
    }
}

//! The product's REST meeting-control API (spec §3): a control token from the
//! host password, then lock, mute all, mute one, admit from the waiting room
//! and stop, each with `X-Conference-Authorization`. The calls act on the live
//! meeting with the host's rights, like a host in the meeting would.
//!
//! Control tokens are kept in memory on the node that issued them (a known
//! gap for clusters, noted in docs/DECISIONS.md).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use convene_core::guard::caller_key;
use convene_core::live::{self as rules, Action};
use convene_core::{ConfState, Meeting};
use convene_proto::live::ParticipantId;
use convene_proto::rest::{ControlToken, ControlTokenResponse};
use convene_proto::SdkErr;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// How long a control token is good for.
const TOKEN_TTL: i64 = 3600;

#[derive(Deserialize)]
pub struct ConfQuery {
    #[serde(rename = "conferenceID")]
    pub(crate) conference_id: Option<String>,
    #[serde(rename = "participantID")]
    pub(crate) participant_id: Option<String>,
}

/// `GET /v1/mmc/control/conferences/token`, `X-Password: <host password>`.
///
/// The host password is six digits, so the check goes through the node's
/// password guard like a join (`convene_core::guard`): wrong passwords and
/// unknown IDs count per meeting and caller (the account of a valid
/// `X-Access-Token`, else the address) and per meeting from everyone, and
/// answer alike; a lockout answers `CMS_PARTICIPANT_CONF_LOGIN_LOCKED`.
#[utoipa::path(get, path = "/v1/mmc/control/conferences/token", tag = "control",
    params(("conferenceID" = String, Query), ("X-Password" = String, Header, description = "the host password"), ("X-Login-Type" = Option<i64>, Header)),
    responses((status = 200, body = ControlTokenResponse), (status = 401, body = convene_proto::RestError), (status = 403, description = "too many wrong passwords", body = convene_proto::RestError)))]
pub async fn token(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
) -> ApiResult<Json<ControlTokenResponse>> {
    let conf_id = q
        .conference_id
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "conferenceID is required"))?;
    // Keep-alive: the current control token renews itself, no password.
    if let Some(current) = conference_token(&headers) {
        let now = state.now();
        let m = authorized(&state, &headers, &q).await?;
        keep_token(&state, &current, &m, now).await?;
        return Ok(Json(token_answer(&state, &m, current, now).await?));
    }
    // A token that is not (or no longer) valid only loses the caller its
    // account: it is then known by its address, as without one.
    let user = match headers.get("X-Access-Token").and_then(|v| v.to_str().ok()) {
        Some(t) if !t.is_empty() => state.user_for_token(t).await.ok(),
        _ => None,
    };
    let user_id = user.as_ref().map(|u| &u.id);
    let caller = caller_key(user_id.map(|u| u.as_str()), peer.ip());
    let found = crate::api::meeting_param(&state, Some(conf_id.clone())).await?;
    let given = headers.get("X-Password").and_then(|v| v.to_str().ok()).unwrap_or("");
    let now = state.now();
    let shared = state.live.shared_gate(&conf_id, &caller, now).await;
    let refused = {
        let mut guard = state.live.guard();
        let gate = crate::live::stricter(guard.gate(&conf_id, &caller, now), shared);
        match rules::check_host_password(found.as_ref(), given, gate, user_id) {
            Err(r) => {
                let counts = rules::counts_as_failure(&r);
                if counts {
                    guard.failed(&conf_id, &caller, now);
                }
                Some((r, counts))
            }
            Ok(()) => None,
        }
    };
    if let Some((r, counts)) = refused {
        if counts {
            state.live.shared_failed(&conf_id, &caller, now).await;
        }
        return Err(ApiError::from(r));
    }
    if found.as_ref().is_some_and(|m| m.state_at(now) == ConfState::Scheduled) {
        return Err(ApiError::bad_request(
            SdkErr::CMS_CONF_NOT_STARTED,
            "the meeting is booked and not started: start it first (POST /v1/mmc/management/conferences/start)",
        ));
    }
    let Some(m) = found.filter(|m| m.state_at(now) == ConfState::Running) else {
        return Err(ApiError::bad_request(
            SdkErr::CMS_CONF_IS_CLOSED,
            "the meeting has ended",
        ));
    };
    let token = convene_core::ids::random_hex(&mut rand::thread_rng(), 32);
    keep_token(&state, &token, &m, now).await?;
    Ok(Json(token_answer(&state, &m, token, now).await?))
}

/// Keeps a control token for the meeting for [`TOKEN_TTL`] from `now`, in
/// the store (every node of a cluster honours it), as its digest.
async fn keep_token(state: &AppState, token: &str, m: &Meeting, now: i64) -> ApiResult<()> {
    state
        .store
        .put_control_token(&crate::auth::token_key(token), &m.conf_uuid, now + TOKEN_TTL, now)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "keeping a control token");
            ApiError::internal()
        })
}

async fn token_answer(state: &AppState, m: &Meeting, token: String, now: i64) -> ApiResult<ControlTokenResponse> {
    Ok(ControlTokenResponse {
        data: ControlToken {
            token,
            // The product's per-meeting event socket (`confctl.rs`).
            tmp_ws_token: crate::confctl::tmp_ws_token(state, m).await?,
            ws_url: format!(
                "{}/cms/open/websocket/confctl/increment/conn",
                state.public_url.replacen("http", "ws", 1)
            ),
            role: 1,
            // When it expires (ms), and how long it lasts (seconds: the
            // product's clients read an int32).
            expire_time: (now + TOKEN_TTL) * 1000,
            conf_token_expire_time: TOKEN_TTL,
            user_id: String::new(),
            org_id: m.enterprise_id.0.clone(),
            participant_id: String::new(),
            vmr_current_conf_id: m.conf_id.0.clone(),
        },
    })
}

/// The control token of `X-Conference-Authorization`: the token itself, or
/// `Basic base64(token)` (the product accepts both).
fn conference_token(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let raw = headers.get("X-Conference-Authorization")?.to_str().ok()?.trim();
    let token = match raw.strip_prefix("Basic ") {
        Some(b64) => String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?).ok()?,
        None => raw.to_owned(),
    };
    (!token.is_empty()).then_some(token)
}

/// The meeting a control token was issued for, checked before anything
/// about the meeting is told: without a valid token, an unknown, a running
/// and an ended meeting answer alike.
pub(crate) async fn authorized(state: &AppState, headers: &HeaderMap, q: &ConfQuery) -> ApiResult<Meeting> {
    let invalid = || {
        ApiError::unauthorized(
            SdkErr::USG_INVALID_TOKEN,
            "X-Conference-Authorization is missing, wrong or expired",
        )
    };
    let token = conference_token(headers).unwrap_or_default();
    let now = state.now();
    if token.is_empty() {
        return Err(invalid());
    }
    let uuid = state
        .store
        .control_token(&crate::auth::token_key(&token), now)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "reading a control token");
            ApiError::internal()
        })?
        .ok_or_else(invalid)?;
    let m = crate::api::meeting_param(state, q.conference_id.clone())
        .await?
        .filter(|m| m.conf_uuid == uuid)
        .ok_or_else(invalid)?;
    if m.state_at(now) != ConfState::Running {
        return Err(ApiError::bad_request(
            SdkErr::CMS_CONF_IS_CLOSED,
            "the meeting has ended",
        ));
    }
    Ok(m)
}

/// Reads a 0/1 or boolean field that may be left out (then `false`).
pub(crate) fn flag(body: &Value, key: &str) -> ApiResult<bool> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(_) => required_flag(body, key),
    }
}

/// Reads a 0/1 or boolean field the call is about (`isLock` of a lock):
/// leaving it out is an error, not "no".
pub(crate) fn required_flag(body: &Value, key: &str) -> ApiResult<bool> {
    match body.get(key) {
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(false),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(true),
        None | Some(Value::Null) => Err(ApiError::bad_request(
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
            format!("{key} is required (0 or 1)"),
        )),
        _ => Err(ApiError::bad_request(
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
            format!("{key} must be 0 or 1"),
        )),
    }
}

pub(crate) fn participant(s: Option<&str>) -> ApiResult<ParticipantId> {
    s.and_then(|p| p.parse::<u64>().ok())
        .filter(|p| *p != 0)
        .map(ParticipantId)
        .ok_or_else(|| ApiError::bad_request(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "participantID is required"))
}

/// The shape every body-carrying control call shares: check the token, read
/// the body, turn it into an action, run it on the live meeting.
pub(crate) async fn control_call(
    state: &AppState,
    headers: &HeaderMap,
    q: &ConfQuery,
    body: &[u8],
    action: impl FnOnce(&Value, &ConfQuery) -> ApiResult<Action>,
) -> ApiResult<Json<Value>> {
    control_calls(state, headers, q, body, |b, q, _| action(b, q).map(|a| vec![a])).await
}

/// [`control_call`] for a call that is several actions (a batch): run in
/// order, stopping at the first refusal. The closure also sees the meeting
/// the token was checked against.
pub(crate) async fn control_calls(
    state: &AppState,
    headers: &HeaderMap,
    q: &ConfQuery,
    body: &[u8],
    actions: impl FnOnce(&Value, &ConfQuery, &Meeting) -> ApiResult<Vec<Action>>,
) -> ApiResult<Json<Value>> {
    let m = authorized(state, headers, q).await?;
    let b = if body.is_empty() {
        json!({})
    } else {
        crate::util::json_body(body, SdkErr::CMS_CONF_BAD_REQUEST)?
    };
    if !b.is_object() {
        return Err(ApiError::bad_request(
            SdkErr::CMS_CONF_BAD_REQUEST,
            "the body must be a JSON object",
        ));
    }
    for action in actions(&b, q, &m)? {
        state.live.control_as_host(&m, action).await.map_err(ApiError::from)?;
    }
    Ok(Json(json!({})))
}

/// `PUT .../conferences/lock` `{isLock}`.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/lock", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{isLock: 0|1}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 401, body = convene_proto::RestError)))]
pub async fn lock(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, _| {
        Ok(Action::Lock {
            lock: required_flag(b, "isLock")?,
        })
    })
    .await
}

/// `PUT .../conferences/mute` `{isMute, allowUnmuteByOneself}` (unmuting oneself is allowed unless it says 0).
#[utoipa::path(put, path = "/v1/mmc/control/conferences/mute", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{isMute: 0|1, allowUnmuteByOneself: 0|1}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 401, body = convene_proto::RestError)))]
pub async fn mute_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, _| {
        let allow_unmute = match b.get("allowUnmuteByOneself") {
            None | Some(Value::Null) => true,
            Some(_) => flag(b, "allowUnmuteByOneself")?,
        };
        Ok(Action::MuteAll {
            mute: required_flag(b, "isMute")?,
            allow_unmute,
        })
    })
    .await
}

/// `PUT .../participants/mute?participantID=` `{isMute}`.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/participants/mute", tag = "control",
    params(("conferenceID" = String, Query), ("participantID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{isMute: 0|1}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 401, body = convene_proto::RestError)))]
pub async fn mute_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, q| {
        Ok(Action::Mute {
            target: participant(q.participant_id.as_deref())?,
            mute: required_flag(b, "isMute")?,
        })
    })
    .await
}

/// `PUT .../participants/cohost?participantID=` `{isCohost}`.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/participants/cohost", tag = "control",
    params(("conferenceID" = String, Query), ("participantID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{isCohost: 0|1}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 401, body = convene_proto::RestError)))]
pub async fn cohost(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, q| {
        Ok(Action::SetCohost {
            target: participant(q.participant_id.as_deref())?,
            set: required_flag(b, "isCohost")?,
        })
    })
    .await
}

/// `PUT .../allowWaitingParticipant` `{participantID, allowAll}`.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/allowWaitingParticipant", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{participantID, allowAll}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 401, body = convene_proto::RestError)))]
pub async fn allow_waiting(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, _| {
        if flag(b, "allowAll")? {
            return Ok(Action::AdmitAll);
        }
        let p = match b.get("participantID") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Ok(Action::Admit {
            target: participant(p.as_deref())?,
        })
    })
    .await
}

#[utoipa::path(put, path = "/v1/mmc/control/conferences/stop", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")),
    responses((status = 200, description = "the meeting ended"), (status = 401, body = convene_proto::RestError)))]
pub async fn stop(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
) -> ApiResult<Json<Value>> {
    let m = authorized(&state, &headers, &q).await?;
    match state.live.control_as_host(&m, Action::End).await {
        Ok(()) => {}
        // Nobody was in it: end it in storage directly.
        Err(r) if r.code == SdkErr::CMS_CONF_IS_CLOSED => {}
        Err(r) => return Err(ApiError::from(r)),
    }
    state.store.end_meeting(&m.conf_uuid).await?;
    Ok(Json(json!({})))
}

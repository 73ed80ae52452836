//! The rest of the product's REST meeting control (spec §5.1, §8) for a
//! program that speaks only REST: who is in the meeting (`realTimeInfo`,
//! the online attendee list), prolonging, the host role, renaming, hands,
//! hanging up, the waiting room, and the in-meeting settings. Each call is
//! a live-meeting action with the host's rights (`convene_core::live`),
//! exactly as a host's WebSocket action, so participants hear of it as
//! events; the control token is checked as in `control.rs`.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::Json;
use convene_core::live::Action;
use convene_core::meeting::Viewer;
use convene_proto::live::ParticipantId;
use convene_proto::rest::{
    OnlineAttendee, OnlineAttendeePage, RealTimeAttendee, RealTimeConfInfo, RealTimeInfo, RealTimeParticipant,
};
use convene_proto::{ConfAllowJoinUserType, ConfRole, SdkErr};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Caller;
use crate::control::{authorized, control_call, control_calls, participant, required_flag, ConfQuery};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

fn bad(reason: impl Into<String>) -> ApiError {
    ApiError::bad_request(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, reason)
}

/// A participant ID in a body: a string or a number.
fn pid_in(v: Option<&Value>, field: &str) -> ApiResult<ParticipantId> {
    let s = match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    participant(s.as_deref()).map_err(|_| bad(format!("{field} is required: a participant ID")))
}

/// A list of participant IDs in a body (at least one).
fn pids_in(b: &Value, field: &str) -> ApiResult<Vec<ParticipantId>> {
    let Some(Value::Array(items)) = b.get(field) else {
        return Err(bad(format!("{field} is required: a list of participant IDs")));
    };
    if items.is_empty() {
        return Err(bad(format!("{field} is empty")));
    }
    items.iter().map(|v| pid_in(Some(v), field)).collect()
}

/// A small integer field, required.
fn int_in(b: &Value, field: &str) -> ApiResult<i64> {
    b.get(field)
        .and_then(Value::as_i64)
        .ok_or_else(|| bad(format!("{field} is required (a number)")))
}

fn role_name(r: ConfRole) -> &'static str {
    match r {
        ConfRole::Host => "host",
        ConfRole::Cohost => "cohost",
        ConfRole::Audience => "audience",
        ConfRole::Waiting => "waiting",
        _ => "attendee",
    }
}

/// Who is in a running meeting now: the invited attendees, the participants
/// with their IDs (which every other control call takes), the host and
/// co-hosts.
#[utoipa::path(get, path = "/v1/mmc/control/conferences/realTimeInfo", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")),
    responses((status = 200, body = RealTimeInfo), (status = 401, body = convene_proto::RestError)))]
pub async fn real_time_info(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
) -> ApiResult<Json<RealTimeInfo>> {
    let m = authorized(&state, &headers, &q).await?;
    let roster = state.live.roster(&m).await;
    let row = |a: &convene_proto::live::Attendee| RealTimeParticipant {
        pid: a.participant_id.0.to_string(),
        name: a.nick_name.clone(),
        phone: String::new(),
        state: 0,
        video: i64::from(a.is_camera_on),
        mute: i64::from(!a.is_mic_on),
        hand: i64::from(a.hand_raised),
        role: role_name(a.role).into(),
        online: a.online,
    };
    let (waiting, inside): (Vec<_>, Vec<_>) = roster.iter().partition(|a| a.role == ConfRole::Waiting);
    Ok(Json(RealTimeInfo {
        attendees: m
            .info
            .attendees
            .iter()
            .map(|a| RealTimeAttendee {
                account_id: a.account_id.clone().unwrap_or_default(),
                user_uuid: a.user_uuid.clone().unwrap_or_default(),
                name: a.nick_name.clone(),
                phone: a.number.clone(),
                ..Default::default()
            })
            .collect(),
        participants: inside.iter().map(|a| row(a)).collect(),
        conf_info: RealTimeConfInfo {
            chair_id: inside
                .iter()
                .find(|a| a.role == ConfRole::Host)
                .map(|a| a.participant_id.0.to_string())
                .unwrap_or_default(),
            co_hosts: inside
                .iter()
                .filter(|a| a.role == ConfRole::Cohost)
                .map(|a| a.participant_id.0.to_string())
                .collect(),
        },
        waiting: waiting.iter().map(|a| row(a)).collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct OnlineQuery {
    conf_id: Option<String>,
    offset: Option<i64>,
    limit: Option<i64>,
    search_key: Option<String>,
}

/// The online attendee list (`list_online_conf_attendee`, snake_case as
/// the product has it), for the meeting's owner or an invited host, with
/// an access token rather than a control token.
#[utoipa::path(get, path = "/v1/mmc/management/conferences/online/conf-attendee", tag = "meetings",
    params(("conf_id" = String, Query), ("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query), ("search_key" = Option<String>, Query)),
    responses((status = 200, body = OnlineAttendeePage), (status = 404, body = convene_proto::RestError)))]
pub async fn online_attendees(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(q): Query<OnlineQuery>,
) -> ApiResult<Json<OnlineAttendeePage>> {
    let (offset, limit, search) = crate::api::page_params(q.offset, q.limit, q.search_key)?;
    let (m, viewer) = crate::api::visible_meeting(&state, &user, q.conf_id).await?;
    if viewer != Viewer::Host || !m.is_live(state.now()) {
        return Err(ApiError::not_found());
    }
    let search = search.map(|s| s.to_lowercase());
    let inside: Vec<OnlineAttendee> = state
        .live
        .roster(&m)
        .await
        .into_iter()
        .filter(|a| a.role != ConfRole::Waiting)
        .filter(|a| search.as_deref().is_none_or(|k| a.nick_name.to_lowercase().contains(k)))
        .map(|a| OnlineAttendee {
            participant_id: a.participant_id.0.to_string(),
            name: a.nick_name,
            role: i64::from(a.role == ConfRole::Host),
            user_id: a.user_uuid.unwrap_or_default(),
            ..Default::default()
        })
        .collect();
    Ok(Json(OnlineAttendeePage {
        offset,
        limit,
        count: inside.len() as i64,
        data: inside
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(limit).unwrap_or(0))
            .collect(),
    }))
}

/// Prolongs the meeting: `{auto, duration}`, `duration` minutes (15 when
/// left out), from its current end.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/duration", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{auto: 0|1, duration: minutes}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn prolong(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, _| {
        required_flag(b, "auto")?;
        let minutes = match b.get("duration") {
            None | Some(Value::Null) => 15,
            Some(v) => v.as_i64().ok_or_else(|| bad("duration must be a number of minutes"))?,
        };
        Ok(Action::Extend { minutes })
    })
    .await
}

/// Hands the host role to a participant (`applyChair` 1; `chairmanPwd`,
/// when given, must be the host password) or takes it from the host
/// (`applyChair` 0).
#[utoipa::path(put, path = "/v1/mmc/control/conferences/participants/role", tag = "control",
    params(("conferenceID" = String, Query), ("participantID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{applyChair: 0|1, chairmanPwd}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn set_role(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_calls(&state, &headers, &q, &body, |b, q, m| {
        let target = participant(q.participant_id.as_deref())?;
        if let Some(pwd) = b.get("chairmanPwd").and_then(Value::as_str).filter(|p| !p.is_empty()) {
            if !convene_core::meeting::same_secret(pwd, &m.host_pwd) {
                return Err(ApiError::bad_request(
                    SdkErr::CMS_CONF_PWD_AUTH_FAILED,
                    "wrong host password",
                ));
            }
        }
        Ok(vec![if required_flag(b, "applyChair")? {
            Action::GrantHost { target }
        } else {
            Action::ReleaseHost { target }
        }])
    })
    .await
}

/// Renames a participant: `{participantID, newName}` (`number` is the
/// product's SIP number, which convene's participants do not have).
#[utoipa::path(put, path = "/v1/mmc/control/conferences/participants/name", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{participantID, number, newName}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn rename(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, _| {
        let name = b
            .get("newName")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("newName is required"))?;
        Ok(Action::Rename {
            target: pid_in(b.get("participantID"), "participantID")?,
            name: name.to_owned(),
        })
    })
    .await
}

fn hands_state(b: &Value) -> ApiResult<bool> {
    match int_in(b, "handsState")? {
        0 => Ok(false),
        1 => Ok(true),
        n => Err(bad(format!("handsState must be 0 or 1, not {n}"))),
    }
}

/// Lowers a participant's hand (`{handsState: 0}`); nobody raises another's.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/participants/hands", tag = "control",
    params(("conferenceID" = String, Query), ("participantID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{handsState: 0|1}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn hand(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, q| {
        Ok(Action::SetHand {
            target: participant(q.participant_id.as_deref())?,
            raised: hands_state(b)?,
        })
    })
    .await
}

/// Lowers several hands: `{handsState: 0, pids: [...]}`.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/participants/batch/hands", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{handsState: 0|1, pids: [participantID]}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn batch_hands(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_calls(&state, &headers, &q, &body, |b, _, _| {
        let raised = hands_state(b)?;
        Ok(pids_in(b, "pids")?
            .into_iter()
            .map(|target| Action::SetHand { target, raised })
            .collect())
    })
    .await
}

/// Hangs up participants: `{bulkHangUpParticipants: [...]}`.
#[utoipa::path(post, path = "/v1/mmc/control/conferences/participants/delete", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{bulkHangUpParticipants: [participantID]}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn hang_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_calls(&state, &headers, &q, &body, |b, _, _| {
        Ok(pids_in(b, "bulkHangUpParticipants")?
            .into_iter()
            .map(|target| Action::Remove { target })
            .collect())
    })
    .await
}

/// Moves a participant to the waiting room: `{participantID}`.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/moveToWaitingRoom", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{participantID}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn move_to_waiting(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, _| {
        Ok(Action::MoveToWaiting {
            target: pid_in(b.get("participantID"), "participantID")?,
        })
    })
    .await
}

/// Moves several: `{batchParticipants: [...]}`.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/batchMoveToWaitingRoom", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{batchParticipants: [participantID]}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn batch_move_to_waiting(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_calls(&state, &headers, &q, &body, |b, _, _| {
        Ok(pids_in(b, "batchParticipants")?
            .into_iter()
            .map(|target| Action::MoveToWaiting { target })
            .collect())
    })
    .await
}

/// Whether guests may unmute themselves: `{allowUnmuteByOneself: 0|1}`.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/mute/guestUnMute", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{allowUnmuteByOneself: 0|1}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn guest_unmute(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, _| {
        Ok(Action::AllowUnmute {
            allow: required_flag(b, "allowUnmuteByOneself")?,
        })
    })
    .await
}

/// The settings of a running meeting that map to convene's: `isLock`,
/// `allowUnmuteByOneself`, `callInRestriction` (0 anyone, 2 the
/// enterprise, 3 invited), and convene's `enableWaitingRoom`. The product's
/// others (`chatPermission`, `lockSharing`, `allowRename`, ...) are refused
/// by name rather than ignored.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/updateStartedConfConfig", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{isLock, allowUnmuteByOneself, callInRestriction, enableWaitingRoom}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn update_started_config(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_calls(&state, &headers, &q, &body, |b, _, _| {
        let mut actions = Vec::new();
        let given = |k: &str| b.get(k).is_some_and(|v| !v.is_null());
        for k in [
            "lockSharing",
            "chatPermission",
            "audienceCallInRestriction",
            "clientRecMode",
            "allowOpenCamera",
            "allowRename",
            "freeShare",
        ] {
            if given(k) {
                return Err(bad(format!("{k} is not a setting convene has")));
            }
        }
        if given("isLock") {
            actions.push(Action::Lock {
                lock: required_flag(b, "isLock")?,
            });
        }
        if given("allowUnmuteByOneself") {
            actions.push(Action::AllowUnmute {
                allow: required_flag(b, "allowUnmuteByOneself")?,
            });
        }
        if given("callInRestriction") {
            let allow = match int_in(b, "callInRestriction")? {
                0 => ConfAllowJoinUserType::Anyone,
                2 => ConfAllowJoinUserType::InCompanyUser,
                3 => ConfAllowJoinUserType::InvitedUser,
                n => return Err(bad(format!("callInRestriction must be 0, 2 or 3, not {n}"))),
            };
            actions.push(Action::SetJoinPolicy { allow });
        }
        if given("enableWaitingRoom") {
            actions.push(Action::OpenWaitingRoom {
                open: required_flag(b, "enableWaitingRoom")?,
            });
        }
        if actions.is_empty() {
            return Err(bad("no setting given"));
        }
        Ok(actions)
    })
    .await
}

/// Takes attendees off the invited list: `{bulkDelAttendInfo: [{number,
/// participantID}]}` (`number` the attendee's number or third-party ID);
/// one that has joined (its `participantID` given) is also hung up.
#[utoipa::path(post, path = "/v1/mmc/control/conferences/attendees/delete", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{bulkDelAttendInfo: [{number, participantID}]}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn delete_attendees(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_calls(&state, &headers, &q, &body, |b, _, _| {
        let Some(Value::Array(items)) = b.get("bulkDelAttendInfo") else {
            return Err(bad("bulkDelAttendInfo is required: a list of {number, participantID}"));
        };
        if items.is_empty() {
            return Err(bad("bulkDelAttendInfo is empty"));
        }
        let mut numbers = Vec::new();
        let mut hang_up = Vec::new();
        for item in items {
            let number = item
                .get("number")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| bad("each bulkDelAttendInfo needs its number"))?;
            numbers.push(number.to_owned());
            if let Some(p) = item
                .get("participantID")
                .filter(|v| !v.is_null() && v.as_str() != Some(""))
            {
                hang_up.push(Action::Remove {
                    target: pid_in(Some(p), "participantID")?,
                });
            }
        }
        let mut actions = vec![Action::Uninvite { numbers }];
        actions.extend(hang_up);
        Ok(actions)
    })
    .await
}

/// Invites people into the running meeting (`RestInviteReqBody`:
/// `{attendees: [{name, phone, userUUID, accountId, role (0/1), email,
/// sms, type}]}`): they join the invited list (so their accounts may join
/// without the password) and each one's logged-in clients ring; one known
/// by a phone number alone is recorded unreachable (no telephone network
/// here). An account named must exist on this server.
#[utoipa::path(post, path = "/v1/mmc/control/conferences/participants", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")), request_body(description = "`{attendees: [{name, phone, userUUID, accountId, role, type}]}`", content_type = "application/json"),
    responses((status = 200, description = "invited: their clients ring"), (status = 400, body = convene_proto::RestError), (status = 401, body = convene_proto::RestError)))]
pub async fn invite(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let m = authorized(&state, &headers, &q).await?;
    let b: Value = crate::util::json_body(&body, SdkErr::CMS_CONF_BAD_REQUEST)?;
    let Some(Value::Array(items)) = b.get("attendees") else {
        return Err(bad(
            "attendees is required: a list of {name, phone, userUUID, accountId, type}",
        ));
    };
    let text = |item: &Value, key: &str| {
        item.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut attendees = Vec::with_capacity(items.len());
    for item in items {
        let a = convene_proto::AttendeeBaseInfo {
            nick_name: text(item, "name").unwrap_or_default(),
            number: text(item, "phone").unwrap_or_default(),
            account_id: text(item, "accountId"),
            user_uuid: text(item, "userUUID"),
            email: text(item, "email"),
            sms: text(item, "sms"),
            role: match item.get("role").and_then(Value::as_i64) {
                None | Some(0) => Some(ConfRole::Attendee),
                Some(1) => Some(ConfRole::Host),
                Some(_) => return Err(bad("role must be 0 (guest) or 1 (host)")),
            },
            attendee_type: match text(item, "type") {
                None => None,
                Some(t) => Some(
                    convene_proto::AttendeeType::from_rest_name(&t)
                        .ok_or_else(|| bad(format!("type {t:?} is not an attendee type")))?,
                ),
            },
            ..Default::default()
        };
        attendees.push(a);
    }
    let attendees = resolve_invitees(&state, attendees).await.map_err(ApiError::from)?;
    state
        .live
        .control_as_host(&m, Action::Invite { attendees })
        .await
        .map_err(ApiError::from)?;
    Ok(Json(serde_json::json!({})))
}

/// Completes each invitee's account both ways (`userUUID` from
/// `accountId` and back: an invitation is matched by either when its
/// account joins) and refuses an account that does not exist here, so that
/// nobody "rings" for a typo. The REST invite and the SDK's `addAttendee`
/// share it.
pub async fn resolve_invitees(
    state: &AppState,
    mut list: Vec<convene_proto::AttendeeBaseInfo>,
) -> Result<Vec<convene_proto::AttendeeBaseInfo>, convene_core::live::Refusal> {
    let missing = |what: String| convene_core::live::Refusal::new(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, what);
    let failed = |_| convene_core::live::Refusal::new(SdkErr::SDK_COMMON_FAIL, "internal server error");
    // The list's size is checked before any account is looked up (a huge
    // list is refused without a lookup each).
    if list.is_empty() || list.len() > convene_core::calls::MAX_INVITEES {
        return Err(missing(format!(
            "attendees: 1 to {} people",
            convene_core::calls::MAX_INVITEES
        )));
    }
    for a in &mut list {
        let id = a.user_uuid.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let account = a.account_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let user = match (id, account) {
            (Some(id), _) => Some(
                state
                    .store
                    .user_by_id(&convene_core::UserId(id.to_owned()))
                    .await
                    .map_err(failed)?
                    .ok_or_else(|| missing(format!("userUUID {id} is no account here")))?,
            ),
            (None, Some(acc)) => Some(
                state
                    .store
                    .user_by_account(acc)
                    .await
                    .map_err(failed)?
                    .ok_or_else(|| missing(format!("accountId {acc} is no account here")))?,
            ),
            (None, None) => None,
        };
        if let Some(u) = user {
            a.user_uuid = Some(u.id.as_str().to_owned());
            a.account_id = Some(u.account.clone());
            if a.nick_name.trim().is_empty() {
                a.nick_name = u.name.clone();
            }
        }
    }
    Ok(list)
}

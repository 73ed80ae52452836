//! Booked meetings beyond create, list, detail and cancel (`api.rs`): the
//! edit (`PUT .../conferences`) and the early start (`POST .../start`).
//! What may be edited or started when is `convene-core`'s
//! (`create::edit`, `Meeting::may_edit`, `Meeting::may_start`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::Json;
use convene_core::guard::caller_key;
use convene_core::live as rules;
use convene_core::meeting::Viewer;
use convene_core::ConfState;
use convene_proto::rest::{ConferenceInfo, RestScheduleConfDto, StartRequest, StartResponse};
use convene_proto::{ConfRole, SdkErr};
use convene_store::StoreError;
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::util::{json_answer, json_body};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct EditParams {
    #[serde(rename = "conferenceID")]
    conference_id: Option<String>,
}

/// Edits a booked meeting that has not started, with the whole create
/// body; its ID, passwords (unless a new guest password is given) and links
/// stay. Only its creator may.
#[utoipa::path(put, path = "/v1/mmc/management/conferences", tag = "meetings",
    request_body = RestScheduleConfDto,
    params(("conferenceID" = String, Query)),
    responses((status = 200, description = "the meeting as edited, a one-element array", body = Vec<ConferenceInfo>),
              (status = 400, description = "invalid field, or the meeting has started", body = convene_proto::RestError),
              (status = 404, body = convene_proto::RestError),
              (status = 409, description = "its room holds another meeting then", body = convene_proto::RestError)))]
pub async fn update_meeting(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<EditParams>,
    body: axum::body::Bytes,
) -> ApiResult<axum::response::Response> {
    let old = crate::api::meeting_param(&state, p.conference_id)
        .await?
        .filter(|m| m.owner_id == user.id)
        .ok_or_else(ApiError::not_found)?;
    let dto: RestScheduleConfDto = json_body(&body, SdkErr::CMS_CONF_BAD_REQUEST)?;
    let t = state.now();
    let (info, options) = convene_core::rest::create_from_rest(dto)?;
    let (edited, _) = convene_core::create::edit(
        &old,
        info,
        options,
        &crate::api::creator(&user),
        &state.limits,
        t,
        &mut rand::thread_rng(),
    )?;
    let notices = convene_core::notify::edit_notices(
        (&old.info, &old.options),
        (&edited.info, &edited.options),
        edited.sequence,
    );
    if !state.store.update_booked_meeting(&edited, &notices, t).await? {
        // Started (or cancelled) meanwhile, or its room is taken then.
        let now = state
            .store
            .meeting_by_uuid(&old.conf_uuid)
            .await?
            .ok_or_else(ApiError::not_found)?;
        now.may_edit(t)?;
        return Err(StoreError::RoomBusy(old.room_id.clone().unwrap_or_default()).into());
    }
    state.notices.notify_one();
    json_answer(&[edited.conference_info(&state.public_url, Viewer::Host, t)], 2048)
}

/// Starts a booked meeting before anyone joins (so that the control API
/// can be used), from `EARLY_START` before its time; the host password
/// proves the right, counted by the password guard as joins are.
#[utoipa::path(post, path = "/v1/mmc/management/conferences/start", tag = "meetings",
    request_body = StartRequest,
    responses((status = 200, body = StartResponse),
              (status = 400, description = "too early, or over", body = convene_proto::RestError),
              (status = 401, description = "wrong password or no such meeting", body = convene_proto::RestError)))]
pub async fn start_meeting(
    State(state): State<AppState>,
    Caller(user): Caller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> ApiResult<Json<StartResponse>> {
    let req: StartRequest = json_body(&body, SdkErr::CMS_CONF_BAD_REQUEST)?;
    let conf_id = req
        .conference_id
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "conferenceID is required"))?;
    let found = crate::api::meeting_param(&state, Some(conf_id.clone())).await?;
    let caller = caller_key(Some(user.id.as_str()), peer.ip());
    let now = state.now();
    {
        let mut guard = state.live.guard();
        let gate = guard.gate(&conf_id, &caller, now);
        let given = req.password.as_deref().unwrap_or("");
        if let Err(r) = rules::check_host_password(found.as_ref(), given, gate, Some(&user.id)) {
            if rules::counts_as_failure(&r) {
                guard.failed(&conf_id, &caller, now);
            }
            return Err(ApiError::from(r));
        }
    }
    let m = found.ok_or_else(ApiError::not_found)?;
    let started = match m.state_at(now) {
        ConfState::Running => m,
        ConfState::Scheduled => state.live.start_booked(&m, ConfRole::Host, now).await?,
        ConfState::Ended | ConfState::Cancelled => {
            return Err(ApiError::bad_request(SdkErr::CMS_CONF_IS_CLOSED, "the meeting is over"))
        }
    };
    Ok(Json(StartResponse {
        uuid: started.conf_uuid.0,
        region_ip: String::new(),
    }))
}

/// The product's time-zone codes with their IANA zones and labels, in the
/// table's order (public: the same for everyone).
#[utoipa::path(get, path = "/v1/convene/timezones", tag = "meetings",
    responses((status = 200, body = Vec<convene_proto::rest::TimeZoneEntry>)))]
pub async fn time_zones() -> Json<Vec<convene_proto::rest::TimeZoneEntry>> {
    Json(
        convene_core::tz::TABLE
            .iter()
            .map(|(code, zone, label)| convene_proto::rest::TimeZoneEntry {
                time_zone_id: code.to_string(),
                zone: zone.name().to_string(),
                label: label.to_string(),
            })
            .collect(),
    )
}

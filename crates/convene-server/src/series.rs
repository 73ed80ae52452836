//! Recurring meetings over REST (spec §2.5): create, edit and cancel a
//! series (`.../cycleconferences`), edit or cancel some of its occurrences
//! (`.../conferences/cyclesubconf`). What may change when is
//! `convene_core::series`'s; storage carries a change out in one
//! transaction (`Store::change_series`).

use axum::extract::{Query, State};
use axum::Json;
use convene_core::meeting::Viewer;
use convene_core::series::SeriesChange;
use convene_core::{ConfState, Meeting};
use convene_proto::rest::{
    CancelSubConfsBody, ConferenceInfo, CycleSubConf, RestScheduleConfDto, RestScheduleCycleConfDto,
};
use convene_proto::SdkErr;

use crate::api::ConfParams;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::util::{json_answer, json_body};
use crate::AppState;

/// A series' `subConfs`: its occurrences not cancelled, by start.
pub(crate) fn sub_confs(all: &[Meeting], now: i64) -> Vec<CycleSubConf> {
    let mut subs: Vec<&Meeting> = all.iter().filter(|m| m.state != ConfState::Cancelled).collect();
    subs.sort_by_key(|m| m.start);
    subs.into_iter().map(|m| m.sub_conf(now)).collect()
}

/// The caller's own series that `conferenceID` names, all its occurrences.
async fn own_series(
    state: &AppState,
    user: &convene_store::User,
    conf_id: Option<String>,
) -> ApiResult<(Meeting, Vec<Meeting>)> {
    let (m, _) = crate::api::visible_meeting(state, user, conf_id).await?;
    if m.owner_id != user.id {
        return Err(ApiError::forbidden(
            SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS,
            "only the meeting's creator can change it",
        ));
    }
    let Some(series) = &m.series else {
        return Err(ApiError::bad_request(
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
            "this meeting is not recurring: use .../conferences",
        ));
    };
    let all = state.store.series_meetings(&series.id).await?;
    Ok((m, all))
}

/// Carries a change out; `false` from storage means an occurrence to cancel
/// started, ended or was cancelled meanwhile.
async fn carry_out(state: &AppState, change: &SeriesChange, all: &[Meeting], now: i64) -> ApiResult<()> {
    if !state.store.change_series(change, now).await? {
        return Err(ApiError::bad_request(
            SdkErr::CMS_CONF_BAD_REQUEST,
            "an occurrence started, ended or was cancelled meanwhile: look at the series again",
        ));
    }
    state.notices.notify_one();
    // Whoever is in a cancelled occurrence that ran is told it ended.
    for m in all.iter().filter(|m| change.cancel.contains(&m.conf_uuid)) {
        if m.state_at(now) == ConfState::Running {
            state.live.end_if_live(m).await;
        }
    }
    Ok(())
}

/// The series as the create and edit calls answer it: its first occurrence
/// not held yet (else its last), with `subConfs`.
fn series_answer(state: &AppState, all: &[Meeting], now: i64) -> ApiResult<axum::response::Response> {
    let open = all.iter().filter(|m| m.state != ConfState::Cancelled);
    let first = open
        .clone()
        .filter(|m| m.state_at(now) != ConfState::Ended)
        .min_by_key(|m| m.start)
        .or_else(|| open.max_by_key(|m| m.start))
        .ok_or_else(ApiError::not_found)?;
    let mut info = first.conference_info(&state.public_url, Viewer::Host, now);
    info.sub_confs = sub_confs(all, now);
    json_answer(&[info], 4096)
}

/// Books a recurring series: the create body with `cycleParams`; one
/// meeting per occurrence, sharing the ID, passwords and links.
#[utoipa::path(post, path = "/v1/mmc/management/cycleconferences", tag = "recurring",
    request_body = RestScheduleConfDto,
    responses((status = 200, description = "the series' first occurrence with `subConfs`, a one-element array", body = Vec<ConferenceInfo>),
              (status = 400, description = "invalid field or rule", body = convene_proto::RestError),
              (status = 409, description = "an occurrence's room holds another meeting then", body = convene_proto::RestError)))]
pub async fn create_recurring(
    state: State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> ApiResult<axum::response::Response> {
    let dto: RestScheduleConfDto = json_body(&body, SdkErr::CMS_CONF_BAD_REQUEST)?;
    if dto.cycle_params.is_none() {
        return Err(ApiError::bad_request(
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
            "cycleParams is required for a recurring meeting",
        ));
    }
    crate::api::create_meeting(state, caller, body).await
}

/// Edits a whole series with the create body: the occurrences not held yet
/// are replaced by the new rule's, from today on (without `cycleParams` the
/// rule stays). Refused while an occurrence runs.
#[utoipa::path(put, path = "/v1/mmc/management/cycleconferences", tag = "recurring",
    request_body = RestScheduleConfDto,
    params(("conferenceID" = String, Query)),
    responses((status = 200, description = "the series as edited, a one-element array", body = Vec<ConferenceInfo>),
              (status = 400, description = "invalid field, or an occurrence is running", body = convene_proto::RestError),
              (status = 404, body = convene_proto::RestError)))]
pub async fn update_recurring(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<ConfParams>,
    body: axum::body::Bytes,
) -> ApiResult<axum::response::Response> {
    let (_, all) = own_series(&state, &user, p.conference_id).await?;
    let dto: RestScheduleConfDto = json_body(&body, SdkErr::CMS_CONF_BAD_REQUEST)?;
    let (info, options) = convene_core::rest::create_from_rest(dto)?;
    let t = state.now();
    let change = convene_core::series::edit_series(
        &all,
        info,
        options,
        &crate::api::creator(&user),
        &state.limits,
        t,
        &mut rand::thread_rng(),
    )?;
    carry_out(&state, &change, &all, t).await?;
    let series = change.insert[0]
        .series
        .as_ref()
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let all = state.store.series_meetings(&series).await?;
    series_answer(&state, &all, t)
}

/// Cancels a whole series: every occurrence not held yet; a running one
/// only with `type=1` (it ends).
#[utoipa::path(delete, path = "/v1/mmc/management/cycleconferences", tag = "recurring",
    params(("conferenceID" = String, Query), ("type" = Option<i64>, Query, description = "1: also end a running occurrence")),
    responses((status = 200, description = "cancelled"), (status = 404, body = convene_proto::RestError)))]
pub async fn cancel_recurring(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<ConfParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let (m, _) = own_series(&state, &user, p.conference_id).await?;
    cancel_all(&state, &m, p.cancel_type == Some(1)).await
}

/// Cancels the series `m` is an occurrence of (also `DELETE .../conferences`
/// with a recurring meeting's ID).
pub(crate) async fn cancel_all(state: &AppState, m: &Meeting, end_running: bool) -> ApiResult<Json<serde_json::Value>> {
    let series = m.series.as_ref().ok_or_else(ApiError::not_found)?;
    let all = state.store.series_meetings(&series.id).await?;
    let t = state.now();
    let change = convene_core::series::cancel_series(&all, end_running, t)?;
    carry_out(state, &change, &all, t).await?;
    Ok(Json(serde_json::json!({})))
}

/// Edits one occurrence: its time, length, media and own settings. Only
/// while it is booked; it may not overlap another occurrence, nor another
/// meeting in its room.
#[utoipa::path(put, path = "/v1/mmc/management/conferences/cyclesubconf", tag = "recurring",
    request_body = RestScheduleCycleConfDto,
    params(("conferenceID" = String, Query)),
    responses((status = 200, description = "edited"),
              (status = 400, description = "invalid field, or it has started", body = convene_proto::RestError),
              (status = 404, body = convene_proto::RestError),
              (status = 409, description = "its room holds another meeting then", body = convene_proto::RestError)))]
pub async fn update_occurrence(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<ConfParams>,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (_, all) = own_series(&state, &user, p.conference_id).await?;
    let dto: RestScheduleCycleConfDto = json_body(&body, SdkErr::CMS_CONF_BAD_REQUEST)?;
    let t = state.now();
    let (edited, notices) = convene_core::series::edit_occurrence(&all, dto, &state.limits, t)?;
    if !state.store.update_booked_meeting(&edited, &notices, t).await? {
        let now = state
            .store
            .meeting_by_uuid(&edited.conf_uuid)
            .await?
            .ok_or_else(ApiError::not_found)?;
        now.may_edit(t)?;
        return Err(convene_store::StoreError::RoomBusy(edited.room_id.clone().unwrap_or_default()).into());
    }
    state.notices.notify_one();
    Ok(Json(serde_json::json!({})))
}

/// Cancels some occurrences (body `{"cycleSubConfIDs": [...]}`); a running
/// one only with `type=1` (it ends).
#[utoipa::path(delete, path = "/v1/mmc/management/conferences/cyclesubconf", tag = "recurring",
    request_body = CancelSubConfsBody,
    params(("conferenceID" = String, Query), ("type" = Option<i64>, Query, description = "1: also end a running occurrence")),
    responses((status = 200, description = "cancelled"),
              (status = 400, description = "not booked, or no such occurrence in the series", body = convene_proto::RestError),
              (status = 404, body = convene_proto::RestError)))]
pub async fn cancel_occurrences(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<ConfParams>,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let (_, all) = own_series(&state, &user, p.conference_id).await?;
    let req: CancelSubConfsBody = json_body(&body, SdkErr::CMS_CONF_BAD_REQUEST)?;
    let t = state.now();
    let ids = req.cycle_sub_conf_ids.unwrap_or_default();
    let change = convene_core::series::cancel_occurrences(&all, &ids, p.cancel_type == Some(1), t)?;
    carry_out(&state, &change, &all, t).await?;
    Ok(Json(serde_json::json!({})))
}

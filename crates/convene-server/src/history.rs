//! A caller's held meetings: the history list and detail (keyed by
//! `confUUID`), and each meeting's attendance and control records, which
//! the live meeting keeps (`convene_core::session::Record`).

use axum::extract::{Query, State};
use axum::Json;
use convene_core::meeting::Viewer;
use convene_core::{ConfUuid, Meeting};
use convene_proto::rest::{
    AttendanceRecord, AttendanceRecordPage, ControlRecord, ControlRecordPage, SearchMeetingsResponse,
    ShowMeetingDetailResponse,
};
use convene_proto::{MediaType, SdkErr};
use convene_store::{ListKind, ListQuery, User};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryParams {
    /// Milliseconds: meetings that started from then...
    start_date: Option<i64>,
    /// ...until then (milliseconds).
    end_date: Option<i64>,
    offset: Option<i64>,
    limit: Option<i64>,
    search_key: Option<String>,
    sort_type: Option<String>,
}

/// A list's required `startDate` and `endDate` (milliseconds), in order.
pub(crate) fn date_range(start: Option<i64>, end: Option<i64>) -> ApiResult<(i64, i64)> {
    let (Some(from), Some(to)) = (start, end) else {
        return Err(ApiError::bad_request(
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
            "startDate and endDate (milliseconds) are required",
        ));
    };
    if from > to {
        return Err(ApiError::bad_request(
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
            "startDate is after endDate",
        ));
    }
    Ok((from, to))
}

/// The caller's held meetings that started between `startDate` and
/// `endDate` (required, milliseconds).
#[utoipa::path(get, path = "/v1/mmc/management/conferences/history", tag = "history",
    params(("startDate" = i64, Query), ("endDate" = i64, Query), ("offset" = Option<i64>, Query),
           ("limit" = Option<i64>, Query), ("searchKey" = Option<String>, Query), ("sortType" = Option<String>, Query)),
    responses((status = 200, body = SearchMeetingsResponse)))]
pub async fn history(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<HistoryParams>,
) -> ApiResult<Json<SearchMeetingsResponse>> {
    let (from, to) = date_range(p.start_date, p.end_date)?;
    let (offset, limit, search) = crate::api::page_params(p.offset, p.limit, p.search_key)?;
    let ascending = match p.sort_type.as_deref().unwrap_or("DSC_StartTIME") {
        "ASC_StartTIME" => true,
        "DSC_StartTIME" | "ASC_RecordTYPE" | "DSC_RecordTYPE" => false,
        other => {
            return Err(ApiError::bad_request(
                SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                format!(
                    "sortType {other:?} is not one of ASC_StartTIME, DSC_StartTIME, ASC_RecordTYPE, DSC_RecordTYPE"
                ),
            ))
        }
    };
    let q = ListQuery {
        offset,
        limit,
        search,
        ascending,
        kind: ListKind::Held,
        starts_from: Some(from.div_euclid(1000)),
        starts_before: Some(to.div_euclid(1000)),
        ..Default::default()
    };
    let mut page = crate::api::meetings_page(&state, &user, q).await?;
    // Whether each has a recording to fetch (the history's `isHasRecordFile`).
    let uuids: Vec<ConfUuid> = page.0.data.iter().map(|m| ConfUuid(m.conf_uuid.clone())).collect();
    let ready: std::collections::HashSet<String> = state
        .store
        .segments_of_many(&uuids)
        .await?
        .into_iter()
        .filter(|s| s.state == convene_core::recording::SegmentState::Ready)
        .map(|s| s.conf_uuid)
        .collect();
    for m in &mut page.0.data {
        m.is_has_record_file = Some(ready.contains(&m.conf_uuid));
    }
    Ok(page)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UuidParams {
    #[serde(rename = "confUUID")]
    conf_uuid: Option<String>,
    offset: Option<i64>,
    limit: Option<i64>,
    search_key: Option<String>,
}

/// A held meeting of the caller's, by `confUUID`; others' look missing.
async fn held(state: &AppState, user: &User, conf_uuid: Option<String>) -> ApiResult<Meeting> {
    let uuid = conf_uuid
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::bad_request(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "confUUID is required"))?;
    state
        .store
        .meeting_by_uuid(&ConfUuid(uuid))
        .await?
        .filter(|m| m.owner_id == user.id)
        .ok_or_else(ApiError::not_found)
}

#[utoipa::path(get, path = "/v1/mmc/management/conferences/history/confDetail", tag = "history",
    params(("confUUID" = String, Query)),
    responses((status = 200, body = ShowMeetingDetailResponse), (status = 404, body = convene_proto::RestError)))]
pub async fn history_detail(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<UuidParams>,
) -> ApiResult<Json<ShowMeetingDetailResponse>> {
    let (offset, limit, search) = crate::api::page_params(p.offset, p.limit, p.search_key)?;
    let m = held(&state, &user, p.conf_uuid).await?;
    Ok(Json(ShowMeetingDetailResponse {
        conference_data: m.conference_info(&state.public_url, Viewer::Host, state.now()),
        data: m.invitees(Viewer::Host, offset, limit, search.as_deref()),
    }))
}

/// Who was in a held meeting, when.
#[utoipa::path(get, path = "/v1/mmc/management/conferences/history/confAttendeeRecord", tag = "history",
    params(("confUUID" = String, Query), ("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query),
           ("searchKey" = Option<String>, Query, description = "a name")),
    responses((status = 200, body = AttendanceRecordPage), (status = 404, body = convene_proto::RestError)))]
pub async fn attendance(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<UuidParams>,
) -> ApiResult<Json<AttendanceRecordPage>> {
    let (offset, limit, search) = crate::api::page_params(p.offset, p.limit, p.search_key)?;
    let m = held(&state, &user, p.conf_uuid).await?;
    let (count, rows) = state
        .store
        .attendance_of(&m.conf_uuid, offset, limit, search.as_deref())
        .await?;
    let media = match m.info.media_type {
        MediaType::Audio => "Voice",
        MediaType::Video => "Video",
    };
    Ok(Json(AttendanceRecordPage {
        offset,
        limit,
        count,
        data: rows
            .into_iter()
            .map(|r| AttendanceRecord {
                display_name: r.name,
                call_number: r.participant_id.to_string(),
                device_type: r.device,
                join_time: r.joined_at * 1000,
                left_time: r.left_at.unwrap_or(0) * 1000,
                media_type: media.into(),
                dept_name: String::new(),
                role: r.role,
            })
            .collect(),
    }))
}

/// What was done in a held meeting, by whom, in order.
#[utoipa::path(get, path = "/v1/mmc/management/conferences/history/confCtlRecord", tag = "history",
    params(("confUUID" = String, Query), ("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = ControlRecordPage), (status = 404, body = convene_proto::RestError)))]
pub async fn control_records(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<UuidParams>,
) -> ApiResult<Json<ControlRecordPage>> {
    let (offset, limit, _) = crate::api::page_params(p.offset, p.limit, None)?;
    let m = held(&state, &user, p.conf_uuid).await?;
    let (count, rows) = state.store.control_records_of(&m.conf_uuid, offset, limit).await?;
    Ok(Json(ControlRecordPage {
        offset,
        limit,
        count,
        data: rows
            .into_iter()
            .map(|r| ControlRecord {
                operate_time: r.at * 1000,
                operate_source: r.source,
                operator: r.operator,
                operate_code: r.code,
                operation_object: r.object,
                operate_result: r.result.to_string(),
                detail: r.detail,
            })
            .collect(),
    }))
}

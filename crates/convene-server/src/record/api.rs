//! The product's recording API (spec §3): start and stop in a meeting (the
//! control token's calls), and the management calls that list, describe,
//! link and delete a meeting's recording, plus the download those links
//! lead to. Only the meeting's owner, an account invited as its host and
//! its enterprise's administrators see a recording; to anyone else it
//! looks missing.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use convene_core::live::Action;
use convene_core::recording::{SegmentState, DOWNLOAD_TOKEN_SECONDS};
use convene_core::{ConfUuid, Meeting};
use convene_proto::live::RecordOp;
use convene_proto::record::*;
use convene_proto::time::rest_time;
use convene_proto::SdkErr;
use convene_store::{RecordQuery, Segment, User};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::Caller;
use crate::control::{control_call, ConfQuery};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// `PUT .../conferences/record` `{isRecord: 1 start | 0 stop}`.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/record", tag = "recording",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")),
    request_body(description = "`{isRecord: 0|1}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError)))]
pub async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, _| {
        let on = crate::control::required_flag(b, "isRecord")?;
        Ok(Action::Record {
            op: if on { RecordOp::Start } else { RecordOp::Stop },
        })
    })
    .await
}

/// `PUT .../conferences/mmrRecord` `{recordType: 0 pause | 1 start | 2 stop}`.
#[utoipa::path(put, path = "/v1/mmc/control/conferences/mmrRecord", tag = "recording",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")),
    request_body(description = "`{recordType: 0 pause, 1 start, 2 stop}`", content_type = "application/json"),
    responses((status = 200, description = "done"), (status = 400, body = convene_proto::RestError)))]
pub async fn mmr_record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    control_call(&state, &headers, &q, &body, |b, _| {
        let op = match b.get("recordType").and_then(Value::as_i64) {
            Some(0) => RecordOp::Pause,
            Some(1) => RecordOp::Start,
            Some(2) => RecordOp::Stop,
            _ => {
                return Err(ApiError::bad_request(
                    SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                    "recordType is required: 0 pause, 1 start, 2 stop",
                ))
            }
        };
        Ok(Action::Record { op })
    })
    .await
}

/// The meeting with this UUID if the caller may see its recording.
pub(crate) async fn visible(state: &AppState, user: &User, conf_uuid: &str) -> ApiResult<Meeting> {
    if conf_uuid.is_empty() {
        return Err(ApiError::bad_request(
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
            "confUUID is required",
        ));
    }
    let m = state.store.meeting_by_uuid(&ConfUuid(conf_uuid.to_owned())).await?;
    m.filter(|m| may_see(user, m)).ok_or_else(ApiError::not_found)
}

fn may_see(user: &User, m: &Meeting) -> bool {
    let invited_host = matches!(
        convene_core::live::viewer(m, &crate::auth::live_account(user)),
        Some(convene_core::meeting::Viewer::Host)
    );
    convene_core::recording::may_see(
        m.owner_id == user.id,
        invited_host,
        user.admin && user.enterprise_id == m.enterprise_id,
    )
}

fn result_of(m: &Meeting, segments: &[Segment]) -> RecordResult {
    let secs: i64 = segments
        .iter()
        .map(|s| s.stopped_at.unwrap_or(s.started_at) - s.started_at)
        .sum();
    let bytes: u64 = segments
        .iter()
        .map(|s| s.files.iter().map(|f| f.bytes).sum::<u64>() + s.tracks.iter().map(|t| t.bytes).sum::<u64>())
        .sum();
    let finished = !segments.is_empty()
        && segments
            .iter()
            .all(|s| matches!(s.state, SegmentState::Ready | SegmentState::Failed));
    RecordResult {
        conf_uuid: m.conf_uuid.0.clone(),
        conf_id: m.conf_id.0.clone(),
        url: Vec::new(),
        rcd_time: secs.max(0),
        rcd_size: bytes.div_ceil(1 << 20) as i64,
        subject: m.info.subject.clone(),
        scheduser_name: m.owner_name.clone(),
        start_time: rest_time(m.start),
        is_decode_finish: finished,
        decode_end_time: 0,
        available: segments.iter().any(|s| s.state == SegmentState::Ready),
        // Who may fetch it: convene lets the owner, its hosts and the
        // enterprise's administrators (docs/DECISIONS.md), nearest to 2.
        record_auth_type: 2,
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchParams {
    start_date: Option<i64>,
    end_date: Option<i64>,
    offset: Option<i64>,
    limit: Option<i64>,
    search_key: Option<String>,
    query_all: Option<bool>,
    sort_type: Option<String>,
}

/// `search_recordings`: the caller's recorded meetings that started
/// between `startDate` and `endDate` (milliseconds); `queryAll` (an
/// administrator) the whole enterprise's.
#[utoipa::path(get, path = "/v1/mmc/management/record/files", tag = "recording",
    params(("startDate" = i64, Query), ("endDate" = i64, Query), ("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query),
           ("searchKey" = Option<String>, Query), ("queryAll" = Option<bool>, Query), ("sortType" = Option<String>, Query)),
    responses((status = 200, body = RecordPage), (status = 400, body = convene_proto::RestError)))]
pub async fn search(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<RecordPage>> {
    let (from, to) = crate::history::date_range(p.start_date, p.end_date)?;
    let (offset, limit, search) = crate::api::page_params(p.offset, p.limit, p.search_key)?;
    let ascending = match p.sort_type.as_deref().unwrap_or("DSC_StartTIME") {
        "ASC_StartTIME" => true,
        "DSC_StartTIME" => false,
        other => {
            return Err(ApiError::bad_request(
                SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                format!("sortType {other:?} is not ASC_StartTIME or DSC_StartTIME"),
            ))
        }
    };
    if p.query_all == Some(true) && !user.admin {
        return Err(ApiError::forbidden(
            SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS,
            "queryAll is for the enterprise's administrators",
        ));
    }
    let q = RecordQuery {
        owner: (p.query_all != Some(true)).then(|| user.id.0.clone()),
        enterprise: user.enterprise_id.0.clone(),
        search,
        from: from.div_euclid(1000),
        to: to.div_euclid(1000).saturating_add(1),
        ascending,
        offset,
        limit,
    };
    let (count, meetings) = state.store.recorded_meetings(&q).await?;
    let uuids: Vec<ConfUuid> = meetings.iter().map(|m| m.conf_uuid.clone()).collect();
    let mut by_meeting: std::collections::HashMap<String, Vec<Segment>> = std::collections::HashMap::new();
    for s in state.store.segments_of_many(&uuids).await? {
        by_meeting.entry(s.conf_uuid.clone()).or_default().push(s);
    }
    let data = meetings
        .iter()
        .map(|m| {
            result_of(
                m,
                by_meeting
                    .get(m.conf_uuid.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
            )
        })
        .collect();
    Ok(Json(RecordPage {
        offset,
        limit,
        count,
        data,
    }))
}

#[derive(Debug, Deserialize)]
pub struct UuidParams {
    #[serde(rename = "confUUID", default)]
    conf_uuid: String,
    offset: Option<i64>,
    limit: Option<i64>,
}

/// `show_recording_detail`.
#[utoipa::path(get, path = "/v1/mmc/management/conferences/record/files", tag = "recording",
    params(("confUUID" = String, Query)),
    responses((status = 200, body = RecordResult), (status = 404, body = convene_proto::RestError)))]
pub async fn detail(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<UuidParams>,
) -> ApiResult<Json<RecordResult>> {
    let m = visible(&state, &user, &p.conf_uuid).await?;
    let segments = state.store.segments_of(&m.conf_uuid).await?;
    if segments.is_empty() {
        return Err(ApiError::not_found());
    }
    Ok(Json(result_of(&m, &segments)))
}

/// A download link's token: random, kept only as its hash (as access tokens are).
use crate::auth::token_key;

fn download_url(state: &AppState, segment: i64, file: &str) -> String {
    format!("{}/v1/convene/recordings/{segment}/{file}", state.public_url)
}

/// A new single-use link to a file of a segment: its token and URL.
async fn link(state: &AppState, segment: i64, file: &str) -> ApiResult<(String, String)> {
    let token = convene_core::ids::random_hex(&mut rand::thread_rng(), 24);
    let expires = state.now() + DOWNLOAD_TOKEN_SECONDS;
    state
        .store
        .put_download(&token_key(&token), segment, file, expires)
        .await?;
    Ok((token, download_url(state, segment, file)))
}

/// What of a ready segment may be fetched: its composed files (the
/// product's types: `Hd`...), then each participant's captured tracks
/// (convene's `Track`, with whose: for transcription or editing).
fn fetchable(seg: &Segment) -> Vec<(i64, String, String, Option<String>)> {
    let composed = seg
        .files
        .iter()
        .map(|f| (seg.id, f.file_type.clone(), f.file.clone(), None));
    let tracks = seg
        .tracks
        .iter()
        .map(|t| (seg.id, "Track".to_owned(), t.file.clone(), Some(t.name.clone())));
    composed.chain(tracks).collect()
}

/// `show_recording_file_download_urls`: a link per composed file, each
/// with its single-use token (one hour).
#[utoipa::path(get, path = "/v1/mmc/management/record/downloadurls", tag = "recording",
    params(("confUUID" = String, Query), ("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = RecordDownloadUrls), (status = 404, body = convene_proto::RestError)))]
pub async fn download_urls(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<UuidParams>,
) -> ApiResult<Json<RecordDownloadUrls>> {
    let (offset, limit, _) = crate::api::page_params(p.offset, p.limit, None)?;
    let m = visible(&state, &user, &p.conf_uuid).await?;
    let segments = state.store.segments_of(&m.conf_uuid).await?;
    if segments.is_empty() {
        return Err(ApiError::not_found());
    }
    // The page first, then its tokens (none made for files not answered).
    let page: Vec<_> = segments
        .iter()
        .filter(|s| s.state == SegmentState::Ready)
        .flat_map(fetchable)
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    let mut urls = Vec::with_capacity(page.len());
    for (segment, file_type, file, participant_name) in page {
        let (token, url) = link(&state, segment, &file).await?;
        urls.push(RecordDownloadUrl {
            token,
            file_type,
            url,
            participant_name,
        });
    }
    Ok(Json(RecordDownloadUrls {
        record_urls: vec![RecordDownloadInfo {
            conf_uuid: m.conf_uuid.0.clone(),
            urls,
        }],
    }))
}

#[derive(Debug, Deserialize)]
pub struct DeleteParams {
    #[serde(rename = "confUUIDs", default)]
    conf_uuids: String,
}

/// `delete_recordings`: `confUUIDs` comma-separated; each one's segments
/// and files go. All are checked before any is deleted.
#[utoipa::path(delete, path = "/v1/mmc/management/record/files", tag = "recording",
    params(("confUUIDs" = String, Query, description = "comma-separated")),
    responses((status = 200, description = "deleted"), (status = 404, body = convene_proto::RestError)))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<DeleteParams>,
) -> ApiResult<Json<Value>> {
    let ids: Vec<&str> = p
        .conf_uuids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if ids.is_empty() || ids.len() > 100 {
        return Err(ApiError::bad_request(
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
            "confUUIDs: 1 to 100 comma-separated meeting UUIDs",
        ));
    }
    let mut meetings = Vec::new();
    for id in &ids {
        meetings.push(visible(&state, &user, id).await?);
    }
    for m in meetings {
        state.live.recordings.delete(&m.conf_uuid).await?;
    }
    Ok(Json(serde_json::json!({})))
}

/// `show_record_info`: the recording's parts (one per start), each with
/// its files.
#[utoipa::path(post, path = "/v1/mmc/rlm/record/info", tag = "recording",
    request_body = RecordInfoReq,
    responses((status = 200, body = RecordInfoResponse), (status = 404, body = convene_proto::RestError)))]
pub async fn info(
    State(state): State<AppState>,
    Caller(user): Caller,
    body: axum::body::Bytes,
) -> ApiResult<Json<RecordInfoResponse>> {
    let req: RecordInfoReq = crate::util::json_body(&body, SdkErr::CMS_PARAMETER_VERIFIED_FAIL)?;
    let offset = req.segment_offset.unwrap_or(0);
    let limit = req.segment_limit.unwrap_or(10);
    if offset < 0 || !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request(
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
            "segmentOffset >= 0 and segmentLimit 1..=100",
        ));
    }
    let m = visible(&state, &user, &req.conf_uuid).await?;
    let segments = state.store.segments_of(&m.conf_uuid).await?;
    if segments.is_empty() {
        return Err(ApiError::not_found());
    }
    let mut list = Vec::new();
    for (i, seg) in segments.iter().enumerate().skip(offset as usize).take(limit as usize) {
        let mut files = Vec::new();
        if seg.state == SegmentState::Ready {
            for f in &seg.files {
                let (token, url) = link(&state, seg.id, &f.file).await?;
                let begin = seg.started_at * 1000;
                files.push(SegmentFile {
                    record_type: "SPEAKER_VIDEO".into(),
                    begin_time: begin,
                    end_time: begin + f.duration_ms as i64,
                    duration: (f.duration_ms / 1000) as i64,
                    file_size: f.bytes as i64,
                    sha256: f.sha256.clone(),
                    play_url: format!("{url}?token={token}"),
                    download_url: format!("{url}?token={token}"),
                });
            }
        }
        let size: u64 = seg.files.iter().map(|f| f.bytes).sum();
        list.push(SegmentInfo {
            manual_order: i as i64 + 1,
            segment_order: 1,
            segment_size: size.to_string(),
            file_list: files,
        });
    }
    Ok(Json(RecordInfoResponse {
        code: "0".into(),
        message: "success".into(),
        data: RecordInfo {
            subject: m.info.subject.clone(),
            begin_time: rest_time(segments[0].started_at),
            segment_offset: offset,
            segment_limit: limit,
            segment_count: segments.len() as i64,
            segment_list: list,
        },
    }))
}

#[derive(Debug, Deserialize)]
pub struct TokenParam {
    token: Option<String>,
}

/// A download: `Authorization: <token>` (or `?token=`, for players that
/// cannot set a header) from a download link, once. Streams the file with
/// HTTP Range support.
pub async fn download(
    State(state): State<AppState>,
    Path((segment, file)): Path<(i64, String)>,
    Query(q): Query<TokenParam>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Response {
    let refused = || {
        (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({
                "error_code": SdkErr::USG_INVALID_TOKEN.rest_code(),
                "error_msg": "this download link's token is wrong, used or expired: get new links",
            })),
        )
            .into_response()
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .or(q.token);
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 128) else {
        return refused();
    };
    let taken = match state.store.take_download(&token_key(&token), state.now()).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some((seg_id, name)) = taken.filter(|(s, f)| *s == segment && *f == file) else {
        return refused();
    };
    let seg = match state.store.segment(seg_id).await {
        Ok(Some(s)) => s,
        Ok(None) => return ApiError::not_found().into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let rec = &state.live.recordings;
    let path = rec.segment_dir(&seg.conf_uuid, seg.id).join(&name);
    let mut response = rec.archive.serve(&seg.conf_uuid, seg.id, &name, &path, request).await;
    let disposition = format!("attachment; filename=\"{}-{}\"", seg.conf_uuid, name);
    if let Ok(v) = disposition.parse() {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

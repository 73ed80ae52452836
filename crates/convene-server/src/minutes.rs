//! A held meeting's minutes (`GET /v1/convene/minutes?confUUID=`), for a
//! meeting created with `defaultSummaryState` on: put together from its
//! records (attendance with speaking time, control actions, chat) and its
//! recording. The same callers as a recording's see it: the owner, an
//! account invited as host, the enterprise's administrators.

use axum::extract::{Query, State};
use axum::Json;
use convene_core::recording::SegmentState;
use convene_core::ConfUuid;
use convene_proto::minutes::*;
use convene_proto::{ConfRole, SdkErr, SummaryState};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// The most records of each kind one document holds.
const MAX_ROWS: i64 = 10_000;

#[derive(Debug, Deserialize)]
pub struct MinutesParams {
    #[serde(rename = "confUUID", default)]
    conf_uuid: String,
}

fn role_name(n: i64) -> &'static str {
    match ConfRole::from_number(n) {
        Some(ConfRole::Host) => "host",
        Some(ConfRole::Cohost) => "cohost",
        Some(ConfRole::Audience) => "audience",
        Some(ConfRole::Waiting) => "waiting",
        _ => "attendee",
    }
}

fn state_name(s: SegmentState) -> &'static str {
    match s {
        SegmentState::Capturing => "capturing",
        SegmentState::Queued => "queued",
        SegmentState::Composing => "composing",
        SegmentState::Ready => "ready",
        SegmentState::Failed => "failed",
    }
}

/// The minutes of a meeting (see the module's doc).
#[utoipa::path(get, path = "/v1/convene/minutes", tag = "minutes",
    params(("confUUID" = String, Query)),
    responses((status = 200, body = Minutes), (status = 404, body = convene_proto::RestError)))]
pub async fn minutes(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<MinutesParams>,
) -> ApiResult<Json<Minutes>> {
    let m = crate::record::api::visible(&state, &user, &p.conf_uuid).await?;
    if m.info.default_summary_state != Some(SummaryState::Open) {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            SdkErr::CMS_CONF_DATA_NOT_FOUND,
            "this meeting was created without minutes (defaultSummaryState)",
        ));
    }
    let uuid = ConfUuid(m.conf_uuid.0.clone());
    let (_, stays) = state.store.attendance_of(&uuid, 0, MAX_ROWS, None).await?;
    let (_, control) = state.store.control_records_of(&uuid, 0, MAX_ROWS).await?;
    let chat = state.store.chat_of(&uuid).await?;
    let segments = state.store.segments_of(&uuid).await?;
    let now = state.now();
    let attendance: Vec<MinutesAttendance> = stays
        .iter()
        .map(|a| MinutesAttendance {
            name: a.name.clone(),
            role: role_name(a.role).into(),
            client_type: a.device.clone(),
            join_time: a.joined_at * 1000,
            left_time: a.left_at.map(|t| t * 1000),
            spoke_seconds: a.spoke_ms as f64 / 1000.0,
        })
        .collect();
    // Speaking time per participant over its stays (by name: a stay's
    // participant ID is only unique within one live session).
    let mut by_name: Vec<(String, i64)> = Vec::new();
    for a in &stays {
        match by_name.iter_mut().find(|(n, _)| *n == a.name) {
            Some((_, ms)) => *ms += a.spoke_ms,
            None => by_name.push((a.name.clone(), a.spoke_ms)),
        }
    }
    let total: i64 = by_name.iter().map(|(_, ms)| ms).sum();
    by_name.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let speaking = by_name
        .into_iter()
        .filter(|(_, ms)| *ms > 0)
        .map(|(name, ms)| MinutesSpeaker {
            name,
            seconds: ms as f64 / 1000.0,
            share: (1000.0 * ms as f64 / total.max(1) as f64).round() / 10.0,
        })
        .collect();
    let present = stays.iter().any(|a| a.left_at.is_none());
    let held_from = stays.iter().map(|a| a.joined_at).min().map(|t| t * 1000);
    let held_until = if present {
        None
    } else {
        stays.iter().filter_map(|a| a.left_at).max().map(|t| t * 1000)
    };
    let over = m.state_at(now) != convene_core::ConfState::Running || m.end <= now;
    Ok(Json(Minutes {
        conf_uuid: m.conf_uuid.0.clone(),
        conf_id: m.conf_id.0.clone(),
        subject: m.info.subject.clone(),
        scheduler_name: m.owner_name.clone(),
        start_time: m.start * 1000,
        end_time: m.end * 1000,
        held_from,
        held_until,
        complete: over
            && !present
            && segments
                .iter()
                .all(|s| matches!(s.state, SegmentState::Ready | SegmentState::Failed)),
        attendance,
        speaking,
        control_log: control
            .into_iter()
            .map(|c| MinutesControl {
                time: c.at * 1000,
                operator: c.operator,
                action: c.code,
                object: c.object,
                result: c.result,
                detail: c.detail,
            })
            .collect(),
        chat: chat
            .into_iter()
            .map(|c| MinutesChat {
                time: c.at * 1000,
                from: c.from,
                to: c.to,
                text: c.text,
            })
            .collect(),
        recordings: segments
            .iter()
            .enumerate()
            .map(|(i, s)| MinutesRecording {
                part: i as i64 + 1,
                state: state_name(s.state).into(),
                begin_time: s.started_at * 1000,
                end_time: s.stopped_at.map(|t| t * 1000),
                files: s
                    .files
                    .iter()
                    .map(|f| MinutesRecordingFile {
                        file_type: f.file_type.clone(),
                        duration_seconds: (f.duration_ms / 1000) as i64,
                        bytes: f.bytes as i64,
                        sha256: f.sha256.clone(),
                    })
                    .collect(),
                error: s.error.clone(),
                download_urls_api: format!(
                    "{}/v1/mmc/management/record/downloadurls?confUUID={}",
                    state.public_url, m.conf_uuid.0
                ),
            })
            .collect(),
    }))
}

//! The product's meeting-management REST API (spec §3): create, list, detail,
//! cancel; and the join link's landing page.
//!
//! Every create, whatever client sent it, goes REST body -> `CreateConfInfo`
//! (`convene_core::rest`) -> `convene_core::create::plan` -> `Store::create_meeting`.

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::Json;
use convene_core::create::{plan, Creator};
use convene_core::meeting::Viewer;
use convene_core::{ConfId, Meeting};
use convene_proto::rest::{ConferenceInfo, RestScheduleConfDto, SearchMeetingsResponse, ShowMeetingDetailResponse};
use convene_proto::SdkErr;
use convene_store::{ListQuery, User};
use serde::Deserialize;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::util::{json_answer, json_body};
use crate::AppState;

pub(crate) fn creator(u: &User) -> Creator {
    Creator {
        user_id: u.id.clone(),
        name: u.name.clone(),
        enterprise_id: u.enterprise_id.clone(),
        personal_room: u.personal_room.clone(),
    }
}

/// Creates a meeting, instant or booked (a future `startTime`); the caller
/// becomes its host.
#[utoipa::path(post, path = "/v1/mmc/management/conferences", tag = "meetings",
    request_body = RestScheduleConfDto,
    params(("X-Access-Token" = String, Header, description = "from a login call")),
    responses((status = 200, description = "the meeting, as a one-element array", body = Vec<ConferenceInfo>),
              (status = 400, description = "invalid field", body = convene_proto::RestError),
              (status = 401, description = "no or bad token", body = convene_proto::RestError)))]
pub async fn create_meeting(
    State(state): State<AppState>,
    Caller(user): Caller,
    body: axum::body::Bytes,
) -> ApiResult<axum::response::Response> {
    let dto: RestScheduleConfDto = json_body(&body, SdkErr::CMS_CONF_BAD_REQUEST)?;
    let t = state.now();
    let (info, options) = convene_core::rest::create_from_rest(dto)?;
    let new = plan(
        info,
        options,
        &creator(&user),
        &state.limits,
        t,
        &mut rand::thread_rng(),
    )?;
    let later = new.series.as_ref().map(|p| p.later.clone()).unwrap_or_default();
    // The answer is built while the meeting's fsync runs (the CPU is
    // otherwise idle then) and sent only once the meeting is on disk.
    let staged = state.store.create_meeting_staged(new, t).await?;
    let mut info = staged.meeting.conference_info(&state.public_url, Viewer::Host, t);
    if staged.meeting.series.is_some() {
        let all: Vec<Meeting> = std::iter::once(staged.meeting.clone())
            .chain(
                later
                    .into_iter()
                    .map(|(uuid, start)| staged.meeting.occurrence(uuid, start)),
            )
            .collect();
        info.sub_confs = crate::series::sub_confs(&all, t);
    }
    let answer = json_answer(&[info], 2048)?;
    drop(staged.meeting);
    staged.durable.await?;
    state.notices.notify_one();
    Ok(answer)
}

/// The longest `searchKey` the list calls take.
const MAX_SEARCH_KEY_CHARS: usize = 128;

/// A list call's page and search key, checked: `offset` >= 0, `limit`
/// 1..=500 (default 20), `searchKey` at most 128 characters (a subject is at
/// most 128 and an ID 9 digits: a longer key matches nothing, and a huge one
/// costs the database a pattern it refuses); an empty key is none.
pub(crate) fn page_params(
    offset: Option<i64>,
    limit: Option<i64>,
    search_key: Option<String>,
) -> ApiResult<(i64, i64, Option<String>)> {
    let (offset, limit) = (offset.unwrap_or(0), limit.unwrap_or(20));
    if offset < 0 || !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request(
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
            "offset >= 0 and limit 1..=500",
        ));
    }
    if search_key
        .as_ref()
        .is_some_and(|k| k.chars().count() > MAX_SEARCH_KEY_CHARS)
    {
        return Err(ApiError::bad_request(
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
            format!("searchKey is longer than {MAX_SEARCH_KEY_CHARS} characters"),
        ));
    }
    Ok((offset, limit, search_key.filter(|s| !s.is_empty())))
}

/// A page of the caller's meetings as the list calls answer it.
pub(crate) async fn meetings_page(
    state: &AppState,
    user: &User,
    q: ListQuery,
) -> ApiResult<Json<SearchMeetingsResponse>> {
    let t = state.now();
    let (count, meetings) = state.store.list_meetings(&user.id, &q, t).await?;
    Ok(Json(SearchMeetingsResponse {
        offset: q.offset,
        limit: q.limit,
        count,
        data: meetings
            .iter()
            .map(|m| m.conference_info(&state.public_url, Viewer::Host, t))
            .collect(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    offset: Option<i64>,
    limit: Option<i64>,
    search_key: Option<String>,
    /// convene extra: also list ended and cancelled meetings.
    include_ended: Option<bool>,
    /// ADAY, AWEEK, AMONTH (meetings starting within that span from now) or ALL.
    query_conf_mode: Option<String>,
    /// ASC_StartTIME or DSC_StartTIME (the default).
    sort_type: Option<String>,
    /// All of the enterprise's meetings (admins): accepted; convene lists the caller's own.
    #[allow(dead_code)]
    query_all: Option<bool>,
}

/// Lists the caller's meetings not over yet (running and booked).
#[utoipa::path(get, path = "/v1/mmc/management/conferences", tag = "meetings",
    params(("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query, description = "1..=500, default 20"),
           ("searchKey" = Option<String>, Query, description = "subject or meeting ID"),
           ("includeEnded" = Option<bool>, Query, description = "convene: list ended meetings too"),
           ("queryConfMode" = Option<String>, Query, description = "ADAY, AWEEK, AMONTH or ALL"),
           ("sortType" = Option<String>, Query, description = "ASC_StartTIME or DSC_StartTIME")),
    responses((status = 200, body = SearchMeetingsResponse)))]
pub async fn list_meetings(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<SearchMeetingsResponse>> {
    let (offset, limit, search) = page_params(p.offset, p.limit, p.search_key)?;
    let t = state.now();
    let starts_within = match p.query_conf_mode.as_deref().unwrap_or("ALL") {
        "ALL" => None,
        "ADAY" => Some(86_400),
        "AWEEK" => Some(7 * 86_400),
        "AMONTH" => Some(31 * 86_400),
        other => {
            return Err(ApiError::bad_request(
                SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                format!("queryConfMode must be ADAY, AWEEK, AMONTH or ALL, not {other:?}"),
            ))
        }
    };
    let ascending = match p.sort_type.as_deref().unwrap_or("DSC_StartTIME") {
        "ASC_StartTIME" => true,
        "DSC_StartTIME" => false,
        other => {
            return Err(ApiError::bad_request(
                SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                format!("sortType must be ASC_StartTIME or DSC_StartTIME, not {other:?}"),
            ))
        }
    };
    let q = ListQuery {
        offset,
        limit,
        search,
        include_ended: p.include_ended.unwrap_or(false),
        starts_before: starts_within.map(|w| t + w),
        ascending,
        ..Default::default()
    };
    meetings_page(&state, &user, q).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnlineParams {
    offset: Option<i64>,
    limit: Option<i64>,
    search_key: Option<String>,
}

/// The caller's running meetings (`search_online_meetings`).
#[utoipa::path(get, path = "/v1/mmc/management/conferences/online", tag = "meetings",
    params(("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query), ("searchKey" = Option<String>, Query)),
    responses((status = 200, body = SearchMeetingsResponse)))]
pub async fn online_meetings(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<OnlineParams>,
) -> ApiResult<Json<SearchMeetingsResponse>> {
    let (offset, limit, search) = page_params(p.offset, p.limit, p.search_key)?;
    let q = ListQuery {
        offset,
        limit,
        search,
        kind: convene_store::ListKind::Running,
        ..Default::default()
    };
    meetings_page(&state, &user, q).await
}

/// One running meeting (`show_online_meeting_detail`); a booked or ended
/// one is not online.
#[utoipa::path(get, path = "/v1/mmc/management/conferences/online/confDetail", tag = "meetings",
    params(("conferenceID" = String, Query)),
    responses((status = 200, body = ShowMeetingDetailResponse), (status = 404, body = convene_proto::RestError)))]
pub async fn online_detail(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<ConfParams>,
) -> ApiResult<Json<ShowMeetingDetailResponse>> {
    let (offset, limit, search) = page_params(p.offset, p.limit, p.search_key)?;
    let (m, viewer) = visible_meeting(&state, &user, p.conference_id).await?;
    let t = state.now();
    if m.state_at(t) != convene_core::ConfState::Running {
        return Err(ApiError::not_found());
    }
    Ok(Json(ShowMeetingDetailResponse {
        conference_data: m.conference_info(&state.public_url, viewer, t),
        data: m.invitees(viewer, offset, limit, search.as_deref()),
    }))
}

#[derive(Debug, Deserialize)]
pub struct ConfParams {
    #[serde(rename = "conferenceID")]
    pub(crate) conference_id: Option<String>,
    /// Cancel: 1 also ends the meeting if it has started.
    #[serde(rename = "type")]
    pub(crate) cancel_type: Option<i64>,
    /// Details: the page of invited attendees, and a name to look for.
    offset: Option<i64>,
    limit: Option<i64>,
    #[serde(rename = "searchKey")]
    search_key: Option<String>,
}

/// The meeting a `conferenceID` query parameter names (required), if any.
pub(crate) async fn meeting_param(state: &AppState, conf_id: Option<String>) -> ApiResult<Option<Meeting>> {
    let conf_id = conf_id
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "conferenceID is required"))?;
    Ok(state.store.meeting_by_conf_id(&ConfId(conf_id), state.now()).await?)
}

/// The meeting a caller may see (`convene_core::live::viewer`): their own
/// or one they are invited to as host (everything), one they are invited
/// to otherwise (what an invitation shows). Anything else looks exactly
/// like a missing meeting.
pub(crate) async fn visible_meeting(
    state: &AppState,
    user: &User,
    conf_id: Option<String>,
) -> ApiResult<(Meeting, Viewer)> {
    let m = meeting_param(state, conf_id).await?.ok_or_else(ApiError::not_found)?;
    match convene_core::live::viewer(&m, &crate::auth::live_account(user)) {
        Some(v) => Ok((m, v)),
        None => Err(ApiError::not_found()),
    }
}

/// One meeting, with every setting it was created with.
#[utoipa::path(get, path = "/v1/mmc/management/conferences/confDetail", tag = "meetings",
    params(("conferenceID" = String, Query)),
    responses((status = 200, body = ShowMeetingDetailResponse), (status = 404, body = convene_proto::RestError)))]
pub async fn meeting_detail(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<ConfParams>,
) -> ApiResult<Json<ShowMeetingDetailResponse>> {
    let (offset, limit, search) = page_params(p.offset, p.limit, p.search_key)?;
    let (m, viewer) = visible_meeting(&state, &user, p.conference_id).await?;
    let mut conference_data = m.conference_info(&state.public_url, viewer, state.now());
    if let Some(series) = &m.series {
        let all = state.store.series_meetings(&series.id).await?;
        conference_data.sub_confs = crate::series::sub_confs(&all, state.now());
    }
    if viewer == Viewer::Host {
        // How each invitation went: a bad address or a refusing server shows
        // here; a recurring meeting's include its series'.
        let mut told = state.store.notices_of(&m.conf_uuid).await?;
        if let Some(series) = &m.series {
            told.extend(state.store.notices_of(&series.id).await?);
        }
        conference_data.notifications = told
            .into_iter()
            .map(|n| convene_proto::rest::NotificationState {
                kind: n.notice.kind.as_str().into(),
                channel: n.notice.channel.as_str().into(),
                recipient: n.notice.recipient,
                state: n.state,
                attempts: n.attempts,
                last_error: n.last_error,
                sent_at: n.sent_at,
            })
            .collect();
    }
    Ok(Json(ShowMeetingDetailResponse {
        conference_data,
        data: m.invitees(viewer, offset, limit, search.as_deref()),
    }))
}

/// Cancels a booked meeting (freeing its time in its room), or with
/// `type=1` a started one too (ending it); only its creator may.
#[utoipa::path(delete, path = "/v1/mmc/management/conferences", tag = "meetings",
    params(("conferenceID" = String, Query), ("type" = Option<i64>, Query, description = "1: also end it if it has started")),
    responses((status = 200, description = "cancelled"), (status = 404, body = convene_proto::RestError)))]
pub async fn cancel_meeting(
    State(state): State<AppState>,
    Caller(user): Caller,
    Query(p): Query<ConfParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let (m, _) = visible_meeting(&state, &user, p.conference_id).await?;
    if m.owner_id != user.id {
        return Err(ApiError::forbidden(
            SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS,
            "only the meeting's creator can cancel it",
        ));
    }
    if m.series.is_some() {
        // A recurring meeting's ID names the series: all of it is cancelled.
        return crate::series::cancel_all(&state, &m, p.cancel_type == Some(1)).await;
    }
    let t = state.now();
    if m.state_at(t) == convene_core::ConfState::Running && p.cancel_type != Some(1) {
        return Err(ApiError::bad_request(
            SdkErr::CMS_CONF_BAD_REQUEST,
            "the meeting has started: cancel it with type=1, which also ends it",
        ));
    }
    let notices = convene_core::notify::notices(
        &m.info,
        &m.options,
        convene_core::notify::NoticeKind::Cancel,
        m.sequence + 1,
    );
    if !state.store.cancel_meeting(&m.conf_uuid, t, &notices).await? {
        return Err(ApiError::bad_request(
            SdkErr::CMS_CONF_IS_CLOSED,
            "the meeting has already ended",
        ));
    }
    state.notices.notify_one();
    // Whoever is in it is told it ended.
    state.live.end_if_live(&m).await;
    Ok(Json(serde_json::json!({})))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "convene",
        description = "The HUAWEI CLOUD Meeting REST API, as convene serves it"
    ),
    paths(
        create_meeting,
        list_meetings,
        meeting_detail,
        cancel_meeting,
        online_meetings,
        online_detail,
        crate::schedule::update_meeting,
        crate::schedule::start_meeting,
        crate::series::create_recurring,
        crate::series::update_recurring,
        crate::series::cancel_recurring,
        crate::series::update_occurrence,
        crate::series::cancel_occurrences,
        crate::history::history,
        crate::history::history_detail,
        crate::history::attendance,
        crate::history::control_records,
        crate::control::token,
        crate::control::lock,
        crate::control::mute_all,
        crate::control::mute_one,
        crate::control::cohost,
        crate::control::allow_waiting,
        crate::control::stop,
        crate::apps::add_app,
        crate::apps::list_apps,
        crate::apps::update_app,
        crate::apps::reset_key,
        crate::apps::delete_app,
        crate::corp::add_user,
        crate::corp::search_users,
        crate::corp::show_user,
        crate::corp::update_user,
        crate::corp::delete_users,
        crate::corp::reset_password,
        crate::confctl::ws_token,
        crate::webhooks::set_config,
        crate::webhooks::show_config,
        crate::webhooks::delete_config,
        crate::webhooks::change_status,
        crate::participants::real_time_info,
        crate::participants::delete_attendees,
        crate::participants::online_attendees,
        crate::participants::prolong,
        crate::participants::set_role,
        crate::participants::rename,
        crate::participants::hand,
        crate::participants::batch_hands,
        crate::participants::hang_up,
        crate::participants::invite,
        crate::participants::move_to_waiting,
        crate::participants::batch_move_to_waiting,
        crate::participants::guest_unmute,
        crate::participants::update_started_config,
        crate::record::api::record,
        crate::record::api::mmr_record,
        crate::record::api::search,
        crate::record::api::detail,
        crate::record::api::download_urls,
        crate::record::api::delete,
        crate::record::api::info,
        crate::minutes::minutes,
        crate::schedule::time_zones,
        crate::auth::logout,
    ),
    components(schemas(
        convene_proto::CreateConfInfo,
        convene_proto::CreateConfResult,
        convene_proto::rest::AuthResult,
        convene_proto::rest::AccountAuthRequest,
        convene_proto::rest::AppAuthRequest,
        // The participant WebSocket at /v1/convene/ws: what each side sends.
        convene_proto::live::ClientMsg,
        convene_proto::live::ServerMsg,
        convene_proto::live::Event,
        convene_proto::live::MediaStats,
    ))
)]
pub struct ApiDoc;

pub async fn openapi() -> impl IntoResponse {
    use utoipa::OpenApi;
    let mut doc = ApiDoc::openapi();
    // The login paths take their credentials in headers, described here.
    doc.paths.paths.insert(
        "/v1/usg/acs/auth/account".into(),
        login_path("Authorization: Basic base64(account:password)", "AccountAuthRequest"),
    );
    doc.paths.paths.insert(
        "/v2/usg/acs/auth/appauth".into(),
        login_path(
            "Authorization: HMAC-SHA256 signature=HEX,access=BASE64(appId)",
            "AppAuthRequest",
        ),
    );
    Json(doc)
}

fn login_path(auth: &str, body: &str) -> utoipa::openapi::path::PathItem {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let op = OperationBuilder::new()
        .tag("login")
        .description(Some(auth))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name(body))).build(),
                )
                .build(),
        ))
        .response(
            "200",
            ResponseBuilder::new().description("an access token").content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("AuthResult")))
                    .build(),
            ),
        )
        .build();
    PathItem::new(HttpMethod::Post, op)
}

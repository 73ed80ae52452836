//! The product's REST DTOs (spec §3), as its official clients send and read them.
//!
//! Field names follow the product exactly (including `scheduserName`). Fields of
//! the SDK's `CreateConfInfo` that have no REST twin travel as extra fields of the
//! same JSON objects (spec "Open points"); the product's clients ignore fields
//! they do not know, so the extras are invisible to them.
//!
//! Numeric REST fields are read as plain integers and checked by `convene-core`,
//! so that a bad value gets its SDKERR code instead of a JSON parse error.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::conf::*;

/// `POST /v1/usg/acs/auth/account` body; the password travels in HTTP Basic.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AccountAuthRequest {
    pub account: Option<String>,
    pub client_type: Option<i64>,
}

/// `POST /v2/usg/acs/auth/appauth` body (spec §3.2).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AppAuthRequest {
    pub app_id: Option<String>,
    pub user_id: Option<String>,
    pub corp_id: Option<String>,
    /// Unix seconds; 0 = the signature never expires.
    pub expire_time: Option<i64>,
    pub nonce: Option<String>,
    pub client_type: Option<i64>,
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    pub user_phone: Option<String>,
    pub dept_code: Option<String>,
}

/// The logged-in user, as the login answer describes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthUser {
    #[serde(rename = "userUUID")]
    pub user_uuid: String,
    /// The login account (for an App ID user: `appId/userId` of the third party).
    pub user_id: String,
    pub name: String,
    pub corp_id: String,
    /// The third-party user ID, for App ID users; empty otherwise.
    pub third_account: String,
    /// The user's fixed personal cloud meeting room ID.
    #[serde(rename = "vmrID")]
    pub vmr_id: String,
}

/// The login answer (the product's `AccessTokenResult`, trimmed to what
/// clients read).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthResult {
    pub access_token: String,
    /// Seconds the token stays valid.
    pub valid_period: i64,
    /// Unix seconds at which the token expires.
    pub expire_time: i64,
    pub create_time: i64,
    pub token_type: i64,
    pub user: AuthUser,
}

/// `RestAttendeeDTO`, plus `thirdUserId` (the SDK's field with no REST twin).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RestAttendeeDto {
    #[serde(rename = "userUUID", skip_serializing_if = "Option::is_none")]
    pub user_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 0 guest, 1 host; convene also takes the seed's 2 audience, 3 co-host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_mute: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_auto_invite: Option<i64>,
    /// `normal`, `terminal`, `mobile`, ... or the seed's number as text.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub attendee_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Extra: the SDK's `thirdUserId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub third_user_id: Option<String>,
}

/// `RestConfConfigDTO`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RestConfConfigDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_send_notify: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_send_sms: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_send_calendar: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_auto_mute: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_hard_terminal_auto_mute: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_guest_free_pwd: Option<bool>,
    /// 0 everyone, 2 enterprise users, 3 invited users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_in_restriction: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_guest_start_conf: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guest_pwd: Option<String>,
    #[serde(rename = "vmrIDType", skip_serializing_if = "Option::is_none")]
    pub vmr_id_type: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prolong_length: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_waiting_room: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_host_camera_on: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_guest_camera_on: Option<bool>,
}

/// `RestScheduleConfDTO`: the create-meeting body, plus the SDK-only extras.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RestScheduleConfDto {
    /// "yyyy-MM-dd HH:mm" UTC; absent = an instant meeting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Minutes, 15..=1440.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// "Voice", "Video", "HDVideo", "Data", comma separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_types: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attendees: Option<Vec<RestAttendeeDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_auto_record: Option<i64>,
    /// 0 off, 1 live, 2 record, 3 live + record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_type: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conf_config_info: Option<RestConfConfigDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vmr_flag: Option<i64>,
    #[serde(rename = "vmrID", skip_serializing_if = "Option::is_none")]
    pub vmr_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrent_participants: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conf_res_type: Option<i64>,
    /// Extra: the SDK's `customInfo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_info: Option<String>,
    /// Extra: the SDK's `defaultSummaryState` (0/1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_summary_state: Option<i64>,
    /// Extra: the SDK's `isMicOn` (the creator's microphone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_mic_on: Option<bool>,
    /// Extra: the SDK's `confAllowJoinUser` (0..=3), which can say 1
    /// (logged-in users), a value `callInRestriction` cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conf_allow_join_user: Option<i64>,
    /// Extra: the SDK's `numOfAttendee`; when absent, the attendee count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_of_attendee: Option<i64>,
    /// The product's time-zone code ("1".."73", e.g. "56" Beijing, "26"
    /// London): the zone times are shown in (mails, calendar entries).
    #[serde(rename = "timeZoneID", skip_serializing_if = "Option::is_none")]
    pub time_zone_id: Option<String>,
    /// The invitations' language: "zh-CN" or "en-US".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// A recurring series (`POST .../cycleconferences`): which days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycle_params: Option<CycleParams>,
}

/// `GET /v1/convene/timezones` (convene's): the product's time-zone codes,
/// for a scheduling form to offer and to convert its times with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimeZoneEntry {
    /// The code the REST API takes (`timeZoneID`).
    #[serde(rename = "timeZoneID")]
    pub time_zone_id: String,
    /// The IANA zone it means (daylight saving applies).
    pub zone: String,
    /// The product's label, e.g. "(GMT+08:00) Beijing, Chongqing, Hong Kong, Urumqi".
    pub label: String,
}

/// `CycleParams`: the days a recurring series falls on. Dates are
/// "YYYY-MM-DD" in the meeting's time zone (`timeZoneID`), not UTC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CycleParams {
    pub start_date: String,
    pub end_date: String,
    /// "Day", "Week" or "Month".
    pub cycle: String,
    /// Every how many days (1..=15), weeks (1..=5) or months (1..=3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    /// Week: weekdays, 0 = Sunday .. 6; Month: days 1..=31 (past the
    /// month's end: its last day).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point: Option<Vec<i64>>,
    /// Days before each occurrence its attendees are reminded, 0..=30.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_remind_days: Option<i64>,
}

/// `CycleSubConfConfigDTO`: the settings one occurrence of a series may
/// have of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CycleSubConfConfigDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_in_restriction: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience_call_in_restriction: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_guest_start_conf: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_waiting_room: Option<bool>,
}

/// `CycleSubConf`: one occurrence of a recurring series, as listed in the
/// series' `subConfs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CycleSubConf {
    /// The occurrence's own UUID (its `confUUID` once held).
    #[serde(rename = "cycleSubConfID")]
    pub cycle_sub_conf_id: String,
    #[serde(rename = "conferenceID")]
    pub conference_id: String,
    pub media_type: String,
    pub start_time: String,
    pub end_time: String,
    pub is_auto_record: i64,
    pub conf_config_info: CycleSubConfConfigDto,
    /// "Schedule", "Created" or "Destroyed" (convene's extra: the product
    /// lists only occurrences not cancelled).
    pub conference_state: String,
}

/// `RestScheduleCycleConfDTO`: the body of an occurrence's edit
/// (`PUT .../conferences/cyclesubconf`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RestScheduleCycleConfDto {
    #[serde(rename = "cycleSubConfID")]
    pub cycle_sub_conf_id: Option<String>,
    pub media_types: Option<String>,
    /// "yyyy-MM-dd HH:mm" UTC.
    pub start_time: Option<String>,
    /// Minutes, 15..=1440.
    pub length: Option<i64>,
    pub is_auto_record: Option<i64>,
    pub conf_config_info: Option<CycleSubConfConfigDto>,
    pub record_auth_type: Option<i64>,
    pub description: Option<String>,
}

/// The body of an occurrences' cancel (`DELETE .../conferences/cyclesubconf`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CancelSubConfsBody {
    #[serde(rename = "cycleSubConfIDs")]
    pub cycle_sub_conf_ids: Option<Vec<String>>,
}

/// `POST /v1/mmc/management/conferences/start` body: starts a booked
/// meeting before its time (the host password proves the right).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct StartRequest {
    #[serde(rename = "conferenceID")]
    pub conference_id: Option<String>,
    pub password: Option<String>,
}

/// The answer of `start`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartResponse {
    /// The meeting's `confUUID` (the product marks it deprecated).
    pub uuid: String,
    #[serde(rename = "regionIP")]
    pub region_ip: String,
}

/// One `passwordEntry` of a `ConferenceInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct PasswordEntry {
    /// "chair" (host) or "general" (guest).
    pub conference_role: String,
    pub password: String,
}

/// `ConferenceInfo`: the product's description of a meeting, plus convene's
/// extras that carry every `CreateConfInfo` setting back to the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ConferenceInfo {
    #[serde(rename = "conferenceID")]
    pub conference_id: String,
    pub subject: String,
    /// Number of invited attendees.
    pub size: i64,
    #[serde(rename = "timeZoneID")]
    pub time_zone_id: String,
    /// The invitations' language ("zh-CN" or "en-US").
    pub language: String,
    /// "yyyy-MM-dd HH:mm" UTC.
    pub start_time: String,
    pub end_time: String,
    pub media_types: String,
    /// "Created" (running), "Destroyed" (ended or cancelled).
    pub conference_state: String,
    pub password_entry: Vec<PasswordEntry>,
    #[serde(rename = "userUUID")]
    pub user_uuid: String,
    /// Sic: the product's spelling.
    pub scheduser_name: String,
    /// "IMMEDIATELY" for instant meetings.
    pub conf_type: String,
    pub is_auto_mute: i64,
    pub is_auto_record: i64,
    pub chair_join_uri: String,
    pub guest_join_uri: String,
    pub audience_join_uri: String,
    pub record_type: i64,
    pub conf_config_info: RestConfConfigDto,
    pub vmr_flag: i64,
    #[serde(rename = "vmrConferenceID")]
    pub vmr_conference_id: String,
    #[serde(rename = "confUUID")]
    pub conf_uuid: String,
    #[serde(rename = "vmrID")]
    pub vmr_id: String,
    /// The caller's own role: "chair", "general" or "audience".
    pub role: String,
    pub concurrent_participants: i64,
    pub conf_res_type: i64,
    // --- convene extras: the seed's view of the same meeting ---
    pub start_time_stamp: i64,
    pub end_time_stamp: i64,
    pub custom_info: String,
    pub self_conf_role: Option<ConfRole>,
    pub need_password: bool,
    pub media_type: Option<MediaType>,
    pub allow_record: Option<bool>,
    pub conf_allow_join_user: Option<ConfAllowJoinUserType>,
    pub vmr_conf_id_type: Option<VmrConfIdType>,
    pub is_open_waiting_room: bool,
    pub duration: i64,
    pub is_mic_on: Option<bool>,
    pub is_camera_on: Option<bool>,
    pub num_of_attendee: i64,
    pub attendees: Vec<AttendeeBaseInfo>,
    pub default_summary_state: Option<SummaryState>,
    pub auto_mute_mode: Option<AutoMuteType>,
    pub hard_terminal_auto_mute_mode: Option<AutoMuteType>,
    /// convene extra, detail for hosts: each invitation and how it went.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<NotificationState>,
    /// 0 a meeting, 2 one of a recurring series.
    pub conference_type: i64,
    /// A series': its rule (the end date pulled in if it held more than 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycle_params: Option<CycleParams>,
    /// A series': its occurrences (create, edit and detail answers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_confs: Vec<CycleSubConf>,
    /// A series': this occurrence's ID (in a create's answer, the first's).
    #[serde(rename = "cycleSubConfID", skip_serializing_if = "String::is_empty")]
    pub cycle_sub_conf_id: String,
    /// History lists only: whether a recording of it can be fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_has_record_file: Option<bool>,
}

/// An invitation of a meeting (e-mail or SMS) and how its delivery went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct NotificationState {
    /// invite, update or cancel.
    pub kind: String,
    /// email or sms.
    pub channel: String,
    pub recipient: String,
    /// pending, sent, failed or unsent (nothing configured to send it).
    pub state: String,
    pub attempts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it was sent (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<i64>,
}

/// `GET /v1/mmc/management/conferences` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SearchMeetingsResponse {
    pub offset: i64,
    pub limit: i64,
    pub count: i64,
    pub data: Vec<ConferenceInfo>,
}

/// The invited attendees of a detail answer, a page of them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ParticipantPage {
    pub offset: i64,
    pub limit: i64,
    pub count: i64,
    pub data: Vec<ParticipantInfo>,
}

/// An invited attendee as the detail calls list it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ParticipantInfo {
    /// The attendee's number (phone or SIP), else its third-party user ID.
    #[serde(rename = "participantID")]
    pub participant_id: String,
    pub name: String,
    #[serde(rename = "subscriberID")]
    pub subscriber_id: String,
    /// 1 host, 0 attendee.
    pub role: i64,
    /// Always "MEETTING" (sic), as the product sends it.
    pub state: String,
    pub address: String,
    /// normal, terminal, outside, mobile...
    pub attendee_type: String,
    pub account_id: String,
    pub phone2: String,
    pub phone3: String,
    pub email: String,
    pub sms: String,
    pub dept_name: String,
    #[serde(rename = "userUUID")]
    pub user_uuid: String,
    pub app_id: String,
    /// 1: invited (called) when the meeting starts.
    pub is_auto_invite: i64,
    pub is_not_overlay_pid_name: bool,
}

/// `GET /v1/mmc/management/conferences/confDetail` answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ShowMeetingDetailResponse {
    pub conference_data: ConferenceInfo,
    pub data: ParticipantPage,
}

impl ConferenceInfo {
    /// The password for a role ("chair" or "general"), empty when there is none.
    pub fn password_for(&self, role: &str) -> String {
        self.password_entry
            .iter()
            .find(|p| p.conference_role == role)
            .map(|p| p.password.clone())
            .unwrap_or_default()
    }

    /// The seed's `CreateConfResult` for this meeting.
    pub fn to_create_conf_result(&self) -> CreateConfResult {
        CreateConfResult {
            conf_id: self.conference_id.clone(),
            vmr_conf_id: self.vmr_conference_id.clone(),
            host_pwd: self.password_for("chair"),
            guest_pwd: self.password_for("general"),
            media_type: self.media_type,
            guest_join_uri: self.guest_join_uri.clone(),
            self_conf_role: self.self_conf_role,
            subject: self.subject.clone(),
            start_time: self.start_time_stamp,
            end_time: self.end_time_stamp,
            start_time_stamp: self.start_time_stamp,
            end_time_stamp: self.end_time_stamp,
            scheduler_name: self.scheduser_name.clone(),
            custom_info: self.custom_info.clone(),
        }
    }
}

/// `GET /v1/mmc/control/conferences/token`: the control token answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ControlTokenResponse {
    pub data: ControlToken,
}

/// The control token and what comes with it (spec §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlToken {
    /// For `X-Conference-Authorization`.
    pub token: String,
    pub tmp_ws_token: String,
    #[serde(rename = "wsURL")]
    pub ws_url: String,
    /// 1: the host's rights.
    pub role: i64,
    /// When the token expires (Unix milliseconds).
    pub expire_time: i64,
    pub conf_token_expire_time: i64,
    #[serde(rename = "userID")]
    pub user_id: String,
    #[serde(rename = "orgID")]
    pub org_id: String,
    #[serde(rename = "participantID")]
    pub participant_id: String,
    #[serde(rename = "vmrCurrentConfID")]
    pub vmr_current_conf_id: String,
}

/// The role a join link gives, as the join page names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LinkRole {
    Host,
    Guest,
    Audience,
}

/// What a join link's page embeds for the browser client (convene's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JoinLinkInfo {
    pub conf_id: String,
    /// The link's code, for `joinConfByRandom`.
    pub random: String,
    pub subject: String,
    pub role: LinkRole,
    pub host_name: String,
    /// Audio or video (the page offers a camera only for video).
    #[serde(default = "video_default")]
    pub media_type: MediaType,
}

fn video_default() -> MediaType {
    MediaType::Video
}

/// `GET .../history/confAttendeeRecord`: one stay of a participant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AttendanceRecord {
    pub display_name: String,
    /// The participant's number in the meeting.
    pub call_number: String,
    /// The product's attendee type ("normal", "terminal"...).
    pub device_type: String,
    /// Milliseconds.
    pub join_time: i64,
    /// Milliseconds; 0 when it never said (the meeting's end then applies).
    pub left_time: i64,
    /// "Voice" or "Video", as the meeting.
    pub media_type: String,
    pub dept_name: String,
    /// convene extra: the seed's role number when they joined.
    pub role: i64,
}

/// A page of attendance records.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AttendanceRecordPage {
    pub offset: i64,
    pub limit: i64,
    pub count: i64,
    pub data: Vec<AttendanceRecord>,
}

/// `GET .../history/confCtlRecord`: one control action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ControlRecord {
    /// Milliseconds.
    pub operate_time: i64,
    /// "client" or "rest".
    pub operate_source: String,
    pub operator: String,
    /// The product SDK's name of the action ("lockConf", "hangupAttendee"...).
    pub operate_code: String,
    pub operation_object: String,
    /// "0", or the SDKERR number it was refused with (a string, as the
    /// product's clients read it).
    pub operate_result: String,
    pub detail: String,
}

/// A page of control records.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ControlRecordPage {
    pub offset: i64,
    pub limit: i64,
    pub count: i64,
    pub data: Vec<ControlRecord>,
}

/// `GET /v1/mmc/control/conferences/realTimeInfo`: who is in a running
/// meeting now, with the participant IDs the control calls take.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RealTimeInfo {
    /// The invited attendees.
    pub attendees: Vec<RealTimeAttendee>,
    /// The participants in the meeting (the waiting room's are in `waiting`).
    pub participants: Vec<RealTimeParticipant>,
    pub conf_info: RealTimeConfInfo,
    /// convene's extra: the participants in the waiting room.
    pub waiting: Vec<RealTimeParticipant>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RealTimeAttendee {
    #[serde(rename = "accountID")]
    pub account_id: String,
    #[serde(rename = "userUUID")]
    pub user_uuid: String,
    pub name: String,
    pub phone: String,
    pub phone_left: String,
    pub phone_right: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RealTimeParticipant {
    /// The participant ID the control calls take.
    pub pid: String,
    pub name: String,
    pub phone: String,
    /// 0 in the meeting (convene has no calling or joining states).
    pub state: i64,
    /// 1 camera on, 0 audio only.
    pub video: i64,
    /// 1 muted, 0 open.
    pub mute: i64,
    /// 1 hand raised.
    pub hand: i64,
    /// convene's extra: "host", "cohost", "attendee", "audience" or "waiting".
    pub role: String,
    /// convene's extra: connected now (false during a reconnect's grace).
    pub online: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RealTimeConfInfo {
    /// The host's participant ID (empty when nobody holds the role).
    #[serde(rename = "chairID")]
    pub chair_id: String,
    pub co_hosts: Vec<String>,
}

/// `GET .../conferences/online/conf-attendee`: the product answers this
/// call in snake_case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct OnlineAttendeePage {
    pub offset: i64,
    pub limit: i64,
    pub count: i64,
    pub data: Vec<OnlineAttendee>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct OnlineAttendee {
    pub participant_id: String,
    pub name: String,
    pub call_number: String,
    /// 1 host, 0 otherwise.
    pub role: i64,
    pub third_account: String,
    pub account: String,
    pub user_id: String,
}

/// `AddUserDTO` (`POST /v1/usg/dcs/corp/member`) and `ModUserDTO` (`PUT
/// .../member/{account}`): the fields convene keeps; the product's others
/// are refused by name when given (convene keeps no department, title...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CorpUserRequest {
    pub name: Option<String>,
    pub account: Option<String>,
    pub third_account: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub pwd: Option<String>,
    /// Every other field given, by name (refused unless empty).
    #[serde(flatten)]
    pub other: std::collections::BTreeMap<String, serde_json::Value>,
}

/// An account as the enterprise calls answer it (`UserDTO`-like: the
/// product's `userAccount`, `vmrList`, `adminType`...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CorpUser {
    /// The user's UUID.
    pub id: String,
    pub user_account: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub third_account: String,
    /// The personal room's ID.
    pub vmr_id: String,
    pub vmr_list: Vec<CorpUserVmr>,
    /// 1 administrator, 2 not one (the product's 0 is its super administrator).
    pub admin_type: i64,
    /// 0 normal.
    pub status: i64,
    /// 2 a software-client user.
    pub user_type: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CorpUserVmr {
    pub id: String,
    pub vmr_id: String,
    pub vmr_name: String,
    /// 1 a personal meeting ID.
    pub vmr_mode: i64,
    pub status: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CorpUserPage {
    pub offset: i64,
    pub limit: i64,
    pub count: i64,
    pub data: Vec<CorpUser>,
}

/// The answer of an administrator's password reset: convene's extra, the
/// new password to hand to the user (convene sends no reset mail).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct PasswordReset {
    pub new_password: String,
}

/// `AppIdInfoDTO`: an App ID as its administrators see it (the product
/// answers these calls in snake_case).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct AppIdInfo {
    pub app_name: String,
    pub app_id: String,
    pub app_key: String,
    pub description: String,
    /// Unix milliseconds, as a string.
    pub create_time: String,
    pub last_update_time: String,
    /// 0 enabled, 1 disabled (its logins refused).
    pub status: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct AppIdPage {
    pub offset: i64,
    pub limit: i64,
    pub count: i64,
    pub data: Vec<AppIdInfo>,
}

/// The body of an App ID's add (`app_name`, `description`) or update
/// (and `status`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct AppIdRequest {
    pub app_name: Option<String>,
    pub description: Option<String>,
    pub status: Option<i64>,
}

/// `WebHookConfigRequest` (`POST /v1/mmc/management/webhook/link-config`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookConfigRequest {
    /// The product's multi-tenant fields: the caller's own enterprise only.
    pub corp_id: Option<String>,
    pub sp_id: Option<String>,
    pub subscriber_id: Option<String>,
    pub subscriber_key: Option<String>,
    pub url: Option<String>,
}

/// `GET .../webhook/link-config`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookConfigAnswer {
    pub return_code: i64,
    pub return_desc: String,
    pub id: String,
    pub subscriber_id: String,
    pub url: String,
    /// 0 enabled, 1 not started or disabled, 2 locked.
    pub status: i64,
}

/// One push to a subscriber: `eventInfo` is embedded as the exact bytes
/// `signature` signs (`hex(HMAC-SHA256(subscriberKey, appID + timestamp +
/// nonce + eventInfo))`).
#[derive(Debug, Serialize)]
pub struct WebhookPush<'a> {
    #[serde(rename = "appID")]
    pub app_id: &'a str,
    pub timestamp: i64,
    pub nonce: &'a str,
    pub signature: &'a str,
    #[serde(rename = "eventInfo")]
    pub event_info: &'a serde_json::value::RawValue,
}

/// `eventInfo` of a push: the event, its time (ms), what it is about
/// (absent in `meeting.verify`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub event: String,
    pub timestamp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<serde_json::Value>,
}

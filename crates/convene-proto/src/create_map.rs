//! `CreateConfInfo` ↔ the REST create body (`RestScheduleConfDTO`), both
//! directions in one place (the spec's §3.1 table).
//!
//! - [`RestScheduleConfDto::from`]`(&CreateConfInfo)` (and `(&BookConfParam)`,
//!   a booking): how an SDK says the
//!   seed's call in the REST API (the Rust SDK uses it; the JS SDK's
//!   `toRestSchedule` in `web/sdk/mapping.js` must say the same, which the
//!   shared fixtures in `tests/fixtures/create_map.json` hold it to).
//! - [`create_info_from_rest`]: what the server reads back, losslessly for
//!   anything an SDK wrote, plus the REST-only [`ConfOptions`].
//!
//! Only the shapes are read here; a value the body cannot mean is a
//! [`MapError`] with its SDKERR code. Rules about times, rooms and limits are
//! `convene-core`'s.

use crate::conf::*;
use crate::error::SdkErr;
use crate::rest::{RestAttendeeDto, RestConfConfigDto, RestScheduleConfDto};

/// Settings the REST API has and `CreateConfInfo` has not; kept with the
/// meeting so that the detail call answers them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfOptions {
    /// Minutes the meeting may be prolonged by, 0..=60.
    pub prolong_length: i64,
    pub allow_guest_start_conf: bool,
    pub is_send_notify: Option<bool>,
    pub is_send_sms: Option<bool>,
    pub is_send_calendar: Option<bool>,
    pub is_guest_camera_on: Option<bool>,
    /// 0 off, 1 live, 2 record, 3 live + record.
    pub record_type: i64,
    /// `startTime` as given ("yyyy-MM-dd HH:mm", UTC); `None`: now. Whether
    /// it may be that time is `convene-core`'s rule.
    pub start_time: Option<String>,
    /// `timeZoneID` as given (the product's code); checked by `convene-core`.
    pub time_zone_id: Option<String>,
    /// `language` of the invitations as given; checked by `convene-core`.
    pub language: Option<String>,
    /// `cycleParams` as given: a recurring series; checked by `convene-core`.
    pub cycle_params: Option<crate::rest::CycleParams>,
}

/// A REST create body that cannot be read: which code, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapError {
    pub code: SdkErr,
    pub reason: String,
}

fn bad(reason: impl Into<String>) -> MapError {
    MapError {
        code: SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
        reason: reason.into(),
    }
}

// ---- CreateConfInfo -> REST

fn flag(b: Option<bool>) -> Option<i64> {
    b.map(i64::from)
}

fn auto_mute_flag(m: Option<AutoMuteType>) -> Option<bool> {
    match m {
        Some(AutoMuteType::Mute) => Some(true),
        Some(AutoMuteType::Unmute) => Some(false),
        Some(AutoMuteType::Default) | None => None,
    }
}

impl From<&AttendeeBaseInfo> for RestAttendeeDto {
    fn from(a: &AttendeeBaseInfo) -> Self {
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        RestAttendeeDto {
            user_uuid: a.user_uuid.clone(),
            account_id: a.account_id.clone(),
            name: Some(a.nick_name.clone()),
            role: a.role.map(|r| i64::from(r.number())),
            phone: non_empty(&a.number),
            email: a.email.clone(),
            sms: a.sms.clone(),
            is_mute: flag(a.is_mute),
            is_auto_invite: flag(a.is_auto_invite),
            attendee_type: a.attendee_type.map(|t| t.rest_name().to_owned()),
            app_id: None,
            third_user_id: non_empty(&a.third_user_id),
        }
    }
}

impl From<&CreateConfInfo> for RestScheduleConfDto {
    /// How the SDK says a `CreateConfInfo` in the REST API; the mapping is the
    /// spec's §3.1 table, and `convene-core` reads it back losslessly.
    fn from(c: &CreateConfInfo) -> Self {
        let fixed = c.vmr_conf_id_type == Some(VmrConfIdType::Fixed);
        let vmr_id = c.vmr_id.clone().filter(|v| !v.is_empty());
        RestScheduleConfDto {
            start_time: None,
            length: c.duration,
            subject: Some(c.subject.clone()),
            media_types: Some(match c.media_type {
                MediaType::Audio => "Voice".into(),
                MediaType::Video => "HDVideo".into(),
            }),
            attendees: Some(c.attendees.iter().map(RestAttendeeDto::from).collect()),
            is_auto_record: flag(c.is_auto_record),
            record_type: c.allow_record.map(|a| if a { 2 } else { 0 }),
            conf_config_info: Some(RestConfConfigDto {
                is_auto_mute: auto_mute_flag(c.auto_mute_mode),
                is_hard_terminal_auto_mute: auto_mute_flag(c.hard_terminal_auto_mute_mode),
                is_guest_free_pwd: Some(!c.need_password),
                call_in_restriction: c.conf_allow_join_user.and_then(|j| match j {
                    ConfAllowJoinUserType::LoginedUser => None,
                    other => Some(i64::from(other.number())),
                }),
                guest_pwd: c.guest_pwd.clone(),
                vmr_id_type: c.vmr_conf_id_type.map(|t| i64::from(t.number())),
                enable_waiting_room: c.is_open_waiting_room,
                is_host_camera_on: c.is_camera_on,
                ..Default::default()
            }),
            vmr_flag: Some(i64::from(fixed || vmr_id.is_some())),
            vmr_id,
            concurrent_participants: c.concurrent_participants,
            conf_res_type: c.conf_res_type.map(|t| i64::from(t.number())),
            custom_info: c.custom_info.clone(),
            default_summary_state: c.default_summary_state.map(|s| i64::from(s.number())),
            is_mic_on: c.is_mic_on,
            conf_allow_join_user: c.conf_allow_join_user.map(|j| i64::from(j.number())),
            num_of_attendee: Some(c.num_of_attendee),
            time_zone_id: None,
            language: None,
            cycle_params: None,
        }
    }
}

impl From<&BookConfParam> for RestScheduleConfDto {
    /// `bookConf`: the create body of its meeting, with the booked time.
    fn from(p: &BookConfParam) -> Self {
        let mut dto = RestScheduleConfDto::from(&p.conf_common_param);
        dto.start_time = Some(crate::time::rest_time(p.start_time));
        dto.length = Some(p.duration);
        dto.time_zone_id.clone_from(&p.time_zone_id);
        dto
    }
}

// ---- REST -> CreateConfInfo

fn read_flag(field: &str, v: Option<i64>) -> Result<Option<bool>, MapError> {
    match v {
        None => Ok(None),
        Some(0) => Ok(Some(false)),
        Some(1) => Ok(Some(true)),
        Some(n) => Err(bad(format!("{field} must be 0 or 1, not {n}"))),
    }
}

fn read_auto_mute(v: Option<bool>) -> Option<AutoMuteType> {
    v.map(|m| if m { AutoMuteType::Mute } else { AutoMuteType::Unmute })
}

fn read_enum<T>(field: &str, v: Option<i64>, from: fn(i64) -> Option<T>) -> Result<Option<T>, MapError> {
    match v {
        None => Ok(None),
        Some(n) => from(n)
            .map(Some)
            .ok_or_else(|| bad(format!("{field} has no value {n}"))),
    }
}

/// Reads "Voice", "Video", "HDVideo", "Data" (comma separated): any video
/// kind makes a video meeting; "Data" alone is not a meeting.
pub fn media_type_from_rest(s: &str) -> Result<MediaType, MapError> {
    let illegal = |reason: String| MapError {
        code: SdkErr::CMS_CONF_MEDIA_TYPES_ILLEGAL,
        reason,
    };
    let mut audio = false;
    let mut video = false;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.to_ascii_lowercase().as_str() {
            "voice" => audio = true,
            "video" | "hdvideo" | "telepresence" => video = true,
            "data" => {}
            _ => return Err(illegal(format!("mediaTypes has an unknown kind {part:?}"))),
        }
    }
    match (audio, video) {
        (_, true) => Ok(MediaType::Video),
        (true, false) => Ok(MediaType::Audio),
        (false, false) => Err(illegal("mediaTypes must name Voice or a video kind".into())),
    }
}

fn read_attendee(i: usize, a: RestAttendeeDto) -> Result<AttendeeBaseInfo, MapError> {
    let role = read_enum(&format!("attendees[{i}].role"), a.role, ConfRole::from_number)?;
    let attendee_type = match a.attendee_type.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => {
            Some(AttendeeType::from_rest_name(t).ok_or_else(|| bad(format!("attendees[{i}].type {t:?} is unknown")))?)
        }
    };
    Ok(AttendeeBaseInfo {
        nick_name: a.name.unwrap_or_default(),
        number: a.phone.unwrap_or_default(),
        third_user_id: a.third_user_id.unwrap_or_default(),
        account_id: a.account_id,
        email: a.email,
        sms: a.sms,
        is_auto_invite: read_flag(&format!("attendees[{i}].isAutoInvite"), a.is_auto_invite)?,
        is_mute: read_flag(&format!("attendees[{i}].isMute"), a.is_mute)?,
        role,
        attendee_type,
        user_uuid: a.user_uuid,
    })
}

/// Reads a REST create body into the seed's `CreateConfInfo` and the
/// REST-only options (`startTime` and `timeZoneID` as given: whether they
/// are allowed is `convene-core`'s to decide).
pub fn create_info_from_rest(dto: RestScheduleConfDto) -> Result<(CreateConfInfo, ConfOptions), MapError> {
    let media_type = media_type_from_rest(dto.media_types.as_deref().unwrap_or("Voice"))?;
    let cfg = dto.conf_config_info.unwrap_or_default();
    let attendees = dto
        .attendees
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, a)| read_attendee(i, a))
        .collect::<Result<Vec<_>, _>>()?;
    let conf_allow_join_user = match (dto.conf_allow_join_user, cfg.call_in_restriction) {
        (Some(n), _) => read_enum("confAllowJoinUser", Some(n), ConfAllowJoinUserType::from_number)?,
        (None, Some(n @ (0 | 2 | 3))) => ConfAllowJoinUserType::from_number(n),
        (None, Some(n)) => return Err(bad(format!("callInRestriction must be 0, 2 or 3, not {n}"))),
        (None, None) => None,
    };
    let record_type = dto.record_type.unwrap_or(0);
    if !(0..=3).contains(&record_type) {
        return Err(bad(format!("recordType must be 0..=3, not {record_type}")));
    }
    let is_auto_record = read_flag("isAutoRecord", dto.is_auto_record)?;
    if dto.vmr_flag.is_some_and(|f| f != 0 && f != 1) {
        return Err(bad("vmrFlag must be 0 or 1"));
    }
    let vmr_conf_id_type = read_enum("confConfigInfo.vmrIDType", cfg.vmr_id_type, VmrConfIdType::from_number)?;
    // vmrFlag 1 without a room ID or ID type means "in my own room".
    let vmr_conf_id_type = match (vmr_conf_id_type, dto.vmr_flag, dto.vmr_id.as_deref()) {
        (None, Some(1), None | Some("")) => Some(VmrConfIdType::Fixed),
        (t, _, _) => t,
    };
    let attendee_count = attendees.len() as i64;
    let info = CreateConfInfo {
        subject: dto.subject.unwrap_or_default(),
        media_type,
        need_password: !cfg.is_guest_free_pwd.unwrap_or(false),
        is_auto_record,
        allow_record: dto.record_type.map(|r| r >= 2),
        conf_allow_join_user,
        vmr_id: dto.vmr_id,
        vmr_conf_id_type,
        guest_pwd: cfg.guest_pwd,
        is_open_waiting_room: cfg.enable_waiting_room,
        duration: dto.length,
        is_mic_on: dto.is_mic_on,
        is_camera_on: cfg.is_host_camera_on,
        concurrent_participants: dto.concurrent_participants,
        num_of_attendee: dto.num_of_attendee.unwrap_or(attendee_count),
        attendees,
        custom_info: dto.custom_info,
        conf_res_type: read_enum("confResType", dto.conf_res_type, ConfResType::from_number)?,
        default_summary_state: read_enum(
            "defaultSummaryState",
            dto.default_summary_state,
            SummaryState::from_number,
        )?,
        auto_mute_mode: read_auto_mute(cfg.is_auto_mute),
        hard_terminal_auto_mute_mode: read_auto_mute(cfg.is_hard_terminal_auto_mute),
    };
    let options = ConfOptions {
        prolong_length: cfg.prolong_length.unwrap_or(0),
        allow_guest_start_conf: cfg.allow_guest_start_conf.unwrap_or(false),
        is_send_notify: cfg.is_send_notify,
        is_send_sms: cfg.is_send_sms,
        is_send_calendar: cfg.is_send_calendar,
        is_guest_camera_on: cfg.is_guest_camera_on,
        record_type,
        start_time: dto.start_time.filter(|s| !s.trim().is_empty()),
        time_zone_id: dto.time_zone_id.filter(|s| !s.trim().is_empty()),
        language: dto.language.filter(|s| !s.trim().is_empty()),
        cycle_params: dto.cycle_params,
    };
    Ok((info, options))
}

//! Reading the REST create body (`RestScheduleConfDTO`) into the seed's
//! `CreateConfInfo`, following the spec's §3.1 table, so that the REST API and
//! the SDK reach [`crate::create::plan`] with the same input.
//!
//! The SDK writes a `CreateConfInfo` with `RestScheduleConfDto::from`
//! (`convene-proto`); reading it back here gives the same `CreateConfInfo`.

use convene_proto::rest::{RestAttendeeDto, RestScheduleConfDto};
use convene_proto::*;

use crate::create::{ConfOptions, Refusal};
use crate::meeting::parse_rest_time;

fn bad(reason: impl Into<String>) -> Refusal {
    Refusal::new(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, reason)
}

fn flag(field: &str, v: Option<i64>) -> Result<Option<bool>, Refusal> {
    match v {
        None => Ok(None),
        Some(0) => Ok(Some(false)),
        Some(1) => Ok(Some(true)),
        Some(n) => Err(bad(format!("{field} must be 0 or 1, not {n}"))),
    }
}

fn auto_mute(v: Option<bool>) -> Option<AutoMuteType> {
    v.map(|m| if m { AutoMuteType::Mute } else { AutoMuteType::Unmute })
}

fn seed_enum<T>(field: &str, v: Option<i64>, from: fn(i64) -> Option<T>) -> Result<Option<T>, Refusal> {
    match v {
        None => Ok(None),
        Some(n) => from(n)
            .map(Some)
            .ok_or_else(|| bad(format!("{field} has no value {n}"))),
    }
}

/// Reads "Voice", "Video", "HDVideo", "Data" (comma separated): any video
/// kind makes a video meeting; "Data" alone is not a meeting.
pub fn media_type_from_rest(s: &str) -> Result<MediaType, Refusal> {
    let mut audio = false;
    let mut video = false;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.to_ascii_lowercase().as_str() {
            "voice" => audio = true,
            "video" | "hdvideo" | "telepresence" => video = true,
            "data" => {}
            _ => {
                return Err(Refusal::new(
                    SdkErr::CMS_CONF_MEDIA_TYPES_ILLEGAL,
                    format!("mediaTypes has an unknown kind {part:?}"),
                ))
            }
        }
    }
    match (audio, video) {
        (_, true) => Ok(MediaType::Video),
        (true, false) => Ok(MediaType::Audio),
        (false, false) => Err(Refusal::new(
            SdkErr::CMS_CONF_MEDIA_TYPES_ILLEGAL,
            "mediaTypes must name Voice or a video kind",
        )),
    }
}

fn attendee(i: usize, a: RestAttendeeDto) -> Result<AttendeeBaseInfo, Refusal> {
    let role = seed_enum(&format!("attendees[{i}].role"), a.role, ConfRole::from_number)?;
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
        is_auto_invite: flag(&format!("attendees[{i}].isAutoInvite"), a.is_auto_invite)?,
        is_mute: flag(&format!("attendees[{i}].isMute"), a.is_mute)?,
        role,
        attendee_type,
        user_uuid: a.user_uuid,
    })
}

/// Reads a REST create body at `now` into the seed's `CreateConfInfo` and the
/// REST-only options.
pub fn create_from_rest(dto: RestScheduleConfDto, now: i64) -> Result<(CreateConfInfo, ConfOptions), Refusal> {
    if let Some(start) = dto.start_time.as_deref().filter(|s| !s.trim().is_empty()) {
        let t = parse_rest_time(start).ok_or_else(|| bad("startTime must be \"yyyy-MM-dd HH:mm\" (UTC)"))?;
        // A minute of grace: the time has minute precision.
        if t < now - 60 {
            return Err(Refusal::new(
                SdkErr::CMS_CONF_START_TIME_LESS_THAN_CURRENT_TIME,
                "startTime is in the past",
            ));
        }
        if t > now + 60 {
            return Err(Refusal::new(
                SdkErr::CMS_CONF_BAD_REQUEST,
                "scheduled meetings (a future startTime) are not supported yet; omit startTime for an instant meeting",
            ));
        }
    }
    let media_type = media_type_from_rest(dto.media_types.as_deref().unwrap_or("Voice"))?;
    let cfg = dto.conf_config_info.unwrap_or_default();
    let attendees = dto
        .attendees
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, a)| attendee(i, a))
        .collect::<Result<Vec<_>, _>>()?;
    let conf_allow_join_user = match (dto.conf_allow_join_user, cfg.call_in_restriction) {
        (Some(n), _) => seed_enum("confAllowJoinUser", Some(n), ConfAllowJoinUserType::from_number)?,
        (None, Some(n @ (0 | 2 | 3))) => ConfAllowJoinUserType::from_number(n),
        (None, Some(n)) => return Err(bad(format!("callInRestriction must be 0, 2 or 3, not {n}"))),
        (None, None) => None,
    };
    let record_type = dto.record_type.unwrap_or(0);
    if !(0..=3).contains(&record_type) {
        return Err(bad(format!("recordType must be 0..=3, not {record_type}")));
    }
    let is_auto_record = flag("isAutoRecord", dto.is_auto_record)?;
    if dto.vmr_flag.is_some_and(|f| f != 0 && f != 1) {
        return Err(bad("vmrFlag must be 0 or 1"));
    }
    let vmr_conf_id_type = seed_enum("confConfigInfo.vmrIDType", cfg.vmr_id_type, VmrConfIdType::from_number)?;
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
        conf_res_type: seed_enum("confResType", dto.conf_res_type, ConfResType::from_number)?,
        default_summary_state: seed_enum(
            "defaultSummaryState",
            dto.default_summary_state,
            SummaryState::from_number,
        )?,
        auto_mute_mode: auto_mute(cfg.is_auto_mute),
        hard_terminal_auto_mute_mode: auto_mute(cfg.is_hard_terminal_auto_mute),
    };
    let options = ConfOptions {
        prolong_length: cfg.prolong_length.unwrap_or(0),
        allow_guest_start_conf: cfg.allow_guest_start_conf.unwrap_or(false),
        is_send_notify: cfg.is_send_notify,
        is_send_sms: cfg.is_send_sms,
        is_send_calendar: cfg.is_send_calendar,
        is_guest_camera_on: cfg.is_guest_camera_on,
        record_type,
    };
    Ok((info, options))
}

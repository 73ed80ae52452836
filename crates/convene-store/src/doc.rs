//! The documents storage keeps: a meeting's `meetings.doc` and its live
//! settings' `meetings.live`, as storage's own types, converted explicitly
//! from and to core's [`Meeting`] and [`LiveSettings`].
//!
//! Before these types the columns held the serde form of core's `Meeting`
//! (with proto's `CreateConfInfo` inside), so renaming a wire or core field
//! would silently change, or fail to read, every stored document. Now the
//! stored shape changes only here, on purpose: documents carry a version
//! (`v`; absent in those written before it, which are version 1 too), the
//! field names are spelled out below, and enums are stored as the seed's
//! numbers. `tests/doc_compat.rs` reads documents written by the code of
//! 2026-12-04 and checks that writing them again gives the same JSON.

use convene_core::{ConfId, ConfState, EnterpriseId, LiveSettings, Meeting, UserId};
use convene_proto::live::RecordState;
use convene_proto::ConfOptions;
use convene_proto::*;
use serde::{Deserialize, Serialize};

use crate::{Result, StoreError};

/// The version this code writes.
const VERSION: u32 = 1;

fn version_one() -> u32 {
    1
}

#[derive(Serialize, Deserialize)]
struct MeetingDoc {
    #[serde(rename = "v", default = "version_one")]
    version: u32,
    owner_name: String,
    info: InfoDoc,
    options: OptionsDoc,
    host_pwd: String,
    guest_pwd: Option<String>,
    host_random: String,
    guest_random: String,
    audience_random: String,
    /// Booked for a later time when created (absent in documents from
    /// before booking existed: instant).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    booked: bool,
    /// Edits so far (the calendar entry's `SEQUENCE`).
    #[serde(default, skip_serializing_if = "is_zero")]
    sequence: i64,
    /// The recurring series it is an occurrence of (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    series: Option<SeriesDoc>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeriesDoc {
    id: String,
    start_date: String,
    end_date: String,
    cycle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interval: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    point: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pre_remind_days: Option<i64>,
    slot: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InfoDoc {
    subject: String,
    media_type: u8,
    need_password: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_auto_record: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    allow_record: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    conf_allow_join_user: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vmr_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vmr_conf_id_type: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    guest_pwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_open_waiting_room: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duration: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_mic_on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_camera_on: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    concurrent_participants: Option<i64>,
    num_of_attendee: i64,
    #[serde(default)]
    attendees: Vec<AttendeeDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    custom_info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    conf_res_type: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_summary_state: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auto_mute_mode: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hard_terminal_auto_mute_mode: Option<u8>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttendeeDoc {
    nick_name: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    third_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sms: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_auto_invite: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_mute: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    attendee_type: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_uuid: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct OptionsDoc {
    prolong_length: i64,
    allow_guest_start_conf: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_send_notify: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_send_sms: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_send_calendar: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_guest_camera_on: Option<bool>,
    record_type: i64,
    /// The product's time-zone code the meeting is shown in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time_zone_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    language: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LiveDoc {
    locked: bool,
    waiting_room_open: bool,
    mute_all: Option<bool>,
    prolong_left: i64,
    /// Who may join, as the seed's number, when changed during the meeting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    allow_join: Option<u8>,
    /// The hosts turned the participants' chat off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    chat_off: bool,
    /// The hosts let several participants share screens at once.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    multi_share: bool,
    /// The cloud recording: 0 off, 1 recording, 2 paused.
    #[serde(default, skip_serializing_if = "is_zero")]
    record: i64,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.into())
}

/// A stored enum number back as its enum.
fn en<T>(n: Option<u8>, from: fn(i64) -> Option<T>, what: &str) -> Result<Option<T>> {
    n.map(|n| from(i64::from(n)).ok_or_else(|| corrupt(&format!("{what} {n}"))))
        .transpose()
}

/// A meeting's document, as this code writes it.
pub fn encode_meeting(m: &Meeting) -> Result<String> {
    let i = &m.info;
    let doc = MeetingDoc {
        version: VERSION,
        owner_name: m.owner_name.clone(),
        info: InfoDoc {
            subject: i.subject.clone(),
            media_type: i.media_type.number(),
            need_password: i.need_password,
            is_auto_record: i.is_auto_record,
            allow_record: i.allow_record,
            conf_allow_join_user: i.conf_allow_join_user.map(|x| x.number()),
            vmr_id: i.vmr_id.clone(),
            vmr_conf_id_type: i.vmr_conf_id_type.map(|x| x.number()),
            guest_pwd: i.guest_pwd.clone(),
            is_open_waiting_room: i.is_open_waiting_room,
            duration: i.duration,
            is_mic_on: i.is_mic_on,
            is_camera_on: i.is_camera_on,
            concurrent_participants: i.concurrent_participants,
            num_of_attendee: i.num_of_attendee,
            attendees: i
                .attendees
                .iter()
                .map(|a| AttendeeDoc {
                    nick_name: a.nick_name.clone(),
                    number: a.number.clone(),
                    third_user_id: a.third_user_id.clone(),
                    account_id: a.account_id.clone(),
                    email: a.email.clone(),
                    sms: a.sms.clone(),
                    is_auto_invite: a.is_auto_invite,
                    is_mute: a.is_mute,
                    role: a.role.map(|x| x.number()),
                    attendee_type: a.attendee_type.map(|x| x.number()),
                    user_uuid: a.user_uuid.clone(),
                })
                .collect(),
            custom_info: i.custom_info.clone(),
            conf_res_type: i.conf_res_type.map(|x| x.number()),
            default_summary_state: i.default_summary_state.map(|x| x.number()),
            auto_mute_mode: i.auto_mute_mode.map(|x| x.number()),
            hard_terminal_auto_mute_mode: i.hard_terminal_auto_mute_mode.map(|x| x.number()),
        },
        options: OptionsDoc {
            prolong_length: m.options.prolong_length,
            allow_guest_start_conf: m.options.allow_guest_start_conf,
            is_send_notify: m.options.is_send_notify,
            is_send_sms: m.options.is_send_sms,
            is_send_calendar: m.options.is_send_calendar,
            is_guest_camera_on: m.options.is_guest_camera_on,
            record_type: m.options.record_type,
            time_zone_id: m.options.time_zone_id.clone(),
            language: m.options.language.clone(),
        },
        host_pwd: m.host_pwd.clone(),
        guest_pwd: m.guest_pwd.clone(),
        host_random: m.host_random.clone(),
        guest_random: m.guest_random.clone(),
        audience_random: m.audience_random.clone(),
        booked: m.booked,
        sequence: m.sequence,
        series: m.series.as_ref().map(|x| SeriesDoc {
            id: x.id.0.clone(),
            start_date: x.rule.start_date.clone(),
            end_date: x.rule.end_date.clone(),
            cycle: x.rule.cycle.clone(),
            interval: x.rule.interval,
            point: x.rule.point.clone(),
            pre_remind_days: x.rule.pre_remind_days,
            slot: x.slot,
        }),
    };
    serde_json::to_string(&doc).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A meeting from its document; the fields that are columns of their own
/// (ID, UUID, room, owner, enterprise, times, state, live settings) are
/// left empty for the caller to fill from them.
pub fn decode_meeting(doc: &str) -> Result<Meeting> {
    let d: MeetingDoc = serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if d.version > VERSION {
        return Err(corrupt(&format!(
            "meeting document version {} is newer than this code",
            d.version
        )));
    }
    let i = d.info;
    let mut attendees = Vec::with_capacity(i.attendees.len());
    for a in i.attendees {
        attendees.push(AttendeeBaseInfo {
            nick_name: a.nick_name,
            number: a.number,
            third_user_id: a.third_user_id,
            account_id: a.account_id,
            email: a.email,
            sms: a.sms,
            is_auto_invite: a.is_auto_invite,
            is_mute: a.is_mute,
            role: en(a.role, ConfRole::from_number, "attendee role")?,
            attendee_type: en(a.attendee_type, AttendeeType::from_number, "attendee type")?,
            user_uuid: a.user_uuid,
        });
    }
    let info = CreateConfInfo {
        subject: i.subject,
        media_type: MediaType::from_number(i64::from(i.media_type))
            .ok_or_else(|| corrupt(&format!("media type {}", i.media_type)))?,
        need_password: i.need_password,
        is_auto_record: i.is_auto_record,
        allow_record: i.allow_record,
        conf_allow_join_user: en(
            i.conf_allow_join_user,
            ConfAllowJoinUserType::from_number,
            "confAllowJoinUser",
        )?,
        vmr_id: i.vmr_id,
        vmr_conf_id_type: en(i.vmr_conf_id_type, VmrConfIdType::from_number, "vmrConfIdType")?,
        guest_pwd: i.guest_pwd,
        is_open_waiting_room: i.is_open_waiting_room,
        duration: i.duration,
        is_mic_on: i.is_mic_on,
        is_camera_on: i.is_camera_on,
        concurrent_participants: i.concurrent_participants,
        num_of_attendee: i.num_of_attendee,
        attendees,
        custom_info: i.custom_info,
        conf_res_type: en(i.conf_res_type, ConfResType::from_number, "confResType")?,
        default_summary_state: en(
            i.default_summary_state,
            SummaryState::from_number,
            "defaultSummaryState",
        )?,
        auto_mute_mode: en(i.auto_mute_mode, AutoMuteType::from_number, "autoMuteMode")?,
        hard_terminal_auto_mute_mode: en(
            i.hard_terminal_auto_mute_mode,
            AutoMuteType::from_number,
            "hardTerminalAutoMuteMode",
        )?,
    };
    let o = d.options;
    Ok(Meeting {
        conf_id: ConfId(String::new()),
        conf_uuid: convene_core::ConfUuid::default(),
        room_id: None,
        owner_id: UserId(String::new()),
        owner_name: d.owner_name,
        enterprise_id: EnterpriseId(String::new()),
        info,
        options: ConfOptions {
            prolong_length: o.prolong_length,
            allow_guest_start_conf: o.allow_guest_start_conf,
            is_send_notify: o.is_send_notify,
            is_send_sms: o.is_send_sms,
            is_send_calendar: o.is_send_calendar,
            is_guest_camera_on: o.is_guest_camera_on,
            record_type: o.record_type,
            start_time: None,
            time_zone_id: o.time_zone_id,
            language: o.language,
            cycle_params: None,
        },
        host_pwd: d.host_pwd,
        guest_pwd: d.guest_pwd,
        host_random: d.host_random,
        guest_random: d.guest_random,
        audience_random: d.audience_random,
        start: 0,
        end: 0,
        state: ConfState::Running,
        booked: d.booked,
        sequence: d.sequence,
        live: None,
        series: d.series.map(|x| convene_core::meeting::Series {
            id: convene_core::ConfUuid(x.id),
            rule: convene_proto::rest::CycleParams {
                start_date: x.start_date,
                end_date: x.end_date,
                cycle: x.cycle,
                interval: x.interval,
                point: x.point,
                pre_remind_days: x.pre_remind_days,
            },
            slot: x.slot,
        }),
    })
}

/// The live settings' column, as this code writes it.
pub fn encode_live(s: &LiveSettings) -> Result<String> {
    serde_json::to_string(&LiveDoc {
        locked: s.locked,
        waiting_room_open: s.waiting_room_open,
        mute_all: s.mute_all,
        prolong_left: s.prolong_left,
        allow_join: s.allow_join.map(|j| j.number()),
        chat_off: s.chat_off,
        multi_share: s.multi_share,
        record: match s.record {
            RecordState::Off => 0i64,
            RecordState::Recording => 1,
            RecordState::Paused => 2,
        },
    })
    .map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn decode_live(text: &str) -> Result<LiveSettings> {
    let d: LiveDoc = serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("live settings: {e}")))?;
    Ok(LiveSettings {
        locked: d.locked,
        waiting_room_open: d.waiting_room_open,
        mute_all: d.mute_all,
        prolong_left: d.prolong_left,
        allow_join: en(d.allow_join, ConfAllowJoinUserType::from_number, "allowJoin")?,
        chat_off: d.chat_off,
        multi_share: d.multi_share,
        record: match d.record {
            0 => RecordState::Off,
            1 => RecordState::Recording,
            2 => RecordState::Paused,
            n => return Err(corrupt(&format!("live settings: record state {n}"))),
        },
    })
}

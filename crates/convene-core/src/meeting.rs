//! A stored meeting and what it answers: the seed's `CreateConfResult` and the
//! REST `ConferenceInfo`.
//!
//! `convene-store` keeps a meeting as one document (its own type) beside its
//! indexed columns: one row per meeting means a meeting is written whole or
//! not at all.

use convene_proto::rest::{ConferenceInfo, ParticipantInfo, ParticipantPage, PasswordEntry, RestConfConfigDto};
use convene_proto::*;
use serde::{Deserialize, Serialize};

use crate::ids::{ConfId, ConfUuid, EnterpriseId, RoomId, UserId};
use crate::refusal::Refusal;
use convene_proto::time::rest_time;
use convene_proto::ConfOptions;

/// How long before its time a booked meeting may be started.
pub const EARLY_START: i64 = 30 * 60;

/// Where a meeting is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConfState {
    /// Booked for a later time and not started yet: the product's
    /// "Schedule"; stored as `scheduled`. See [`Meeting::may_start`].
    Scheduled,
    /// Running (joinable) until its end time: the product's "Created";
    /// stored as `created`.
    #[default]
    Running,
    /// Over: its end time passed or the host ended it.
    Ended,
    /// Cancelled by its owner.
    Cancelled,
}

impl ConfState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfState::Scheduled => "scheduled",
            ConfState::Running => "created",
            ConfState::Ended => "ended",
            ConfState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<ConfState> {
        match s {
            "created" => Some(ConfState::Running),
            "scheduled" => Some(ConfState::Scheduled),
            "ended" => Some(ConfState::Ended),
            "cancelled" => Some(ConfState::Cancelled),
            _ => None,
        }
    }
}

/// A meeting as stored. Storage keeps it in a document type of its own
/// (`convene_store::doc`), with an explicit conversion, plus columns for
/// what is searched or unique; this type has no serde form of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub conf_id: ConfId,
    pub conf_uuid: ConfUuid,
    pub room_id: Option<RoomId>,
    pub owner_id: UserId,
    pub owner_name: String,
    pub enterprise_id: EnterpriseId,
    /// The create request as checked, defaults filled.
    pub info: CreateConfInfo,
    pub options: ConfOptions,
    pub host_pwd: String,
    pub guest_pwd: Option<String>,
    pub host_random: String,
    pub guest_random: String,
    pub audience_random: String,
    pub start: i64,
    pub end: i64,
    pub state: ConfState,
    /// Booked for a later time when created (`confType` "FUTURE"), whether
    /// or not it has started since.
    pub booked: bool,
    /// How many times it was edited: its version for calendars (iCalendar
    /// `SEQUENCE`).
    pub sequence: i64,
    /// What the hosts changed while it ran, kept by storage (a column of
    /// its own) so that a meeting that empties and is joined again keeps it.
    /// `None` until the first change.
    pub live: Option<LiveSettings>,
    /// The recurring series this meeting is one occurrence of.
    pub series: Option<Series>,
}

/// What an occurrence of a recurring series knows of its series. Every
/// occurrence is a meeting of its own (its own UUID, history, records) and
/// shares the series' meeting ID, passwords and links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// The series' ID: a UUID of its own (no occurrence's), the calendar
    /// entry's `UID` and the key the series' invitations are kept under.
    pub id: ConfUuid,
    /// The rule as kept: defaults filled, the end date pulled in when the
    /// span held more than 50 occurrences.
    pub rule: convene_proto::rest::CycleParams,
    /// When the rule put this occurrence (its start until it is moved):
    /// the calendar's `RECURRENCE-ID`.
    pub slot: i64,
}

/// A running meeting's settings that its hosts change during it: they
/// outlive the meeting's live task, which stops when the meeting empties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveSettings {
    pub locked: bool,
    pub waiting_room_open: bool,
    /// `Some(allow_unmute)` while "mute all" holds.
    pub mute_all: Option<bool>,
    /// Minutes of automatic prolonging still available.
    pub prolong_left: i64,
    /// Who may join, when a host changed it during the meeting
    /// (`updateStartedConfConfig` `callInRestriction`).
    pub allow_join: Option<ConfAllowJoinUserType>,
    /// The hosts turned the participants' chat off.
    #[serde(default)]
    pub chat_off: bool,
    /// The hosts let several participants share screens at once.
    #[serde(default)]
    pub multi_share: bool,
    /// The cloud recording's state (recording goes on in the meeting's
    /// next live session, e.g. after a restart, in a new segment).
    #[serde(default)]
    pub record: convene_proto::live::RecordState,
}

/// Whether a typed secret (a password, a link code) is `secret`, in time
/// that does not depend on where they differ.
pub fn same_secret(given: &str, secret: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(given.as_bytes().ct_eq(secret.as_bytes()))
}

/// `base/j/ID/CODE`, the link a join code is used through.
fn join_uri(base_url: &str, conf_id: &ConfId, code: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let mut uri = String::with_capacity(base.len() + conf_id.0.len() + code.len() + 4);
    for part in [base, "/j/", conf_id.as_str(), "/", code] {
        uri.push_str(part);
    }
    uri
}

/// The caller's relation to a meeting, which decides what they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The owner, or an account invited as host: sees every password,
    /// link and setting, and the invitees' contacts.
    Host,
    /// Another invited account: sees what an invitation shows (subject,
    /// time, ID, the guest password and link), no host secret, no
    /// `customInfo`, no invitee's e-mail or phone.
    Other,
}

impl Meeting {
    /// Gives the meeting the ID and room storage settled on (again when
    /// storage draws anew after a clash): a room is also `info.vmrId`.
    pub fn settle(&mut self, conf_id: ConfId, room_id: Option<RoomId>) {
        if let Some(room) = &room_id {
            self.info.vmr_id = Some(room.0.clone());
        }
        self.conf_id = conf_id;
        self.room_id = room_id;
    }

    /// The meeting's public room number: the room's fixed ID when it has one.
    pub fn vmr_conf_id(&self) -> String {
        self.room_id.as_ref().map(|r| r.0.clone()).unwrap_or_default()
    }

    /// Occurrence `uuid` of this meeting's series at `start` (its slot):
    /// the same meeting at another time.
    pub fn occurrence(&self, uuid: ConfUuid, start: i64) -> Meeting {
        let mut m = self.clone();
        m.conf_uuid = uuid;
        m.end = start + (self.end - self.start);
        m.start = start;
        m.live = None;
        if let Some(s) = &mut m.series {
            s.slot = start;
        }
        m
    }

    /// The series' entry for this occurrence in `subConfs`, at `now`.
    pub fn sub_conf(&self, now: i64) -> convene_proto::rest::CycleSubConf {
        convene_proto::rest::CycleSubConf {
            cycle_sub_conf_id: self.conf_uuid.0.clone(),
            conference_id: self.conf_id.0.clone(),
            media_type: self.media_types(),
            start_time: rest_time(self.start),
            end_time: rest_time(self.end),
            is_auto_record: i64::from(self.info.is_auto_record == Some(true)),
            conf_config_info: convene_proto::rest::CycleSubConfConfigDto {
                call_in_restriction: self.call_in_restriction(),
                audience_call_in_restriction: None,
                allow_guest_start_conf: Some(self.options.allow_guest_start_conf),
                enable_waiting_room: self.info.is_open_waiting_room,
            },
            conference_state: self.state_name(now).into(),
        }
    }

    fn media_types(&self) -> String {
        match self.info.media_type {
            MediaType::Audio => "Voice".into(),
            MediaType::Video => "Voice,HDVideo".into(),
        }
    }

    fn state_name(&self, now: i64) -> &'static str {
        match self.state_at(now) {
            ConfState::Scheduled => "Schedule",
            ConfState::Running => "Created",
            ConfState::Ended | ConfState::Cancelled => "Destroyed",
        }
    }

    fn call_in_restriction(&self) -> Option<i64> {
        self.info.conf_allow_join_user.map(|j| match j {
            // The REST API has no "logged-in users" value; the nearest
            // wider one is shown and the exact value is `confAllowJoinUser`.
            ConfAllowJoinUserType::LoginedUser => 0,
            other => i64::from(other.number()),
        })
    }

    /// Whether the meeting still runs at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.state == ConfState::Running && self.end > now
    }

    /// The state at `now`: a meeting past its end time reads as ended even
    /// before anything wrote that down.
    pub fn state_at(&self, now: i64) -> ConfState {
        match self.state {
            ConfState::Running | ConfState::Scheduled if self.end <= now => ConfState::Ended,
            s => s,
        }
    }

    /// Whether a joiner with `role` may start this booked meeting at `now`:
    /// from [`EARLY_START`] before its time, a host always, a guest only if
    /// the meeting allows guests to start it (`allowGuestStartConf`).
    pub fn may_start(&self, role: ConfRole, now: i64) -> Result<(), Refusal> {
        if now < self.start - EARLY_START {
            return Err(Refusal::new(
                SdkErr::CMS_CONF_NOT_STARTED,
                format!(
                    "the meeting starts at {} UTC; it can be started {} minutes before",
                    rest_time(self.start),
                    EARLY_START / 60
                ),
            ));
        }
        if role == ConfRole::Host || self.options.allow_guest_start_conf {
            Ok(())
        } else {
            Err(Refusal::new(
                SdkErr::CMS_NOT_ALLOWED_GUEST_FIRST_JOIN,
                "the host has not started the meeting yet",
            ))
        }
    }

    /// Whether the meeting may still be edited at `now`: only while booked
    /// and not started.
    pub fn may_edit(&self, now: i64) -> Result<(), Refusal> {
        match self.state_at(now) {
            ConfState::Scheduled => Ok(()),
            ConfState::Running => Err(Refusal::new(
                SdkErr::CMS_CONF_BAD_REQUEST,
                "a meeting cannot be edited after it has started",
            )),
            ConfState::Ended | ConfState::Cancelled => {
                Err(Refusal::new(SdkErr::CMS_CONF_IS_CLOSED, "the meeting is over"))
            }
        }
    }

    /// A page of the invited attendees as the detail calls list them
    /// (`searchKey` matches names); contacts only for `Viewer::Host`.
    pub fn invitees(&self, viewer: Viewer, offset: i64, limit: i64, search: Option<&str>) -> ParticipantPage {
        let host = viewer == Viewer::Host;
        let search = search.map(str::to_lowercase);
        let matching: Vec<&AttendeeBaseInfo> = self
            .info
            .attendees
            .iter()
            .filter(|a| search.as_deref().is_none_or(|k| a.nick_name.to_lowercase().contains(k)))
            .collect();
        let data = matching
            .iter()
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|a| ParticipantInfo {
                participant_id: if host {
                    if a.number.is_empty() {
                        a.third_user_id.clone()
                    } else {
                        a.number.clone()
                    }
                } else {
                    String::new()
                },
                name: a.nick_name.clone(),
                role: i64::from(a.role == Some(ConfRole::Host)),
                state: "MEETTING".into(),
                attendee_type: a.attendee_type.unwrap_or(AttendeeType::Normal).rest_name().into(),
                account_id: if host {
                    a.account_id.clone().unwrap_or_default()
                } else {
                    String::new()
                },
                email: if host {
                    a.email.clone().unwrap_or_default()
                } else {
                    String::new()
                },
                sms: if host {
                    a.sms.clone().unwrap_or_default()
                } else {
                    String::new()
                },
                user_uuid: a.user_uuid.clone().unwrap_or_default(),
                is_auto_invite: i64::from(a.is_auto_invite == Some(true)),
                ..Default::default()
            })
            .collect();
        ParticipantPage {
            offset,
            limit,
            count: matching.len() as i64,
            data,
        }
    }

    /// The role a join link's code gives in this meeting, if it is one of
    /// its codes: the one rule for link codes (joins and the link's page).
    pub fn link_role(&self, code: &str) -> Option<ConfRole> {
        if code.is_empty() {
            None
        } else if same_secret(code, &self.host_random) {
            Some(ConfRole::Host)
        } else if same_secret(code, &self.guest_random) {
            Some(ConfRole::Attendee)
        } else if same_secret(code, &self.audience_random) {
            Some(ConfRole::Audience)
        } else {
            None
        }
    }

    /// The guest link: opens the meeting with the guest code, no password typed.
    pub fn guest_join_uri(&self, base_url: &str) -> String {
        join_uri(base_url, &self.conf_id, &self.guest_random)
    }

    /// The host link: like the guest link, but joins as host.
    pub fn host_join_uri(&self, base_url: &str) -> String {
        join_uri(base_url, &self.conf_id, &self.host_random)
    }

    /// The audience link.
    pub fn audience_join_uri(&self, base_url: &str) -> String {
        join_uri(base_url, &self.conf_id, &self.audience_random)
    }

    /// The seed's callback result for the meeting's creator.
    pub fn create_conf_result(&self, base_url: &str) -> CreateConfResult {
        CreateConfResult {
            conf_id: self.conf_id.0.clone(),
            vmr_conf_id: self.vmr_conf_id(),
            host_pwd: self.host_pwd.clone(),
            guest_pwd: self.guest_pwd.clone().unwrap_or_default(),
            media_type: Some(self.info.media_type),
            guest_join_uri: self.guest_join_uri(base_url),
            self_conf_role: Some(ConfRole::Host),
            subject: self.info.subject.clone(),
            start_time: self.start,
            end_time: self.end,
            start_time_stamp: self.start,
            end_time_stamp: self.end,
            scheduler_name: self.owner_name.clone(),
            custom_info: self.info.custom_info.clone().unwrap_or_default(),
        }
    }

    /// The REST `ConferenceInfo`, as `viewer` may see it at `now`.
    pub fn conference_info(&self, base_url: &str, viewer: Viewer, now: i64) -> ConferenceInfo {
        let info = &self.info;
        let host = viewer == Viewer::Host;
        let mut password_entry = Vec::new();
        if host {
            password_entry.push(PasswordEntry {
                conference_role: "chair".into(),
                password: self.host_pwd.clone(),
            });
        }
        if let Some(g) = &self.guest_pwd {
            password_entry.push(PasswordEntry {
                conference_role: "general".into(),
                password: g.clone(),
            });
        }
        let auto_mute_flag = |m: Option<AutoMuteType>| match m {
            Some(AutoMuteType::Mute) => Some(true),
            Some(AutoMuteType::Unmute) => Some(false),
            _ => None,
        };
        let id_type = info.vmr_conf_id_type;
        let attendees = if host {
            info.attendees.clone()
        } else {
            info.attendees
                .iter()
                .map(|a| AttendeeBaseInfo {
                    nick_name: a.nick_name.clone(),
                    role: a.role,
                    attendee_type: a.attendee_type,
                    ..Default::default()
                })
                .collect()
        };
        ConferenceInfo {
            conference_id: self.conf_id.0.clone(),
            subject: info.subject.clone(),
            size: info.attendees.len() as i64,
            // No code given: times are UTC, which the product's table has no code for.
            time_zone_id: self.options.time_zone_id.clone().unwrap_or_default(),
            language: self.options.language.clone().unwrap_or_else(|| "en-US".into()),
            start_time: rest_time(self.start),
            end_time: rest_time(self.end),
            media_types: self.media_types(),
            conference_state: self.state_name(now).into(),
            password_entry,
            user_uuid: self.owner_id.0.clone(),
            scheduser_name: self.owner_name.clone(),
            conf_type: match (&self.series, self.booked) {
                (Some(_), _) => "CYCLE",
                (None, true) => "FUTURE",
                (None, false) => "IMMEDIATELY",
            }
            .into(),
            is_auto_mute: i64::from(info.auto_mute_mode == Some(AutoMuteType::Mute)),
            is_auto_record: i64::from(info.is_auto_record == Some(true)),
            chair_join_uri: if host {
                self.host_join_uri(base_url)
            } else {
                String::new()
            },
            guest_join_uri: self.guest_join_uri(base_url),
            audience_join_uri: if host {
                self.audience_join_uri(base_url)
            } else {
                String::new()
            },
            record_type: self.options.record_type,
            conf_config_info: RestConfConfigDto {
                is_send_notify: self.options.is_send_notify,
                is_send_sms: self.options.is_send_sms,
                is_send_calendar: self.options.is_send_calendar,
                is_auto_mute: auto_mute_flag(info.auto_mute_mode),
                is_hard_terminal_auto_mute: auto_mute_flag(info.hard_terminal_auto_mute_mode),
                is_guest_free_pwd: Some(!info.need_password),
                call_in_restriction: self.call_in_restriction(),
                allow_guest_start_conf: Some(self.options.allow_guest_start_conf),
                guest_pwd: None,
                vmr_id_type: id_type.map(|t| i64::from(t.number())),
                prolong_length: Some(self.options.prolong_length),
                enable_waiting_room: info.is_open_waiting_room,
                is_host_camera_on: info.is_camera_on,
                is_guest_camera_on: self.options.is_guest_camera_on,
            },
            vmr_flag: i64::from(self.room_id.is_some()),
            vmr_conference_id: self.vmr_conf_id(),
            // A booked meeting has no UUID until it is held (the product's rule).
            conf_uuid: if self.state_at(now) == ConfState::Scheduled {
                String::new()
            } else {
                self.conf_uuid.0.clone()
            },
            vmr_id: self.vmr_conf_id(),
            role: if host { "chair".into() } else { "general".into() },
            concurrent_participants: info.concurrent_participants.unwrap_or(0),
            conf_res_type: i64::from(info.conf_res_type.map(|t| t.number()).unwrap_or(0)),
            start_time_stamp: self.start,
            end_time_stamp: self.end,
            custom_info: if host {
                info.custom_info.clone().unwrap_or_default()
            } else {
                String::new()
            },
            self_conf_role: Some(if host { ConfRole::Host } else { ConfRole::Attendee }),
            need_password: info.need_password,
            media_type: Some(info.media_type),
            allow_record: info.allow_record,
            conf_allow_join_user: info.conf_allow_join_user,
            vmr_conf_id_type: id_type,
            is_open_waiting_room: info.is_open_waiting_room.unwrap_or(false),
            duration: info.duration.unwrap_or(0),
            is_mic_on: info.is_mic_on,
            is_camera_on: info.is_camera_on,
            num_of_attendee: info.num_of_attendee,
            attendees,
            default_summary_state: info.default_summary_state,
            auto_mute_mode: info.auto_mute_mode,
            hard_terminal_auto_mute_mode: info.hard_terminal_auto_mute_mode,
            notifications: Vec::new(),
            conference_type: if self.series.is_some() { 2 } else { 0 },
            cycle_params: self.series.as_ref().map(|s| s.rule.clone()),
            sub_confs: Vec::new(),
            cycle_sub_conf_id: if self.series.is_some() {
                self.conf_uuid.0.clone()
            } else {
                String::new()
            },
            is_has_record_file: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_links_join_base_id_and_code_with_one_slash() {
        let id = ConfId("912345678".into());
        assert_eq!(
            join_uri("https://m.example/", &id, "abc"),
            "https://m.example/j/912345678/abc"
        );
        assert_eq!(
            join_uri("https://m.example", &id, "abc"),
            "https://m.example/j/912345678/abc"
        );
    }
}

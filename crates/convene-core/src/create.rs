//! Creating a meeting: every `CreateConfInfo` field checked, defaults filled,
//! secrets generated, and the room the meeting needs named.
//!
//! [`plan`] is the single code path behind the SDK, the REST API and the web
//! client: each of them turns its input into a `CreateConfInfo` (plus the
//! REST-only [`ConfOptions`]) and calls it. The result, a [`NewMeeting`], still
//! lacks what only storage can decide atomically: the random meeting ID's
//! uniqueness and which room is free. [`NewMeeting::into_meeting`] completes it.

use convene_proto::*;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::ids::{self, ConfId, ConfUuid, EnterpriseId, RoomId, UserId};
use crate::meeting::{ConfState, Meeting};

/// Who creates the meeting: the logged-in caller, who becomes its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creator {
    pub user_id: UserId,
    pub name: String,
    pub enterprise_id: EnterpriseId,
    /// The caller's fixed personal cloud meeting room.
    pub personal_room: RoomId,
}

/// Limits and defaults of creation; documented in docs/DECISIONS.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateLimits {
    /// Minutes, when `duration` is omitted (the REST API's default).
    pub default_duration: i64,
    pub min_duration: i64,
    pub max_duration: i64,
    pub max_subject_chars: usize,
    pub max_custom_info_chars: usize,
    pub max_attendees: usize,
    pub max_concurrent_participants: i64,
    /// How far ahead a meeting may be booked (seconds).
    pub max_booking_ahead: i64,
}

impl Default for CreateLimits {
    fn default() -> Self {
        CreateLimits {
            default_duration: 30,
            min_duration: 15,
            max_duration: 1440,
            max_subject_chars: 128,
            max_custom_info_chars: 1024,
            max_attendees: 500,
            max_concurrent_participants: 10_000,
            max_booking_ahead: 366 * 24 * 3600,
        }
    }
}

/// Which cloud meeting room the meeting must occupy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoomRequest {
    /// A plain random-ID meeting: no room.
    None,
    /// The caller's personal room.
    Personal(RoomId),
    /// A named room: the caller's own, or one of the enterprise's shared pool.
    Specific(RoomId),
    /// Any free room of the enterprise's shared pool (`confResType` SHARE_VMR).
    SharedPool,
}

pub use crate::refusal::Refusal;

fn bad(reason: impl Into<String>) -> Refusal {
    Refusal::new(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, reason)
}

/// A checked meeting, waiting for storage to give it an ID and a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    /// The request as checked, with defaults filled (`duration`, `guestPwd`,
    /// `vmrConfIdType`, `confAllowJoinUser`...).
    pub info: CreateConfInfo,
    pub options: ConfOptions,
    pub room: RoomRequest,
    pub owner: Creator,
    pub conf_uuid: ConfUuid,
    pub host_pwd: String,
    pub guest_pwd: Option<String>,
    pub host_random: String,
    pub guest_random: String,
    pub audience_random: String,
    pub start: i64,
    pub end: i64,
    /// Booked for a later time (the product's `confType` "FUTURE").
    pub booked: bool,
    /// The invitations it sends, stored with it.
    pub notices: Vec<crate::notify::Notice>,
    /// A recurring series: this is its first occurrence; the others follow.
    pub series: Option<crate::series::SeriesPlan>,
}

impl NewMeeting {
    /// Whether the meeting's ID is the room's fixed ID.
    pub fn uses_fixed_id(&self) -> bool {
        self.info.vmr_conf_id_type == Some(VmrConfIdType::Fixed)
    }

    /// Completes the meeting once storage has settled its ID and room.
    pub fn into_meeting(self, conf_id: ConfId, room_id: Option<RoomId>) -> Meeting {
        let mut meeting = Meeting {
            conf_id: ConfId::default(),
            conf_uuid: self.conf_uuid,
            room_id: None,
            owner_id: self.owner.user_id,
            owner_name: self.owner.name,
            enterprise_id: self.owner.enterprise_id,
            info: self.info,
            options: self.options,
            host_pwd: self.host_pwd,
            guest_pwd: self.guest_pwd,
            host_random: self.host_random,
            guest_random: self.guest_random,
            audience_random: self.audience_random,
            start: self.start,
            end: self.end,
            state: if self.booked {
                ConfState::Scheduled
            } else {
                ConfState::Running
            },
            booked: self.booked,
            sequence: 0,
            live: None,
            series: self.series.map(|p| p.series),
        };
        meeting.settle(conf_id, room_id);
        meeting
    }
}

/// An address mail can go to: `local@domain`, the local part without
/// spaces, quotes or brackets, the domain dotted labels of letters, digits
/// and hyphens. Stricter than RFC 5321 allows (no quoted local parts, no
/// address literals): what invitations are sent to.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn check_len(field: &str, value: &str, max: usize) -> Result<(), Refusal> {
    if value.chars().count() > max {
        return Err(bad(format!("{field} is longer than {max} characters")));
    }
    Ok(())
}

fn check_attendee(i: usize, a: &AttendeeBaseInfo) -> Result<(), Refusal> {
    let at = |what: &str| format!("attendees[{i}].{what}");
    if a.nick_name.trim().is_empty() {
        return Err(bad(format!("{} is required", at("nickName"))));
    }
    if a.number.is_empty() && a.third_user_id.is_empty() {
        return Err(bad(format!("{} or {} must be set", at("number"), at("thirdUserId"))));
    }
    check_len(&at("nickName"), &a.nick_name, 64)?;
    crate::text::check_text(&at("nickName"), &a.nick_name, false).map_err(bad)?;
    check_len(&at("number"), &a.number, 128)?;
    check_len(&at("thirdUserId"), &a.third_user_id, 128)?;
    for (name, v, max) in [
        ("accountId", &a.account_id, 128),
        ("email", &a.email, 255),
        ("sms", &a.sms, 32),
        ("userUuid", &a.user_uuid, 64),
    ] {
        if let Some(v) = v {
            check_len(&at(name), v, max)?;
        }
    }
    if let Some(email) = a.email.as_deref().filter(|e| !e.is_empty()) {
        if !is_email(email) {
            return Err(bad(format!("{} is not an e-mail address", at("email"))));
        }
    }
    if let Some(sms) = a.sms.as_deref().filter(|s| !s.is_empty()) {
        let digits = sms.strip_prefix('+').unwrap_or(sms);
        if !is_digits(digits) {
            return Err(bad(format!("{} is not a phone number", at("sms"))));
        }
    }
    if a.role == Some(ConfRole::Waiting) {
        return Err(bad(format!(
            "{} cannot be WAITING: that role is given in the meeting, not on invitation",
            at("role")
        )));
    }
    Ok(())
}

/// Checks a create request and fills what the server decides. `now` is the
/// server clock in Unix seconds; `rng` makes the passwords and link codes.
pub fn plan<R: Rng + ?Sized>(
    mut info: CreateConfInfo,
    options: ConfOptions,
    creator: &Creator,
    limits: &CreateLimits,
    now: i64,
    rng: &mut R,
) -> Result<NewMeeting, Refusal> {
    // subject
    if info.subject.trim().is_empty() {
        return Err(bad("subject is required"));
    }
    if info.subject.chars().count() > limits.max_subject_chars {
        return Err(Refusal::new(
            SdkErr::CMS_CONF_SUBJECT_LENGTH_TOO_LONG,
            format!("subject is longer than {} characters", limits.max_subject_chars),
        ));
    }
    crate::text::check_text("subject", &info.subject, false).map_err(bad)?;

    // duration
    let duration = info.duration.unwrap_or(limits.default_duration);
    if !(limits.min_duration..=limits.max_duration).contains(&duration) {
        return Err(Refusal::new(
            SdkErr::CMS_CONF_DURATION_OVER_RANGE,
            format!(
                "duration must be {}..={} minutes, not {duration}",
                limits.min_duration, limits.max_duration
            ),
        ));
    }
    info.duration = Some(duration);
    let mut options = options;
    let cycle = options.cycle_params.take();
    if cycle.is_some() && options.start_time.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(bad(
            "startTime is required for a recurring meeting: each occurrence is at its time of day",
        ));
    }
    let (start, booked) = when(&mut options, limits, now)?;
    if !(0..=60).contains(&options.prolong_length) {
        return Err(bad("prolongLength must be 0..=60 minutes"));
    }
    if !(0..=3).contains(&options.record_type) {
        return Err(bad("recordType must be 0, 1, 2 or 3"));
    }

    // participants
    let cap = info.concurrent_participants.unwrap_or(0);
    if !(0..=limits.max_concurrent_participants).contains(&cap) {
        return Err(bad(format!(
            "concurrentParticipants must be 0 (unlimited) to {}",
            limits.max_concurrent_participants
        )));
    }
    info.concurrent_participants = Some(cap);
    if info.attendees.len() > limits.max_attendees {
        return Err(bad(format!(
            "at most {} attendees can be invited",
            limits.max_attendees
        )));
    }
    if info.num_of_attendee < 0 || info.num_of_attendee as usize != info.attendees.len() {
        return Err(bad(format!(
            "numOfAttendee is {} but {} attendees are given",
            info.num_of_attendee,
            info.attendees.len()
        )));
    }
    for (i, a) in info.attendees.iter().enumerate() {
        check_attendee(i, a)?;
    }

    // customInfo
    if let Some(c) = &info.custom_info {
        crate::text::check_text("customInfo", c, true).map_err(bad)?;
        if c.chars().count() > limits.max_custom_info_chars {
            return Err(bad(format!(
                "customInfo is longer than {} characters",
                limits.max_custom_info_chars
            )));
        }
    }

    // room and ID type
    let vmr_id = info.vmr_id.clone().filter(|v| !v.is_empty());
    if let Some(v) = &vmr_id {
        if !is_digits(v) || v.len() > 32 {
            return Err(bad("vmrId must be the digits of a cloud meeting room ID"));
        }
    }
    let shared = info.conf_res_type == Some(ConfResType::ShareVmr);
    let id_type = info.vmr_conf_id_type.unwrap_or(if vmr_id.is_some() || shared {
        VmrConfIdType::Fixed
    } else {
        VmrConfIdType::Random
    });
    info.vmr_conf_id_type = Some(id_type);
    let room = match (vmr_id, shared, id_type) {
        (Some(v), _, _) => RoomRequest::Specific(RoomId(v)),
        (None, true, _) => RoomRequest::SharedPool,
        (None, false, VmrConfIdType::Fixed) => RoomRequest::Personal(creator.personal_room.clone()),
        (None, false, VmrConfIdType::Random) => RoomRequest::None,
    };

    // passwords
    let given_guest_pwd = info.guest_pwd.clone().filter(|p| !p.is_empty());
    let guest_pwd = if info.need_password {
        match given_guest_pwd {
            Some(p) if is_digits(&p) && (4..=16).contains(&p.len()) => Some(p),
            Some(_) => {
                return Err(Refusal::new(
                    SdkErr::CMS_GUEST_PWD_ILLEGAL,
                    "guestPwd must be 4 to 16 digits",
                ))
            }
            None => Some(ids::digit_password(rng, 6)),
        }
    } else {
        if given_guest_pwd.is_some() {
            return Err(Refusal::new(
                SdkErr::CMS_GUEST_PWD_ILLEGAL,
                "guestPwd is given but needPassword is false",
            ));
        }
        None
    };
    info.guest_pwd = guest_pwd.clone();

    // settings stored as given, with the documented defaults made explicit
    info.conf_allow_join_user.get_or_insert(ConfAllowJoinUserType::Anyone);
    info.conf_res_type.get_or_insert(ConfResType::Default);
    info.is_open_waiting_room.get_or_insert(false);
    info.auto_mute_mode.get_or_insert(AutoMuteType::Default);
    info.hard_terminal_auto_mute_mode.get_or_insert(AutoMuteType::Default);
    info.default_summary_state.get_or_insert(SummaryState::Close);
    let auto_record = *info.is_auto_record.get_or_insert(false);
    let allow_record = *info.allow_record.get_or_insert(auto_record || options.record_type >= 2);
    if options.record_type == 0 && (allow_record || auto_record) {
        options.record_type = 2;
    }

    let mut new = NewMeeting {
        room,
        owner: creator.clone(),
        conf_uuid: ConfUuid(ids::time_ordered_uuid(now, rng)),
        host_pwd: ids::digit_password(rng, 6),
        guest_pwd,
        host_random: ids::join_random(rng),
        guest_random: ids::join_random(rng),
        audience_random: ids::join_random(rng),
        start,
        end: start + duration * 60,
        booked,
        notices: crate::notify::notices(&info, &options, crate::notify::NoticeKind::Invite, 0),
        info,
        options,
        series: None,
    };
    if let Some(params) = cycle {
        crate::series::extend(&mut new, params, limits, now, rng)?;
    }
    Ok(new)
}

/// When a meeting starts: now, or the `startTime` it is booked for (UTC,
/// minute precision: a time within the current minute is now), and its
/// time zone (`timeZoneID`, the product's table) checked and kept.
fn when(options: &mut ConfOptions, limits: &CreateLimits, now: i64) -> Result<(i64, bool), Refusal> {
    if let Some(code) = options.time_zone_id.take() {
        let zone = crate::tz::TimeZone::from_code(&code).ok_or_else(|| {
            bad(format!(
                "timeZoneID {code:?} is not one of the product's time-zone codes (1 to 73; 56 is Beijing, 26 London)"
            ))
        })?;
        options.time_zone_id = Some(zone.id());
    }
    if let Some(lang) = options.language.take() {
        let lang = match lang.trim() {
            l if l.eq_ignore_ascii_case("zh-CN") => "zh-CN",
            l if l.eq_ignore_ascii_case("en-US") => "en-US",
            other => return Err(bad(format!("language must be zh-CN or en-US, not {other:?}"))),
        };
        options.language = Some(lang.to_owned());
    }
    let Some(given) = options.start_time.take() else {
        return Ok((now, false));
    };
    let t = convene_proto::time::parse_rest_time(&given)
        .ok_or_else(|| bad("startTime must be \"yyyy-MM-dd HH:mm\" (UTC)"))?;
    if t < now - 60 {
        return Err(Refusal::new(
            SdkErr::CMS_CONF_START_TIME_LESS_THAN_CURRENT_TIME,
            "startTime is in the past",
        ));
    }
    if t > now + limits.max_booking_ahead {
        return Err(bad(format!(
            "startTime may be at most {} days ahead",
            limits.max_booking_ahead / 86_400
        )));
    }
    if t <= now + 60 {
        return Ok((now, false));
    }
    Ok((t, true))
}

/// What storage knows of a room, for [`may_hold`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomFacts<'a> {
    /// A personal room, owned by this user.
    Personal { owner: &'a str },
    /// One of this enterprise's shared rooms.
    Shared { enterprise: &'a str },
}

/// Whether a meeting may be held in a room: a personal room by its owner
/// only, a shared room by its enterprise's members. The one rule; storage
/// reports the room's facts from inside its transaction.
pub fn may_hold(meeting: &crate::Meeting, room: RoomFacts<'_>) -> bool {
    match room {
        RoomFacts::Personal { owner } => owner == meeting.owner_id.as_str(),
        RoomFacts::Shared { enterprise } => enterprise == meeting.enterprise_id.as_str(),
    }
}

/// An edit of a booked meeting (`PUT .../conferences` with the whole create
/// body): checked as a create is ([`plan`]); the meeting keeps what makes it
/// the same meeting (ID, UUID, room, owner, host password, link codes, the
/// guest password unless a new one is given, the booked time unless a new
/// one is given) and takes the rest. Only a meeting not started yet may be
/// edited ([`Meeting::may_edit`]); it stays booked (a start time of now
/// makes it startable at once).
/// A series' edit ([`crate::series::edit_series`]) gives `cycleParams`:
/// the answer's second part is the later occurrences (UUIDs and starts).
pub fn edit<R: Rng + ?Sized>(
    old: &Meeting,
    mut info: CreateConfInfo,
    mut options: ConfOptions,
    creator: &Creator,
    limits: &CreateLimits,
    now: i64,
    rng: &mut R,
) -> Result<(Meeting, Vec<(ConfUuid, i64)>), Refusal> {
    old.may_edit(now)?;
    match (&old.series, &options.cycle_params) {
        (Some(_), None) => {
            return Err(bad(
                "this meeting is one of a recurring series: edit the series (.../cycleconferences) or this occurrence (.../conferences/cyclesubconf)",
            ))
        }
        (None, Some(_)) => {
            return Err(bad(
                "a booked meeting cannot become recurring: cancel it and book a series (.../cycleconferences)",
            ))
        }
        _ => {}
    }
    if options.start_time.is_none() && old.start > now {
        options.start_time = Some(convene_proto::time::rest_time(old.start));
    }
    if info.need_password && info.guest_pwd.as_deref().is_none_or(str::is_empty) {
        info.guest_pwd.clone_from(&old.guest_pwd);
    }
    let new = plan(info, options, creator, limits, now, rng)?;
    let same_room = match (&new.room, &old.room_id) {
        (RoomRequest::None, None) => true,
        (RoomRequest::Personal(r) | RoomRequest::Specific(r), Some(o)) => r == o,
        (RoomRequest::SharedPool, Some(_)) => old.info.conf_res_type == Some(ConfResType::ShareVmr),
        _ => false,
    };
    if !same_room {
        return Err(bad(
            "the room of a booked meeting cannot change: cancel it and book it again",
        ));
    }
    let mut m = old.clone();
    m.info = new.info;
    m.options = new.options;
    m.guest_pwd = new.guest_pwd;
    m.start = new.start;
    m.end = new.end;
    m.state = ConfState::Scheduled;
    m.booked = true;
    m.sequence = old.sequence + 1;
    if let Some(room) = &old.room_id {
        m.info.vmr_id = Some(room.0.clone());
    }
    let later = match new.series {
        Some(plan) => {
            m.series = Some(plan.series);
            plan.later
        }
        None => Vec::new(),
    };
    Ok((m, later))
}

//! Recurring ("cycle") meetings: a create or edit with `cycleParams` makes
//! one meeting per occurrence ([`crate::cycle`] says which days). Every
//! occurrence is a meeting of its own (UUID, joining, history, records) and
//! they share the series' meeting ID, passwords and links. This module holds
//! the rules of series and their occurrences: what a create adds, what an
//! edit of the series or of one occurrence changes, what may be cancelled.
//! Storage carries the result out in one transaction.

use chrono::TimeZone as _;
use chrono_tz::Tz;
use convene_proto::rest::{CycleParams, RestScheduleCycleConfDto};
use convene_proto::{ConfAllowJoinUserType, ConfOptions, CreateConfInfo, SdkErr};
use rand::Rng;

use crate::create::{CreateLimits, Creator, NewMeeting};
use crate::cycle::{occurrences, read_rule, Cycle};
use crate::ids::{time_ordered_uuid, ConfUuid};
use crate::meeting::{ConfState, Meeting, Series};
use crate::notify::{edit_notices, notices, Notice, NoticeKind};
use crate::refusal::Refusal;

/// A series as planned: its first occurrence is the [`NewMeeting`] that
/// carries this, `later` the others' UUIDs and starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesPlan {
    pub series: Series,
    pub later: Vec<(ConfUuid, i64)>,
    /// The occurrences' reminders (`preRemindDays`), each kept under its
    /// occurrence.
    pub reminders: Vec<(ConfUuid, Notice)>,
}

fn bad(reason: impl Into<String>) -> Refusal {
    Refusal::new(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, reason)
}

fn zone_of(options: &ConfOptions) -> Tz {
    options
        .time_zone_id
        .as_deref()
        .and_then(crate::tz::TimeZone::from_code)
        .map_or(Tz::UTC, |z| z.zone)
}

/// Makes a planned meeting the first occurrence of the series `params`
/// describes: each occurrence at `startTime`'s time of day in the meeting's
/// zone, on the rule's dates from `startDate` (not before today there).
pub(crate) fn extend<R: Rng + ?Sized>(
    new: &mut NewMeeting,
    params: CycleParams,
    limits: &CreateLimits,
    now: i64,
    rng: &mut R,
) -> Result<(), Refusal> {
    let points = params.point.clone().unwrap_or_default();
    let rule = read_rule(
        &params.start_date,
        &params.end_date,
        &params.cycle,
        params.interval,
        &points,
        params.pre_remind_days,
    )?;
    let zone = zone_of(&new.options);
    let time_of_day = zone
        .timestamp_opt(new.start, 0)
        .single()
        .map(|d| d.time())
        .unwrap_or_default();
    let found = occurrences(&rule, zone, time_of_day, now)?;
    let first = found.starts[0];
    if first > now + limits.max_booking_ahead {
        return Err(bad(format!(
            "cycleParams.startDate may be at most {} days ahead",
            limits.max_booking_ahead / 86_400
        )));
    }
    let length = new.end - new.start;
    new.start = first;
    new.end = first + length;
    new.booked = true;
    let kept = CycleParams {
        start_date: rule.start_date.format("%Y-%m-%d").to_string(),
        end_date: found.end_date.format("%Y-%m-%d").to_string(),
        cycle: params.cycle,
        interval: Some(rule.interval),
        point: (rule.cycle != Cycle::Day).then(|| rule.points.clone()),
        pre_remind_days: Some(rule.pre_remind_days),
    };
    let later: Vec<(ConfUuid, i64)> = found.starts[1..]
        .iter()
        .map(|s| (ConfUuid(time_ordered_uuid(now, rng)), *s))
        .collect();
    let all: Vec<(ConfUuid, i64)> = std::iter::once((new.conf_uuid.clone(), first))
        .chain(later.iter().cloned())
        .collect();
    let reminders = crate::notify::reminders(&new.info, &new.options, &all, rule.pre_remind_days, now);
    new.series = Some(SeriesPlan {
        series: Series {
            id: ConfUuid(time_ordered_uuid(now, rng)),
            rule: kept,
            slot: first,
        },
        later,
        reminders,
    });
    Ok(())
}

/// What an edit or cancel of a series changes: occurrences to cancel, new
/// ones to store, invitations to send (for the series unless stated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesChange {
    pub cancel: Vec<ConfUuid>,
    pub insert: Vec<Meeting>,
    pub notices: Vec<(ConfUuid, Notice)>,
}

/// The series of `all` (its occurrences, any order): refused unless they
/// are one.
fn series_of(all: &[Meeting]) -> Result<&Series, Refusal> {
    all.first().and_then(|m| m.series.as_ref()).ok_or_else(|| {
        bad("this meeting is not recurring: use .../conferences, not .../cycleconferences or .../cyclesubconf")
    })
}

/// The edit of a whole series (`PUT .../cycleconferences`, the whole create
/// body): refused while an occurrence runs; otherwise the occurrences not
/// held yet are replaced by the new rule's (from today on), the ones held
/// stay in history. Checked as any edit is ([`crate::create::edit`]);
/// without `cycleParams` the rule stays.
pub fn edit_series<R: Rng + ?Sized>(
    all: &[Meeting],
    info: CreateConfInfo,
    mut options: ConfOptions,
    creator: &Creator,
    limits: &CreateLimits,
    now: i64,
    rng: &mut R,
) -> Result<SeriesChange, Refusal> {
    let series = series_of(all)?.clone();
    if all.iter().any(|m| m.state_at(now) == ConfState::Running) {
        return Err(Refusal::new(
            SdkErr::CMS_CONF_BAD_REQUEST,
            "an occurrence of this series is running: edit the series once it is over",
        ));
    }
    let mut booked: Vec<&Meeting> = all.iter().filter(|m| m.state_at(now) == ConfState::Scheduled).collect();
    booked.sort_by_key(|m| m.start);
    let Some(template) = booked.first() else {
        return Err(Refusal::new(SdkErr::CMS_CONF_IS_CLOSED, "the series is over"));
    };
    let mut params = options.cycle_params.take().unwrap_or_else(|| series.rule.clone());
    // A series edited midway goes on from today.
    let zone = zone_of(&ConfOptions {
        time_zone_id: options
            .time_zone_id
            .clone()
            .or_else(|| template.options.time_zone_id.clone()),
        ..Default::default()
    });
    if let Some(today) = zone.timestamp_opt(now, 0).single().map(|d| d.date_naive()) {
        let today = today.format("%Y-%m-%d").to_string();
        if params.start_date.trim() < today.as_str() && params.start_date.len() == today.len() {
            params.start_date = today;
        }
    }
    options.cycle_params = Some(params);
    if options.start_time.is_none() {
        options.start_time = Some(convene_proto::time::rest_time(template.start.max(now)));
    }
    let (mut first, later) = crate::create::edit(template, info, options, creator, limits, now, rng)?;
    first.conf_uuid = ConfUuid(time_ordered_uuid(now, rng));
    if let Some(s) = &mut first.series {
        s.id = series.id.clone();
    }
    let notices = edit_notices(
        (&template.info, &template.options),
        (&first.info, &first.options),
        first.sequence,
    );
    let mut insert = vec![first.clone()];
    insert.extend(later.into_iter().map(|(uuid, start)| first.occurrence(uuid, start)));
    let days = first.series.as_ref().and_then(|s| s.rule.pre_remind_days).unwrap_or(1);
    let starts: Vec<(ConfUuid, i64)> = insert.iter().map(|m| (m.conf_uuid.clone(), m.start)).collect();
    let reminders = crate::notify::reminders(&first.info, &first.options, &starts, days, now);
    Ok(SeriesChange {
        cancel: booked.iter().map(|m| m.conf_uuid.clone()).collect(),
        insert,
        notices: notices
            .into_iter()
            .map(|n| (series.id.clone(), n))
            .chain(reminders)
            .collect(),
    })
}

/// The cancel of a whole series (`DELETE .../cycleconferences`): every
/// occurrence not held yet; a running one only with `type=1` (it ends).
pub fn cancel_series(all: &[Meeting], end_running: bool, now: i64) -> Result<SeriesChange, Refusal> {
    let series = series_of(all)?;
    let open: Vec<&Meeting> = all
        .iter()
        .filter(|m| matches!(m.state_at(now), ConfState::Scheduled | ConfState::Running))
        .collect();
    if open.is_empty() {
        return Err(Refusal::new(SdkErr::CMS_CONF_IS_CLOSED, "the series is over"));
    }
    if !end_running && open.iter().any(|m| m.state_at(now) == ConfState::Running) {
        return Err(started());
    }
    let last = open.iter().max_by_key(|m| m.sequence).copied().unwrap_or(open[0]);
    let told = notices(&last.info, &last.options, NoticeKind::Cancel, last.sequence + 1);
    Ok(SeriesChange {
        cancel: open.iter().map(|m| m.conf_uuid.clone()).collect(),
        insert: Vec::new(),
        notices: told.into_iter().map(|n| (series.id.clone(), n)).collect(),
    })
}

fn started() -> Refusal {
    Refusal::new(
        SdkErr::CMS_CONF_BAD_REQUEST,
        "the meeting has started: cancel it with type=1, which also ends it",
    )
}

fn occurrence<'a>(all: &'a [Meeting], id: &str) -> Result<&'a Meeting, Refusal> {
    all.iter().find(|m| m.conf_uuid.as_str() == id).ok_or_else(|| {
        Refusal::new(
            SdkErr::CMS_CONF_DATA_NOT_FOUND,
            format!("{id:?} is not an occurrence of this series"),
        )
    })
}

/// The cancel of some occurrences (`DELETE .../cyclesubconf`, body
/// `cycleSubConfIDs`): each must be of this series and not held yet (a
/// running one only with `type=1`); each attendee is told of each.
pub fn cancel_occurrences(
    all: &[Meeting],
    ids: &[String],
    end_running: bool,
    now: i64,
) -> Result<SeriesChange, Refusal> {
    series_of(all)?;
    if ids.is_empty() {
        return Err(bad("cycleSubConfIDs is required"));
    }
    let mut change = SeriesChange {
        cancel: Vec::new(),
        insert: Vec::new(),
        notices: Vec::new(),
    };
    for id in ids {
        let m = occurrence(all, id)?;
        match m.state_at(now) {
            ConfState::Scheduled => {}
            ConfState::Running if end_running => {}
            ConfState::Running => return Err(started()),
            ConfState::Ended | ConfState::Cancelled => {
                return Err(Refusal::new(
                    SdkErr::CMS_CONF_IS_CLOSED,
                    format!("occurrence {id} is over or cancelled"),
                ))
            }
        }
        if change.cancel.contains(&m.conf_uuid) {
            continue;
        }
        change.cancel.push(m.conf_uuid.clone());
        for n in notices(&m.info, &m.options, NoticeKind::Cancel, m.sequence + 1) {
            change.notices.push((m.conf_uuid.clone(), n));
        }
    }
    Ok(change)
}

/// The edit of one occurrence (`PUT .../cyclesubconf`): its time, length,
/// media and own settings; it stays in its series (same ID, passwords,
/// calendar entry) and may not overlap another occurrence. Only while it
/// is booked and not started. `description` is checked (at most 200
/// characters) but not kept: convene's meetings have no description.
pub fn edit_occurrence(
    all: &[Meeting],
    dto: RestScheduleCycleConfDto,
    limits: &CreateLimits,
    now: i64,
) -> Result<(Meeting, Vec<Notice>), Refusal> {
    series_of(all)?;
    let id = dto
        .cycle_sub_conf_id
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("cycleSubConfID is required"))?;
    let old = occurrence(all, &id)?;
    old.may_edit(now)?;
    let start = dto
        .start_time
        .as_deref()
        .and_then(convene_proto::time::parse_rest_time)
        .ok_or_else(|| bad("startTime is required: \"yyyy-MM-dd HH:mm\" (UTC)"))?;
    if start < now - 60 {
        return Err(Refusal::new(
            SdkErr::CMS_CONF_START_TIME_LESS_THAN_CURRENT_TIME,
            "startTime is in the past",
        ));
    }
    if start > now + limits.max_booking_ahead {
        return Err(bad(format!(
            "startTime may be at most {} days ahead",
            limits.max_booking_ahead / 86_400
        )));
    }
    let length = dto.length.unwrap_or(limits.default_duration);
    if !(limits.min_duration..=limits.max_duration).contains(&length) {
        return Err(Refusal::new(
            SdkErr::CMS_CONF_DURATION_OVER_RANGE,
            format!(
                "length must be {}..={} minutes, not {length}",
                limits.min_duration, limits.max_duration
            ),
        ));
    }
    if dto.description.as_deref().is_some_and(|d| d.chars().count() > 200) {
        return Err(bad("description is longer than 200 characters"));
    }
    let mut m = old.clone();
    if let Some(media) = dto.media_types.as_deref().filter(|s| !s.is_empty()) {
        m.info.media_type =
            convene_proto::create_map::media_type_from_rest(media).map_err(|e| Refusal::new(e.code, e.reason))?;
    }
    match dto.is_auto_record {
        None => {}
        Some(0) => m.info.is_auto_record = Some(false),
        Some(1) => {
            m.info.is_auto_record = Some(true);
            m.info.allow_record = Some(true);
            if m.options.record_type == 0 {
                m.options.record_type = 2;
            }
        }
        Some(n) => return Err(bad(format!("isAutoRecord must be 0 or 1, not {n}"))),
    }
    if let Some(c) = dto.conf_config_info {
        match c.call_in_restriction {
            None => {}
            Some(n @ (0 | 2 | 3)) => m.info.conf_allow_join_user = ConfAllowJoinUserType::from_number(n),
            Some(n) => return Err(bad(format!("callInRestriction must be 0, 2 or 3, not {n}"))),
        }
        if let Some(a) = c.allow_guest_start_conf {
            m.options.allow_guest_start_conf = a;
        }
        if let Some(w) = c.enable_waiting_room {
            m.info.is_open_waiting_room = Some(w);
        }
    }
    m.start = start;
    m.end = start + length * 60;
    m.info.duration = Some(length);
    if let Some(other) = all.iter().find(|o| {
        o.conf_uuid != m.conf_uuid
            && matches!(o.state_at(now), ConfState::Scheduled | ConfState::Running)
            && o.start < m.end
            && m.start < o.end
    }) {
        return Err(Refusal::new(
            SdkErr::CMS_CONF_NUM_UP_TO_LIMIT,
            format!(
                "the occurrence would overlap another of its series ({} UTC)",
                convene_proto::time::rest_time(other.start)
            ),
        ));
    }
    m.sequence = old.sequence + 1;
    // Its attendees are the series': each is told of the new time.
    let told = notices(&m.info, &m.options, NoticeKind::Update, m.sequence);
    Ok((m, told))
}

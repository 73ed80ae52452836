//! Recurring series in invitations: which occurrence a notice tells of, and
//! what its calendar entry says of the series. A notice kept under a
//! series' ID is about the whole series (one `UID`, an `RRULE`, cancelled
//! occurrences as `EXDATE`, moved ones as `VEVENT`s of their own with a
//! `RECURRENCE-ID`); one kept under an occurrence's UUID is about that
//! occurrence only (the series' `UID` and its `RECURRENCE-ID`), which is how
//! calendar clients move or cancel one instance of a series.

use chrono::TimeZone as _;
use convene_core::tz::TimeZone;
use convene_core::{ConfState, Meeting};
use convene_proto::rest::CycleParams;

/// What a notice's calendar entry covers.
pub(crate) enum Scope {
    /// A meeting that does not recur.
    Single,
    /// A whole series, whose first open occurrence the notice shows.
    Series {
        uid: String,
        /// The first occurrence's place by the rule (`DTSTART`).
        anchor: i64,
        rrule: String,
        exdates: Vec<i64>,
        moved: Vec<Meeting>,
        repeats: Repeats,
    },
    /// One occurrence of a series.
    Occurrence { uid: String, slot: i64 },
}

/// The rule in words, for the invitation's text.
pub(crate) struct Repeats {
    pub cycle: String,
    pub interval: i64,
    pub points: Vec<i64>,
    pub until: String,
}

impl Repeats {
    pub(crate) fn describe(&self, chinese: bool) -> String {
        const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        const ZH_DAYS: [&str; 7] = ["周日", "周一", "周二", "周三", "周四", "周五", "周六"];
        let n = self.interval;
        let on = |names: &[&str; 7]| -> Vec<String> {
            self.points
                .iter()
                .filter_map(|p| usize::try_from(*p).ok().and_then(|i| names.get(i)))
                .map(|s| (*s).to_owned())
                .collect()
        };
        let days: Vec<String> = self.points.iter().map(i64::to_string).collect();
        if chinese {
            let every = match self.cycle.as_str() {
                "Day" => format!("每{n}天"),
                "Week" => format!("每{n}周{}", on(&ZH_DAYS).join("、")),
                _ if days.is_empty() => format!("每{n}个月"),
                _ => format!("每{n}个月的{}日", days.join("、")),
            };
            format!("{every}，至 {}", self.until)
        } else {
            let unit = match self.cycle.as_str() {
                "Day" => "day",
                "Week" => "week",
                _ => "month",
            };
            let every = if n == 1 {
                format!("every {unit}")
            } else {
                format!("every {n} {unit}s")
            };
            let on = match self.cycle.as_str() {
                "Week" if !self.points.is_empty() => format!(" on {}", on(&DAYS).join(", ")),
                "Month" if !days.is_empty() => format!(" on day {}", days.join(", ")),
                _ => String::new(),
            };
            format!("{every}{on}, until {}", self.until)
        }
    }
}

/// The meeting a notice tells of and what its entry covers: `own` is the
/// meeting stored under the notice's key (`None`: the key is a series'),
/// `all` that series' occurrences. `None`: nothing is left to tell of.
pub(crate) fn scope(own: Option<Meeting>, all: Vec<Meeting>) -> Option<(Meeting, Scope)> {
    if let Some(m) = own {
        return Some(match m.series.clone() {
            None => (m, Scope::Single),
            Some(s) => (
                m,
                Scope::Occurrence {
                    uid: s.id.0,
                    slot: s.slot,
                },
            ),
        });
    }
    let open = |m: &&Meeting| matches!(m.state, ConfState::Scheduled | ConfState::Running);
    let master = all
        .iter()
        .filter(open)
        .min_by_key(|m| slot(m))
        // A cancelled series: its latest version.
        .or_else(|| all.iter().max_by_key(|m| (m.sequence, -slot(m))))?
        .clone();
    let series = master.series.clone()?;
    let zone = zone_of(&master);
    let active: Vec<i64> = all.iter().filter(open).map(slot).collect();
    let exdates = all
        .iter()
        .filter(|m| m.state == ConfState::Cancelled && slot(m) > series.slot && !active.contains(&slot(m)))
        .map(slot)
        .collect();
    let moved = all
        .iter()
        .filter(open)
        .filter(|m| m.start != slot(m))
        .cloned()
        .collect();
    let rule = &series.rule;
    Some((
        master,
        Scope::Series {
            uid: series.id.0.clone(),
            anchor: series.slot,
            rrule: rrule(rule, zone),
            exdates,
            moved,
            repeats: Repeats {
                cycle: rule.cycle.clone(),
                interval: rule.interval.unwrap_or(1),
                points: rule.point.clone().unwrap_or_default(),
                until: rule.end_date.clone(),
            },
        },
    ))
}

fn slot(m: &Meeting) -> i64 {
    m.series.as_ref().map_or(m.start, |s| s.slot)
}

fn zone_of(m: &Meeting) -> Option<TimeZone> {
    m.options.time_zone_id.as_deref().and_then(TimeZone::from_code)
}

/// The series' rule as an iCalendar `RRULE`: weeks start on Sunday, as
/// the product counts weekdays; `UNTIL` is the end of the (kept) end date
/// in the meeting's zone, in UTC. A month day past some months' end (29-31)
/// is "that day or the month's last", as the product has it, written as
/// `BYMONTHDAY=28,..,N;BYSETPOS=-1` when it is the only day; with several
/// days, months without one skip it in calendars (the meetings are right).
pub(crate) fn rrule(rule: &CycleParams, zone: Option<TimeZone>) -> String {
    const BYDAY: [&str; 7] = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
    let freq = match rule.cycle.as_str() {
        "Day" => "DAILY",
        "Week" => "WEEKLY",
        _ => "MONTHLY",
    };
    let mut out = format!("FREQ={freq};INTERVAL={}", rule.interval.unwrap_or(1));
    let points = rule.point.clone().unwrap_or_default();
    match rule.cycle.as_str() {
        "Week" if !points.is_empty() => {
            let days: Vec<&str> = points
                .iter()
                .filter_map(|p| usize::try_from(*p).ok().and_then(|i| BYDAY.get(i).copied()))
                .collect();
            out.push_str(&format!(";BYDAY={};WKST=SU", days.join(",")));
        }
        "Week" => out.push_str(";WKST=SU"),
        "Month" if points.len() == 1 && points[0] > 28 => {
            let days: Vec<String> = (28..=points[0]).map(|d| d.to_string()).collect();
            out.push_str(&format!(";BYMONTHDAY={};BYSETPOS=-1", days.join(",")));
        }
        "Month" if !points.is_empty() => {
            let days: Vec<String> = points.iter().map(i64::to_string).collect();
            out.push_str(&format!(";BYMONTHDAY={}", days.join(",")));
        }
        _ => {}
    }
    if let Ok(end) = chrono::NaiveDate::parse_from_str(&rule.end_date, "%Y-%m-%d") {
        let last = end.and_hms_opt(23, 59, 59).unwrap_or_default();
        let utc = match zone {
            Some(z) => z
                .zone
                .from_local_datetime(&last)
                .earliest()
                .map_or_else(|| last.and_utc(), |d| d.with_timezone(&chrono::Utc)),
            None => last.and_utc(),
        };
        out.push_str(&format!(";UNTIL={}", utc.format("%Y%m%dT%H%M%SZ")));
    }
    out
}

/// A time as an iCalendar property value: local in the zone (with its
/// `TZID`) or UTC.
pub(crate) fn property(name: &str, zone: Option<TimeZone>, times: &[i64]) -> icalendar::Property {
    let text: Vec<String> = times
        .iter()
        .map(|t| match zone {
            Some(z) => z.local(*t).format("%Y%m%dT%H%M%S").to_string(),
            None => chrono::DateTime::from_timestamp(*t, 0)
                .unwrap_or_default()
                .format("%Y%m%dT%H%M%SZ")
                .to_string(),
        })
        .collect();
    let mut p = icalendar::Property::new(name, text.join(","));
    if let Some(z) = zone {
        p.add_parameter("TZID", z.zone.name());
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(cycle: &str, interval: i64, point: &[i64]) -> CycleParams {
        CycleParams {
            start_date: "2027-01-04".into(),
            end_date: "2027-01-25".into(),
            cycle: cycle.into(),
            interval: Some(interval),
            point: Some(point.to_vec()),
            pre_remind_days: Some(1),
        }
    }

    #[test]
    fn rules_read_as_calendars_read_them() {
        let london = TimeZone::from_code("26");
        assert_eq!(
            rrule(&rule("Week", 1, &[1, 3]), london),
            "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO,WE;WKST=SU;UNTIL=20270125T235959Z"
        );
        // Beijing is 8 hours ahead: the day ends at 15:59:59 UTC.
        assert_eq!(
            rrule(&rule("Day", 2, &[]), TimeZone::from_code("56")),
            "FREQ=DAILY;INTERVAL=2;UNTIL=20270125T155959Z"
        );
        assert_eq!(
            rrule(&rule("Month", 1, &[31]), None),
            "FREQ=MONTHLY;INTERVAL=1;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;UNTIL=20270125T235959Z"
        );
        assert_eq!(
            rrule(&rule("Month", 3, &[1, 15]), None),
            "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1,15;UNTIL=20270125T235959Z"
        );
    }

    #[test]
    fn the_rule_in_words() {
        let r = Repeats {
            cycle: "Week".into(),
            interval: 2,
            points: vec![1, 3],
            until: "2027-01-25".into(),
        };
        assert_eq!(r.describe(false), "every 2 weeks on Mon, Wed, until 2027-01-25");
        assert_eq!(r.describe(true), "每2周周一、周三，至 2027-01-25");
    }
}

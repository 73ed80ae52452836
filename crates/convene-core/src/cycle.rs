//! Recurring ("cycle") meetings: which days a series falls on, by the
//! product's `cycleParams` rules. Dates are in the meeting's time zone (not
//! UTC) and each occurrence is at the same local time of day, so a series
//! keeps its hour across daylight-saving changes.
//!
//! This is the rule only; creating, editing and cancelling series and their
//! occurrences build on it.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _};
use chrono_tz::Tz;
use convene_proto::SdkErr;

use crate::refusal::Refusal;

/// The most occurrences a series has: a longer span is cut short (the
/// product pulls `endDate` in rather than refusing).
pub const MAX_OCCURRENCES: usize = 50;
/// The longest span from `startDate` to `endDate`, in days.
pub const MAX_SPAN_DAYS: i64 = 366;

/// How a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cycle {
    Day,
    Week,
    Month,
}

impl Cycle {
    pub fn parse(s: &str) -> Option<Cycle> {
        match s {
            "Day" => Some(Cycle::Day),
            "Week" => Some(Cycle::Week),
            "Month" => Some(Cycle::Month),
            _ => None,
        }
    }

    /// The allowed `interval`s.
    fn intervals(self) -> std::ops::RangeInclusive<i64> {
        match self {
            Cycle::Day => 1..=15,
            Cycle::Week => 1..=5,
            Cycle::Month => 1..=3,
        }
    }
}

/// A series as asked for (`cycleParams`, read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleRule {
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub cycle: Cycle,
    pub interval: i64,
    /// Week: weekdays, 0 = Sunday .. 6; Month: days of the month 1..=31
    /// (a day past the month's end is its last day). Empty: the start
    /// date's weekday or day.
    pub points: Vec<i64>,
    /// Days before each occurrence its attendees are reminded, 0..=30.
    pub pre_remind_days: i64,
}

/// The series' occurrences: each one's start (Unix seconds), and the end
/// date as kept (pulled in when the span held more than [`MAX_OCCURRENCES`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrences {
    pub starts: Vec<i64>,
    pub end_date: NaiveDate,
}

fn bad(reason: impl Into<String>) -> Refusal {
    Refusal::new(SdkErr::CMS_PARAMETER_VERIFIED_FAIL, reason)
}

/// Reads `cycleParams`' fields.
pub fn read_rule(
    start_date: &str,
    end_date: &str,
    cycle: &str,
    interval: Option<i64>,
    points: &[i64],
    pre_remind_days: Option<i64>,
) -> Result<CycleRule, Refusal> {
    let date = |field: &str, s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| bad(format!("cycleParams.{field} must be YYYY-MM-DD, not {s:?}")))
    };
    let cycle = Cycle::parse(cycle)
        .ok_or_else(|| bad(format!("cycleParams.cycle must be Day, Week or Month, not {cycle:?}")))?;
    let interval = interval.unwrap_or(1);
    if !cycle.intervals().contains(&interval) {
        let r = cycle.intervals();
        return Err(bad(format!(
            "cycleParams.interval for {cycle:?} must be {} to {}, not {interval}",
            r.start(),
            r.end()
        )));
    }
    let allowed = match cycle {
        Cycle::Day => 0..=i64::MAX,
        Cycle::Week => 0..=6,
        Cycle::Month => 1..=31,
    };
    if let Some(p) = points.iter().find(|p| !allowed.contains(p)) {
        return Err(bad(format!("cycleParams.point {p} is out of range for {cycle:?}")));
    }
    let pre_remind_days = pre_remind_days.unwrap_or(1);
    if !(0..=30).contains(&pre_remind_days) {
        return Err(bad("cycleParams.preRemindDays must be 0 to 30"));
    }
    Ok(CycleRule {
        start_date: date("startDate", start_date)?,
        end_date: date("endDate", end_date)?,
        cycle,
        interval,
        points: if cycle == Cycle::Day {
            Vec::new()
        } else {
            points.to_vec()
        },
        pre_remind_days,
    })
}

/// The dates the rule falls on, in order, at most [`MAX_OCCURRENCES`] + 1
/// (one more tells that the span held more).
fn dates(rule: &CycleRule) -> Vec<NaiveDate> {
    let (start, end) = (rule.start_date, rule.end_date);
    let mut out: Vec<NaiveDate> = Vec::new();
    let full = |out: &Vec<NaiveDate>| out.len() > MAX_OCCURRENCES;
    match rule.cycle {
        Cycle::Day => {
            let mut d = start;
            while d <= end && !full(&out) {
                out.push(d);
                d += Duration::days(rule.interval);
            }
        }
        Cycle::Week => {
            let mut days: Vec<i64> = if rule.points.is_empty() {
                vec![i64::from(start.weekday().num_days_from_sunday())]
            } else {
                rule.points.clone()
            };
            days.sort_unstable();
            days.dedup();
            // Weeks start on Sunday (0), as the product counts weekdays.
            let mut sunday = start - Duration::days(i64::from(start.weekday().num_days_from_sunday()));
            while sunday <= end && !full(&out) {
                for d in &days {
                    let day = sunday + Duration::days(*d);
                    if day >= start && day <= end && !full(&out) {
                        out.push(day);
                    }
                }
                sunday += Duration::weeks(rule.interval);
            }
        }
        Cycle::Month => {
            let mut days: Vec<i64> = if rule.points.is_empty() {
                vec![i64::from(start.day())]
            } else {
                rule.points.clone()
            };
            days.sort_unstable();
            let (mut year, mut month) = (start.year(), start.month());
            while let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) {
                if first > end || full(&out) {
                    break;
                }
                let last = last_day(year, month);
                for d in &days {
                    let day_of_month = u32::try_from(*d).unwrap_or(1).min(last);
                    let Some(day) = NaiveDate::from_ymd_opt(year, month, day_of_month) else {
                        continue;
                    };
                    if day >= start && day <= end && out.last() != Some(&day) && !full(&out) {
                        out.push(day);
                    }
                }
                let m = month - 1 + u32::try_from(rule.interval).unwrap_or(1);
                year += i32::try_from(m / 12).unwrap_or(0);
                month = m % 12 + 1;
            }
        }
    }
    out
}

fn last_day(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).map_or(28, |d| d.day())
}

/// A local date and time in `zone` as Unix seconds: in a daylight-saving
/// gap (a time that does not exist that day) the hour after it, in an
/// overlap the earlier of the two.
fn at_local(zone: Tz, t: NaiveDateTime) -> i64 {
    zone.from_local_datetime(&t)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(t + Duration::hours(1))).earliest())
        .map_or_else(|| t.and_utc().timestamp(), |d| d.timestamp())
}

/// The series' occurrences at `time_of_day` in `zone`, checked at `now`:
/// `startDate` not before the zone's today, a span of at most a year,
/// at least one occurrence; more than [`MAX_OCCURRENCES`] cut short.
pub fn occurrences(rule: &CycleRule, zone: Tz, time_of_day: NaiveTime, now: i64) -> Result<Occurrences, Refusal> {
    let today = zone.timestamp_opt(now, 0).single().map(|d| d.date_naive());
    if today.is_some_and(|t| rule.start_date < t) {
        return Err(Refusal::new(
            SdkErr::CMS_CONF_START_TIME_LESS_THAN_CURRENT_TIME,
            "cycleParams.startDate is before today (in the meeting's time zone)",
        ));
    }
    if rule.end_date < rule.start_date {
        return Err(bad("cycleParams.endDate is before startDate"));
    }
    if (rule.end_date - rule.start_date).num_days() > MAX_SPAN_DAYS {
        return Err(bad("cycleParams: startDate to endDate may span at most a year"));
    }
    let mut days = dates(rule);
    let mut end_date = rule.end_date;
    if days.len() > MAX_OCCURRENCES {
        days.truncate(MAX_OCCURRENCES);
        end_date = days[MAX_OCCURRENCES - 1];
    }
    let starts: Vec<i64> = days
        .into_iter()
        .map(|d| at_local(zone, d.and_time(time_of_day)))
        .filter(|s| *s > now - 60)
        .collect();
    if starts.is_empty() {
        return Err(bad("cycleParams: no meeting falls between startDate and endDate"));
    }
    Ok(Occurrences { starts, end_date })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_400_000; // 2026-12-04 16:00 UTC, a Friday

    fn rule(start: &str, end: &str, cycle: &str, interval: i64, points: &[i64]) -> CycleRule {
        read_rule(start, end, cycle, Some(interval), points, None).unwrap()
    }

    fn local(zone: Tz, starts: &[i64]) -> Vec<String> {
        starts
            .iter()
            .map(|s| {
                zone.timestamp_opt(*s, 0)
                    .unwrap()
                    .format("%a %Y-%m-%d %H:%M")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn weekly_on_two_days_for_four_weeks() {
        let r = rule("2026-12-07", "2027-01-03", "Week", 1, &[1, 3]);
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        let o = occurrences(&r, Tz::Europe__London, nine, NOW).unwrap();
        assert_eq!(
            local(Tz::Europe__London, &o.starts),
            vec![
                "Mon 2026-12-07 09:00",
                "Wed 2026-12-09 09:00",
                "Mon 2026-12-14 09:00",
                "Wed 2026-12-16 09:00",
                "Mon 2026-12-21 09:00",
                "Wed 2026-12-23 09:00",
                "Mon 2026-12-28 09:00",
                "Wed 2026-12-30 09:00"
            ]
        );
        // Every other week, on the start date's weekday when no point is given.
        let r = rule("2026-12-07", "2027-01-31", "Week", 2, &[]);
        let o = occurrences(&r, Tz::Europe__London, nine, NOW).unwrap();
        assert_eq!(o.starts.len(), 4);
    }

    #[test]
    fn the_local_hour_holds_across_daylight_saving() {
        // Weekly at 09:00 London time across the change of 28 March 2027.
        let r = rule("2027-03-21", "2027-04-04", "Week", 1, &[0]);
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        let o = occurrences(&r, Tz::Europe__London, nine, NOW).unwrap();
        let utc: Vec<String> = o
            .starts
            .iter()
            .map(|s| {
                chrono::DateTime::from_timestamp(*s, 0)
                    .unwrap()
                    .format("%m-%d %H:%M")
                    .to_string()
            })
            .collect();
        assert_eq!(utc, vec!["03-21 09:00", "03-28 08:00", "04-04 08:00"]);
    }

    #[test]
    fn monthly_days_past_the_end_are_the_last_day() {
        let r = rule("2027-01-01", "2027-05-31", "Month", 1, &[31]);
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        let o = occurrences(&r, Tz::Asia__Shanghai, noon, NOW).unwrap();
        let days: Vec<String> = local(Tz::Asia__Shanghai, &o.starts)
            .iter()
            .map(|s| s[4..14].to_owned())
            .collect();
        assert_eq!(
            days,
            vec!["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]
        );
        // Every third month, two days each.
        let r = rule("2027-01-01", "2027-12-31", "Month", 3, &[1, 15]);
        assert_eq!(occurrences(&r, Tz::Asia__Shanghai, noon, NOW).unwrap().starts.len(), 8);
    }

    #[test]
    fn more_than_fifty_are_cut_short_and_bad_rules_refused() {
        let r = rule("2026-12-05", "2027-06-30", "Day", 1, &[]);
        let t = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        let o = occurrences(&r, Tz::Europe__London, t, NOW).unwrap();
        assert_eq!(o.starts.len(), MAX_OCCURRENCES);
        assert_eq!(o.end_date, NaiveDate::from_ymd_opt(2027, 1, 23).unwrap());
        let code = |r: Result<CycleRule, Refusal>| r.unwrap_err().code;
        assert_eq!(
            code(read_rule("2026-12-05", "2027-01-05", "Year", None, &[], None)),
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL
        );
        assert_eq!(
            code(read_rule("2026-12-05", "2027-01-05", "Day", Some(16), &[], None)),
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL
        );
        assert_eq!(
            code(read_rule("2026-12-05", "2027-01-05", "Week", Some(1), &[7], None)),
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL
        );
        assert_eq!(
            code(read_rule("2026-12-05", "2027-01-05", "Month", Some(1), &[0], None)),
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL
        );
        assert_eq!(
            code(read_rule("5.12.2026", "2027-01-05", "Day", None, &[], None)),
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL
        );
        assert_eq!(
            code(read_rule("2026-12-05", "2027-01-05", "Day", None, &[], Some(31))),
            SdkErr::CMS_PARAMETER_VERIFIED_FAIL
        );
        let refused = |start: &str, end: &str| {
            occurrences(&rule(start, end, "Day", 1, &[]), Tz::Europe__London, t, NOW)
                .unwrap_err()
                .code
        };
        assert_eq!(
            refused("2026-12-01", "2026-12-10"),
            SdkErr::CMS_CONF_START_TIME_LESS_THAN_CURRENT_TIME
        );
        assert_eq!(refused("2026-12-10", "2026-12-09"), SdkErr::CMS_PARAMETER_VERIFIED_FAIL);
        assert_eq!(refused("2026-12-10", "2027-12-12"), SdkErr::CMS_PARAMETER_VERIFIED_FAIL);
    }
}

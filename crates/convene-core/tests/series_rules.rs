//! Issue 18: the rules of recurring series, with simulated time: what a
//! series is made of, what may change when, and the refusals.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

use convene_core::create::{edit, plan, CreateLimits, Creator};
use convene_core::series::{cancel_occurrences, cancel_series, edit_occurrence, edit_series};
use convene_core::{ConfId, ConfState, EnterpriseId, Meeting, Refusal, RoomId, UserId};
use convene_proto::rest::{CycleParams, RestScheduleCycleConfDto};
use convene_proto::time::rest_time;
use convene_proto::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Friday 2027-01-15 08:00 UTC.
const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;
/// Monday 2027-01-18 10:00 UTC.
const MONDAY_TEN: i64 = NOW + 3 * DAY + 2 * 3600;

fn creator() -> Creator {
    Creator {
        user_id: UserId("u1".into()),
        name: "Alice Host".into(),
        enterprise_id: EnterpriseId("e1".into()),
        personal_room: RoomId("900000001".into()),
    }
}

fn rule(end: &str) -> CycleParams {
    CycleParams {
        start_date: "2027-01-18".into(),
        end_date: end.into(),
        cycle: "Week".into(),
        interval: Some(1),
        point: Some(vec![1]),
        pre_remind_days: None,
    }
}

fn options(cycle: Option<CycleParams>) -> ConfOptions {
    ConfOptions {
        start_time: Some(rest_time(MONDAY_TEN)),
        time_zone_id: Some("26".into()),
        cycle_params: cycle,
        ..Default::default()
    }
}

/// A series' occurrences as storage would hold them.
fn series(end: &str) -> Result<Vec<Meeting>, Refusal> {
    let mut info = CreateConfInfo::new("Weekly", MediaType::Video, true);
    info.duration = Some(60);
    let new = plan(
        info,
        options(Some(rule(end))),
        &creator(),
        &CreateLimits::default(),
        NOW,
        &mut StdRng::seed_from_u64(1),
    )?;
    let later = new.series.clone().unwrap().later;
    let first = new.into_meeting(ConfId("123456789".into()), None);
    Ok(std::iter::once(first.clone())
        .chain(later.into_iter().map(|(u, s)| first.occurrence(u, s)))
        .collect())
}

#[test]
fn a_series_is_a_meeting_per_occurrence_sharing_id_and_passwords() {
    let all = series("2027-02-08").unwrap();
    assert_eq!(all.len(), 4);
    for (w, m) in all.iter().enumerate() {
        assert_eq!(
            (m.start, m.end),
            (MONDAY_TEN + w as i64 * 7 * DAY, MONDAY_TEN + w as i64 * 7 * DAY + 3600)
        );
        assert_eq!(
            (m.conf_id.as_str(), m.host_pwd.as_str()),
            (all[0].conf_id.as_str(), all[0].host_pwd.as_str())
        );
        assert_eq!(m.state, ConfState::Scheduled);
        assert_eq!(m.series.as_ref().unwrap().slot, m.start);
    }
    let info = all[0].conference_info("https://m.example", convene_core::meeting::Viewer::Host, NOW);
    assert_eq!((info.conf_type.as_str(), info.conference_type), ("CYCLE", 2));
    assert_eq!(
        info.cycle_params.unwrap().pre_remind_days,
        Some(1),
        "the default filled"
    );
    // More than 50 Mondays: cut to 50, the end date pulled in.
    let long = series("2028-01-10").unwrap();
    assert_eq!(long.len(), 50);
    assert_eq!(long[0].series.as_ref().unwrap().rule.end_date, "2027-12-27");
}

#[test]
fn bad_series_are_refused() {
    let code = |r: Result<Vec<Meeting>, Refusal>| r.unwrap_err().code;
    assert_eq!(
        code(series("2027-01-01")),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
        "ends before it starts"
    );
    assert_eq!(
        code(series("2028-06-01")),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
        "over a year"
    );
    // No startTime: no time of day.
    let mut o = options(Some(rule("2027-02-08")));
    o.start_time = None;
    let r = plan(
        CreateConfInfo::new("x", MediaType::Audio, true),
        o,
        &creator(),
        &CreateLimits::default(),
        NOW,
        &mut StdRng::seed_from_u64(2),
    );
    assert_eq!(r.unwrap_err().code, SdkErr::CMS_PARAMETER_VERIFIED_FAIL);
}

#[test]
fn what_may_change_when() {
    let all = series("2027-02-08").unwrap();
    let limits = CreateLimits::default();
    let mut rng = StdRng::seed_from_u64(3);
    // A single edit of an occurrence, or turning a meeting into a series: refused.
    let e = edit(
        &all[0],
        all[0].info.clone(),
        options(None),
        &creator(),
        &limits,
        NOW,
        &mut rng,
    )
    .unwrap_err();
    assert_eq!(e.code, SdkErr::CMS_PARAMETER_VERIFIED_FAIL);
    let mut single = all[0].clone();
    single.series = None;
    let e = edit(
        &single,
        single.info.clone(),
        options(Some(rule("2027-02-08"))),
        &creator(),
        &limits,
        NOW,
        &mut rng,
    )
    .unwrap_err();
    assert_eq!(e.code, SdkErr::CMS_PARAMETER_VERIFIED_FAIL);

    // While the first runs: the series cannot be edited, cancelled only with type=1.
    let mut running = all.clone();
    running[0].state = ConfState::Running;
    let during = MONDAY_TEN + 600;
    let e = edit_series(
        &running,
        all[0].info.clone(),
        options(None),
        &creator(),
        &limits,
        during,
        &mut rng,
    )
    .unwrap_err();
    assert_eq!(e.code, SdkErr::CMS_CONF_BAD_REQUEST);
    assert_eq!(
        cancel_series(&running, false, during).unwrap_err().code,
        SdkErr::CMS_CONF_BAD_REQUEST
    );
    assert_eq!(cancel_series(&running, true, during).unwrap().cancel.len(), 4);
    let first = vec![running[0].conf_uuid.0.clone()];
    assert_eq!(
        cancel_occurrences(&running, &first, false, during).unwrap_err().code,
        SdkErr::CMS_CONF_BAD_REQUEST
    );
    // The running one is not edited, the others are.
    let dto = |i: usize, start: i64| RestScheduleCycleConfDto {
        cycle_sub_conf_id: Some(running[i].conf_uuid.0.clone()),
        media_types: Some("Voice".into()),
        start_time: Some(rest_time(start)),
        length: Some(30),
        ..Default::default()
    };
    assert_eq!(
        edit_occurrence(&running, dto(0, MONDAY_TEN + DAY), &limits, during)
            .unwrap_err()
            .code,
        SdkErr::CMS_CONF_BAD_REQUEST
    );
    let (m, told) = edit_occurrence(&running, dto(1, MONDAY_TEN + 8 * DAY), &limits, during).unwrap();
    assert_eq!(
        (m.start, m.end, m.sequence),
        (MONDAY_TEN + 8 * DAY, MONDAY_TEN + 8 * DAY + 1800, 1)
    );
    assert!(told.is_empty(), "nobody with an address is invited");
    // Into the past, too long, an unknown occurrence.
    assert_eq!(
        edit_occurrence(&running, dto(1, NOW - DAY), &limits, during)
            .unwrap_err()
            .code,
        SdkErr::CMS_CONF_START_TIME_LESS_THAN_CURRENT_TIME
    );
    let mut long = dto(1, MONDAY_TEN + 8 * DAY);
    long.length = Some(2000);
    assert_eq!(
        edit_occurrence(&running, long, &limits, during).unwrap_err().code,
        SdkErr::CMS_CONF_DURATION_OVER_RANGE
    );
    let mut unknown = dto(1, MONDAY_TEN + 8 * DAY);
    unknown.cycle_sub_conf_id = Some("nope".into());
    assert_eq!(
        edit_occurrence(&running, unknown, &limits, during).unwrap_err().code,
        SdkErr::CMS_CONF_DATA_NOT_FOUND
    );
    // After the series: over.
    let after = MONDAY_TEN + 30 * DAY;
    assert_eq!(
        cancel_series(&all, true, after).unwrap_err().code,
        SdkErr::CMS_CONF_IS_CLOSED
    );
}

//! Issue 18: the rules of booked meetings, with simulated time: when a
//! booking may be, who may start it when, what an edit keeps.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

use convene_core::create::{edit, plan, CreateLimits, Creator};
use convene_core::meeting::EARLY_START;
use convene_core::{ConfId, ConfState, EnterpriseId, Meeting, Refusal, RoomId, UserId};
use convene_proto::time::rest_time;
use convene_proto::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// A whole minute (UTC).
const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn creator() -> Creator {
    Creator {
        user_id: UserId("u1".into()),
        name: "Alice Host".into(),
        enterprise_id: EnterpriseId("e1".into()),
        personal_room: RoomId("900000001".into()),
    }
}

fn book(start: i64, edit_opts: impl FnOnce(&mut CreateConfInfo, &mut ConfOptions)) -> Result<Meeting, Refusal> {
    let mut info = CreateConfInfo::new("Planning", MediaType::Video, true);
    info.duration = Some(60);
    let mut options = ConfOptions {
        start_time: Some(rest_time(start)),
        ..Default::default()
    };
    edit_opts(&mut info, &mut options);
    let new = plan(
        info,
        options,
        &creator(),
        &CreateLimits::default(),
        NOW,
        &mut StdRng::seed_from_u64(1),
    )?;
    let room = match &new.room {
        convene_core::RoomRequest::Personal(r) => Some(r.clone()),
        _ => None,
    };
    Ok(new.into_meeting(ConfId("123456789".into()), room))
}

#[test]
fn a_booking_is_later_than_now_and_within_a_year() {
    let m = book(NOW + DAY, |_, _| {}).unwrap();
    assert_eq!(
        (m.state, m.booked, m.start, m.end),
        (ConfState::Scheduled, true, NOW + DAY, NOW + DAY + 3600)
    );
    assert_eq!(
        m.state_at(NOW + DAY + 3600),
        ConfState::Ended,
        "a booking nobody held is over at its end"
    );
    let code = |start| book(start, |_, _| {}).unwrap_err().code;
    assert_eq!(code(NOW - 120), SdkErr::CMS_CONF_START_TIME_LESS_THAN_CURRENT_TIME);
    assert_eq!(code(NOW + 367 * DAY), SdkErr::CMS_PARAMETER_VERIFIED_FAIL);
    // Within the current minute: an instant meeting.
    let now = book(NOW + 30, |_, _| {}).unwrap();
    assert_eq!((now.state, now.booked, now.start), (ConfState::Running, false, NOW));
    // The time zone must be one of the product's codes.
    let tz = |code: &str| {
        let code = code.to_owned();
        book(NOW + DAY, move |_, o| o.time_zone_id = Some(code))
    };
    assert_eq!(tz("56").unwrap().options.time_zone_id.as_deref(), Some("56"));
    for bad in ["0", "74", "UTC", "Europe/London"] {
        assert_eq!(tz(bad).unwrap_err().code, SdkErr::CMS_PARAMETER_VERIFIED_FAIL, "{bad}");
    }
    let info =
        book(NOW + DAY, |_, _| {})
            .unwrap()
            .conference_info("https://x", convene_core::meeting::Viewer::Host, NOW);
    assert_eq!(
        (info.conference_state.as_str(), info.conf_type.as_str()),
        ("Schedule", "FUTURE")
    );
    assert!(info.conf_uuid.is_empty(), "no UUID until it is held");
}

#[test]
fn who_may_start_a_booking_when() {
    let m = book(NOW + DAY, |_, _| {}).unwrap();
    let start = NOW + DAY;
    let code = |role, t| m.may_start(role, t).unwrap_err().code;
    assert_eq!(
        code(ConfRole::Host, start - EARLY_START - 60),
        SdkErr::CMS_CONF_NOT_STARTED
    );
    assert!(m.may_start(ConfRole::Host, start - EARLY_START).is_ok());
    assert_eq!(
        code(ConfRole::Attendee, start + 60),
        SdkErr::CMS_NOT_ALLOWED_GUEST_FIRST_JOIN
    );
    let open = book(start, |_, o| o.allow_guest_start_conf = true).unwrap();
    assert!(open.may_start(ConfRole::Attendee, start - 60).is_ok());
    assert_eq!(
        open.may_start(ConfRole::Attendee, start - EARLY_START - 60)
            .unwrap_err()
            .code,
        SdkErr::CMS_CONF_NOT_STARTED
    );
}

#[test]
fn an_edit_keeps_the_meeting_and_takes_the_rest() {
    let m = book(NOW + DAY, |i, _| i.guest_pwd = Some("4321".into())).unwrap();
    let mut rng = StdRng::seed_from_u64(2);
    let limits = CreateLimits::default();
    let mut info = CreateConfInfo::new("Planning (moved)", MediaType::Audio, true);
    info.duration = Some(30);
    let moved = ConfOptions {
        start_time: Some(rest_time(NOW + 2 * DAY)),
        ..Default::default()
    };
    let (e, _) = edit(&m, info.clone(), moved, &creator(), &limits, NOW, &mut rng).unwrap();
    assert_eq!(
        (e.conf_id.clone(), e.conf_uuid.clone(), e.host_pwd.clone()),
        (m.conf_id.clone(), m.conf_uuid.clone(), m.host_pwd.clone())
    );
    assert_eq!(
        (e.guest_random.as_str(), e.guest_pwd.as_deref()),
        (m.guest_random.as_str(), Some("4321"))
    );
    assert_eq!(
        (e.start, e.end, e.info.subject.as_str()),
        (NOW + 2 * DAY, NOW + 2 * DAY + 1800, "Planning (moved)")
    );
    assert_eq!(e.info.media_type, MediaType::Audio);
    // No new time: the booked one stays.
    let same = edit(
        &m,
        info.clone(),
        ConfOptions::default(),
        &creator(),
        &limits,
        NOW,
        &mut rng,
    )
    .unwrap()
    .0;
    assert_eq!(same.start, m.start);
    // Not in another room, and not once started.
    let mut roomed = info.clone();
    roomed.vmr_conf_id_type = Some(VmrConfIdType::Fixed);
    assert_eq!(
        edit(&m, roomed, ConfOptions::default(), &creator(), &limits, NOW, &mut rng)
            .unwrap_err()
            .code,
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
    let mut started = m.clone();
    started.state = ConfState::Running;
    assert_eq!(
        edit(
            &started,
            info.clone(),
            ConfOptions::default(),
            &creator(),
            &limits,
            NOW,
            &mut rng
        )
        .unwrap_err()
        .code,
        SdkErr::CMS_CONF_BAD_REQUEST
    );
    // A bad field is refused as at create.
    let mut bad = info;
    bad.subject = String::new();
    assert_eq!(
        edit(&m, bad, ConfOptions::default(), &creator(), &limits, NOW, &mut rng)
            .unwrap_err()
            .code,
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
}

#[test]
fn the_detail_lists_invitees_with_contacts_for_hosts_only() {
    let m = book(NOW + DAY, |i, _| {
        i.attendees = (0..3)
            .map(|n| AttendeeBaseInfo {
                nick_name: format!("Person {n}"),
                number: format!("+100{n}"),
                email: Some(format!("p{n}@example.com")),
                role: Some(if n == 0 { ConfRole::Host } else { ConfRole::Attendee }),
                ..Default::default()
            })
            .collect();
        i.num_of_attendee = 3;
    })
    .unwrap();
    use convene_core::meeting::Viewer;
    let page = m.invitees(Viewer::Host, 1, 1, None);
    assert_eq!((page.count, page.data.len()), (3, 1));
    assert_eq!(
        (page.data[0].name.as_str(), page.data[0].email.as_str()),
        ("Person 1", "p1@example.com")
    );
    assert_eq!(m.invitees(Viewer::Host, 0, 10, None).data[0].role, 1);
    let other = m.invitees(Viewer::Other, 0, 10, Some("person 2"));
    assert_eq!(other.count, 1);
    assert!(
        other.data[0].email.is_empty() && other.data[0].participant_id.is_empty(),
        "{:?}",
        other.data[0]
    );
}

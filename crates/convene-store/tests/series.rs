//! Issue 18: recurring series in storage, on SQLite and, when
//! `CONVENE_TEST_PG` names a PostgreSQL server, on PostgreSQL: a series is
//! stored whole or not at all, its occurrences share its ID (reserved while
//! any is booked) and its room's time, each starts on its own, and edits and
//! cancels of the series or of one occurrence change exactly what they say.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;
use std::sync::Arc;

use convene_core::create::{plan, CreateLimits, Creator};
use convene_core::series::{cancel_occurrences, cancel_series, edit_occurrence, edit_series};
use convene_core::{ConfState, NewMeeting};
use convene_proto::rest::{CycleParams, RestScheduleCycleConfDto};
use convene_proto::time::rest_time;
use convene_proto::{AttendeeBaseInfo, ConfOptions, CreateConfInfo, MediaType, VmrConfIdType};
use convene_store::{NewUser, Store, StoreError, User};

/// Friday 2027-01-15 08:00 UTC.
const T0: i64 = 1_800_000_000;
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
/// Monday 2027-01-18 10:00 UTC (London time in winter).
const MONDAY_TEN: i64 = T0 + 3 * DAY + 2 * HOUR;

fn creator(u: &User) -> Creator {
    Creator {
        user_id: u.id.clone(),
        name: u.name.clone(),
        enterprise_id: u.enterprise_id.clone(),
        personal_room: u.personal_room.clone(),
    }
}

fn weekly(start: &str, end: &str, days: &[i64]) -> CycleParams {
    CycleParams {
        start_date: start.into(),
        end_date: end.into(),
        cycle: "Week".into(),
        interval: Some(1),
        point: Some(days.to_vec()),
        pre_remind_days: Some(1),
    }
}

fn request(subject: &str, start: i64, room: bool, cycle: Option<CycleParams>) -> (CreateConfInfo, ConfOptions) {
    let mut info = CreateConfInfo::new(subject, MediaType::Video, true);
    info.duration = Some(60);
    if room {
        info.vmr_conf_id_type = Some(VmrConfIdType::Fixed);
    }
    info.attendees = vec![AttendeeBaseInfo {
        nick_name: "Ana".into(),
        number: "+8613800000000".into(),
        email: Some("ana@example.com".into()),
        ..Default::default()
    }];
    info.num_of_attendee = 1;
    let options = ConfOptions {
        start_time: Some(rest_time(start)),
        time_zone_id: Some("26".into()),
        cycle_params: cycle,
        ..Default::default()
    };
    (info, options)
}

fn planned(u: &User, subject: &str, start: i64, room: bool, cycle: Option<CycleParams>) -> NewMeeting {
    let (info, options) = request(subject, start, room, cycle);
    plan(
        info,
        options,
        &creator(u),
        &CreateLimits::default(),
        T0,
        &mut rand::thread_rng(),
    )
    .unwrap()
}

async fn series_story(store: Arc<dyn Store>) {
    let e = store.ensure_default_enterprise("Default", T0).await.unwrap();
    let alice = store
        .add_user(
            NewUser {
                enterprise_id: e.id.clone(),
                account: "alice".into(),
                password_hash: Some("hash".into()),
                name: "Alice".into(),
                email: None,
                phone: None,
                app_id: None,
                third_user_id: None,
            },
            T0,
        )
        .await
        .unwrap();

    // Four Mondays at 10:00 in Alice's room: one meeting each, one ID.
    let first = store
        .create_meeting(
            planned(
                &alice,
                "weekly",
                MONDAY_TEN,
                true,
                Some(weekly("2027-01-18", "2027-02-08", &[1])),
            ),
            T0,
        )
        .await
        .unwrap();
    let series = first.series.clone().unwrap();
    let all = store.series_meetings(&series.id).await.unwrap();
    assert_eq!(all.len(), 4);
    let starts: Vec<i64> = all.iter().map(|m| m.start).collect();
    assert_eq!(starts, (0..4).map(|w| MONDAY_TEN + w * 7 * DAY).collect::<Vec<_>>());
    assert!(all
        .iter()
        .all(|m| m.conf_id == first.conf_id && m.state == ConfState::Scheduled));
    assert_eq!(all[0].conf_uuid, first.conf_uuid);
    assert_ne!(series.id, first.conf_uuid, "the series has an ID of its own");
    // Its invitations are the series', stored with it.
    assert_eq!(store.notices_of(&series.id).await.unwrap().len(), 1);
    // And a reminder for each occurrence, a day before it, under the occurrence.
    for m in &all {
        let kinds: Vec<_> = store
            .notices_of(&m.conf_uuid)
            .await
            .unwrap()
            .iter()
            .map(|n| n.notice.kind)
            .collect();
        assert_eq!(kinds, vec![convene_core::notify::NoticeKind::Remind]);
    }
    let due = store.claim_notices(MONDAY_TEN - DAY - 1, 60, 100).await.unwrap();
    assert_eq!(due.len(), 1, "the series' invitation only: no reminder is due yet");
    let due = store.claim_notices(MONDAY_TEN - DAY, 60, 100).await.unwrap();
    assert_eq!(due.len(), 1, "the first occurrence's reminder");
    assert_eq!(due[0].conf_uuid, first.conf_uuid);

    // The room is the series' at those times only.
    let clash = store
        .create_meeting(
            planned(&alice, "clash", MONDAY_TEN + 14 * DAY + 30 * 60, true, None),
            T0,
        )
        .await;
    assert!(matches!(clash, Err(StoreError::RoomBusy(_))), "{clash:?}");
    let between = store
        .create_meeting(planned(&alice, "between", MONDAY_TEN + 3 * DAY, true, None), T0)
        .await
        .unwrap();
    // A second series whose third Monday is taken by `late`: stored not at all.
    let late = store
        .create_meeting(
            planned(&alice, "late", MONDAY_TEN + 35 * DAY + 4 * HOUR, true, None),
            T0,
        )
        .await
        .unwrap();
    let refused = store
        .create_meeting(
            planned(
                &alice,
                "second",
                MONDAY_TEN + 4 * HOUR,
                true,
                Some(weekly("2027-01-18", "2027-02-28", &[1])),
            ),
            T0,
        )
        .await;
    assert!(matches!(refused, Err(StoreError::RoomBusy(_))), "{refused:?}");
    let (listed, _) = store
        .list_meetings(
            &alice.id,
            &convene_store::ListQuery {
                limit: 100,
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        listed, 6,
        "the four occurrences, between and late; nothing of the refused series"
    );

    // A series with a random ID: the ID stays reserved and means the next
    // occurrence; each occurrence starts on its own.
    let random = store
        .create_meeting(
            planned(
                &alice,
                "random",
                MONDAY_TEN,
                false,
                Some(weekly("2027-01-18", "2027-02-01", &[1, 3])),
            ),
            T0,
        )
        .await
        .unwrap();
    let rs = store.series_meetings(&random.series.clone().unwrap().id).await.unwrap();
    assert_eq!(rs.len(), 5, "Mondays and Wednesdays from 18 January to 1 February");
    let by_id = store.meeting_by_conf_id(&random.conf_id, T0).await.unwrap().unwrap();
    assert_eq!(by_id.conf_uuid, rs[0].conf_uuid);
    let started = store
        .activate_meeting(&rs[0].conf_uuid, MONDAY_TEN)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(started.state, ConfState::Running);
    assert!(store.end_meeting(&rs[0].conf_uuid).await.unwrap());
    let next = store
        .meeting_by_conf_id(&random.conf_id, MONDAY_TEN + HOUR)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.conf_uuid, rs[1].conf_uuid, "after the first: the next booked one");
    let wednesday = MONDAY_TEN + 2 * DAY;
    let s2 = store
        .activate_meeting(&rs[1].conf_uuid, wednesday)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (s2.state, s2.conf_id.clone()),
        (ConfState::Running, random.conf_id.clone())
    );

    // One occurrence moved: a day later; onto another occurrence: refused.
    let now = T0 + HOUR;
    let moved = |i: usize, start: i64| RestScheduleCycleConfDto {
        cycle_sub_conf_id: Some(all[i].conf_uuid.0.clone()),
        media_types: Some("Voice".into()),
        start_time: Some(rest_time(start)),
        length: Some(45),
        ..Default::default()
    };
    let limits = CreateLimits::default();
    let (m1, notices) = edit_occurrence(&all, moved(1, MONDAY_TEN + 8 * DAY), &limits, now).unwrap();
    assert_eq!(notices.len(), 1);
    assert!(store.update_booked_meeting(&m1, &notices, now).await.unwrap());
    let all = store.series_meetings(&series.id).await.unwrap();
    assert_eq!(
        (all[1].start, all[1].end),
        (MONDAY_TEN + 8 * DAY, MONDAY_TEN + 8 * DAY + 45 * 60)
    );
    assert_eq!(
        all[1].series.as_ref().unwrap().slot,
        MONDAY_TEN + 7 * DAY,
        "its slot stays"
    );
    assert_eq!(all[1].info.media_type, MediaType::Audio);
    let overlap = edit_occurrence(&all, moved(2, MONDAY_TEN + 8 * DAY + 600), &limits, now).unwrap_err();
    assert_eq!(overlap.code, convene_proto::SdkErr::CMS_CONF_NUM_UP_TO_LIMIT);
    // Onto `between`, in the same room: storage refuses.
    let (onto, _) = edit_occurrence(&all, moved(2, MONDAY_TEN + 3 * DAY), &limits, now).unwrap();
    assert!(!store.update_booked_meeting(&onto, &[], now).await.unwrap());
    assert_eq!(between.start, MONDAY_TEN + 3 * DAY);

    // One occurrence cancelled; cancelling it again changes nothing.
    let change = cancel_occurrences(&all, &[all[2].conf_uuid.0.clone()], false, now).unwrap();
    assert!(store.change_series(&change, now).await.unwrap());
    assert!(!store.change_series(&change, now).await.unwrap());
    let all = store.series_meetings(&series.id).await.unwrap();
    assert_eq!(all[2].state, ConfState::Cancelled);
    assert_eq!(
        store.notices_of(&all[2].conf_uuid).await.unwrap().len(),
        2,
        "its reminder and its cancel"
    );

    // The series edited: Tuesdays at 10:00, a new subject; the booked
    // occurrences are replaced, the ID, room and passwords stay.
    let (info, options) = request(
        "weekly (Tuesdays)",
        MONDAY_TEN + DAY,
        true,
        Some(weekly("2027-01-18", "2027-02-08", &[2])),
    );
    let change = edit_series(
        &all,
        info,
        options,
        &creator(&alice),
        &limits,
        now,
        &mut rand::thread_rng(),
    )
    .unwrap();
    assert_eq!(change.cancel.len(), 3, "the three still booked");
    assert!(store.change_series(&change, now).await.unwrap());
    let all = store.series_meetings(&series.id).await.unwrap();
    let open: Vec<_> = all.iter().filter(|m| m.state == ConfState::Scheduled).collect();
    assert_eq!(
        open.iter().map(|m| m.start).collect::<Vec<_>>(),
        (0..3).map(|w| MONDAY_TEN + DAY + w * 7 * DAY).collect::<Vec<_>>()
    );
    assert!(open
        .iter()
        .all(|m| m.conf_id == first.conf_id && m.host_pwd == first.host_pwd && m.info.subject == "weekly (Tuesdays)"));
    assert_eq!(open[0].sequence, 1);
    let by_id = store.meeting_by_conf_id(&first.conf_id, now).await.unwrap().unwrap();
    assert!(
        by_id.series.is_some() && by_id.start == MONDAY_TEN + DAY,
        "the ID means the next occurrence"
    );

    // The whole series cancelled: the room is free again then.
    let change = cancel_series(&all, false, now).unwrap();
    assert!(store.change_series(&change, now).await.unwrap());
    assert!(store
        .series_meetings(&series.id)
        .await
        .unwrap()
        .iter()
        .all(|m| m.state == ConfState::Cancelled));
    store
        .create_meeting(planned(&alice, "freed", MONDAY_TEN + DAY, true, None), T0)
        .await
        .unwrap();
    assert!(late.start > T0);
}

#[tokio::test]
async fn series_on_sqlite_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    series_story(convene_store::open(&url).await.unwrap()).await;
    let again = convene_store::open(&url).await.unwrap();
    let alice = again.user_by_account("alice").await.unwrap().unwrap();
    let (n, found) = again
        .list_meetings(
            &alice.id,
            &convene_store::ListQuery {
                limit: 100,
                include_ended: true,
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert!(n >= 10, "{n}");
    let one = found.iter().find(|m| m.series.is_some()).unwrap();
    let kept = again.series_meetings(&one.series.clone().unwrap().id).await.unwrap();
    assert!(kept.iter().all(|m| m.series.as_ref().unwrap().rule.cycle == "Week"));
}

#[tokio::test]
async fn series_on_postgres() {
    let Some(url) = common::fresh_postgres("series").await else {
        return;
    };
    series_story(convene_store::open(&url).await.unwrap()).await;
}

//! Issue 18: booked meetings in storage, on SQLite and, when
//! `CONVENE_TEST_PG` names a PostgreSQL server, on PostgreSQL: booking,
//! one meeting at a time in a room, the meeting an ID means at a time,
//! starting, editing, cancelling and listing.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;
use std::sync::Arc;

use convene_core::create::{edit, plan, CreateLimits, Creator};
use convene_core::{ConfState, NewMeeting};
use convene_proto::time::rest_time;
use convene_proto::{ConfOptions, CreateConfInfo, MediaType, VmrConfIdType};
use convene_store::{ListQuery, NewUser, Store, StoreError, User};

/// A whole hour (UTC).
const T0: i64 = 1_800_000_000;
const HOUR: i64 = 3600;

fn creator(u: &User) -> Creator {
    Creator {
        user_id: u.id.clone(),
        name: u.name.clone(),
        enterprise_id: u.enterprise_id.clone(),
        personal_room: u.personal_room.clone(),
    }
}

/// A meeting of `minutes` booked at `start` (`None`: instant), in the
/// owner's personal room when `room`.
fn booking(u: &User, subject: &str, start: Option<i64>, minutes: i64, room: bool, now: i64) -> NewMeeting {
    let mut info = CreateConfInfo::new(subject, MediaType::Video, true);
    info.duration = Some(minutes);
    if room {
        info.vmr_conf_id_type = Some(VmrConfIdType::Fixed);
    }
    let options = ConfOptions {
        start_time: start.map(rest_time),
        time_zone_id: Some("26".into()),
        ..Default::default()
    };
    plan(
        info,
        options,
        &creator(u),
        &CreateLimits::default(),
        now,
        &mut rand::thread_rng(),
    )
    .unwrap()
}

async fn booking_story(store: Arc<dyn Store>) {
    let e = store.ensure_default_enterprise("Default", T0).await.unwrap();
    let alice = store
        .add_user(
            NewUser {
                enterprise_id: e.id.clone(),
                account: "alice".into(),
                password_hash: Some("hash".into()),
                name: "Alice".into(),
                email: Some("alice@example.com".into()),
                phone: None,
                app_id: None,
                third_user_id: None,
            },
            T0,
        )
        .await
        .unwrap();

    // Two bookings in Alice's room, back to back: both fit.
    let ten = T0 + 24 * HOUR;
    let a = store
        .create_meeting(booking(&alice, "a", Some(ten), 60, true, T0), T0)
        .await
        .unwrap();
    let b = store
        .create_meeting(booking(&alice, "b", Some(ten + HOUR), 60, true, T0), T0)
        .await
        .unwrap();
    assert_eq!((a.state, b.state), (ConfState::Scheduled, ConfState::Scheduled));
    assert!(a.booked && b.booked);
    assert_eq!(a.conf_id, b.conf_id, "a room's meetings share its ID");
    assert_eq!(a.options.time_zone_id.as_deref(), Some("26"));
    // One overlapping either is refused, and so is an instant meeting that
    // would run into a booking; nothing is stored for them.
    for (start, minutes) in [(ten + 30 * 60, 60), (ten - 30 * 60, 45), (ten + 90 * 60, 15)] {
        let refused = store
            .create_meeting(booking(&alice, "x", Some(start), minutes, true, T0), T0)
            .await;
        assert!(
            matches!(refused, Err(StoreError::RoomBusy(_))),
            "{start} {minutes}: {refused:?}"
        );
    }
    let refused = store
        .create_meeting(booking(&alice, "now", None, 60, true, ten - 30 * 60), ten - 30 * 60)
        .await;
    assert!(matches!(refused, Err(StoreError::RoomBusy(_))), "{refused:?}");
    // An instant meeting that ends before the first booking fits.
    let early = store
        .create_meeting(booking(&alice, "early", None, 30, true, ten - 2 * HOUR), ten - 2 * HOUR)
        .await
        .unwrap();
    assert_eq!(early.state, ConfState::Running);

    // The ID means the running meeting, else the next booking not over yet.
    let by_id = |t: i64| {
        let store = store.clone();
        let id = a.conf_id.clone();
        async move { store.meeting_by_conf_id(&id, t).await.unwrap().unwrap().info.subject }
    };
    assert_eq!(by_id(ten - 2 * HOUR + 60).await, "early");
    assert_eq!(by_id(ten - HOUR).await, "a");
    assert_eq!(by_id(ten + HOUR + 60).await, "b");

    // Listing: booked meetings are listed with the running ones.
    let (n, listed) = store
        .list_meetings(
            &alice.id,
            &ListQuery {
                limit: 10,
                ascending: true,
                ..Default::default()
            },
            ten - 2 * HOUR + 60,
        )
        .await
        .unwrap();
    let subjects: Vec<_> = listed.iter().map(|m| m.info.subject.as_str()).collect();
    assert_eq!((n, subjects), (3, vec!["early", "a", "b"]));
    let (n, _) = store
        .list_meetings(
            &alice.id,
            &ListQuery {
                limit: 10,
                starts_before: Some(ten + 60),
                ..Default::default()
            },
            ten - 2 * HOUR + 60,
        )
        .await
        .unwrap();
    assert_eq!(n, 2, "starting within the window: early and a");

    // Editing b: a time overlapping a is refused, a free one is kept.
    let now = T0 + HOUR;
    let moved = |start: i64| {
        let mut info = b.info.clone();
        info.subject = "b moved".into();
        let options = ConfOptions {
            start_time: Some(rest_time(start)),
            ..b.options.clone()
        };
        edit(
            &b,
            info,
            options,
            &creator(&alice),
            &CreateLimits::default(),
            now,
            &mut rand::thread_rng(),
        )
        .unwrap()
        .0
    };
    assert!(!store
        .update_booked_meeting(&moved(ten + 30 * 60), &[], now)
        .await
        .unwrap());
    assert!(store
        .update_booked_meeting(&moved(ten + 3 * HOUR), &[], now)
        .await
        .unwrap());
    let b2 = store.meeting_by_uuid(&b.conf_uuid).await.unwrap().unwrap();
    assert_eq!((b2.info.subject.as_str(), b2.start), ("b moved", ten + 3 * HOUR));
    assert_eq!(
        (b2.host_pwd.as_str(), b2.guest_pwd.clone()),
        (b.host_pwd.as_str(), b.guest_pwd.clone())
    );

    // Starting a 20 minutes early: it takes the room; edits are over.
    let started = store
        .activate_meeting(&a.conf_uuid, ten - 20 * 60)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (started.state, started.start, started.end),
        (ConfState::Running, ten - 20 * 60, a.end)
    );
    let again = store
        .activate_meeting(&a.conf_uuid, ten - 19 * 60)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.start, ten - 20 * 60, "started once");
    assert!(!store.update_booked_meeting(&started, &[], now).await.unwrap());

    // Cancelling b frees its time: a new booking then fits.
    assert!(store.cancel_meeting(&b.conf_uuid, T0, &[]).await.unwrap());
    assert_eq!(
        store.meeting_by_uuid(&b.conf_uuid).await.unwrap().unwrap().state,
        ConfState::Cancelled
    );
    store
        .create_meeting(booking(&alice, "c", Some(ten + 3 * HOUR), 60, true, T0), T0)
        .await
        .unwrap();

    // Racing bookings of one slot in one room: exactly one gets it
    // (PostgreSQL: the room's row is locked; SQLite: one writer).
    let slot = ten + 10 * HOUR;
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let req = booking(&alice, &format!("race {i}"), Some(slot + i * 60), 60, true, T0);
            tokio::spawn(async move { store.create_meeting(req, T0).await })
        })
        .collect();
    let mut won = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::RoomBusy(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won, 1, "overlapping bookings of one room all but one refused");

    // Booked meetings without a room keep their own ID from the booking.
    let free = store
        .create_meeting(booking(&alice, "free", Some(ten), 60, false, T0), T0)
        .await
        .unwrap();
    assert_ne!(free.conf_id, a.conf_id);
    assert_eq!(
        store
            .meeting_by_conf_id(&free.conf_id, T0)
            .await
            .unwrap()
            .unwrap()
            .conf_uuid,
        free.conf_uuid
    );
    // Starting it before the window is storage's to do as told; the rule
    // (`Meeting::may_start`) is the caller's.
    let s = store.activate_meeting(&free.conf_uuid, ten).await.unwrap().unwrap();
    assert_eq!((s.state, s.start), (ConfState::Running, ten));
}

#[tokio::test]
async fn booking_on_sqlite_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    booking_story(convene_store::open(&url).await.unwrap()).await;
    // Reopened: the booked meetings are there.
    let again = convene_store::open(&url).await.unwrap();
    let alice = again.user_by_account("alice").await.unwrap().unwrap();
    let (n, _) = again
        .list_meetings(
            &alice.id,
            &ListQuery {
                limit: 50,
                include_ended: true,
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(n, 6, "a, b (cancelled), early, c, one race winner, free");
}

#[tokio::test]
async fn booking_on_postgres() {
    let Some(url) = common::fresh_postgres("booking").await else {
        return;
    };
    booking_story(convene_store::open(&url).await.unwrap()).await;
}

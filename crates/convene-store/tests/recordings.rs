//! Issue 20: a meeting's recording segments on SQLite and (with
//! `CONVENE_TEST_PG`) PostgreSQL: a segment is captured, queued, claimed
//! once at a time (again after its lease or a restart), finished ready
//! (pushing `record.finish`) or failed; download links are single use and
//! expire; a list finds recorded meetings only, the owner's or (queryAll)
//! the enterprise's; deleting forgets segments and links.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::sync::Arc;

use convene_core::create::{plan, CreateLimits, Creator};
use convene_core::recording::{OutputFile, SegmentState, TrackFile};
use convene_proto::{ConfOptions, CreateConfInfo, MediaType};
use convene_store::{Composed, NewUser, RecordQuery, Store, Webhook};

const T0: i64 = 1_800_000_000;

fn track(p: u64) -> TrackFile {
    TrackFile {
        participant: p,
        name: format!("P{p}"),
        video: false,
        screen: false,
        file: format!("p{p}-audio-0.webm"),
        frames: 500,
        first_ms: 0,
        last_ms: 9_980,
        bytes: 40_000,
    }
}

async fn recordings_story(store: Arc<dyn Store>, owns: bool) {
    let e = store.ensure_default_enterprise("Default", T0).await.unwrap();
    let add = |account: &str| NewUser {
        enterprise_id: e.id.clone(),
        account: account.into(),
        password_hash: Some("hash".into()),
        name: account.into(),
        email: None,
        phone: None,
        app_id: None,
        third_user_id: None,
    };
    let olga = store.add_user(add("olga"), T0).await.unwrap();
    let pete = store.add_user(add("pete"), T0).await.unwrap();
    let create = |u: &convene_store::User, subject: &str| {
        let creator = Creator {
            user_id: u.id.clone(),
            name: u.name.clone(),
            enterprise_id: u.enterprise_id.clone(),
            personal_room: u.personal_room.clone(),
        };
        plan(
            CreateConfInfo::new(subject, MediaType::Video, true),
            ConfOptions::default(),
            &creator,
            &CreateLimits::default(),
            T0,
            &mut rand::thread_rng(),
        )
        .unwrap()
    };
    store
        .put_webhook(&Webhook {
            id: "hook-r".into(),
            enterprise_id: e.id.clone(),
            subscriber_id: "corp".into(),
            subscriber_key: "k".repeat(16),
            url: "http://127.0.0.1:9/x".into(),
            status: 0,
            created_at: T0,
            updated_at: T0,
        })
        .await
        .unwrap();
    let m = store.create_meeting(create(&olga, "Weekly review"), T0).await.unwrap();
    let other = store.create_meeting(create(&pete, "Not recorded"), T0).await.unwrap();
    let before = store.events_of(&m.conf_uuid).await.unwrap().len();

    // Captured, then stopped: queued; an empty capture fails at once.
    let s1 = store.start_segment(&m.conf_uuid, T0 + 10, "").await.unwrap();
    let s2 = store.start_segment(&m.conf_uuid, T0 + 30, "").await.unwrap();
    assert!(s2 > s1);
    assert!(
        store.claim_segment(T0 + 11, 600, "").await.unwrap().is_none(),
        "nothing is queued while capturing"
    );
    store.stop_segment(s1, T0 + 20, &[track(1), track(2)], 3).await.unwrap();
    store.stop_segment(s2, T0 + 31, &[], 0).await.unwrap();
    let segs = store.segments_of(&m.conf_uuid).await.unwrap();
    assert_eq!(segs.len(), 2);
    assert_eq!(
        (segs[0].state, segs[0].tracks.len(), segs[0].dropped),
        (SegmentState::Queued, 2, 3)
    );
    assert_eq!(segs[1].state, SegmentState::Failed);
    assert!(segs[1].error.is_some());
    // A list's lookup: both meetings at once, the unrecorded one has none.
    let many = store
        .segments_of_many(&[other.conf_uuid.clone(), m.conf_uuid.clone()])
        .await
        .unwrap();
    assert_eq!(many.iter().map(|s| s.id).collect::<Vec<_>>(), vec![s1, s2]);
    assert!(store.segments_of_many(&[]).await.unwrap().is_empty());

    // One claim at a time; a lease that ran out frees it; a retry queues again.
    let c = store.claim_segment(T0 + 40, 600, "").await.unwrap().unwrap();
    assert_eq!((c.id, c.attempts, c.state), (s1, 1, SegmentState::Composing));
    assert!(store.claim_segment(T0 + 41, 600, "").await.unwrap().is_none());
    let c = store.claim_segment(T0 + 700, 600, "").await.unwrap().unwrap();
    assert_eq!(c.attempts, 2);
    store
        .finish_segment(s1, &Composed::Retry("ffmpeg crashed".into()))
        .await
        .unwrap();
    let c = store.claim_segment(T0 + 701, 600, "").await.unwrap().unwrap();
    assert_eq!(c.attempts, 3);
    // A restart of the only node gives its claims back (a database other
    // nodes share waits for the lease).
    store.release_segment_claims(T0 + 702, "").await.unwrap();
    let again = store.claim_segment(T0 + 703, 600, "").await.unwrap();
    assert_eq!(again.is_some(), owns);
    let hd = OutputFile {
        file_type: "Hd".into(),
        file: "Hd.mp4".into(),
        bytes: 123_456,
        duration_ms: 10_000,
        sha256: "ab".repeat(32),
    };
    store
        .finish_segment(s1, &Composed::Ready(vec![hd.clone()]))
        .await
        .unwrap();
    let segs = store.segments_of(&m.conf_uuid).await.unwrap();
    assert_eq!((segs[0].state, segs[0].files.clone()), (SegmentState::Ready, vec![hd]));
    let events: Vec<String> = store
        .events_of(&m.conf_uuid)
        .await
        .unwrap()
        .into_iter()
        .skip(before)
        .map(|e| e.event)
        .collect();
    assert_eq!(events, vec!["record.finish".to_string()]);

    // Download links: once, and not after they expire.
    store.put_download("key-1", s1, "Hd.mp4", T0 + 3600).await.unwrap();
    store.put_download("key-2", s1, "Hd.mp4", T0 + 100).await.unwrap();
    assert_eq!(store.take_download("nope", T0 + 50).await.unwrap(), None);
    assert_eq!(
        store.take_download("key-1", T0 + 50).await.unwrap(),
        Some((s1, "Hd.mp4".into()))
    );
    assert_eq!(store.take_download("key-1", T0 + 51).await.unwrap(), None, "single use");
    assert_eq!(store.take_download("key-2", T0 + 100).await.unwrap(), None, "expired");

    // Lists: recorded meetings only; the owner's, or the enterprise's.
    let q = |owner: Option<&convene_store::User>| RecordQuery {
        owner: owner.map(|u| u.id.0.clone()),
        enterprise: e.id.0.clone(),
        search: None,
        from: T0 - 10,
        to: T0 + 10,
        ascending: false,
        offset: 0,
        limit: 10,
    };
    let (n, list) = store.recorded_meetings(&q(Some(&olga))).await.unwrap();
    assert_eq!((n, list[0].conf_uuid.clone()), (1, m.conf_uuid.clone()));
    assert_eq!(store.recorded_meetings(&q(Some(&pete))).await.unwrap().0, 0);
    let s3 = store.start_segment(&other.conf_uuid, T0 + 5, "").await.unwrap();
    store.stop_segment(s3, T0 + 6, &[track(1)], 0).await.unwrap();
    assert_eq!(store.recorded_meetings(&q(None)).await.unwrap().0, 2);
    let mut searched = q(None);
    searched.search = Some("weekly".into());
    assert_eq!(store.recorded_meetings(&searched).await.unwrap().0, 1);
    assert_eq!(
        store.expired_recordings(T0 + 25).await.unwrap(),
        vec![m.conf_uuid.clone()],
        "finished before then"
    );

    // Deleting forgets the segments and their links.
    store.put_download("key-3", s1, "Hd.mp4", T0 + 3600).await.unwrap();
    let gone = store.delete_segments(&m.conf_uuid).await.unwrap();
    assert_eq!(gone.len(), 2);
    assert!(store.segments_of(&m.conf_uuid).await.unwrap().is_empty());
    assert_eq!(store.take_download("key-3", T0 + 60).await.unwrap(), None);
    assert_eq!(store.recorded_meetings(&q(Some(&olga))).await.unwrap().0, 0);

    // Several nodes: a segment is composed only by the node that captured
    // it (its tracks are on that node's disk).
    let o = &other.conf_uuid;
    let a1 = store.start_segment(o, T0 + 100, "a").await.unwrap();
    store.stop_segment(a1, T0 + 110, &[track(1)], 0).await.unwrap();
    assert!(
        store.claim_segment(T0 + 111, 600, "b").await.unwrap().is_none(),
        "not b's"
    );
    assert_eq!(store.claim_segment(T0 + 111, 600, "a").await.unwrap().unwrap().id, a1);
    store.finish_segment(a1, &Composed::Failed("x".into())).await.unwrap();
    // A takeover by b interrupts what a was capturing (not what b was).
    let a2 = store.start_segment(o, T0 + 120, "a").await.unwrap();
    assert_eq!(store.interrupt_segments(o, "a", T0 + 125).await.unwrap(), 0, "its own");
    assert_eq!(store.interrupt_segments(o, "b", T0 + 125).await.unwrap(), 1);
    let seg = store.segment(a2).await.unwrap().unwrap();
    assert_eq!(
        (seg.state, seg.stopped_at, seg.error.as_deref()),
        (SegmentState::Failed, Some(T0 + 125), Some(convene_store::INTERRUPTED))
    );
    // a was only paused: woken, it closes the part with what it captured.
    store.stop_segment(a2, T0 + 130, &[track(1)], 0).await.unwrap();
    let seg = store.segment(a2).await.unwrap().unwrap();
    assert_eq!((seg.state, seg.stopped_at), (SegmentState::Queued, Some(T0 + 130)));
    // A restart of a named node fails its own open captures only.
    let b1 = store.start_segment(o, T0 + 140, "b").await.unwrap();
    store.release_segment_claims(T0 + 150, "a").await.unwrap();
    assert_eq!(store.segment(b1).await.unwrap().unwrap().state, SegmentState::Capturing);
    store.release_segment_claims(T0 + 150, "b").await.unwrap();
    assert_eq!(store.segment(b1).await.unwrap().unwrap().state, SegmentState::Failed);
}

#[tokio::test]
async fn recordings_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    recordings_story(convene_store::open(&url).await.unwrap(), true).await;
}

#[tokio::test]
async fn recordings_on_postgres() {
    let Some(url) = common::fresh_postgres("recordings").await else {
        return;
    };
    recordings_story(convene_store::open(&url).await.unwrap(), false).await;
}

//! Issue 18: the invitations outbox and a held meeting's records in
//! storage, on SQLite and (with `CONVENE_TEST_PG`) PostgreSQL: notices are
//! stored with the change, claimed once under a lease, finished; records
//! of attendance and control actions are kept and paged.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::sync::Arc;

use convene_core::create::{plan, CreateLimits, Creator};
use convene_core::notify::{Channel, NoticeKind};
use convene_core::session::Record;
use convene_proto::live::ParticipantId;
use convene_proto::{AttendeeBaseInfo, ConfOptions, ConfRole, CreateConfInfo, MediaType};
use convene_store::{Delivery, ListKind, ListQuery, NewUser, Store};

const T0: i64 = 1_800_000_000;

/// `owns`: the database is this store's alone (SQLite), so claims are let go at start.
async fn outbox_story(store: Arc<dyn Store>, owns: bool) {
    let e = store.ensure_default_enterprise("Default", T0).await.unwrap();
    let u = store
        .add_user(
            NewUser {
                enterprise_id: e.id.clone(),
                account: "olga".into(),
                password_hash: Some("hash".into()),
                name: "Olga".into(),
                email: None,
                phone: None,
                app_id: None,
                third_user_id: None,
            },
            T0,
        )
        .await
        .unwrap();
    let mut info = CreateConfInfo::new("Mail", MediaType::Audio, true);
    for (i, name) in ["Ana", "Bo"].iter().enumerate() {
        info.attendees.push(AttendeeBaseInfo {
            nick_name: (*name).into(),
            number: "1".into(),
            email: Some(format!("{}@example.com", name.to_lowercase())),
            sms: Some(format!("+10{i}")),
            role: Some(if i == 0 { ConfRole::Host } else { ConfRole::Attendee }),
            ..Default::default()
        });
    }
    info.num_of_attendee = 2;
    let options = ConfOptions {
        is_send_sms: Some(true),
        ..Default::default()
    };
    let creator = Creator {
        user_id: u.id.clone(),
        name: u.name.clone(),
        enterprise_id: u.enterprise_id.clone(),
        personal_room: u.personal_room.clone(),
    };
    let new = plan(
        info,
        options,
        &creator,
        &CreateLimits::default(),
        T0,
        &mut rand::thread_rng(),
    )
    .unwrap();
    assert_eq!(new.notices.len(), 4);
    let m = store.create_meeting(new, T0).await.unwrap();

    // Stored with the meeting; claimed once under a lease.
    let claimed = store.claim_notices(T0, 120, 3).await.unwrap();
    assert_eq!(claimed.len(), 3);
    assert!(claimed.iter().all(|c| c.attempts == 1 && c.conf_uuid == m.conf_uuid));
    let ana = claimed
        .iter()
        .find(|c| c.notice.channel == Channel::Email && c.notice.recipient == "ana@example.com")
        .unwrap();
    assert!(ana.notice.host && ana.notice.calendar && ana.notice.kind == NoticeKind::Invite);
    let rest = store.claim_notices(T0 + 1, 120, 10).await.unwrap();
    assert_eq!(rest.len(), 1, "the claimed three are not claimed again while leased");
    assert!(store.claim_notices(T0 + 2, 120, 10).await.unwrap().is_empty());
    // Results: sent, retried later, failed, unsent.
    store
        .finish_notice(claimed[0].id, T0 + 5, &Delivery::Sent)
        .await
        .unwrap();
    let retry = Delivery::Retry {
        at: T0 + 60,
        error: "421 try later".into(),
    };
    store.finish_notice(claimed[1].id, T0 + 5, &retry).await.unwrap();
    store
        .finish_notice(
            claimed[2].id,
            T0 + 5,
            &Delivery::Failed {
                error: "550 no such user".into(),
            },
        )
        .await
        .unwrap();
    store
        .finish_notice(
            rest[0].id,
            T0 + 5,
            &Delivery::Unsent {
                reason: "no gateway".into(),
            },
        )
        .await
        .unwrap();
    assert!(store.claim_notices(T0 + 59, 120, 10).await.unwrap().is_empty());
    let again = store.claim_notices(T0 + 60, 120, 10).await.unwrap();
    assert_eq!((again.len(), again[0].id, again[0].attempts), (1, claimed[1].id, 2));
    // A dead deliverer's claim is let go at start (a database one server owns).
    store.release_notice_claims().await.unwrap();
    let after_release = store.claim_notices(T0 + 61, 120, 10).await.unwrap();
    assert_eq!(
        after_release.len(),
        usize::from(owns),
        "released only where one server owns the database"
    );
    let states: Vec<_> = store
        .notices_of(&m.conf_uuid)
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.state, n.last_error, n.sent_at.is_some()))
        .collect();
    assert_eq!(states.len(), 4);
    assert!(states.contains(&("sent".into(), None, true)));
    assert!(states.contains(&("failed".into(), Some("550 no such user".into()), false)));
    assert!(states.contains(&("unsent".into(), Some("no gateway".into()), false)));
    assert!(states.contains(&("pending".into(), Some("421 try later".into()), false)));

    // Records of a held meeting.
    let (p1, p2) = (ParticipantId(1), ParticipantId(2));
    let joined = |p, name: &str, role, at| Record::Joined {
        participant: p,
        name: name.into(),
        role,
        device: "normal",
        user: None,
        at,
    };
    let records = vec![
        (m.conf_uuid.clone(), joined(p1, "Olga", ConfRole::Host, T0 + 10)),
        (m.conf_uuid.clone(), joined(p2, "Ana", ConfRole::Attendee, T0 + 20)),
        (
            m.conf_uuid.clone(),
            Record::Control {
                at: T0 + 30,
                source: "client",
                operator: "Olga".into(),
                code: "muteAttendee",
                object: "Ana".into(),
                result: 0,
                detail: "mute=true".into(),
            },
        ),
        (
            m.conf_uuid.clone(),
            Record::Left {
                participant: p2,
                at: T0 + 40,
                spoke_ms: 7_250,
            },
        ),
    ];
    store.add_meeting_records(&records).await.unwrap();
    store
        .add_meeting_records(&[(
            m.conf_uuid.clone(),
            Record::Left {
                participant: p1,
                at: T0 + 50,
                spoke_ms: 0,
            },
        )])
        .await
        .unwrap();
    let (n, rows) = store.attendance_of(&m.conf_uuid, 0, 10, None).await.unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        rows.iter()
            .map(|r| (r.name.as_str(), r.joined_at, r.left_at, r.spoke_ms))
            .collect::<Vec<_>>(),
        vec![
            ("Olga", T0 + 10, Some(T0 + 50), 0),
            ("Ana", T0 + 20, Some(T0 + 40), 7_250)
        ]
    );
    assert_eq!(store.attendance_of(&m.conf_uuid, 0, 10, Some("An")).await.unwrap().0, 1);
    let (n, ctl) = store.control_records_of(&m.conf_uuid, 0, 10).await.unwrap();
    assert_eq!(
        (n, ctl[0].code.as_str(), ctl[0].object.as_str()),
        (1, "muteAttendee", "Ana")
    );

    // History: held meetings only, by start.
    store.end_meeting(&m.conf_uuid).await.unwrap();
    let held = |from: i64, to: i64| ListQuery {
        limit: 10,
        kind: ListKind::Held,
        starts_from: Some(from),
        starts_before: Some(to),
        ..Default::default()
    };
    let (n, found) = store
        .list_meetings(&u.id, &held(T0 - 1, T0 + 1), T0 + 100)
        .await
        .unwrap();
    assert_eq!((n, found[0].conf_uuid.clone()), (1, m.conf_uuid.clone()));
    assert_eq!(
        store
            .list_meetings(&u.id, &held(T0 + 1, T0 + 2), T0 + 100)
            .await
            .unwrap()
            .0,
        0
    );
}

#[tokio::test]
async fn outbox_and_records_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    outbox_story(convene_store::open(&url).await.unwrap(), true).await;
}

#[tokio::test]
async fn outbox_and_records_on_postgres() {
    let Some(url) = common::fresh_postgres("outbox").await else {
        return;
    };
    outbox_story(convene_store::open(&url).await.unwrap(), false).await;
}

//! Issue 19: the webhook events outbox on SQLite and (with
//! `CONVENE_TEST_PG`) PostgreSQL: events are stored with their change only
//! for an enterprise whose subscription is enabled; a claim gives each
//! meeting's events in order and never past one that waits or is claimed;
//! results delete, retry, fail or give back.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::sync::Arc;

use convene_core::create::{plan, CreateLimits, Creator};
use convene_core::session::Record;
use convene_proto::live::ParticipantId;
use convene_proto::{ConfOptions, ConfRole, CreateConfInfo, MediaType};
use convene_store::{EventDelivery, NewUser, Store, Webhook};

const T0: i64 = 1_800_000_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn events_story(store: Arc<dyn Store>, owns: bool) {
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
    let creator = Creator {
        user_id: u.id.clone(),
        name: u.name.clone(),
        enterprise_id: u.enterprise_id.clone(),
        personal_room: u.personal_room.clone(),
    };
    let create = |subject: &str| {
        plan(
            CreateConfInfo::new(subject, MediaType::Audio, true),
            ConfOptions::default(),
            &creator,
            &CreateLimits::default(),
            T0,
            &mut rand::thread_rng(),
        )
        .unwrap()
    };
    // No subscription, or one not enabled: nothing is stored.
    let quiet = store.create_meeting(create("quiet"), T0).await.unwrap();
    let mut hook = Webhook {
        id: "hook-1".into(),
        enterprise_id: e.id.clone(),
        subscriber_id: "corp".into(),
        subscriber_key: "k".repeat(16),
        url: "http://127.0.0.1:9/x".into(),
        status: 1,
        created_at: T0,
        updated_at: T0,
    };
    store.put_webhook(&hook).await.unwrap();
    let quiet2 = store.create_meeting(create("quiet 2"), T0).await.unwrap();
    for m in [&quiet, &quiet2] {
        assert!(store.events_of(&m.conf_uuid).await.unwrap().is_empty());
    }
    hook.status = 0;
    assert!(store.set_webhook_status(&hook.id, 0, T0).await.unwrap());

    // Enabled: a create, and a held meeting's records, each store theirs.
    let a = store.create_meeting(create("A"), T0).await.unwrap();
    let b = store.create_meeting(create("B"), T0).await.unwrap();
    let (p1, p2) = (ParticipantId(1), ParticipantId(2));
    let joined = |p, name: &str, user: Option<&str>| Record::Joined {
        participant: p,
        name: name.into(),
        role: if user.is_some() {
            ConfRole::Host
        } else {
            ConfRole::Attendee
        },
        device: "normal",
        user: user.map(str::to_owned),
        at: T0 + 10,
    };
    let uuid = a.conf_uuid.clone();
    store
        .add_meeting_records(&[
            (uuid.clone(), Record::SessionStarted { at: T0 + 10 }),
            (uuid.clone(), joined(p1, "Olga", Some(u.id.as_str()))),
            (uuid.clone(), joined(p2, "Gus", None)),
            (
                uuid.clone(),
                Record::Left {
                    participant: p2,
                    at: T0 + 20,
                    spoke_ms: 0,
                },
            ),
        ])
        .await
        .unwrap();
    let names = |m| {
        let store = store.clone();
        async move {
            store
                .events_of(m)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.event)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        names(&a.conf_uuid).await,
        [
            "meeting.create",
            "meeting.started",
            "meeting.join",
            "meeting.join",
            "meeting.left"
        ]
    );
    assert_eq!(names(&b.conf_uuid).await, ["meeting.create"]);

    // A claim: every due event of both meetings, oldest first.
    let now = now_ms();
    let claimed = store.claim_events(now, 60_000, 100).await.unwrap();
    assert_eq!(claimed.len(), 6);
    assert!(claimed.windows(2).all(|w| w[0].id < w[1].id));
    let left = claimed.iter().find(|c| c.facts.event == "meeting.left").unwrap();
    let info: serde_json::Value = serde_json::from_str(left.facts.attendee.as_deref().unwrap()).unwrap();
    assert_eq!(info["displayName"], "Gus");
    assert_eq!(
        (info["joinTime"].as_i64(), info["leftTime"].as_i64()),
        (Some((T0 + 10) * 1000), Some((T0 + 20) * 1000))
    );
    let join = claimed.iter().find(|c| c.facts.event == "meeting.join").unwrap();
    let info: serde_json::Value = serde_json::from_str(join.facts.attendee.as_deref().unwrap()).unwrap();
    assert_eq!(
        (info["userUUID"].as_str(), info["role"].as_str()),
        (Some(u.id.as_str()), Some("CHAIR"))
    );
    assert_eq!(claimed[0].facts.conf_id, a.conf_id.as_str());
    assert!(store.claim_events(now, 60_000, 100).await.unwrap().is_empty(), "leased");

    // A's first is refused (retry in 30 s), the rest of A given back; B's sent.
    let a_ids: Vec<i64> = claimed
        .iter()
        .filter(|c| c.facts.conf_uuid == a.conf_uuid.as_str())
        .map(|c| c.id)
        .collect();
    let b_id = claimed
        .iter()
        .find(|c| c.facts.conf_uuid == b.conf_uuid.as_str())
        .unwrap()
        .id;
    let mut results = vec![(
        a_ids[0],
        EventDelivery::Retry {
            at: now + 30_000,
            error: "HTTP 503".into(),
        },
    )];
    results.extend(a_ids[1..].iter().map(|id| (*id, EventDelivery::Released)));
    results.push((b_id, EventDelivery::Sent));
    store.finish_events(&results).await.unwrap();
    assert!(
        store.events_of(&b.conf_uuid).await.unwrap().is_empty(),
        "a sent event is gone"
    );
    assert!(
        store.claim_events(now + 1, 60_000, 100).await.unwrap().is_empty(),
        "A's later events wait behind its refused one"
    );
    // A new meeting is not held up by A.
    let c = store.create_meeting(create("C"), T0).await.unwrap();
    let got = store.claim_events(now_ms(), 60_000, 100).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].facts.conf_uuid, c.conf_uuid.as_str());
    store.finish_events(&[(got[0].id, EventDelivery::Sent)]).await.unwrap();
    // Once due again, A's events come in order, the retried one first.
    let again = store.claim_events(now + 30_000, 60_000, 100).await.unwrap();
    assert_eq!(again.iter().map(|c| c.id).collect::<Vec<_>>(), a_ids);
    assert_eq!(again[0].attempts, 1);
    // A lease a dead process left: let go at start where the store owns the database.
    store.release_event_claims().await.unwrap();
    let after = store.claim_events(now + 30_000, 60_000, 100).await.unwrap();
    assert_eq!(after.len(), if owns { a_ids.len() } else { 0 });
    store
        .finish_events(&[
            (
                a_ids[0],
                EventDelivery::Failed {
                    error: "gave up".into(),
                },
            ),
            (
                a_ids[1],
                EventDelivery::Unsent {
                    reason: "disabled".into(),
                },
            ),
        ])
        .await
        .unwrap();
    let states: Vec<(String, String)> = store
        .events_of(&a.conf_uuid)
        .await
        .unwrap()
        .into_iter()
        .take(2)
        .map(|s| (s.event, s.state))
        .collect();
    assert_eq!(
        states,
        [
            ("meeting.create".to_owned(), "failed".to_owned()),
            ("meeting.started".to_owned(), "unsent".to_owned())
        ]
    );

    // Deleting an account cancels its booked meetings: each tells.
    let mut later = create("booked");
    later.start = T0 + 86_400;
    later.end = T0 + 90_000;
    later.booked = true;
    let booked = store.create_meeting(later, T0).await.unwrap();
    store.delete_user(&u.id, T0 + 1).await.unwrap();
    assert_eq!(names(&booked.conf_uuid).await, ["meeting.create", "meeting.cancel"]);
}

#[tokio::test]
async fn events_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    events_story(convene_store::open(&url).await.unwrap(), true).await;
}

#[tokio::test]
async fn events_on_postgres() {
    let Some(url) = common::fresh_postgres("events").await else {
        return;
    };
    events_story(convene_store::open(&url).await.unwrap(), false).await;
}

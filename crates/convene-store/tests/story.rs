//! Issue 2: one storage story, run on SQLite and, when `CONVENE_TEST_PG` names
//! a PostgreSQL server (a role that may create databases), on a fresh database
//! there.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;
use std::sync::Arc;

use convene_core::auth::{FailureRule, LoginFailures, FAILURE_MEMORY_SECONDS, LOGIN_ADDRESS_RULE};
use convene_core::create::{plan, CreateLimits, Creator};
use convene_core::{ConfState, RoomId, UserId};
use convene_proto::*;
use convene_store::{App, ListQuery, NewUser, Store, StoreError, User};

const T0: i64 = 1_800_000_000;
const R: FailureRule = LOGIN_ADDRESS_RULE;

fn new_user(e: &convene_core::EnterpriseId, account: &str) -> NewUser {
    NewUser {
        enterprise_id: e.clone(),
        account: account.into(),
        password_hash: Some("hash".into()),
        name: format!("{account} name"),
        email: Some(format!("{account}@example.com")),
        phone: None,
        app_id: None,
        third_user_id: None,
    }
}

fn creator(u: &User) -> Creator {
    Creator {
        user_id: u.id.clone(),
        name: u.name.clone(),
        enterprise_id: u.enterprise_id.clone(),
        personal_room: u.personal_room.clone(),
    }
}

fn request(u: &User, edit: impl FnOnce(&mut CreateConfInfo), now: i64) -> convene_core::NewMeeting {
    let mut info = CreateConfInfo::new("story", MediaType::Video, true);
    edit(&mut info);
    plan(
        info,
        ConfOptions::default(),
        &creator(u),
        &CreateLimits::default(),
        now,
        &mut rand::thread_rng(),
    )
    .unwrap()
}

async fn story(store: Arc<dyn Store>) {
    // Enterprises.
    let e = store.ensure_default_enterprise("Default", T0).await.unwrap();
    assert_eq!(store.ensure_default_enterprise("Other", T0).await.unwrap(), e);
    let other_e = store.create_enterprise("Other corp", T0).await.unwrap();

    // Accounts, each with a personal room.
    let alice = store.add_user(new_user(&e.id, "alice"), T0).await.unwrap();
    assert_eq!(alice.personal_room.as_str().len(), 9);
    assert!(matches!(
        store.add_user(new_user(&e.id, "alice"), T0).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.user_by_account("alice").await.unwrap(), Some(alice.clone()));
    assert_eq!(store.user_by_id(&alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(store.user_by_account("nobody").await.unwrap(), None);
    let bob = store.add_user(new_user(&e.id, "bob"), T0).await.unwrap();
    let mallory = store.add_user(new_user(&other_e.id, "mallory"), T0).await.unwrap();
    assert_ne!(alice.personal_room, bob.personal_room);

    // App IDs and their users.
    let app = App {
        app_id: "app1".into(),
        app_key: "k".repeat(32),
        enterprise_id: e.id.clone(),
    };
    store.add_app(app.clone(), T0).await.unwrap();
    assert!(matches!(
        store.add_app(app.clone(), T0).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.app("app1").await.unwrap(), Some(app.clone()));
    let ext = NewUser {
        app_id: Some("app1".into()),
        third_user_id: Some("ext-1".into()),
        password_hash: None,
        ..new_user(&e.id, "app1/ext-1")
    };
    let u1 = store.upsert_app_user(&app, ext.clone(), T0).await.unwrap();
    let u2 = store
        .upsert_app_user(
            &app,
            NewUser {
                name: "Renamed".into(),
                ..ext
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(u1.id, u2.id);
    assert_eq!(store.user_by_id(&u1.id).await.unwrap().unwrap().name, "Renamed");

    // Login failures, kept per account name whether or not it exists.
    let f = LoginFailures {
        count: 3,
        locked_until: 0,
        last_failed_at: T0,
    };
    store.set_login_failures("ghost", f).await.unwrap();
    assert_eq!(store.login_failures("ghost").await.unwrap(), f);
    store
        .set_login_failures("ghost", LoginFailures::default())
        .await
        .unwrap();
    assert_eq!(store.login_failures("ghost").await.unwrap(), LoginFailures::default());
    // Concurrent failures each count (no lost update): 12 at once.
    let counts = futures::future::join_all((0..12).map(|_| store.add_login_failure("burst", T0, &R))).await;
    let mut counts: Vec<i64> = counts.into_iter().map(|f| f.unwrap().count).collect();
    counts.sort();
    assert_eq!(counts, (1..=12).collect::<Vec<i64>>());
    assert!(store.login_failures("burst").await.unwrap().is_locked(T0));
    // A right attempt takes back its own count, concurrently too; the record
    // goes once nothing is left.
    let back = futures::future::join_all((0..3).map(|_| store.forgive_login_failure("burst", &R))).await;
    assert!(back.into_iter().all(|f| f.is_ok()));
    let left = store.login_failures("burst").await.unwrap();
    assert_eq!(left.count, 9);
    assert!(left.is_locked(T0), "nine wrong ones still lock");
    store.add_login_failure("once", T0, &R).await.unwrap();
    store.forgive_login_failure("once", &R).await.unwrap();
    assert_eq!(store.login_failures("once").await.unwrap(), LoginFailures::default());
    // A day after its last failure a record no longer matters, unless a lock
    // is still in force; the next failure of any name deletes such records.
    let jailed = LoginFailures {
        count: 5,
        locked_until: T0 + 3 * FAILURE_MEMORY_SECONDS,
        last_failed_at: T0,
    };
    store.set_login_failures("jailed", jailed).await.unwrap();
    store.set_login_failures("stale", f).await.unwrap();
    let later = T0 + FAILURE_MEMORY_SECONDS;
    assert_eq!(store.add_login_failure("stale", later - 1, &R).await.unwrap().count, 4);
    assert_eq!(
        store.add_login_failure("someone", later + 1, &R).await.unwrap().count,
        1
    );
    assert_eq!(
        store.login_failures("stale").await.unwrap().count,
        4,
        "failed a moment ago"
    );
    assert_eq!(store.login_failures("burst").await.unwrap(), LoginFailures::default());
    assert_eq!(store.login_failures("jailed").await.unwrap(), jailed);

    // Sessions.
    store.put_session("key1", &alice.id, T0 + 100, T0).await.unwrap();
    assert_eq!(store.session("key1").await.unwrap(), Some((alice.id.clone(), T0 + 100)));
    assert_eq!(store.session("nope").await.unwrap(), None);

    // A random-ID meeting.
    let m = store.create_meeting(request(&alice, |_| {}, T0), T0).await.unwrap();
    assert_eq!(m.conf_id.as_str().len(), 9);
    assert_eq!(m.room_id, None);
    assert_eq!(store.meeting_by_conf_id(&m.conf_id, T0).await.unwrap(), Some(m.clone()));
    assert_eq!(store.meeting_by_uuid(&m.conf_uuid).await.unwrap(), Some(m.clone()));

    // What the hosts change while it runs is kept with it.
    assert_eq!(m.live, None);
    let live = convene_core::LiveSettings {
        locked: true,
        waiting_room_open: true,
        mute_all: Some(true),
        prolong_left: 5,
        allow_join: Some(convene_proto::ConfAllowJoinUserType::InvitedUser),
        chat_off: false,
        multi_share: false,
        record: convene_proto::live::RecordState::Paused,
    };
    let settings = |s: convene_core::LiveSettings| convene_core::session::Persist::Changed {
        end: None,
        settings: Some(s),
        invitees: None,
    };
    assert!(store
        .store_live_change(&m.conf_uuid, None, &settings(live))
        .await
        .unwrap());
    let with_live = store.meeting_by_uuid(&m.conf_uuid).await.unwrap().unwrap();
    assert_eq!(with_live.live, Some(live));
    // On a cluster, a live change is written under the meeting's lease, and
    // renews it in the same transaction: a node whose epoch moved on writes
    // nothing.
    let now_ms = T0 * 1000;
    store
        .claim_lease(&m.conf_uuid, "a", "http://a", now_ms, 5000)
        .await
        .unwrap();
    let fence = |node: &str, epoch: i64, until_ms: i64| convene_store::Fence {
        node_id: node.into(),
        epoch,
        until_ms,
    };
    let unlocked = convene_core::LiveSettings { locked: false, ..live };
    // Run out but not taken: still a's; the write renews it.
    assert!(store
        .store_live_change(&m.conf_uuid, Some(&fence("a", 1, now_ms + 20_000)), &settings(live))
        .await
        .unwrap());
    let seen = store
        .claim_lease(&m.conf_uuid, "b", "http://b", now_ms + 10_000, 5000)
        .await
        .unwrap();
    assert_eq!((seen.node_id.as_str(), seen.epoch), ("a", 1), "renewed by the write");
    let b = store
        .claim_lease(&m.conf_uuid, "b", "http://b", now_ms + 20_001, 5000)
        .await
        .unwrap();
    assert_eq!((b.node_id.as_str(), b.epoch), ("b", 2));
    for stale in [
        settings(unlocked),
        convene_core::session::Persist::Changed {
            end: Some(m.end + 600),
            settings: None,
            invitees: Some(Vec::new()),
        },
        convene_core::session::Persist::Ended,
    ] {
        assert!(
            !store
                .store_live_change(&m.conf_uuid, Some(&fence("a", 1, now_ms + 30_000)), &stale)
                .await
                .unwrap(),
            "fenced out"
        );
    }
    let unchanged = store.meeting_by_uuid(&m.conf_uuid).await.unwrap().unwrap();
    assert_eq!(unchanged, with_live, "nothing written by the node that lost it");
    assert_eq!(
        store.lease_of(&m.conf_uuid).await.unwrap().unwrap().expires_at,
        now_ms + 25_001
    );
    store.release_lease(&m.conf_uuid, "b", 2).await.unwrap();
    assert_eq!(
        with_live,
        convene_core::Meeting {
            live: Some(live),
            ..m.clone()
        }
    );
    let m = with_live;

    // The personal room holds one running meeting at a time.
    let fixed = |c: &mut CreateConfInfo| c.vmr_conf_id_type = Some(VmrConfIdType::Fixed);
    let p1 = store.create_meeting(request(&alice, fixed, T0), T0).await.unwrap();
    assert_eq!(p1.conf_id.as_str(), alice.personal_room.as_str());
    assert_eq!(p1.room_id.as_ref(), Some(&alice.personal_room));
    assert!(matches!(
        store.create_meeting(request(&alice, fixed, T0 + 60), T0 + 60).await,
        Err(StoreError::RoomBusy(r)) if r == alice.personal_room
    ));
    // A random-ID meeting in the same room also needs the room.
    let in_room = |c: &mut CreateConfInfo| {
        c.vmr_id = Some(String::new());
        c.vmr_conf_id_type = Some(VmrConfIdType::Fixed);
    };
    assert!(store
        .create_meeting(request(&alice, in_room, T0 + 60), T0 + 60)
        .await
        .is_err());
    // Once its end time passed, the room is free again.
    let after = p1.end;
    let p2 = store
        .create_meeting(request(&alice, fixed, after), after)
        .await
        .unwrap();
    assert_eq!(p2.conf_id, p1.conf_id);
    assert_eq!(
        store.meeting_by_uuid(&p1.conf_uuid).await.unwrap().unwrap().state,
        ConfState::Ended
    );
    assert_eq!(
        store
            .meeting_by_conf_id(&p1.conf_id, T0)
            .await
            .unwrap()
            .unwrap()
            .conf_uuid,
        p2.conf_uuid,
        "the running one answers"
    );

    // Someone else's room, or no room at all, is refused the same way.
    let bobs = bob.personal_room.clone();
    assert!(matches!(
        store
            .create_meeting(request(&alice, |c| c.vmr_id = Some(bobs.0.clone()), T0), T0)
            .await,
        Err(StoreError::RoomNotAllowed(_))
    ));
    assert!(matches!(
        store
            .create_meeting(request(&alice, |c| c.vmr_id = Some("111111111".into()), T0), T0)
            .await,
        Err(StoreError::RoomNotAllowed(_))
    ));

    // The shared pool.
    let shared = |c: &mut CreateConfInfo| c.conf_res_type = Some(ConfResType::ShareVmr);
    assert!(matches!(
        store.create_meeting(request(&alice, shared, T0), T0).await,
        Err(StoreError::NoFreeRoom)
    ));
    let r1 = store.add_shared_room(&e.id, T0).await.unwrap();
    let r2 = store.add_shared_room(&e.id, T0).await.unwrap();
    let mut pool = store.shared_rooms(&e.id).await.unwrap();
    pool.sort();
    let mut want = vec![r1.clone(), r2.clone()];
    want.sort();
    assert_eq!(pool, want);
    let s1 = store.create_meeting(request(&alice, shared, T0), T0).await.unwrap();
    let s2 = store.create_meeting(request(&bob, shared, T0), T0).await.unwrap();
    assert_ne!(s1.room_id, s2.room_id);
    assert!(matches!(
        store.create_meeting(request(&alice, shared, T0), T0).await,
        Err(StoreError::NoFreeRoom)
    ));
    // Another enterprise may not use the pool.
    assert!(matches!(
        store
            .create_meeting(request(&mallory, |c| c.vmr_id = Some(r1.0.clone()), T0), T0)
            .await,
        Err(StoreError::RoomNotAllowed(_))
    ));
    // A named shared room of one's own enterprise may be used.
    assert!(store.cancel_meeting(&s1.conf_uuid, T0 + 1, &[]).await.unwrap());
    let freed = s1.room_id.clone().unwrap();
    let named = store
        .create_meeting(request(&bob, |c| c.vmr_id = Some(freed.0.clone()), T0 + 2), T0 + 2)
        .await
        .unwrap();
    assert_eq!(named.room_id, Some(freed));

    // Listing: newest first, paged, searchable; ended ones only on request.
    for i in 0..5 {
        store
            .create_meeting(
                request(&bob, |c| c.subject = format!("Planning {i}"), T0 + 10 + i),
                T0 + 10 + i,
            )
            .await
            .unwrap();
    }
    let q = |offset, limit, search: Option<&str>, include_ended| ListQuery {
        offset,
        limit,
        search: search.map(str::to_owned),
        include_ended,
        ..Default::default()
    };
    let (count, page) = store
        .list_meetings(&bob.id, &q(0, 3, None, false), T0 + 20)
        .await
        .unwrap();
    assert_eq!(count, 7); // 5 planning + s2 + named
    assert_eq!(page.len(), 3);
    assert_eq!(page[0].info.subject, "Planning 4");
    let (_, page2) = store
        .list_meetings(&bob.id, &q(3, 3, None, false), T0 + 20)
        .await
        .unwrap();
    assert_eq!(page2[0].info.subject, "Planning 1");
    let (n, found) = store
        .list_meetings(&bob.id, &q(0, 10, Some("planning 3"), false), T0 + 20)
        .await
        .unwrap();
    assert_eq!((n, found[0].info.subject.as_str()), (1, "Planning 3"));
    // LIKE's wildcards in a search are plain characters.
    for subject in ["Sale 50% off", "Sale 500 offers", "q_1 review", "qx1 review"] {
        store
            .create_meeting(request(&mallory, |c| c.subject = subject.into(), T0 + 12), T0 + 12)
            .await
            .unwrap();
    }
    for (search, want) in [("50%", "Sale 50% off"), ("q_1", "q_1 review")] {
        let (n, found) = store
            .list_meetings(&mallory.id, &q(0, 10, Some(search), false), T0 + 20)
            .await
            .unwrap();
        assert_eq!((n, found[0].info.subject.as_str()), (1, want), "search {search:?}");
    }
    // Case is folded beyond ASCII, alike on both databases.
    for subject in ["Ärzte-Runde", "ÉCOLE d'été", "Совет директоров"] {
        store
            .create_meeting(request(&mallory, |c| c.subject = subject.into(), T0 + 12), T0 + 12)
            .await
            .unwrap();
    }
    for (search, want) in [
        ("ärzte", "Ärzte-Runde"),
        ("ÄRZTE-rUNDE", "Ärzte-Runde"),
        ("école", "ÉCOLE d'été"),
        ("ÉTÉ", "ÉCOLE d'été"),
        ("совет", "Совет директоров"),
    ] {
        let (n, found) = store
            .list_meetings(&mallory.id, &q(0, 10, Some(search), false), T0 + 20)
            .await
            .unwrap();
        assert_eq!(n, 1, "search {search:?}");
        assert_eq!(found[0].info.subject, want, "search {search:?}");
    }
    let (n, _) = store
        .list_meetings(&bob.id, &q(0, 10, Some(s2.conf_id.as_str()), false), T0 + 20)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let (live, _) = store
        .list_meetings(&alice.id, &q(0, 50, None, false), T0 + 20)
        .await
        .unwrap();
    let (all, _) = store
        .list_meetings(&alice.id, &q(0, 50, None, true), T0 + 20)
        .await
        .unwrap();
    assert_eq!((live, all), (2, 4), "alice: m and p2 run; p1 ended, s1 cancelled");

    // Cancelling.
    assert!(store.cancel_meeting(&m.conf_uuid, T0 + 30, &[]).await.unwrap());
    assert!(
        !store.cancel_meeting(&m.conf_uuid, T0 + 31, &[]).await.unwrap(),
        "already cancelled"
    );
    assert_eq!(
        store.meeting_by_conf_id(&m.conf_id, T0).await.unwrap().unwrap().state,
        ConfState::Cancelled
    );

    // Races: many concurrent creates in one room, exactly one wins.
    let carol = store.add_user(new_user(&e.id, "carol"), T0).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let s = store.clone();
        let req = request(&carol, fixed, T0);
        tasks.push(tokio::spawn(async move { s.create_meeting(req, T0).await }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(StoreError::RoomBusy(_)) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(won, 1);
    // And many random-ID creates all get distinct IDs.
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let s = store.clone();
        let req = request(&carol, |_| {}, T0);
        tasks.push(tokio::spawn(
            async move { s.create_meeting(req, T0).await.unwrap().conf_id },
        ));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        assert!(ids.insert(t.await.unwrap()));
    }
    let _ = RoomId::from("unused");
    let _ = UserId::from("unused");
}

#[tokio::test]
async fn story_on_sqlite_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let store = convene_store::open(&url).await.unwrap();
    story(store.clone()).await;
    let alice = store.user_by_account("alice").await.unwrap().unwrap();
    let (n, meetings) = store
        .list_meetings(
            &alice.id,
            &ListQuery {
                offset: 0,
                limit: 50,
                search: None,
                include_ended: true,
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap();
    drop(store);
    // Reopened: accounts and meetings are all there, byte for byte.
    let again = convene_store::open(&url).await.unwrap();
    assert_eq!(again.user_by_account("alice").await.unwrap(), Some(alice.clone()));
    let (n2, meetings2) = again
        .list_meetings(
            &alice.id,
            &ListQuery {
                offset: 0,
                limit: 50,
                search: None,
                include_ended: true,
                ..Default::default()
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!((n, meetings), (n2, meetings2));
}

#[tokio::test]
async fn story_on_postgres() {
    let Some(url) = common::fresh_postgres("story").await else {
        return;
    };
    let store = convene_store::open(&url).await.unwrap();
    story(store.clone()).await;
    drop(store);
    let again = convene_store::open(&url).await.unwrap();
    assert!(again.user_by_account("alice").await.unwrap().is_some());
}

/// The SQLite checkpointer holds off while creates keep coming, but once they
/// pause it copies the WAL back: a copy of the database file alone, without
/// its WAL, then holds every meeting.
#[tokio::test]
async fn sqlite_copies_the_wal_back_once_creates_pause() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let store = convene_store::open(&format!("sqlite:{}", db.display())).await.unwrap();
    let e = store.ensure_default_enterprise("Default", T0).await.unwrap();
    let alice = store.add_user(new_user(&e.id, "alice"), T0).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (store, alice) = (store.clone(), alice.clone());
        tasks.push(tokio::spawn(async move {
            store.create_meeting(request(&alice, |_| {}, T0), T0).await.unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let copy = dir.path().join("copy.db");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        std::fs::copy(&db, &copy).unwrap();
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", copy.display()))
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM meetings")
            .fetch_one(&mut conn)
            .await
            .unwrap_or(0);
        conn.close().await.unwrap();
        let _ = std::fs::remove_file(dir.path().join("copy.db-wal"));
        let _ = std::fs::remove_file(dir.path().join("copy.db-shm"));
        if n == 40 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the database file holds {n} of 40 meetings 10 s after the creates stopped"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Meetings stored before subject search folded case beyond ASCII (no
/// `subject_key` yet) are folded when the store opens, and found.
#[tokio::test]
async fn subjects_stored_before_folding_are_found_after_reopening() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let store = convene_store::open(&url).await.unwrap();
    let e = store.ensure_default_enterprise("Default", T0).await.unwrap();
    let alice = store.add_user(new_user(&e.id, "alice"), T0).await.unwrap();
    for subject in ["Überblick", "Plain"] {
        store
            .create_meeting(request(&alice, |c| c.subject = subject.into(), T0), T0)
            .await
            .unwrap();
    }
    drop(store);
    // As a database from before the column was filled.
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let cleared = sqlx::query("UPDATE meetings SET subject_key = NULL")
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(cleared.rows_affected(), 2);
    conn.close().await.unwrap();

    let again = convene_store::open(&url).await.unwrap();
    let search = |s: &str| ListQuery {
        offset: 0,
        limit: 10,
        search: Some(s.into()),
        include_ended: false,
        ..Default::default()
    };
    for (key, want) in [("überblick", "Überblick"), ("PLAIN", "Plain")] {
        let (n, found) = again.list_meetings(&alice.id, &search(key), T0 + 1).await.unwrap();
        assert_eq!(n, 1, "search {key:?}");
        assert_eq!(found[0].info.subject, want, "search {key:?}");
    }
}

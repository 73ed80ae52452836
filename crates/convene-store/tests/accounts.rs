//! Issue 19: an enterprise's accounts in storage, on SQLite and, when
//! `CONVENE_TEST_PG` names a PostgreSQL server, on PostgreSQL: administrators,
//! search, updates, password resets that end sessions, and deletion that
//! cancels the account's booked meetings and frees its room.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;
use std::sync::Arc;

use convene_core::create::{plan, CreateLimits, Creator};
use convene_core::ConfState;
use convene_proto::time::rest_time;
use convene_proto::{ConfOptions, CreateConfInfo, MediaType};
use convene_store::{NewUser, Store};

const T0: i64 = 1_800_000_000;

async fn accounts_story(store: Arc<dyn Store>) {
    let e = store.ensure_default_enterprise("Default", T0).await.unwrap();
    let other = store.create_enterprise("Other", T0).await.unwrap();
    let mut users = Vec::new();
    for (account, name, ent) in [
        ("ann", "Ann", &e.id),
        ("bob", "Bob Builder", &e.id),
        ("cy", "Cy", &other.id),
    ] {
        users.push(
            store
                .add_user(
                    NewUser {
                        enterprise_id: ent.clone(),
                        account: account.into(),
                        password_hash: Some("h1".into()),
                        name: name.into(),
                        email: Some(format!("{account}@example.com")),
                        phone: None,
                        app_id: None,
                        third_user_id: None,
                    },
                    T0,
                )
                .await
                .unwrap(),
        );
    }
    let (ann, bob) = (&users[0], &users[1]);
    assert!(!ann.admin);
    store.set_admin(&ann.id, true).await.unwrap();
    assert!(store.user_by_id(&ann.id).await.unwrap().unwrap().admin);

    // Search within the enterprise: by account, name or e-mail, any case.
    let (n, found) = store.list_users(&e.id, None, 0, 10).await.unwrap();
    assert_eq!(
        (n, found.iter().map(|u| u.account.as_str()).collect::<Vec<_>>()),
        (2, vec!["ann", "bob"])
    );
    let (n, found) = store.list_users(&e.id, Some("BUILDER"), 0, 10).await.unwrap();
    assert_eq!((n, found[0].account.as_str()), (1, "bob"));
    let (n, _) = store.list_users(&e.id, Some("cy"), 0, 10).await.unwrap();
    assert_eq!(n, 0, "another enterprise's account is not found");
    let (n, _) = store.list_users(&e.id, Some("100%"), 0, 10).await.unwrap();
    assert_eq!(n, 0, "a % is a literal");

    store
        .update_user(&bob.id, "Robert", Some("rob@example.com"), Some("+1555"))
        .await
        .unwrap();
    let b = store.user_by_id(&bob.id).await.unwrap().unwrap();
    assert_eq!(
        (b.name.as_str(), b.email.as_deref(), b.phone.as_deref()),
        ("Robert", Some("rob@example.com"), Some("+1555"))
    );

    // A new password ends the sessions.
    store.put_session("k1", &bob.id, T0 + 3600, T0).await.unwrap();
    store.set_password(&bob.id, "h2").await.unwrap();
    assert!(store.session("k1").await.unwrap().is_none());
    assert_eq!(
        store
            .user_by_id(&bob.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("h2")
    );

    // Deleted: its booked meeting is cancelled, its held one stays.
    let creator = Creator {
        user_id: bob.id.clone(),
        name: b.name.clone(),
        enterprise_id: e.id.clone(),
        personal_room: bob.personal_room.clone(),
    };
    let new = |start: Option<i64>| {
        plan(
            CreateConfInfo::new("Bob's", MediaType::Audio, true),
            ConfOptions {
                start_time: start.map(rest_time),
                ..Default::default()
            },
            &creator,
            &CreateLimits::default(),
            T0,
            &mut rand::thread_rng(),
        )
        .unwrap()
    };
    let held = store.create_meeting(new(None), T0).await.unwrap();
    let booked = store.create_meeting(new(Some(T0 + 86_400)), T0).await.unwrap();
    store.put_session("k2", &bob.id, T0 + 3600, T0).await.unwrap();
    store.delete_user(&bob.id, T0 + 60).await.unwrap();
    assert!(store.user_by_id(&bob.id).await.unwrap().is_none());
    assert!(store.session("k2").await.unwrap().is_none());
    let b = store.meeting_by_uuid(&booked.conf_uuid).await.unwrap().unwrap();
    assert_eq!(b.state, ConfState::Cancelled);
    assert!(store.meeting_by_uuid(&held.conf_uuid).await.unwrap().is_some());
    let (n, _) = store.list_users(&e.id, None, 0, 10).await.unwrap();
    assert_eq!(n, 1);

    // App IDs: listed per enterprise, changed, disabled, deleted; a new key
    // ends their users' sessions.
    let app = convene_store::App {
        app_id: "app1".into(),
        app_key: "k".repeat(32),
        enterprise_id: e.id.clone(),
    };
    store.add_app(app, T0).await.unwrap();
    let change = convene_store::AppChange {
        name: Some("Back office".into()),
        description: Some("sync".into()),
        ..Default::default()
    };
    store.update_app("app1", &change, T0 + 5).await.unwrap();
    let info = store.app_info("app1").await.unwrap().unwrap();
    assert_eq!(
        (
            info.name.as_str(),
            info.description.as_str(),
            info.disabled,
            info.created_at,
            info.updated_at
        ),
        ("Back office", "sync", false, T0, T0 + 5)
    );
    let (n, apps) = store.list_apps(&e.id, 0, 10).await.unwrap();
    assert_eq!((n, apps[0].app.app_id.as_str()), (1, "app1"));
    assert_eq!(store.list_apps(&other.id, 0, 10).await.unwrap().0, 0);
    let app_user = store
        .upsert_app_user(
            &info.app,
            NewUser {
                enterprise_id: e.id.clone(),
                account: "app1/u".into(),
                password_hash: None,
                name: "U".into(),
                email: None,
                phone: None,
                app_id: Some("app1".into()),
                third_user_id: Some("u".into()),
            },
            T0,
        )
        .await
        .unwrap();
    store.put_session("k3", &app_user.id, T0 + 3600, T0).await.unwrap();
    let rekey = convene_store::AppChange {
        app_key: Some("n".repeat(32)),
        disabled: Some(true),
        ..Default::default()
    };
    store.update_app("app1", &rekey, T0 + 6).await.unwrap();
    let info = store.app_info("app1").await.unwrap().unwrap();
    assert!(info.disabled && info.app.app_key == "n".repeat(32) && info.name == "Back office");
    assert!(store.session("k3").await.unwrap().is_none());
    store.delete_app("app1").await.unwrap();
    assert!(store.app_info("app1").await.unwrap().is_none());

    // One webhook per enterprise: a new one replaces the old.
    let hook = |id: &str| convene_store::Webhook {
        id: id.into(),
        enterprise_id: e.id.clone(),
        subscriber_id: "corp".into(),
        subscriber_key: "k".repeat(20),
        url: "https://hooks.example/x".into(),
        status: 1,
        created_at: T0,
        updated_at: T0,
    };
    store.put_webhook(&hook("w1")).await.unwrap();
    store.put_webhook(&hook("w2")).await.unwrap();
    let w = store.webhook_of(&e.id).await.unwrap().unwrap();
    assert_eq!(w.id, "w2");
    assert!(store.webhook_of(&other.id).await.unwrap().is_none());
    assert!(!store.set_webhook_status("w1", 0, T0).await.unwrap(), "replaced");
    assert!(store.set_webhook_status("w2", 0, T0 + 1).await.unwrap());
    assert_eq!(store.webhook_of(&e.id).await.unwrap().unwrap().status, 0);
    assert!(store.delete_webhook("w2").await.unwrap());
    assert!(store.webhook_of(&e.id).await.unwrap().is_none());
}

#[tokio::test]
async fn accounts_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    accounts_story(convene_store::open(&url).await.unwrap()).await;
}

#[tokio::test]
async fn accounts_on_postgres() {
    let Some(url) = common::fresh_postgres("accounts").await else {
        return;
    };
    accounts_story(convene_store::open(&url).await.unwrap()).await;
}

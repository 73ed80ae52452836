//! Issue 22: what the nodes of a cluster share through the store, on SQLite
//! and (with `CONVENE_TEST_PG`) PostgreSQL: a meeting's lease is held by
//! one node at a time, taken over only once it ran out, with an epoch that
//! grows at every takeover (a node whose epoch moved on can neither renew
//! nor release); App ID nonces are used once; control tokens expire.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::sync::Arc;

use convene_core::ConfUuid;
use convene_store::Store;

const NOW: i64 = 1_800_000_000_000;
const LEASE: i64 = 5_000;

async fn cluster_story(store: Arc<dyn Store>) {
    let m = ConfUuid("meeting-1".into());
    // The first node takes it; the second finds the first holding it.
    let a = store.claim_lease(&m, "a", "http://a", NOW, LEASE).await.unwrap();
    assert_eq!((a.node_id.as_str(), a.epoch), ("a", 1));
    let seen = store.claim_lease(&m, "b", "http://b", NOW + 1000, LEASE).await.unwrap();
    assert_eq!(
        (seen.node_id.as_str(), seen.node_url.as_str(), seen.epoch),
        ("a", "http://a", 1)
    );
    // The holder renews (same epoch), by claim or by renewal.
    let again = store.claim_lease(&m, "a", "http://a", NOW + 2000, LEASE).await.unwrap();
    assert_eq!(again.epoch, 1);
    assert!(store.renew_lease(&m, "a", 1, NOW + 9000).await.unwrap());
    // Run out: b takes it with a new epoch; a can no longer renew or release.
    let b = store.claim_lease(&m, "b", "http://b", NOW + 9001, LEASE).await.unwrap();
    assert_eq!((b.node_id.as_str(), b.epoch), ("b", 2));
    assert!(!store.renew_lease(&m, "a", 1, NOW + 20_000).await.unwrap());
    store.release_lease(&m, "a", 1).await.unwrap();
    assert_eq!(store.lease_of(&m).await.unwrap().unwrap().node_id, "b");
    // Released: the next taker gets a new epoch, never an old one again.
    store.release_lease(&m, "b", 2).await.unwrap();
    let a2 = store.claim_lease(&m, "a", "http://a", NOW + 9002, LEASE).await.unwrap();
    assert_eq!((a2.node_id.as_str(), a2.epoch), ("a", 3));
    // The handover: written by the holder only, under its epoch.
    assert!(store.save_handover(&m, "a", 3, "{\"v\":1}").await.unwrap());
    assert!(
        !store.save_handover(&m, "b", 2, "{\"v\":2}").await.unwrap(),
        "fenced out"
    );
    assert_eq!(store.handover_of(&m).await.unwrap(), Some((3, "{\"v\":1}".into())));
    store.clear_handover(&m, "b", 2).await.unwrap();
    assert!(
        store.handover_of(&m).await.unwrap().is_some(),
        "only the holder clears it"
    );
    store.clear_handover(&m, "a", 3).await.unwrap();
    assert_eq!(store.handover_of(&m).await.unwrap(), None);
    // Racing takers of a free meeting: one wins, all agree on it.
    let free = ConfUuid("meeting-2".into());
    let tries = (0..8).map(|n| {
        let s = store.clone();
        let free = free.clone();
        tokio::spawn(async move {
            s.claim_lease(&free, &format!("n{n}"), "http://x", NOW, LEASE)
                .await
                .unwrap()
        })
    });
    let got: Vec<_> = futures_join(tries).await;
    assert!(
        got.windows(2)
            .all(|w| w[0].node_id == w[1].node_id && w[0].epoch == w[1].epoch),
        "{got:?}"
    );

    // Nonces: once each, until remembered no longer.
    assert!(store.first_nonce_use("app", "n1", 100, 10).await.unwrap());
    assert!(!store.first_nonce_use("app", "n1", 100, 11).await.unwrap());
    assert!(store.first_nonce_use("other", "n1", 100, 11).await.unwrap());
    assert!(
        store.first_nonce_use("app", "n1", 200, 101).await.unwrap(),
        "past its time"
    );

    // Control tokens.
    store.put_control_token("key", &m, 100, 10).await.unwrap();
    assert_eq!(store.control_token("key", 99).await.unwrap(), Some(m.clone()));
    assert_eq!(store.control_token("key", 100).await.unwrap(), None, "expired");
    assert_eq!(store.control_token("other", 10).await.unwrap(), None);
    // A one-use token: the first taker only.
    store.put_control_token("once", &m, 100, 10).await.unwrap();
    assert_eq!(store.take_control_token("once", 11).await.unwrap(), Some(m.clone()));
    assert_eq!(store.take_control_token("once", 12).await.unwrap(), None);
    store.put_control_token("late", &m, 100, 10).await.unwrap();
    assert_eq!(store.take_control_token("late", 100).await.unwrap(), None, "expired");
}

async fn futures_join<T: Send + 'static>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_state_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let store = convene_store::open(&url).await.unwrap();
    cluster_story(store.clone()).await;
    // One node: nobody to tell.
    assert!(store.subscribe().await.unwrap().is_none());
    store.publish("nobody hears this").await.unwrap();
}

/// The nodes' messages (PostgreSQL NOTIFY/LISTEN): every subscriber, on
/// whichever store, hears every message, in the order published.
async fn messages_between_nodes(url: &str) {
    let a = convene_store::open(url).await.unwrap();
    let b = convene_store::open(url).await.unwrap();
    let mut heard_a = a.subscribe().await.unwrap().unwrap();
    let mut heard_b = b.subscribe().await.unwrap().unwrap();
    for n in 0..20 {
        a.publish(&format!("m{n}")).await.unwrap();
    }
    for heard in [&mut heard_a, &mut heard_b] {
        for n in 0..20 {
            let got = tokio::time::timeout(std::time::Duration::from_secs(5), heard.recv())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(got, convene_store::Heard::Message(format!("m{n}")));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_state_on_postgres() {
    let Some(url) = common::fresh_postgres("cluster").await else {
        return;
    };
    cluster_story(convene_store::open(&url).await.unwrap()).await;
    messages_between_nodes(&url).await;
}

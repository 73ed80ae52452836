//! Issue 22: three nodes on one PostgreSQL database (`CONVENE_TEST_PG`),
//! on 127.0.0.1. Each live meeting runs on one node; any node is a door:
//! a cap of 2 holds under racing joiners spread over the nodes, joiners on
//! different nodes see each other and each other's media, REST control
//! through any node reaches everyone, and a control token from one node
//! works on another (and its event socket through a third), for the
//! product's official Python client too.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use convene_bench::media_peer::MediaPeer;
use convene_sdk::*;
use convene_server::cluster::ClusterConfig;
use convene_server::config::Secret;
use str0m::media::MediaKind;

const WAIT: Duration = Duration::from_secs(10);
const LOCAL: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

struct Nodes {
    nodes: Vec<TestServer>,
}

/// Three nodes of one cluster on a fresh database; `None` without
/// `CONVENE_TEST_PG` (`.ci/run` sets it).
async fn three_nodes() -> Option<Nodes> {
    let Some(url) = fresh_postgres("cluster").await else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the cluster tests: set CONVENE_TEST_PG"
        );
        eprintln!("skipped: no CONVENE_TEST_PG");
        return None;
    };
    let mut nodes = Vec::new();
    for n in 0..3 {
        let url = url.clone();
        nodes.push(
            TestServer::start_with(move |c| {
                c.database_url = Secret(url);
                c.cluster = Some(ClusterConfig {
                    node_id: format!("n{n}"),
                    url: None,
                    secret: Secret("a cluster secret for the tests".into()),
                    lease_ms: 3000,
                    // Six nodes at once in this binary: few connections each.
                    warm_connections: 2,
                });
            })
            .await,
        );
    }
    Some(Nodes { nodes })
}

async fn guest(node: &TestServer, m: &CreateConfResult, name: &str) -> Result<ConfSession, SdkError> {
    ConveneClient::new(&node.url())
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            password: m.guest_pwd.clone(),
            nick_name: name.into(),
            is_mic_on: true,
            is_camera_on: true,
            attendee_type: None,
        })
        .await
}

/// A new account's audio meeting, created and joined by it through `node`.
async fn hosted(
    node: &TestServer,
    (account, name): (&str, &str),
    subject: &str,
) -> (ConveneClient, CreateConfResult, ConfSession) {
    node.add_account(account, name).await;
    let owner = node.client(account).await;
    let m = owner
        .create_conf_async(CreateConfInfo::new(subject, MediaType::Audio, true))
        .await
        .unwrap();
    let host = owner
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    (owner, m, host)
}

/// The first event `pick` takes (the SDK's `wait_for`, failing on time-out).
async fn until_event<T>(s: &ConfSession, what: &str, pick: impl Fn(&Event) -> Option<T>) -> T {
    s.wait_for(WAIT, pick)
        .await
        .unwrap_or_else(|| panic!("{what} never arrived"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cap_of_two_holds_under_racing_joiners_on_three_nodes() {
    let Some(Nodes { nodes }) = three_nodes().await else {
        return;
    };
    nodes[0].add_account("olga", "Olga Host").await;
    let owner = nodes[0].client("olga").await;
    let mut info = CreateConfInfo::new("Capped", MediaType::Audio, true);
    info.concurrent_participants = Some(2);
    let m = owner.create_conf_async(info).await.unwrap();
    let nodes = Arc::new(nodes);
    let tries: Vec<_> = (0..8)
        .map(|i| {
            let nodes = nodes.clone();
            let m = m.clone();
            tokio::spawn(async move { guest(&nodes[i % 3], &m, &format!("racer {i}")).await })
        })
        .collect();
    let mut admitted = Vec::new();
    let mut refused = Vec::new();
    for t in tries {
        match t.await.unwrap() {
            Ok(s) => admitted.push(s),
            Err(e) => refused.push(e.code),
        }
    }
    assert_eq!(admitted.len(), 2, "refused: {refused:?}");
    assert!(
        refused.iter().all(|c| *c == SdkErr::CMS_OVER_MAX_PARTICIPANT_NUMBER),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn joiners_on_different_nodes_meet_and_rest_control_through_any_node_reaches_all() {
    let Some(Nodes { nodes }) = three_nodes().await else {
        return;
    };
    nodes[0].add_account("olga", "Olga Host").await;
    let owner = nodes[0].client("olga").await;
    let m = owner
        .create_conf_async(CreateConfInfo::new("Spread", MediaType::Video, true))
        .await
        .unwrap();
    // The host through node 0, guests through nodes 1 and 2.
    let host = Arc::new(
        owner
            .join_conf_by_id_async(JoinConfByIdInfo {
                conf_id: m.conf_id.clone(),
                is_mic_on: true,
                is_camera_on: true,
                ..Default::default()
            })
            .await
            .unwrap(),
    );
    let g1 = Arc::new(guest(&nodes[1], &m, "Gus on one").await.unwrap());
    let g2 = Arc::new(guest(&nodes[2], &m, "Gia on two").await.unwrap());
    // Everyone sees everyone, whichever node they came through.
    let ids = [host.participant_id(), g1.participant_id(), g2.participant_id()];
    assert_eq!(
        ids.iter().collect::<std::collections::BTreeSet<_>>().len(),
        3,
        "one meeting numbers its participants once"
    );
    let end = Instant::now() + WAIT;
    while g2.attendees().len() < 3 {
        assert!(Instant::now() < end, "node 2's guest sees {:?}", g2.attendees());
        let _ = tokio::time::timeout(Duration::from_millis(200), g2.next_event()).await;
    }
    // Media: each receives the others (the SFU of the node running it).
    let epoch = Instant::now();
    let mut peers = Vec::new();
    for s in [&host, &g1, &g2] {
        peers.push(MediaPeer::start(s.clone(), LOCAL, true, true, epoch).await.unwrap());
    }
    let end = Instant::now() + WAIT;
    loop {
        let ok = peers.iter().zip([&host, &g1, &g2]).all(|(p, me)| {
            [&host, &g1, &g2]
                .iter()
                .filter(|o| o.participant_id() != me.participant_id())
                .all(|o| p.with(|c| c.frames_from(o.participant_id().0, MediaKind::Video)) > 0)
        });
        if ok {
            break;
        }
        assert!(Instant::now() < end, "media does not flow between nodes' participants");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A control token from node 1, used on node 2: the lock reaches all.
    let t = nodes[1].control_token(&m.conf_id, &m.host_pwd).await;
    let token = t["data"]["token"].as_str().unwrap().to_owned();
    let res = reqwest::Client::new()
        .put(format!("{}/v1/mmc/control/conferences/lock", nodes[2].url()))
        .query(&[("conferenceID", m.conf_id.as_str())])
        .header("X-Conference-Authorization", token.as_str())
        .json(&serde_json::json!({"isLock": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());
    for s in [&host, &g1, &g2] {
        until_event(s, "the lock", |e| {
            matches!(e, Event::OnMeetingInfoChanged { is_locked: true, .. }).then_some(())
        })
        .await;
    }
    // The product's event socket, with the socket token node 1 issued,
    // opened through node 0: it follows the meeting where it runs.
    {
        use futures::StreamExt;
        let t = nodes[1].control_token(&m.conf_id, &m.host_pwd).await;
        let url = format!(
            "{}/cms/open/websocket/confctl/increment/conn",
            nodes[0].url().replacen("http", "ws", 1)
        );
        let mut ws = event_socket(&url, &m.conf_id, &t, &["ConfDynamicInfoNotify"]).await;
        let mut seen = String::new();
        let end = Instant::now() + WAIT;
        while !seen.contains("\\\"lock\\\":1") && !seen.contains("\"lock\":1") {
            assert!(Instant::now() < end, "the event socket through node 0 saw: {seen}");
            if let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_millis(500), ws.next()).await {
                seen.push_str(msg.to_text().unwrap_or_default());
            }
        }
    }
    // A locked meeting refuses a new guest through any node.
    let Err(e) = guest(&nodes[0], &m, "Late").await else {
        panic!("a locked meeting let a guest in");
    };
    assert_eq!(e.code, SdkErr::CMS_CONF_LOCKED, "{e:?}");
    for p in peers {
        p.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_official_python_clients_control_token_from_one_node_works_on_another() {
    let Some(Nodes { nodes }) = three_nodes().await else {
        return;
    };
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let (_owner, m, host) = hosted(&nodes[0], ("py-host", "Python Host"), "Python across nodes").await;
    let gus = guest(&nodes[1], &m, "Gus on one").await.unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/cluster_token_client.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args([
            &nodes[1].https_url(),
            &nodes[2].https_url(),
            "py-host",
            common::PASSWORD,
            &m.conf_id,
            &m.host_pwd,
            "Python Host",
            "Gus on one",
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for s in [&host, &gus] {
        until_event(s, "the lock", |e| {
            matches!(e, Event::OnMeetingInfoChanged { is_locked: true, .. }).then_some(())
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_host_passwords_count_across_nodes() {
    // Five wrong host passwords from one caller, spread over the three
    // nodes (the meeting runs nowhere: each node checks itself), lock that
    // caller out of the meeting on every node, the right password too.
    let Some(Nodes { nodes }) = three_nodes().await else {
        return;
    };
    nodes[0].add_account("olga", "Olga Host").await;
    let owner = nodes[0].client("olga").await;
    let m = owner
        .create_conf_async(CreateConfInfo::new("Guarded", MediaType::Audio, true))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let token = |n: usize, pwd: &str| {
        http.get(format!("{}/v1/mmc/control/conferences/token", nodes[n].url()))
            .query(&[("conferenceID", m.conf_id.as_str())])
            .header("X-Password", pwd.to_owned())
            .send()
    };
    for i in 0..5 {
        let r = token(i % 3, "000000").await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "wrong password {i}");
    }
    let r = token(2, &m.host_pwd).await.unwrap();
    assert_eq!(
        r.status().as_u16(),
        403,
        "the right password after five wrong ones through three nodes"
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error_code"], "MMC.111081009", "{body}");
}

async fn next_call(l: &mut CallListener) -> CallEvent {
    next_call_result(l).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn calls_ring_and_logouts_reach_every_node() {
    // What is not one meeting's travels between the nodes (PostgreSQL
    // NOTIFY): an invitee listening on another node than the meeting's
    // hears its call, at once when it starts listening late, and declines
    // it from there; a logout through one node ends the session on all.
    let Some(Nodes { nodes }) = three_nodes().await else {
        return;
    };
    nodes[0].add_account("carl", "Carl Callee").await;
    let (_owner, m, host) = hosted(&nodes[0], ("olga", "Olga Host"), "Ringing across").await;
    let carl_on_two = nodes[2].client("carl").await;
    let mut on_two = carl_on_two.listen_calls_async().await.unwrap();
    let invitee = AttendeeBaseInfo {
        nick_name: "Carl Callee".into(),
        account_id: Some("carl".into()),
        ..Default::default()
    };
    host.add_attendee(vec![invitee]).await.unwrap();
    let CallEvent::Incoming(call) = next_call(&mut on_two).await else {
        panic!("node 2's listener was not rung");
    };
    assert_eq!(call.conf_id, m.conf_id);
    // Listening later on a third node: the call rings there at once.
    let carl_on_one = nodes[1].client("carl").await;
    let mut on_one = carl_on_one.listen_calls_async().await.unwrap();
    assert_eq!(next_call(&mut on_one).await, CallEvent::Incoming(call.clone()));
    // A call that is not ringing is refused on any node.
    on_two.decline("no-such-call").await.unwrap();
    assert!(next_call_result(&mut on_two).await.is_err());
    // Declined on node 2: the meeting on node 0 stops ringing, and every
    // listening client and the host hear it.
    on_two.decline(&call.call_id).await.unwrap();
    let ended = CallEvent::Ended {
        call_id: call.call_id.clone(),
        reason: CallState::Declined,
    };
    assert_eq!(next_call(&mut on_two).await, ended);
    assert_eq!(next_call(&mut on_one).await, ended);
    until_event(&host, "the host hearing the decline", |e| match e {
        Event::OnCallStateChanged { state, .. } if *state == CallState::Declined => Some(()),
        _ => None,
    })
    .await;

    // Logged out through node 0: node 1, which had the session cached,
    // stops taking the token.
    let token = carl_on_one.access_token().unwrap();
    let on_node_one = ConveneClient::with_token(&nodes[1].url(), &token).unwrap();
    on_node_one.list_confs_async(0, 10).await.unwrap();
    let r = reqwest::Client::new()
        .delete(format!("{}/v1/usg/acs/token", nodes[0].url()))
        .header("X-Access-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let end = Instant::now() + WAIT;
    while on_node_one.list_confs_async(0, 10).await.is_ok() {
        assert!(Instant::now() < end, "node 1 still takes a token logged out on node 0");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn next_call_result(l: &mut CallListener) -> Result<CallEvent, SdkError> {
    tokio::time::timeout(WAIT, l.next()).await.expect("a call event")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_host_password_guesses_through_three_nodes_meet_one_ceiling() {
    // Fifteen wrong host passwords from one caller at once, spread over the
    // three nodes: the node holding the meeting (taken by the first guess,
    // as a join would) checks them all, so exactly five are checked and the
    // rest refused unchecked, as on one node.
    let Some(Nodes { nodes }) = three_nodes().await else {
        return;
    };
    nodes[0].add_account("olga", "Olga Host").await;
    let m = nodes[0]
        .client("olga")
        .await
        .create_conf_async(CreateConfInfo::new("Raced", MediaType::Audio, true))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let guesses = (0..15).map(|i| {
        let req = http
            .get(format!("{}/v1/mmc/control/conferences/token", nodes[i % 3].url()))
            .query(&[("conferenceID", m.conf_id.as_str())])
            .header("X-Password", format!("{:06}", 100_000 + i));
        tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
    });
    let mut statuses = Vec::new();
    for g in guesses.collect::<Vec<_>>() {
        statuses.push(g.await.unwrap());
    }
    statuses.sort_unstable();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(
        (checked, statuses.len() - checked),
        (5, 10),
        "checked (401) and refused unchecked (403): {statuses:?}"
    );
}

//! Issue 22: three `convene serve` processes on one PostgreSQL database
//! (`CONVENE_TEST_PG`), behind a round-robin TCP balancer (as nginx or
//! HAProxy would be). The node running a meeting is killed (`kill -9`):
//! a survivor takes it over once its lease ran out, every participant
//! resumes through the balancer with its token, event numbers go on, media
//! reconnect (told `mediaClosed`, each opens its media again on the new
//! node's SFU and hears the others there), and a new joiner gets in. Then the new holder is paused (SIGSTOP) past its
//! lease: another node takes the meeting, and once the paused one wakes
//! (SIGCONT) it no longer acts on it. Last, an ended meeting whose holder is
//! killed at once stays ended. And two browsers (the web client) in a video
//! meeting follow it to a survivor when its node is killed.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use convene_bench::media_peer::MediaPeer;
use convene_sdk::*;
use str0m::media::MediaKind;

const SECRET: &str = "the cluster secret of the failover test";
const LEASE_MS: u64 = 3000;
const PASSWORD: &str = "correct horse battery";

struct Node {
    child: tokio::process::Child,
    addr: std::net::SocketAddr,
    id: String,
}

async fn spawn_node(db: &str, dir: &std::path::Path, id: &str) -> Node {
    let args: Vec<std::ffi::OsString> = vec![
        "--data-dir".into(),
        dir.into(),
        "--database-url".into(),
        db.into(),
        "--cluster-secret".into(),
        SECRET.into(),
        "--node-id".into(),
        id.into(),
        "--lease-ms".into(),
        LEASE_MS.to_string().into(),
    ];
    let (child, url) = convene_bench::serve(env!("CARGO_BIN_EXE_convene").as_ref(), &args)
        .await
        .unwrap();
    Node {
        child,
        addr: url.trim_start_matches("http://").parse().unwrap(),
        id: id.to_owned(),
    }
}

fn signal(child: &tokio::process::Child, sig: &str) {
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args([sig, &pid])
        .status()
        .unwrap()
        .success());
}

async fn holder(pg: &sqlx::PgPool, uuid: &str) -> (String, i64) {
    use sqlx::Row;
    let r = sqlx::query("SELECT node_id, epoch FROM meeting_leases WHERE conf_uuid = $1")
        .bind(uuid)
        .fetch_one(pg)
        .await
        .unwrap();
    (r.get("node_id"), r.get("epoch"))
}

/// What a session saw, kept up to date in the background: its latest
/// event number, and whether the meeting is locked as it was last told.
#[derive(Default)]
struct Seen {
    seq: u64,
    locked: bool,
}

fn follow(s: Arc<ConfSession>) -> Arc<Mutex<Seen>> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let kept = seen.clone();
    tokio::spawn(async move {
        while let Some((seq, e)) = s.next_event().await {
            let mut k = kept.lock().unwrap();
            k.seq = k.seq.max(seq);
            match e {
                Event::OnMeetingInfoChanged { is_locked, .. } => k.locked = is_locked,
                Event::OnConfInfoNotify { info } => k.locked = info.is_locked,
                _ => {}
            }
        }
    });
    seen
}

/// Until every session's control request goes through again (resumed).
async fn all_resumed(sessions: &[Arc<ConfSession>], within: Duration) -> Duration {
    let started = Instant::now();
    for (i, s) in sessions.iter().enumerate() {
        loop {
            match s.raise_hand(true).await {
                Ok(()) => break,
                Err(e) => assert!(started.elapsed() < within, "participant {i} never resumed: {e:?}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    started.elapsed()
}

/// Audio from each of `sessions`, over real UDP to the meeting's node.
async fn talk(sessions: &[Arc<ConfSession>], epoch: Instant) -> Vec<MediaPeer> {
    let mut peers = Vec::new();
    for s in sessions {
        let local = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
        peers.push(MediaPeer::start(s.clone(), local, true, false, epoch).await.unwrap());
    }
    peers
}

/// Until each peer hears every other one.
async fn hear_each_other(peers: &[MediaPeer], sessions: &[Arc<ConfSession>], what: &str) {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let ok = peers.iter().zip(sessions).all(|(p, me)| {
            sessions
                .iter()
                .filter(|o| o.participant_id() != me.participant_id())
                .all(|o| p.with(|c| c.frames_from(o.participant_id().0, MediaKind::Audio)) > 0)
        });
        if ok {
            return;
        }
        assert!(Instant::now() < end, "{what}: not everyone hears everyone");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Three nodes of one cluster on a fresh database (with the account
/// "olga"), behind a round-robin balancer; `None` without `CONVENE_TEST_PG`.
struct Cluster {
    nodes: Vec<Node>,
    /// The balancer's nodes (a test takes a dead one out).
    backends: Arc<Mutex<Vec<std::net::SocketAddr>>>,
    /// The balancer's URL.
    lb: String,
    pg: sqlx::PgPool,
    _dirs: Vec<tempfile::TempDir>,
}

async fn cluster(prefix: &str) -> Option<Cluster> {
    use sqlx::Connection;
    let Ok(admin_url) = std::env::var("CONVENE_TEST_PG") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the cluster tests: set CONVENE_TEST_PG"
        );
        eprintln!("skipped: no CONVENE_TEST_PG");
        return None;
    };
    let name = format!("convene_{prefix}_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
        .execute(&mut admin)
        .await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let db = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let added = tokio::process::Command::new(env!("CARGO_BIN_EXE_convene"))
        .args([
            "account",
            "add",
            "--account",
            "olga",
            "--name",
            "Olga Host",
            "--password",
            PASSWORD,
        ])
        .args(["--database-url", &db, "--data-dir"])
        .arg(dirs[0].path())
        .output()
        .await
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let mut nodes = Vec::new();
    for (i, d) in dirs.iter().enumerate() {
        nodes.push(spawn_node(&db, d.path(), &format!("n{i}")).await);
    }
    let backends = Arc::new(Mutex::new(nodes.iter().map(|n| n.addr).collect::<Vec<_>>()));
    let lb = convene_bench::failover::balancer(backends.clone()).await.unwrap();
    let pg = sqlx::PgPool::connect(&db).await.unwrap();
    Some(Cluster {
        nodes,
        backends,
        lb,
        pg,
        _dirs: dirs,
    })
}

/// Runs a scenario alone (one cluster of three processes at a time in this
/// binary) and within 3 minutes: a hang (a node waiting on rows a paused
/// one holds, say) fails the test instead of stalling CI.
async fn alone(what: &str, scenario: impl std::future::Future<Output = ()>) {
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one = ONE_AT_A_TIME.lock().await;
    if tokio::time::timeout(Duration::from_secs(180), scenario).await.is_err() {
        panic!("{what} hung");
    }
}

/// The meeting's owner, logged in through the balancer.
async fn olga(lb: &str) -> ConveneClient {
    let owner = ConveneClient::new(lb).unwrap();
    owner
        .login_by_account_async(LoginByAccountInfo {
            account: "olga".into(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    owner
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_or_paused_holder_hands_the_meeting_to_a_survivor() {
    alone("the failover scenario", failover_scenario()).await;
}

async fn failover_scenario() {
    let Some(Cluster {
        nodes,
        backends,
        lb,
        pg,
        _dirs,
    }) = cluster("failover").await
    else {
        return;
    };
    let mut nodes = nodes;

    // A meeting with participants through the balancer (over every node).
    let owner = olga(&lb).await;
    let mut info = CreateConfInfo::new("Failover", MediaType::Audio, true);
    info.allow_record = Some(true);
    let m = owner.create_conf_async(info).await.unwrap();
    let uuid = owner.conf_detail_async(&m.conf_id).await.unwrap().conf_uuid;
    let mut sessions = vec![Arc::new(
        owner
            .join_conf_by_id_async(JoinConfByIdInfo {
                conf_id: m.conf_id.clone(),
                is_mic_on: true,
                ..Default::default()
            })
            .await
            .unwrap(),
    )];
    for i in 0..5 {
        let s = ConveneClient::new(&lb)
            .unwrap()
            .join_conf_by_id_async(JoinConfByIdInfo {
                conf_id: m.conf_id.clone(),
                password: m.guest_pwd.clone(),
                nick_name: format!("Guest {i}"),
                is_mic_on: true,
                ..Default::default()
            })
            .await
            .unwrap();
        sessions.push(Arc::new(s));
    }
    let seen: Vec<Arc<Mutex<Seen>>> = sessions.iter().map(|s| follow(s.clone())).collect();
    // Three of them talk (on the holder's SFU) and hear each other.
    let epoch = Instant::now();
    let talkers = sessions[..3].to_vec();
    let peers = talk(&talkers, epoch).await;
    hear_each_other(&peers, &talkers, "before the kill").await;
    // The host records it (on the holder).
    sessions[0].operate_cloud_record(RecordOp::Start).await.unwrap();
    sessions[0].lock_conf(false).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before: Vec<u64> = seen.iter().map(|l| l.lock().unwrap().seq).collect();
    let (first, epoch1) = holder(&pg, &uuid).await;
    // A change acknowledged just before the kill moves with the meeting.
    let renamed = sessions[2].participant_id();
    sessions[0]
        .rename_attendee(renamed, "Renamed just before")
        .await
        .unwrap();

    // kill -9 of the holder; the balancer stops sending to it.
    let dead = nodes.iter().position(|n| n.id == first).unwrap();
    let killed = Instant::now();
    nodes[dead].child.start_kill().unwrap();
    nodes[dead].child.wait().await.unwrap();
    backends.lock().unwrap().retain(|a| *a != nodes[dead].addr);
    let took = all_resumed(&sessions, Duration::from_secs(25)).await;
    let since_kill = killed.elapsed();
    let (second, epoch2) = holder(&pg, &uuid).await;
    assert_ne!(second, first);
    assert!(epoch2 > epoch1);
    println!(
        "kill -9 of {first}: every participant resumed on {second} {:.1} s after the kill (lease {:.1} s)",
        since_kill.as_secs_f64(),
        LEASE_MS as f64 / 1000.0
    );
    assert!(
        took < Duration::from_millis(LEASE_MS) + Duration::from_secs(6),
        "{took:?}"
    );
    // Media reconnect: the new holder tells those who had media that it
    // closed; each opens it again (through its resumed session, to the new
    // node's SFU) and hears the others there.
    let end = Instant::now() + Duration::from_secs(10);
    while !peers.iter().all(|p| p.closed_reason().is_some()) {
        assert!(Instant::now() < end, "not every talker was told its media closed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for p in peers {
        p.stop().await;
    }
    let peers = talk(&talkers, epoch).await;
    hear_each_other(&peers, &talkers, "after the takeover").await;
    println!(
        "media flowing again through {second}'s SFU {:.1} s after the kill",
        killed.elapsed().as_secs_f64()
    );
    for p in peers {
        p.stop().await;
    }
    // The recording goes on in a new part on the new holder; the dead
    // node's part is marked interrupted.
    let parts = segments(&pg, &uuid).await;
    assert_eq!(
        parts,
        vec![
            (first.clone(), 4, Some(convene_store::INTERRUPTED.to_owned())),
            (second.clone(), 0, None)
        ]
    );
    // Event numbers go on; everyone is back in one meeting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (i, l) in seen.iter().enumerate() {
        let now = l.lock().unwrap().seq;
        assert!(now > before[i], "participant {i}: events stopped at {}", before[i]);
    }
    let end = Instant::now() + Duration::from_secs(10);
    while sessions[0].attendees().iter().filter(|a| a.online).count() < 6 {
        assert!(Instant::now() < end, "the host sees {:?}", sessions[0].attendees());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let name_now = sessions[0]
        .attendees()
        .into_iter()
        .find(|a| a.participant_id == renamed)
        .map(|a| a.nick_name);
    assert_eq!(
        name_now.as_deref(),
        Some("Renamed just before"),
        "the new holder's view"
    );
    // A new joiner gets in through any node.
    let late = ConveneClient::new(&lb)
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            password: m.guest_pwd.clone(),
            nick_name: "Late".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    drop(late);

    // Paused past its lease: another node takes the meeting (a REST lock
    // through a survivor finds no live holder), and the paused one, woken,
    // stops instead of acting.
    let paused = nodes.iter().position(|n| n.id == second).unwrap();
    signal(&nodes[paused].child, "-STOP");
    backends.lock().unwrap().retain(|a| *a != nodes[paused].addr);
    tokio::time::sleep(Duration::from_millis(LEASE_MS + 500)).await;
    let third = nodes.iter().position(|n| n.id != first && n.id != second).unwrap();
    let t = reqwest::Client::new()
        .get(format!("http://{}/v1/mmc/control/conferences/token", nodes[third].addr))
        .query(&[("conferenceID", m.conf_id.as_str())])
        .header("X-Password", m.host_pwd.as_str())
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let token = t["data"]["token"].as_str().unwrap().to_owned();
    let res = reqwest::Client::new()
        .put(format!("http://{}/v1/mmc/control/conferences/lock", nodes[third].addr))
        .query(&[("conferenceID", m.conf_id.as_str())])
        .header("X-Conference-Authorization", token.as_str())
        .json(&serde_json::json!({"isLock": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap());
    let (now_holder, epoch3) = holder(&pg, &uuid).await;
    assert_eq!(now_holder, nodes[third].id);
    assert!(epoch3 > epoch2);
    signal(&nodes[paused].child, "-CONT");
    // Awake and healthy: back behind the balancer.
    backends.lock().unwrap().push(nodes[paused].addr);
    // Woken, the old holder finds its lease gone: its participants come
    // back through the balancer to the new one, locked meeting and all.
    all_resumed(&sessions, Duration::from_secs(25)).await;
    let end = Instant::now() + Duration::from_secs(10);
    while !seen.iter().all(|l| l.lock().unwrap().locked) {
        assert!(
            Instant::now() < end,
            "not every participant learnt of the lock made on the new holder"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (still, epoch_after) = holder(&pg, &uuid).await;
    assert_eq!(
        (still, epoch_after),
        (nodes[third].id.clone(), epoch3),
        "the woken node took nothing back"
    );
    let live: Option<String> = sqlx::query_scalar("SELECT live FROM meetings WHERE conf_uuid = $1")
        .bind(&uuid)
        .fetch_one(&pg)
        .await
        .unwrap();
    assert!(live.unwrap_or_default().contains("\"locked\":true"), "the lock stays");
    // The paused node's recording part: interrupted by the third node's
    // takeover, then closed by the woken node with what it captured (not
    // left interrupted); the third node records on.
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let parts = segments(&pg, &uuid).await;
        assert_eq!(parts.len(), 3, "{parts:?}");
        assert_eq!((parts[2].0.as_str(), parts[2].1), (nodes[third].id.as_str(), 0));
        let woken = &parts[1];
        if woken.1 != 0 && woken.2.as_deref() != Some(convene_store::INTERRUPTED) {
            break;
        }
        assert!(Instant::now() < end, "the woken node never closed its part: {parts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Ended, then its holder killed at once: it stays ended (nobody takes
    // it over, a join through the survivors is refused).
    sessions[0].end_conf().await.unwrap();
    nodes[third].child.start_kill().unwrap();
    nodes[third].child.wait().await.unwrap();
    backends.lock().unwrap().retain(|a| *a != nodes[third].addr);
    tokio::time::sleep(Duration::from_millis(LEASE_MS + 500)).await;
    let late = ConveneClient::new(&lb)
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            password: m.guest_pwd.clone(),
            nick_name: "Too late".into(),
            ..Default::default()
        })
        .await
        .err()
        .expect("a join into an ended meeting");
    assert_eq!(late.code, SdkErr::CMS_CONF_IS_CLOSED, "{late:?}");
    let state: String = sqlx::query_scalar("SELECT state FROM meetings WHERE conf_uuid = $1")
        .bind(&uuid)
        .fetch_one(&pg)
        .await
        .unwrap();
    assert_eq!(state, "ended");
    assert_eq!(holder(&pg, &uuid).await.1, epoch3, "nobody took an ended meeting over");
}

/// A meeting's recording parts: the node capturing each, its state and error.
async fn segments(pg: &sqlx::PgPool, uuid: &str) -> Vec<(String, i64, Option<String>)> {
    sqlx::query_as("SELECT node_id, state, error FROM record_segments WHERE conf_uuid = $1 ORDER BY id")
        .bind(uuid)
        .fetch_all(pg)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn browsers_follow_their_meeting_to_a_survivor() {
    // The web client, not only the SDK: two Chromium pages in a video
    // meeting through the balancer; the node running it is killed; both
    // stay in the meeting and see each other again through the survivor
    // that took it (web/tests/failover_meeting.mjs).
    alone("the browser failover scenario", browser_scenario()).await;
}

async fn browser_scenario() {
    use tokio::io::AsyncBufReadExt;
    let Some(Cluster {
        mut nodes,
        backends,
        lb,
        pg,
        _dirs,
    }) = cluster("browser_failover").await
    else {
        return;
    };
    tokio::task::spawn_blocking(convene_bench::browser::ensure_playwright)
        .await
        .unwrap()
        .unwrap();
    let owner = olga(&lb).await;
    let m = owner
        .create_conf_async(CreateConfInfo::new("Browsers failover", MediaType::Video, true))
        .await
        .unwrap();
    let uuid = owner.conf_detail_async(&m.conf_id).await.unwrap().conf_uuid;
    // The link as the balancer serves it (each node names itself in it).
    let path = &m.guest_join_uri[m.guest_join_uri.find("/j/").unwrap()..];
    let link = format!("{lb}{path}");
    let artifacts = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../browser-artifacts/failover");
    let signal = tempfile::tempdir().unwrap();
    let killed_file = signal.path().join("killed");
    let mut script = tokio::process::Command::new("node")
        .arg(convene_bench::browser::web_tests().join("failover_meeting.mjs"))
        .arg(&link)
        .arg(&artifacts)
        .arg(&killed_file)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(script.stdout.take().unwrap()).lines();
    let mut said = Vec::new();
    loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the page script ended before media flowed:\n{}", said.join("\n")));
        said.push(line.clone());
        if line == "MEDIA FLOWING" {
            break;
        }
    }
    let (first, _) = holder(&pg, &uuid).await;
    let dead = nodes.iter().position(|n| n.id == first).unwrap();
    nodes[dead].child.start_kill().unwrap();
    nodes[dead].child.wait().await.unwrap();
    backends.lock().unwrap().retain(|a| *a != nodes[dead].addr);
    std::fs::write(&killed_file, b"").unwrap();
    while let Some(line) = lines.next_line().await.unwrap() {
        println!("{line}");
        said.push(line);
    }
    let status = script.wait().await.unwrap();
    assert!(
        status.success() && said.iter().any(|l| l == "ALL OK"),
        "the page script said:\n{}",
        said.join("\n")
    );
    let (second, _) = holder(&pg, &uuid).await;
    assert_ne!(second, first, "a survivor runs the meeting");
}

//! Issue 2: `kill -9` while 64 clients create meetings. After the restart,
//! every meeting whose creation was acknowledged is there and complete, and
//! every stored meeting is whole. Issue 18: `kill -9` while invitations are
//! being mailed loses none of them.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use convene_sdk::*;

const CLIENTS: usize = 64;
/// Acknowledged creates to wait for before the kill.
const KILL_AFTER: usize = 600;

#[path = "../../convene-server/tests/common/python.rs"]
mod python;

async fn spawn_server(dir: &std::path::Path) -> (tokio::process::Child, String) {
    spawn_server_with(dir, &[]).await
}

async fn spawn_server_with(dir: &std::path::Path, args: &[&str]) -> (tokio::process::Child, String) {
    let mut all: Vec<std::ffi::OsString> = vec!["--dev".into(), "--data-dir".into(), dir.into()];
    all.extend(args.iter().map(Into::into));
    convene_bench::serve(env!("CARGO_BIN_EXE_convene").as_ref(), &all)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_meeting() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = spawn_server(dir.path()).await;
    let (account, password, _, _) = convene_server::admin::read_dev_login(dir.path()).unwrap();
    let login = LoginByAccountInfo { account, password };
    let first = ConveneClient::new(&url).unwrap();
    first.login_by_account_async(login.clone()).await.unwrap();
    let token = first.access_token().unwrap();

    let acked: Arc<Mutex<Vec<CreateConfResult>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::new();
    for n in 0..CLIENTS {
        let client = ConveneClient::with_token(&url, &token).unwrap();
        let (acked, count, enough) = (acked.clone(), count.clone(), enough.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let mut info = CreateConfInfo::new(format!("crash {n}-{i}"), MediaType::Video, true);
                info.custom_info = Some(format!("client {n} create {i}"));
                match client.create_conf_async(info).await {
                    Ok(r) => {
                        acked.lock().unwrap().push(r);
                        if count.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                            enough.notify_one();
                        }
                    }
                    // The server died under us: this client is done.
                    Err(_) => return,
                }
            }
        }));
    }
    tokio::time::timeout(std::time::Duration::from_secs(120), enough.notified())
        .await
        .expect("creates acknowledged in time");
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= KILL_AFTER);

    let (_child2, url2) = spawn_server(dir.path()).await;
    let c = ConveneClient::new(&url2).unwrap();
    c.login_by_account_async(login).await.unwrap();
    for r in &acked {
        let d = c
            .conf_detail_async(&r.conf_id)
            .await
            .unwrap_or_else(|e| panic!("acknowledged {} lost: {e}", r.conf_id));
        let back = d.to_create_conf_result();
        assert_eq!(
            (&back.subject, &back.host_pwd, &back.guest_pwd),
            (&r.subject, &r.host_pwd, &r.guest_pwd)
        );
        assert_eq!(back.custom_info, r.custom_info);
    }
    // Every stored meeting, acknowledged or not, is whole.
    let mut offset = 0;
    let mut stored = 0;
    loop {
        let page = c.list_confs_async(offset, 500).await.unwrap();
        for m in &page.data {
            assert_eq!(m.conference_id.len(), 9);
            assert!(m.subject.starts_with("crash "), "{m:?}");
            assert!(m.custom_info.starts_with("client "), "{m:?}");
            assert_eq!(m.password_for("chair").len(), 6);
            assert_eq!(m.password_for("general").len(), 6);
            assert!(!m.guest_join_uri.is_empty());
        }
        stored += page.data.len();
        if page.data.is_empty() {
            break;
        }
        offset += page.data.len() as i64;
    }
    assert!(stored >= acked.len(), "stored {stored} < acknowledged {}", acked.len());
    assert!(
        stored <= acked.len() + CLIENTS,
        "at most one unacknowledged create per client"
    );
}

/// Issue 18: the server is killed while it mails the invitations of 40
/// meetings (3 invitees each) to a real SMTP server; after a restart every
/// invitee gets theirs (at least once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_invitation_delivery_loses_none() {
    const MEETINGS: usize = 40;
    let python = tokio::task::spawn_blocking(python::python_venv).await.unwrap();
    let smtp = python::SmtpServer::start(&python).await;
    let dir = tempfile::tempdir().unwrap();
    let smtp_url = smtp.url();
    let args = ["--smtp-url", smtp_url.as_str()];
    let (mut child, url) = spawn_server_with(dir.path(), &args).await;
    let (account, password, _, _) = convene_server::admin::read_dev_login(dir.path()).unwrap();
    let login = LoginByAccountInfo { account, password };
    let client = ConveneClient::new(&url).unwrap();
    client.login_by_account_async(login).await.unwrap();
    let mut expected = std::collections::BTreeSet::new();
    let mut creates = Vec::new();
    for m in 0..MEETINGS {
        let mut info = CreateConfInfo::new(format!("mail {m}"), MediaType::Audio, true);
        for i in 0..3 {
            let email = format!("m{m}-i{i}@example.com");
            expected.insert(email.clone());
            info.attendees.push(AttendeeBaseInfo {
                nick_name: format!("Invitee {i}"),
                number: "1".into(),
                email: Some(email),
                ..Default::default()
            });
        }
        info.num_of_attendee = 3;
        let c = client.clone();
        creates.push(tokio::spawn(async move { c.create_conf_async(info).await.unwrap() }));
    }
    for c in creates {
        c.await.unwrap();
    }
    // Killed once the first few have gone out, with most still to send.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while smtp.recipients().len() < 5 {
        assert!(std::time::Instant::now() < deadline, "no invitation was mailed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    let before = smtp.recipients().len();
    assert!(
        before < expected.len(),
        "all {before} went out before the kill: the test proves nothing"
    );

    let (_child2, _url2) = spawn_server_with(dir.path(), &args).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let got: std::collections::BTreeSet<String> = smtp
            .recipients()
            .into_iter()
            .map(|to| {
                to.trim_matches(|c| c == '<' || c == '>')
                    .rsplit('<')
                    .next()
                    .unwrap()
                    .trim_end_matches('>')
                    .to_owned()
            })
            .collect();
        let missing: Vec<_> = expected.difference(&got).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} invitations never arrived after the restart (e.g. {:?}); {before} had before the kill",
            missing.len(),
            missing.first()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Issue 19: the server is killed while it pushes the webhook events of 40
/// meetings to a slow receiver; after a restart every event arrives (at
/// least once: a repeat has its first push's `X-Request-ID`), each signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_webhook_delivery_loses_no_event() {
    use hmac::Mac;
    const MEETINGS: usize = 40;
    const KEY: &str = "kill-nine-subscriber-key";
    let dir = tempfile::tempdir().unwrap();
    let added = tokio::process::Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["account", "add", "--admin", "--account", "boss", "--name", "Boss"])
        .args(["--password", "correct horse battery", "--data-dir"])
        .arg(dir.path())
        .output()
        .await
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));

    // A slow receiver (one push at a time, 25 ms each) that checks each
    // signature and keeps (X-Request-ID, meeting ID, event).
    let seen: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
    let one_at_a_time = Arc::new(tokio::sync::Mutex::new(()));
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let (kept, gate) = (kept.clone(), one_at_a_time.clone());
            async move {
                let _turn = gate.lock().await;
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                // The exact eventInfo bytes, as embedded.
                let text = std::str::from_utf8(&body).unwrap();
                let info = &text[text.find("\"eventInfo\":").unwrap() + 12..text.len() - 1];
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
                mac.update(
                    format!(
                        "{}{}{}{}",
                        v["appID"].as_str().unwrap(),
                        v["timestamp"],
                        v["nonce"].as_str().unwrap(),
                        info
                    )
                    .as_bytes(),
                );
                assert_eq!(
                    v["signature"].as_str().unwrap(),
                    hex::encode(mac.finalize().into_bytes())
                );
                let e = &v["eventInfo"];
                if e["event"] == "meeting.verify" {
                    return serde_json::json!({"event": "meeting.verify", "nonce": v["nonce"]}).to_string();
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                kept.lock().unwrap().push((
                    headers["x-request-id"].to_str().unwrap().to_owned(),
                    e["payload"]["meetingInfo"]["meetingID"].as_str().unwrap().to_owned(),
                    e["event"].as_str().unwrap().to_owned(),
                ));
                String::new()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (mut child, url) = spawn_server(dir.path()).await;
    let client = ConveneClient::new(&url).unwrap();
    client
        .login_by_account_async(LoginByAccountInfo {
            account: "boss".into(),
            password: "correct horse battery".into(),
        })
        .await
        .unwrap();
    let token = client.access_token().unwrap();
    let http = reqwest::Client::new();
    let base = format!("{url}/v1/mmc/management/webhook");
    let r = http
        .post(format!("{base}/link-config"))
        .header("X-Access-Token", &token)
        .json(&serde_json::json!({"subscriberId": "kill-nine", "subscriberKey": KEY, "url": hook}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let shown: serde_json::Value = http
        .get(format!("{base}/link-config"))
        .header("X-Access-Token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = http
        .put(format!(
            "{base}/change-status?id={}&status=0",
            shown["id"].as_str().unwrap()
        ))
        .header("X-Access-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let mut creates = Vec::new();
    for m in 0..MEETINGS {
        let c = client.clone();
        creates.push(tokio::spawn(async move {
            c.create_conf_async(CreateConfInfo::new(format!("hook {m}"), MediaType::Audio, true))
                .await
                .unwrap()
                .conf_id
        }));
    }
    let mut expected = std::collections::BTreeSet::new();
    for c in creates {
        expected.insert(c.await.unwrap());
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while seen.lock().unwrap().len() < 5 {
        assert!(std::time::Instant::now() < deadline, "no event was pushed");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    let before = seen.lock().unwrap().len();
    assert!(
        before < MEETINGS,
        "all {before} went out before the kill: the test proves nothing"
    );

    let (_child2, _url2) = spawn_server(dir.path()).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let got: std::collections::BTreeSet<String> = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, _, e)| e == "meeting.create")
            .map(|(_, m, _)| m.clone())
            .collect();
        if expected.is_subset(&got) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} events never arrived after the restart; {before} had before the kill",
            expected.difference(&got).count()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // One X-Request-ID per meeting's event, repeats (at least once) included.
    let seen = seen.lock().unwrap();
    let ids: std::collections::BTreeSet<&String> = seen.iter().map(|(id, _, _)| id).collect();
    let meetings: std::collections::BTreeSet<&String> = seen.iter().map(|(_, m, _)| m).collect();
    assert_eq!(ids.len(), meetings.len(), "each event keeps its ID across the restart");
}

/// Issue 20: `kill -9` while a recording is being composed; after the
/// restart the composition is done again from the captured tracks (the
/// queue lives in the database) and the recording is ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_composition_resumes_it_after_the_restart() {
    use convene_core::recording::{SegmentState, TrackFile};
    if std::process::Command::new("ffmpeg").arg("-version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "ffmpeg is missing: .ci/run installs it"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("convene.db").display());
    // A captured segment waiting to be composed: one participant's audio
    // and video, as the capture writes them.
    let uuid = convene_core::ConfUuid("0123456789abcdef0123456789abcdef".into());
    let seg = {
        let store = convene_store::open(&db).await.unwrap();
        let id = store.start_segment(&uuid, 1_800_000_000, "").await.unwrap();
        let seg_dir = dir.path().join("recordings").join(uuid.as_str()).join(id.to_string());
        std::fs::create_dir_all(&seg_dir).unwrap();
        for (file, args) in [
            ("p1-video-0.webm", "testsrc2=s=640x360:r=30:d=20"),
            ("p1-audio-1.webm", "sine=frequency=440:d=20:sample_rate=48000"),
        ] {
            let out = std::process::Command::new("ffmpeg")
                .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", args])
                .args(if file.contains("video") {
                    vec!["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8"]
                } else {
                    vec!["-c:a", "libopus"]
                })
                .arg(seg_dir.join(file))
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let track = |file: &str, video| TrackFile {
            participant: 1,
            name: "Olga".into(),
            video,
            screen: false,
            file: file.into(),
            frames: 500,
            first_ms: 0,
            last_ms: 19_960,
            bytes: 1,
        };
        let tracks = [track("p1-video-0.webm", true), track("p1-audio-1.webm", false)];
        store.stop_segment(id, 1_800_000_020, &tracks, 0).await.unwrap();
        id
    };
    // A composer that hangs (its pid kept) until killed with the server.
    let slow = dir.path().join("slow-ffmpeg.sh");
    let pid_file = dir.path().join("ffmpeg.pid");
    std::fs::write(
        &slow,
        format!(
            "#!/bin/sh\necho $$ > {}\nsleep 60\nexec ffmpeg \"$@\"\n",
            pid_file.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&slow)
        .status()
        .unwrap();
    let (mut child, _) = spawn_server_with(dir.path(), &["--ffmpeg", slow.to_str().unwrap()]).await;
    let end = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !pid_file.exists() {
        assert!(std::time::Instant::now() < end, "the composition never started");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    std::process::Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap();
    let state = |s: &[convene_store::Segment]| s.iter().find(|x| x.id == seg).map(|x| (x.state, x.attempts));
    {
        let store = convene_store::open(&db).await.unwrap();
        let s = store.segments_of(&uuid).await.unwrap();
        assert_eq!(state(&s), Some((SegmentState::Composing, 1)), "held by the dead server");
    }
    // The restart takes it up again at once.
    let (_child, _) = spawn_server_with(dir.path(), &[]).await;
    let store = convene_store::open(&db).await.unwrap();
    let end = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let s = store.segments_of(&uuid).await.unwrap();
        match state(&s) {
            Some((SegmentState::Ready, 2)) => break,
            Some((SegmentState::Failed, _)) => panic!("{s:?}"),
            _ => {}
        }
        assert!(std::time::Instant::now() < end, "not composed after the restart: {s:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let hd = dir
        .path()
        .join("recordings")
        .join(uuid.as_str())
        .join(seg.to_string())
        .join("Hd.mp4");
    let probe = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(&hd)
        .output()
        .unwrap();
    let secs: f64 = String::from_utf8_lossy(&probe.stdout).trim().parse().unwrap();
    assert!((secs - 20.0).abs() < 1.0, "{secs}");
}

//! Issue 20 on a real server: cloud recording end to end. In-process str0m
//! participants publish real VP8 and Opus (made by ffmpeg) in a meeting that
//! records itself; the capture writes per-track WebM files, ffmpeg composes
//! the meeting's video, and the product's recording API lists it, links it
//! and serves it once per token. Start and stop by REST and SDK, the
//! refusal for a meeting without recording, and everyone hearing of it.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use convene_bench::media_peer::MediaPeer;
use convene_core::recording::SegmentState;
use convene_proto::live::{RecordOp, RecordState};
use convene_sdk::*;
use convene_sfu::client::MediaSource;

const LOCAL: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn have_ffmpeg() -> bool {
    let ok = std::process::Command::new("ffmpeg").arg("-version").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "ffmpeg is missing: .ci/run installs it"
        );
        eprintln!("skipped: no ffmpeg on this machine (apt-get install ffmpeg)");
    }
    ok
}

/// A clip of solid `color` with a tone, encoded by ffmpeg as VP8 and Opus
/// (20 ms packets) in WebM, read back as the frames a browser would send.
fn source(dir: &Path, color: &str, tone: u32) -> MediaSource {
    let s = convene_bench::clip::vp8_opus(
        Path::new("ffmpeg"),
        dir,
        color,
        &format!("color=c={color}:s=640x360:r=30"),
        tone,
        4,
    )
    .unwrap();
    assert!(
        s.video.len() > 100 && s.audio.len() > 150,
        "{} {}",
        s.video.len(),
        s.audio.len()
    );
    s
}

fn probe(file: &Path) -> serde_json::Value {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-count_frames",
            "-of",
            "json",
        ])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The composed video's pixel (RGB) at `(x, y)`, `at` seconds in.
fn pixel(file: &Path, at: f64, x: usize, y: usize) -> [u8; 3] {
    let out = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-ss"])
        .arg(format!("{at}"))
        .arg("-i")
        .arg(file)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let i = (y * 1280 + x) * 3;
    [out.stdout[i], out.stdout[i + 1], out.stdout[i + 2]]
}

async fn until<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + limit;
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn segments(server: &TestServer, uuid: &str) -> Vec<convene_store::Segment> {
    server
        .running
        .store
        .segments_of(&convene_core::ConfUuid(uuid.to_owned()))
        .await
        .unwrap()
}

/// The meeting's first part once composed (or failed): waits up to 90 s.
async fn composed(server: &TestServer, uuid: &str) -> convene_store::Segment {
    let end = Instant::now() + Duration::from_secs(90);
    loop {
        let s = segments(server, uuid).await;
        if let Some(x) = s
            .iter()
            .find(|x| matches!(x.state, SegmentState::Ready | SegmentState::Failed))
        {
            return x.clone();
        }
        assert!(Instant::now() < end, "not composed in time: {s:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The owner joins its meeting as host, microphone and camera on.
async fn join_host(owner: &ConveneClient, m: &CreateConfResult) -> Arc<ConfSession> {
    Arc::new(
        owner
            .join_conf_by_id_async(JoinConfByIdInfo {
                conf_id: m.conf_id.clone(),
                is_mic_on: true,
                is_camera_on: true,
                ..Default::default()
            })
            .await
            .unwrap(),
    )
}

/// A guest "Gus Guest" joins with the guest password, microphone and camera on.
async fn join_guest(server: &TestServer, m: &CreateConfResult) -> Arc<ConfSession> {
    Arc::new(
        ConveneClient::new(&server.url())
            .unwrap()
            .join_conf_by_id_async(JoinConfByIdInfo {
                conf_id: m.conf_id.clone(),
                password: m.guest_pwd.clone(),
                nick_name: "Gus Guest".into(),
                is_mic_on: true,
                is_camera_on: true,
                attendee_type: None,
            })
            .await
            .unwrap(),
    )
}

/// `show_recording_file_download_urls` for `uuid`, as `token`'s account.
async fn download_urls(server: &TestServer, token: &str, uuid: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{}/v1/mmc/management/record/downloadurls", server.url()))
        .query(&[("confUUID", uuid)])
        .header("X-Access-Token", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The first link of that answer: its URL and single-use token.
fn first_link(v: &serde_json::Value) -> (String, String) {
    let u = &v["recordUrls"][0]["urls"][0];
    (
        u["url"].as_str().unwrap().to_owned(),
        u["token"].as_str().unwrap().to_owned(),
    )
}

fn segment_dir(server: &TestServer, uuid: &str, id: i64) -> PathBuf {
    server.dir.path().join("recordings").join(uuid).join(id.to_string())
}

#[tokio::test]
async fn a_recorded_meeting_is_captured_composed_listed_and_downloaded_once_per_token() {
    if !have_ffmpeg() {
        return;
    }
    let server = TestServer::start().await;
    let clips = tempfile::tempdir().unwrap();
    let (red, blue) = (source(clips.path(), "red", 440), source(clips.path(), "blue", 660));
    server.add_account("olga", "Olga Host").await;
    server.add_account("mallory", "Mallory").await;
    let host_client = server.client("olga").await;
    let mut info = CreateConfInfo::new("Recorded review", MediaType::Video, true);
    info.is_auto_record = Some(true);
    info.default_summary_state = Some(SummaryState::Open);
    let m = host_client.create_conf_async(info).await.unwrap();

    // The host arrives: the meeting records itself from its start.
    let epoch = Instant::now();
    let host = join_host(&host_client, &m).await;
    let guest = join_guest(&server, &m).await;
    let _host_media = MediaPeer::start_with(host.clone(), LOCAL, true, true, epoch, Some(red))
        .await
        .unwrap();
    let _guest_media = MediaPeer::start_with(guest.clone(), LOCAL, true, true, epoch, Some(blue))
        .await
        .unwrap();
    let uuid = {
        let detail = host_client.conf_detail_async(&m.conf_id).await.unwrap();
        detail.conf_uuid.clone()
    };
    assert_eq!(segments(&server, &uuid).await.len(), 1, "capturing since the host came");
    tokio::time::sleep(Duration::from_secs(5)).await;
    guest.send_chat_message("Notes are in the doc", None).await.unwrap();
    host.lock_conf(true).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    host.end_conf().await.unwrap();

    // Composed within a minute (ffmpeg at many times real time).
    let seg = composed(&server, &uuid).await;
    assert_eq!(seg.state, SegmentState::Ready, "{:?}", seg.error);
    assert_eq!(seg.dropped, 0);
    let recorded = (seg.stopped_at.unwrap() - seg.started_at) as f64;
    assert!(recorded >= 10.0, "{recorded}");
    // Each publisher's audio and video, captured as sent.
    let dir = segment_dir(&server, &uuid, seg.id);
    assert_eq!(seg.tracks.len(), 4, "{:?}", seg.tracks);
    for t in &seg.tracks {
        assert!(t.frames > if t.video { 200 } else { 350 }, "{t:?}");
        let p = probe(&dir.join(&t.file));
        let codec = p["streams"][0]["codec_name"].as_str().unwrap().to_owned();
        assert_eq!(codec, if t.video { "vp8" } else { "opus" });
        let name = if t.participant == host.participant_id().0 {
            "Olga Host"
        } else {
            "Gus Guest"
        };
        assert_eq!(t.name, name);
    }
    // The composed file: a video and an audio stream, as long as the meeting was recorded.
    let hd = dir.join("Hd.mp4");
    let p = probe(&hd);
    let kinds: Vec<&str> = p["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["codec_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{p}");
    assert!(kinds.contains(&"video") && kinds.contains(&"audio"), "{p}");
    let duration: f64 = p["format"]["duration"].as_str().unwrap().parse().unwrap();
    assert!((duration - recorded).abs() <= 1.0, "{duration} vs {recorded}");
    // Frames of each publisher: the host's red tile left, the guest's blue right.
    let (first, second) = if host.participant_id() < guest.participant_id() {
        ("red", "blue")
    } else {
        ("blue", "red")
    };
    let is = |c: [u8; 3], color: &str| match color {
        "red" => c[0] > 180 && c[1] < 80 && c[2] < 80,
        _ => c[2] > 180 && c[0] < 80 && c[1] < 80,
    };
    let left = pixel(&hd, recorded / 2.0, 320, 300);
    let right = pixel(&hd, recorded / 2.0, 960, 300);
    // A frame kept for people to look at (target/recording-artifacts).
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/recording-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-ss", "5", "-i"])
        .arg(&hd)
        .args(["-frames:v", "1"])
        .arg(artifacts.join("hd-frame.png"))
        .output()
        .unwrap();
    assert!(shot.status.success());
    assert!(is(left, first), "left tile {left:?}, expected {first}");
    assert!(is(right, second), "right tile {right:?}, expected {second}");

    // The product's API: listed for its owner, hidden from others.
    let http = reqwest::Client::new();
    let token = host_client.access_token().unwrap();
    let mallory = server.client("mallory").await.access_token().unwrap();
    let now_ms = now() * 1000;
    let list = |t: &str| {
        http.get(format!("{}/v1/mmc/management/record/files", server.url()))
            .query(&[
                ("startDate", (now_ms - 3_600_000).to_string()),
                ("endDate", (now_ms + 60_000).to_string()),
            ])
            .header("X-Access-Token", t.to_owned())
            .send()
    };
    let page: serde_json::Value = list(&token).await.unwrap().json().await.unwrap();
    assert_eq!(page["count"], 1, "{page}");
    assert_eq!(page["data"][0]["confUUID"], uuid.as_str());
    assert_eq!(page["data"][0]["isDecodeFinish"], true);
    assert!(page["data"][0]["rcdTime"].as_i64().unwrap() >= 10);
    let page: serde_json::Value = list(&mallory).await.unwrap().json().await.unwrap();
    assert_eq!(page["count"], 0, "{page}");
    let hidden = http
        .get(format!("{}/v1/mmc/management/conferences/record/files", server.url()))
        .query(&[("confUUID", uuid.as_str())])
        .header("X-Access-Token", mallory.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);

    // Download links: the file once per token, with ranges; a wrong or
    // used token is refused.
    let links = || async {
        let v = download_urls(&server, &token, &uuid).await;
        assert_eq!(v["recordUrls"][0]["urls"][0]["fileType"], "Hd", "{v}");
        first_link(&v)
    };
    // Besides the composed file, each participant's tracks, named.
    let all = download_urls(&server, &token, &uuid).await;
    let tracks: Vec<&str> = all["recordUrls"][0]["urls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["fileType"] == "Track")
        .map(|u| u["participantName"].as_str().unwrap())
        .collect();
    assert_eq!(tracks.len(), 4, "{all}");
    assert_eq!(tracks.iter().filter(|n| **n == "Gus Guest").count(), 2, "{all}");
    let (url, t) = links().await;
    let size = std::fs::metadata(&hd).unwrap().len();
    let got = http.get(&url).header("Authorization", &t).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().len() as u64, size);
    let again = http.get(&url).header("Authorization", &t).send().await.unwrap();
    assert_eq!(again.status(), 401, "a token is used once");
    let wrong = http.get(&url).header("Authorization", "0123abcd").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let (url, t) = links().await;
    let part = http
        .get(&url)
        .header("Authorization", &t)
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().len(), 100);

    // The minutes: nothing invented, everything the meeting recorded.
    let minutes = host_client.minutes_async(&uuid).await.unwrap();
    assert_eq!(minutes.subject, "Recorded review");
    assert!(minutes.complete);
    let stays: Vec<(&str, &str)> = minutes
        .attendance
        .iter()
        .map(|a| (a.name.as_str(), a.role.as_str()))
        .collect();
    assert_eq!(stays, vec![("Olga Host", "host"), ("Gus Guest", "attendee")]);
    let spoke: f64 = minutes.speaking.iter().map(|s| s.seconds).sum();
    assert!(spoke > 5.0 && spoke <= recorded + 1.0, "{:?}", minutes.speaking);
    let actions: Vec<&str> = minutes.control_log.iter().map(|c| c.action.as_str()).collect();
    assert!(
        actions.contains(&"lockConf") && actions.contains(&"endConf"),
        "{actions:?}"
    );
    assert_eq!(minutes.chat.len(), 1);
    assert_eq!(
        (minutes.chat[0].from.as_str(), minutes.chat[0].text.as_str()),
        ("Gus Guest", "Notes are in the doc")
    );
    assert_eq!(minutes.recordings[0].files[0].file_type, "Hd");
    let hidden = server.client("mallory").await.minutes_async(&uuid).await.unwrap_err();
    assert_eq!(hidden.code, SdkErr::CMS_CONF_DATA_NOT_FOUND, "{}", hidden.reason);

    // Deleting removes the recording and its files.
    let del = http
        .delete(format!("{}/v1/mmc/management/record/files", server.url()))
        .query(&[("confUUIDs", uuid.as_str())])
        .header("X-Access-Token", token.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);
    assert!(segments(&server, &uuid).await.is_empty());
    assert!(!dir.exists());
}

#[tokio::test]
async fn start_and_stop_by_sdk_and_rest_everyone_hears_and_a_meeting_without_recording_refuses() {
    let server = TestServer::start().await;
    server.add_account("olga", "Olga Host").await;
    let host_client = server.client("olga").await;
    let join = |m: &CreateConfResult, host: bool| {
        let m = m.clone();
        let host_client = host_client.clone();
        let url = server.url();
        async move {
            let info = JoinConfByIdInfo {
                conf_id: m.conf_id.clone(),
                password: if host { String::new() } else { m.guest_pwd.clone() },
                nick_name: "Gus".into(),
                is_mic_on: true,
                is_camera_on: false,
                attendee_type: None,
            };
            let c = if host {
                host_client
            } else {
                ConveneClient::new(&url).unwrap()
            };
            Arc::new(c.join_conf_by_id_async(info).await.unwrap())
        }
    };

    // Without recording: the product's code, from the SDK and from REST.
    let plain = host_client
        .create_conf_async(CreateConfInfo::new("Plain", MediaType::Audio, true))
        .await
        .unwrap();
    let host = join(&plain, true).await;
    let err = host.operate_cloud_record(RecordOp::Start).await.unwrap_err();
    assert_eq!(err.code, SdkErr::CMS_RECORD_START_EXCEPTION, "{}", err.reason);
    let token = server.control_token(&plain.conf_id, &plain.host_pwd).await["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let http = reqwest::Client::new();
    let put_record = |conf_id: String, token: String, body: serde_json::Value| {
        let http = http.clone();
        let url = format!("{}/v1/mmc/control/conferences/record", server.url());
        async move {
            http.put(url)
                .query(&[("conferenceID", conf_id)])
                .header("X-Conference-Authorization", token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let r = put_record(plain.conf_id.clone(), token, serde_json::json!({"isRecord": 1})).await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error_code"], "MMC.111072222", "{body}");

    // Allowed: the host starts it by SDK, a guest hears it; REST stops it.
    let mut info = CreateConfInfo::new("Allowed", MediaType::Audio, true);
    info.allow_record = Some(true);
    let m = host_client.create_conf_async(info).await.unwrap();
    let host = join(&m, true).await;
    let guest = join(&m, false).await;
    let heard = Arc::new(Mutex::new(Vec::new()));
    let h = heard.clone();
    guest.on_record_state_changed(move |s| h.lock().unwrap().push(*s));
    let err = guest.operate_cloud_record(RecordOp::Start).await.unwrap_err();
    assert_eq!(err.code, SdkErr::CMS_CONF_INSUFFICIENT_PERMISSIONS);
    host.operate_cloud_record(RecordOp::Start).await.unwrap();
    host.operate_cloud_record(RecordOp::Pause).await.unwrap();
    let token = server.control_token(&m.conf_id, &m.host_pwd).await["data"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bad = put_record(m.conf_id.clone(), token.clone(), serde_json::json!({"isRecord": 7})).await;
    assert_eq!(bad.status(), 400);
    let r = put_record(m.conf_id.clone(), token.clone(), serde_json::json!({"isRecord": 1})).await;
    assert_eq!(r.status(), 200);
    let r = put_record(m.conf_id.clone(), token, serde_json::json!({"isRecord": 0})).await;
    assert_eq!(r.status(), 200);
    let states = until("the guest hears every change", Duration::from_secs(10), || {
        let v = heard.lock().unwrap().clone();
        (v.len() >= 4).then_some(v)
    })
    .await;
    assert_eq!(
        states,
        vec![
            RecordState::Recording,
            RecordState::Paused,
            RecordState::Recording,
            RecordState::Off
        ]
    );
    // Two segments, nothing published in either: failed, with the reason.
    let uuid = host_client.conf_detail_async(&m.conf_id).await.unwrap().conf_uuid;
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let s = segments(&server, &uuid).await;
        if s.len() == 2 && s.iter().all(|x| x.state == SegmentState::Failed) {
            assert!(s[0].error.as_deref().unwrap().contains("nothing was captured"));
            break;
        }
        assert!(Instant::now() < end, "{s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The acceptance: the product's official Python client, unchanged,
/// lists and downloads the recording of a meeting two browser participants
/// (fake camera and microphone) held while it recorded itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_client_lists_and_downloads_what_two_browsers_recorded() {
    if !have_ffmpeg() {
        return;
    }
    tokio::task::spawn_blocking(playwright).await.unwrap();
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let server = TestServer::start().await;
    server.add_account("py-rec", "Rec Owner").await;
    let owner = server.client("py-rec").await;
    let mut info = CreateConfInfo::new("Recorded in browsers", MediaType::Video, false);
    info.is_auto_record = Some(true);
    info.default_summary_state = Some(SummaryState::Open);
    let m = owner.create_conf_async(info).await.unwrap();
    let uuid = owner.conf_detail_async(&m.conf_id).await.unwrap().conf_uuid;
    // The owner opens the meeting (no media of its own), the browsers come
    // by the guest link.
    let host = owner
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let artifacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../recording-artifacts");
    // The fake microphones play a steady tone (someone speaking).
    let clips = tempfile::tempdir().unwrap();
    let wav = clips.path().join("voice.wav");
    let made = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:d=30:sample_rate=48000",
        ])
        .arg(&wav)
        .output()
        .unwrap();
    assert!(made.status.success());
    let out = tokio::process::Command::new("node")
        .arg(web_tests().join("record_meeting.mjs"))
        .args([&m.guest_join_uri, "6"])
        .arg(&artifacts)
        .arg(&wav)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    host.end_conf().await.unwrap();
    let seg = composed(&server, &uuid).await;
    assert_eq!(seg.state, SegmentState::Ready, "{:?}", seg.error);
    let names: Vec<&str> = seg.tracks.iter().map(|t| t.name.as_str()).collect();
    assert!(
        names.contains(&"Rita Recorded") && names.contains(&"Sam Recorded"),
        "{names:?}"
    );
    assert_eq!(seg.tracks.iter().filter(|t| t.video).count(), 2, "{:?}", seg.tracks);
    let hd = segment_dir(&server, &uuid, seg.id).join("Hd.mp4");
    let size = std::fs::metadata(&hd).unwrap().len();
    let out = tokio::process::Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/record_client.py"))
        .args([
            &server.https_url(),
            "py-rec",
            common::PASSWORD,
            &uuid,
            &size.to_string(),
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
    // The minutes: through the SDK, and as a page its organiser reads.
    let minutes = owner.minutes_async(&uuid).await.unwrap();
    let names: Vec<&str> = minutes.attendance.iter().map(|a| a.name.as_str()).collect();
    assert!(
        names.contains(&"Rita Recorded") && names.contains(&"Sam Recorded"),
        "{names:?}"
    );
    assert!(minutes.complete, "{minutes:?}");
    assert!(
        !minutes.speaking.is_empty(),
        "the fake microphones played a tone: {minutes:?}"
    );
    assert_eq!(minutes.recordings.len(), 1);
    assert_eq!(minutes.recordings[0].state, "ready");
    let out = tokio::process::Command::new("node")
        .arg(web_tests().join("minutes_page.mjs"))
        .args([&server.url(), "py-rec", common::PASSWORD, &uuid])
        .arg(&artifacts)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--record-store s3://...`: a real S3-compatible server (moto) keeps the
/// composed files; downloads and deletes go through it, and the data
/// folder keeps no copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_are_kept_in_an_s3_store_served_and_deleted_from_it() {
    if !have_ffmpeg() {
        return;
    }
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let s3 = S3Server::start(&python, "rec-bucket").await;
    let url = format!("s3://rec-bucket/meetings?endpoint={}&region=us-east-1", s3.endpoint());
    let server = TestServer::start_with(|c| {
        c.record_store = Some(convene_server::record::archive::StoreConfig {
            url,
            access_key: Some("test-key".into()),
            secret_key: Some(convene_server::config::Secret("test-secret".into())),
        })
    })
    .await;
    let clips = tempfile::tempdir().unwrap();
    let green = source(clips.path(), "green", 500);
    server.add_account("olga", "Olga Host").await;
    let owner = server.client("olga").await;
    let mut info = CreateConfInfo::new("Kept in S3", MediaType::Video, true);
    info.is_auto_record = Some(true);
    let m = owner.create_conf_async(info).await.unwrap();
    let uuid = owner.conf_detail_async(&m.conf_id).await.unwrap().conf_uuid;
    let host = join_host(&owner, &m).await;
    let _media = MediaPeer::start_with(host.clone(), LOCAL, true, true, Instant::now(), Some(green))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    host.end_conf().await.unwrap();
    let seg = composed(&server, &uuid).await;
    assert_eq!(seg.state, SegmentState::Ready, "{:?}", seg.error);
    let keys = s3.keys("rec-bucket", &format!("meetings/{uuid}/")).await;
    let hd_key = format!("meetings/{uuid}/{}/Hd.mp4", seg.id);
    assert!(keys.contains(&hd_key), "{keys:?}");
    assert_eq!(keys.len(), seg.tracks.len() + 1, "{keys:?}");
    assert!(
        !segment_dir(&server, &uuid, seg.id).exists(),
        "no copy left in the data folder"
    );

    // Served from the store: whole (its SHA-256 as recorded) and in ranges.
    let http = reqwest::Client::new();
    let token = owner.access_token().unwrap();
    let link = || async { first_link(&download_urls(&server, &token, &uuid).await) };
    let (url, t) = link().await;
    let body = http
        .get(&url)
        .header("Authorization", &t)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(&body)), seg.files[0].sha256);
    let (url, t) = link().await;
    let part = http
        .get(&url)
        .header("Authorization", &t)
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    let range = part.headers()["content-range"].to_str().unwrap().to_owned();
    assert_eq!(range, format!("bytes 10-19/{}", body.len()));
    assert_eq!(&part.bytes().await.unwrap()[..], &body[10..20]);

    // Deleted: gone from the store too.
    let del = http
        .delete(format!("{}/v1/mmc/management/record/files", server.url()))
        .query(&[("confUUIDs", uuid.as_str())])
        .header("X-Access-Token", token.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);
    assert!(s3.keys("rec-bucket", &format!("meetings/{uuid}/")).await.is_empty());
}

/// A participant shares a screen while the meeting records: the composed
/// video shows the screen on the left, the people in a column on the right;
/// the screen is kept as its own track too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_screen_is_recorded_large_beside_the_people() {
    if !have_ffmpeg() {
        return;
    }
    let server = TestServer::start().await;
    let clips = tempfile::tempdir().unwrap();
    let (blue, red) = (source(clips.path(), "blue", 440), source(clips.path(), "red", 660));
    server.add_account("olga", "Olga Host").await;
    let owner = server.client("olga").await;
    let mut info = CreateConfInfo::new("Shared and recorded", MediaType::Video, true);
    info.is_auto_record = Some(true);
    let m = owner.create_conf_async(info).await.unwrap();
    let uuid = owner.conf_detail_async(&m.conf_id).await.unwrap().conf_uuid;
    let host = join_host(&owner, &m).await;
    let guest = join_guest(&server, &m).await;
    let epoch = Instant::now();
    let _h = MediaPeer::start_sharing(host.clone(), LOCAL, epoch, Some(blue))
        .await
        .unwrap();
    let _g = MediaPeer::start_with(guest.clone(), LOCAL, true, true, epoch, Some(red))
        .await
        .unwrap();
    host.set_share(true).await.unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    host.end_conf().await.unwrap();
    let seg = composed(&server, &uuid).await;
    assert_eq!(seg.state, SegmentState::Ready, "{:?}", seg.error);
    assert_eq!(seg.tracks.iter().filter(|t| t.screen).count(), 1, "{:?}", seg.tracks);
    let hd = segment_dir(&server, &uuid, seg.id).join("Hd.mp4");
    let is = |c: [u8; 3], color: &str| match color {
        "red" => c[0] > 180 && c[1] < 80 && c[2] < 80,
        _ => c[2] > 180 && c[0] < 80 && c[1] < 80,
    };
    // The host's screen (blue) fills the left; in the column, the host's
    // camera (blue) then the guest's (red).
    let at = 4.0;
    assert!(is(pixel(&hd, at, 480, 360), "blue"), "{:?}", pixel(&hd, at, 480, 360));
    let (first, second) = if host.participant_id() < guest.participant_id() {
        ("blue", "red")
    } else {
        ("red", "blue")
    };
    assert!(is(pixel(&hd, at, 1120, 90), first), "{:?}", pixel(&hd, at, 1120, 90));
    assert!(is(pixel(&hd, at, 1120, 270), second), "{:?}", pixel(&hd, at, 1120, 270));
}

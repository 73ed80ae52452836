//! Issue 4 on a real server: str0m peers over real UDP, signalling over the
//! meeting's WebSocket through the SDK. The meeting's state governs the media:
//! waiting room, admission, mute, audio-only, move back, removal.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use convene_bench::media_peer::MediaPeer;
use convene_sdk::*;
use str0m::media::MediaKind;

const WAIT: Duration = Duration::from_secs(10);
const LOCAL: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The product's per-meeting event socket, subscribed to `SpeakerChangeNotify`.
async fn follow_speakers(server: &TestServer, m: &CreateConfResult) -> EventSocket {
    use futures::StreamExt;
    let t: serde_json::Value = server.control_token(&m.conf_id, &m.host_pwd).await;
    let mut ws = event_socket(
        t["data"]["wsURL"].as_str().unwrap(),
        &m.conf_id,
        &t,
        &["SpeakerChangeNotify"],
    )
    .await;
    let ok = ws.next().await.unwrap().unwrap();
    assert!(ok.to_text().unwrap().contains("\"returnCode\":0"), "{ok}");
    ws
}

async fn create(server: &TestServer, edit: impl FnOnce(&mut CreateConfInfo)) -> (ConveneClient, CreateConfResult) {
    server.add_account("olga", "Olga Host").await;
    let host = server.client("olga").await;
    let mut info = CreateConfInfo::new("Media test", MediaType::Video, true);
    edit(&mut info);
    let result = host.create_conf_async(info).await.unwrap();
    (host, result)
}

async fn join_host(host: &ConveneClient, m: &CreateConfResult) -> Arc<ConfSession> {
    Arc::new(
        host.join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            is_mic_on: true,
            is_camera_on: true,
            ..Default::default()
        })
        .await
        .unwrap(),
    )
}

async fn join_guest(server: &TestServer, m: &CreateConfResult) -> Arc<ConfSession> {
    Arc::new(
        ConveneClient::new(&server.url())
            .unwrap()
            .join_conf_by_id_async(JoinConfByIdInfo {
                conf_id: m.conf_id.clone(),
                password: m.guest_pwd.clone(),
                nick_name: "Gus".into(),
                is_mic_on: true,
                is_camera_on: true,
                attendee_type: None,
            })
            .await
            .unwrap(),
    )
}

fn frames(p: &MediaPeer, from: &ConfSession, kind: MediaKind) -> u64 {
    p.with(|c| c.frames_from(from.participant_id().0, kind))
}

#[tokio::test]
async fn the_meeting_governs_the_media_waiting_admit_mute_move_back_remove() {
    let server = TestServer::start().await;
    let (host_client, m) = create(&server, |c| c.is_open_waiting_room = Some(true)).await;
    let epoch = Instant::now();
    let host = join_host(&host_client, &m).await;
    let host_media = MediaPeer::start(host.clone(), LOCAL, true, true, epoch).await.unwrap();

    // In the waiting room: no media connection at all.
    let guest = join_guest(&server, &m).await;
    assert_eq!(guest.role(), ConfRole::Waiting);
    let err = MediaPeer::start(guest.clone(), LOCAL, true, true, epoch)
        .await
        .err()
        .unwrap();
    assert_eq!(err.code, SdkErr::UISDK_NOT_IN_CONF_OR_CALL, "{}", err.reason);

    // Admitted: media both ways.
    host.allow_waiting_attendee_enter(guest.participant_id()).await.unwrap();
    until("admission", || guest.role() == ConfRole::Attendee).await;
    let guest_media = MediaPeer::start(guest.clone(), LOCAL, true, true, epoch).await.unwrap();
    until("media both ways", || {
        frames(&host_media, &guest, MediaKind::Video) > 10
            && frames(&host_media, &guest, MediaKind::Audio) > 10
            && frames(&guest_media, &host, MediaKind::Video) > 10
            && frames(&guest_media, &host, MediaKind::Audio) > 10
    })
    .await;

    // The host mutes the guest: its audio stops at the SFU although its client keeps sending.
    host.mute_attendee(guest.participant_id(), true).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let audio = frames(&host_media, &guest, MediaKind::Audio);
    let video = frames(&host_media, &guest, MediaKind::Video);
    let sent = guest_media.with(|c| c.sent_frames);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        guest_media.with(|c| c.sent_frames) > sent + 50,
        "the guest's client kept sending"
    );
    assert_eq!(
        frames(&host_media, &guest, MediaKind::Audio),
        audio,
        "muted audio was forwarded"
    );
    assert!(
        frames(&host_media, &guest, MediaKind::Video) > video + 10,
        "video stopped too"
    );

    // Unmuting oneself is allowed here: the audio flows again.
    guest.mute_self(false).await.unwrap();
    until("audio after unmute", || {
        frames(&host_media, &guest, MediaKind::Audio) > audio + 10
    })
    .await;

    // Moved back to the waiting room: its media connection closes at once.
    host.move_to_waiting_room(guest.participant_id()).await.unwrap();
    until("media closed on move back", || guest_media.closed_reason().is_some()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let video = frames(&host_media, &guest, MediaKind::Video);
    let to_guest = frames(&guest_media, &host, MediaKind::Video);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(frames(&host_media, &guest, MediaKind::Video), video);
    assert_eq!(
        frames(&guest_media, &host, MediaKind::Video),
        to_guest,
        "a waiting guest still receives"
    );
    guest_media.stop().await;

    // Admitted again, then removed: its media stops for everyone at once.
    host.allow_waiting_attendee_enter(guest.participant_id()).await.unwrap();
    until("admission", || guest.role() == ConfRole::Attendee).await;
    let guest_media = MediaPeer::start(guest.clone(), LOCAL, true, true, epoch).await.unwrap();
    let before = frames(&host_media, &guest, MediaKind::Video);
    until("media after readmission", || {
        frames(&host_media, &guest, MediaKind::Video) > before + 10
    })
    .await;
    host.hangup_attendee(guest.participant_id()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let video = frames(&host_media, &guest, MediaKind::Video);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        frames(&host_media, &guest, MediaKind::Video),
        video,
        "a removed guest's video went on"
    );

    let (stats, peers) = server.running.media.stats().await;
    assert_eq!(peers, 1, "only the host's media connection is left");
    assert!(stats.frames_blocked > 0);
    drop(guest_media);
    host_media.stop().await;
}

#[tokio::test]
async fn an_audio_meeting_refuses_video_and_names_the_active_speaker() {
    let server = TestServer::start().await;
    let (host_client, m) = create(&server, |c| c.media_type = MediaType::Audio).await;
    let epoch = Instant::now();
    let host = join_host(&host_client, &m).await;
    let err = MediaPeer::start(host.clone(), LOCAL, true, true, epoch)
        .await
        .err()
        .unwrap();
    assert_eq!(err.code, SdkErr::CMS_CONF_MEDIA_TYPES_ILLEGAL, "{}", err.reason);
    let mut watcher = follow_speakers(&server, &m).await;
    let host_media = MediaPeer::start(host.clone(), LOCAL, true, false, epoch).await.unwrap();
    let guest = join_guest(&server, &m).await;
    let guest_media = MediaPeer::start(guest.clone(), LOCAL, true, false, epoch)
        .await
        .unwrap();
    host_media.with(|c| c.audio_level = -12);
    guest_media.with(|c| c.audio_level = -100);
    until("audio both ways", || {
        frames(&host_media, &guest, MediaKind::Audio) > 10 && frames(&guest_media, &host, MediaKind::Audio) > 10
    })
    .await;
    let speaker = guest
        .wait_for(WAIT, |e| match e {
            Event::OnActiveSpeakerChanged { participant_id } => *participant_id,
            _ => None,
        })
        .await;
    assert_eq!(speaker, Some(host.participant_id()));
    // A program following the meeting hears it too, in the product's frame.
    let frame = tokio::time::timeout(WAIT, async {
        use futures::StreamExt;
        loop {
            if let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) = watcher.next().await {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                if v["action"] == "SpeakerChangeNotify" && v["data"].is_array() {
                    return v;
                }
            }
        }
    })
    .await
    .expect("a SpeakerChangeNotify frame");
    let loudest = &frame["data"][0];
    assert_eq!(loudest["pid"], host.participant_id().0.to_string().as_str(), "{frame}");
    assert_eq!(loudest["name"], "Olga Host");
    let volume = loudest["speakingVolume"].as_i64().unwrap();
    assert!((50..=100).contains(&volume), "-12 dBov is loud: {volume}");
    // Latency on loopback, from the frames' tags.
    let lat = guest_media.with(|c| std::mem::take(&mut c.latencies_us));
    assert!(!lat.is_empty());
}

#[tokio::test]
async fn an_offer_made_while_a_connection_is_down_arrives_after_the_resume() {
    let server = TestServer::start().await;
    let (host_client, m) = create(&server, |_| {}).await;
    let epoch = Instant::now();
    let host = join_host(&host_client, &m).await;
    let host_media = MediaPeer::start(host.clone(), LOCAL, true, true, epoch).await.unwrap();
    let guest = join_guest(&server, &m).await;
    let guest_media = MediaPeer::start(guest.clone(), LOCAL, true, true, epoch).await.unwrap();
    until("media both ways", || {
        frames(&host_media, &guest, MediaKind::Video) > 10 && frames(&guest_media, &host, MediaKind::Video) > 10
    })
    .await;

    // The guest's signalling is cut for four seconds; meanwhile a
    // third participant publishes, so the SFU offers the guest its tracks.
    guest.interrupt_connection_for(Duration::from_secs(4));
    let third = join_guest(&server, &m).await;
    let third_media = MediaPeer::start(third.clone(), LOCAL, true, true, epoch).await.unwrap();
    until("the host gets the newcomer", || {
        frames(&host_media, &third, MediaKind::Video) > 10
    })
    .await;
    assert_eq!(
        frames(&guest_media, &third, MediaKind::Video),
        0,
        "the guest answered an offer while its connection was down"
    );
    // Resumed, the guest is offered the newcomer's tracks again and gets them,
    // while its own media went on throughout.
    until("the guest gets the newcomer after its resume", || {
        frames(&guest_media, &third, MediaKind::Video) > 10 && frames(&guest_media, &third, MediaKind::Audio) > 10
    })
    .await;
    assert!(frames(&third_media, &guest, MediaKind::Video) > 10);
    third_media.stop().await;
    guest_media.stop().await;
    host_media.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_participants_each_receive_everyone_else() {
    // Each join makes the SFU offer everyone the newcomer's tracks; the
    // answers grow with the meeting (a section per forwarded track) and
    // once passed the WebSocket's old 64 KiB limit, which closed the
    // connection: the last joiners never got media.
    let server = TestServer::start().await;
    let (host, m) = create(&server, |_| {}).await;
    let epoch = Instant::now();
    let mut sessions = vec![join_host(&host, &m).await];
    for _ in 1..16 {
        sessions.push(join_guest(&server, &m).await);
    }
    let mut peers = Vec::new();
    for s in &sessions {
        peers.push(MediaPeer::start(s.clone(), LOCAL, true, true, epoch).await.unwrap());
    }
    let end = Instant::now() + Duration::from_secs(40);
    loop {
        let missing: Vec<(usize, usize)> = peers
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                sessions
                    .iter()
                    .enumerate()
                    .filter(move |(j, _)| *j != i)
                    .filter(|(_, s)| frames(p, s, MediaKind::Video) == 0 || frames(p, s, MediaKind::Audio) == 0)
                    .map(move |(j, _)| (i, j))
            })
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < end,
            "{} of 240 (receiver, sender) pairs get no media, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(8)]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for p in peers {
        p.stop().await;
    }
}

//! The SFU with in-process str0m peers over a simulated network (1 ms each
//! way, optional loss), in simulated time: forwarding, renegotiation, policy
//! enforcement, removal, keyframe requests, NACK recovery, active speaker.
#![allow(clippy::unwrap_used)]

#[path = "common/net.rs"]
mod net;

use convene_sfu::client::MediaClient;
use convene_sfu::{PeerId, Policy, SfuError};
use net::{addr, secs, Net, ROOM};
use str0m::media::MediaKind;

const AUDIO_ONLY: Policy = Policy {
    send_audio: true,
    send_video: false,
    video_allowed: false,
    send_screen: false,
};

#[test]
fn two_peers_receive_each_others_audio_and_video() {
    let mut net = Net::new();
    net.join(1);
    net.join(2);
    net.run(secs(3.0));
    for (me, other) in [(1, 2), (2, 1)] {
        let c = net.client(me);
        let audio = c.frames_from(other, MediaKind::Audio);
        let video = c.frames_from(other, MediaKind::Video);
        assert!(audio > 100, "peer {me} got {audio} audio frames from {other}");
        assert!(video > 60, "peer {me} got {video} video frames from {other}");
        // Nobody receives their own media back.
        assert_eq!(c.frames_from(me, MediaKind::Audio), 0);
    }
    assert!(net.sfu.stats().frames_out > 300);
}

#[test]
fn a_third_peer_is_negotiated_in_both_directions() {
    let mut net = Net::new();
    net.join(1);
    net.join(2);
    net.run(secs(2.0));
    let offers_before = net.offers;
    net.join(3);
    net.run(secs(2.0));
    // The newcomer gets the others' tracks, and each of them gets the newcomer's.
    assert!(
        net.offers >= offers_before + 3,
        "offers {} -> {}",
        offers_before,
        net.offers
    );
    let c = net.client(3);
    for other in [1, 2] {
        assert!(c.frames_from(other, MediaKind::Video) > 30, "3 from {other}");
        assert!(c.frames_from(other, MediaKind::Audio) > 50, "3 from {other}");
        assert!(
            net.client(other).frames_from(3, MediaKind::Video) > 30,
            "{other} from 3"
        );
    }
    assert_eq!(net.client(3).tracks(MediaKind::Video).len(), 2);
}

#[test]
fn a_muted_peer_is_not_forwarded_whatever_it_sends() {
    let mut net = Net::new();
    net.join(1);
    net.join(2);
    net.run(secs(2.0));
    let now = net.now;
    net.sfu.set_policy(
        now,
        ROOM,
        PeerId(1),
        Policy {
            send_audio: false,
            ..Policy::OPEN
        },
    );
    // Frames already on the wire may still land.
    net.run(secs(0.1));
    let audio = net.client(2).frames_from(1, MediaKind::Audio);
    let video = net.client(2).frames_from(1, MediaKind::Video);
    net.run(secs(1.0));
    // Client 1 keeps sending audio, but none of it reaches client 2; video still flows.
    assert!(net.client(1).sent_frames > 0);
    assert_eq!(net.client(2).frames_from(1, MediaKind::Audio), audio);
    assert!(net.client(2).frames_from(1, MediaKind::Video) > video + 20);
    assert!(net.sfu.stats().frames_blocked >= 40);
    // Client 2's audio still reaches client 1.
    let back = net.client(1).frames_from(2, MediaKind::Audio);
    net.run(secs(0.5));
    assert!(net.client(1).frames_from(2, MediaKind::Audio) > back + 10);
    // Unmuted: it flows again.
    let now = net.now;
    net.sfu.set_policy(now, ROOM, PeerId(1), Policy::OPEN);
    net.run(secs(0.5));
    assert!(net.client(2).frames_from(1, MediaKind::Audio) > audio + 10);
}

#[test]
fn an_audio_only_meeting_refuses_video() {
    let mut net = Net::new();
    let err = net.join_with(1, true, true, AUDIO_ONLY).unwrap_err();
    assert_eq!(err, SfuError::VideoNotAllowed);
    assert_eq!(net.sfu.peer_count(), 0);
    net.join_with(2, true, false, AUDIO_ONLY).unwrap();
    net.join_with(3, true, false, AUDIO_ONLY).unwrap();
    net.run(secs(2.0));
    assert!(net.client(3).frames_from(2, MediaKind::Audio) > 50);
    assert!(net.client(3).tracks(MediaKind::Video).is_empty());
}

#[test]
fn a_removed_peer_stops_at_once_and_the_others_drop_its_tracks() {
    let mut net = Net::new();
    net.join(1);
    net.join(2);
    net.join(3);
    net.run(secs(2.0));
    net.sfu.remove_peer(ROOM, PeerId(1));
    assert!(!net.sfu.has_peer(ROOM, PeerId(1)));
    net.run(secs(0.05));
    let seen = net.client(2).frames_from(1, MediaKind::Audio);
    let to_removed = net.client(1).frames_from(2, MediaKind::Audio);
    net.run(secs(1.0));
    assert_eq!(net.client(2).frames_from(1, MediaKind::Audio), seen);
    // Nor does the removed peer receive anything more.
    assert_eq!(net.client(1).frames_from(2, MediaKind::Audio), to_removed);
    // Those who stay still hear each other.
    assert!(net.client(2).frames_from(3, MediaKind::Audio) > 80);
    assert_eq!(net.sfu.room_peers(ROOM), vec![PeerId(2), PeerId(3)]);
}

#[test]
fn keyframe_requests_reach_the_publisher() {
    let mut net = Net::new();
    net.join(1);
    net.join(2);
    net.run(secs(1.0));
    let before = net.client(1).keyframe_requests;
    let keyframes = net.client(2).received.values().map(|r| r.keyframes).sum::<u64>();
    let mid = net.client(2).tracks(MediaKind::Video)[0];
    let now = net.now;
    net.client_mut(2).request_keyframe(now, mid);
    net.run(secs(0.3));
    assert!(net.client(1).keyframe_requests > before, "publisher saw no request");
    let after = net.client(2).received.values().map(|r| r.keyframes).sum::<u64>();
    assert!(after > keyframes, "no new keyframe arrived ({keyframes} -> {after})");
}

#[test]
fn nack_recovers_lost_video_packets() {
    let mut net = Net::new();
    net.join(1);
    net.join(2);
    net.run(secs(1.0));
    net.lossy = Some((net.client(2).local_addr(), 10));
    net.run(secs(5.0));
    assert!(net.dropped > 40, "only {} datagrams dropped", net.dropped);
    let c = net.client(2);
    let video: Vec<_> = c
        .received
        .values()
        .filter(|r| r.kind == Some(MediaKind::Video))
        .collect();
    assert_eq!(video.len(), 1);
    assert!(video[0].frames > 150, "{} video frames", video[0].frames);
    // 10% of everything dropped, yet every video frame arrived.
    assert_eq!(video[0].gaps, 0, "video frames lost for good");
    // The subscriber's NACKs are counted (str0m reports every 5 s).
    let stats = net.sfu.stats();
    assert!(stats.nacks_received > 0, "{stats:?}");
    assert_eq!(stats.nacks_sent, 0, "nothing was lost on the way in: {stats:?}");
}

#[test]
fn the_loud_peer_becomes_the_active_speaker() {
    let mut net = Net::new();
    net.join(1);
    net.join(2);
    net.client_mut(1).audio_level = -90;
    net.client_mut(2).audio_level = -20;
    net.run(secs(2.0));
    assert_eq!(net.speakers.last(), Some(&Some(PeerId(2))));
    net.client_mut(2).audio_level = -127;
    net.client_mut(1).audio_level = -15;
    net.run(secs(2.0));
    assert_eq!(net.speakers.last(), Some(&Some(PeerId(1))));
    // And the level is passed on to subscribers.
    let levels: Vec<_> = net.client(2).received.values().filter_map(|r| r.last_level).collect();
    assert_eq!(levels, vec![-15]);
}

#[test]
fn each_subscriber_gets_the_simulcast_layer_its_downlink_carries() {
    let mut net = Net::new();
    // Peer 1 publishes video in two layers; 2 and 3 receive it.
    let (mut c, offer) = MediaClient::with_layers(net.now, net.epoch, 1, addr(6001), true, true, true);
    let answer = net
        .sfu
        .add_peer(net.now, ROOM, PeerId(1), &offer, Policy::OPEN)
        .unwrap();
    c.accept_answer(net.now, &answer).unwrap();
    net.clients.push(c);
    net.join(2);
    net.join(3);
    // Peer 3's downlink is weak.
    net.sfu.set_max_bitrate(ROOM, PeerId(3), Some(150_000));
    // Once the layers' bitrates are known (the first half second), each
    // subscriber stays on one layer.
    net.run(secs(1.5));
    let video = |net: &Net, id: u64| {
        let c = net.client(id);
        let r = c
            .received
            .values()
            .find(|r| r.kind == Some(MediaKind::Video) && r.from == 1)
            .cloned()
            .unwrap();
        (r.frames, r.bytes)
    };
    let (f2, b2) = video(&net, 2);
    let (f3, b3) = video(&net, 3);
    net.run(secs(3.0));
    let (frames2, size2) = {
        let (f, b) = video(&net, 2);
        (f - f2, (b - b2) / (f - f2).max(1))
    };
    let (frames3, size3) = {
        let (f, b) = video(&net, 3);
        (f - f3, (b - b3) / (f - f3).max(1))
    };
    println!("peer 2: {frames2} frames of {size2} B; peer 3: {frames3} frames of {size3} B");
    // One layer each (no frame twice: 30 frames/s), the full one for 2 and
    // the small one for 3 (1000 B and 200 B frames, keyframes 6x).
    assert!((80..=95).contains(&frames2), "{frames2} frames for 2");
    assert!((80..=95).contains(&frames3), "{frames3} frames for 3");
    assert!(size2 >= 1000, "peer 2 got {size2}-byte frames");
    assert!(size3 < 300, "peer 3 got {size3}-byte frames");
    // And the weak one's cap lifted: it moves up to the full layer.
    net.sfu.set_max_bitrate(ROOM, PeerId(3), None);
    let before = net.client(3).received.values().map(|r| r.bytes).sum::<u64>();
    net.run(secs(4.0));
    let after = net.client(3).received.values().map(|r| r.bytes).sum::<u64>();
    let bitrate = (after - before) * 8 / 4;
    println!("peer 3 uncapped: {bitrate} bit/s");
    assert!(bitrate > 250_000, "peer 3 still receives only {bitrate} bit/s");
}

#[test]
fn a_shared_screen_is_forwarded_only_while_the_meeting_lets_it() {
    let mut net = Net::new();
    let not_sharing = Policy {
        send_screen: false,
        ..Policy::OPEN
    };
    net.join_sharing(1, not_sharing);
    net.join(2);
    net.run(secs(2.0));
    // The subscriber has both of 1's video tracks: the camera flows, the
    // screen carries nothing.
    let frames = |net: &Net, mid| net.client(2).received.get(&mid).map_or(0, |r| r.frames);
    let tracks = net.client(2).tracks(MediaKind::Video);
    assert_eq!(tracks.len(), 2, "camera and screen");
    let (camera, screen) = if frames(&net, tracks[0]) > 0 {
        (tracks[0], tracks[1])
    } else {
        (tracks[1], tracks[0])
    };
    assert!(frames(&net, camera) > 30);
    assert_eq!(frames(&net, screen), 0, "a screen the meeting did not allow");
    // Allowed (it is the sharer now): it flows; not any more: it stops.
    let now = net.now;
    net.sfu.set_policy(now, ROOM, PeerId(1), Policy::OPEN);
    net.run(secs(1.0));
    let camera_then = frames(&net, camera);
    assert!(frames(&net, screen) > 20);
    let now = net.now;
    net.sfu.set_policy(now, ROOM, PeerId(1), not_sharing);
    net.run(secs(0.1));
    let stopped = frames(&net, screen);
    net.run(secs(1.0));
    assert_eq!(frames(&net, screen), stopped, "still forwarded after the share ended");
    assert!(frames(&net, camera) > camera_then + 20, "the camera goes on");
}

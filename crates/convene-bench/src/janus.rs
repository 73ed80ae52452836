//! `convene bench media --janus URL`: the same synthetic str0m publishers and
//! subscribers, signalled through Janus's VideoRoom plugin (its REST API,
//! `janus.transport.http`) instead of a convene meeting, so that the two SFUs
//! can be compared on one machine with one load generator.
//!
//! In a VideoRoom a publisher only sends; receiving is a second handle and a
//! second PeerConnection that subscribes to the other publishers' feeds, with
//! Janus making the offer. So a convene publisher's one connection is two
//! here, and the forwarded streams are the same: every publisher's audio
//! and video to every other participant of the room.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use convene_sfu::client::MediaClient;
use serde_json::{json, Value};

use crate::media_peer::MediaPeer;

/// One Janus session with one plugin handle attached: one per
/// PeerConnection, so that the session's events belong to that handle.
struct Handle {
    http: reqwest::Client,
    session_url: String,
    handle_url: String,
    keepalive: tokio::task::JoinHandle<()>,
}

fn transaction() -> String {
    convene_core::ids::random_hex(&mut rand::thread_rng(), 8)
}

/// POSTs a Janus API request and returns its answer, or the error Janus gave.
async fn post(http: &reqwest::Client, url: &str, mut body: Value) -> anyhow::Result<Value> {
    body["transaction"] = json!(transaction());
    let answer: Value = http
        .post(url)
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    if answer["janus"] == "error" {
        bail!("Janus refused {}: {}", body["janus"], answer["error"]);
    }
    Ok(answer)
}

impl Handle {
    /// A new session with the VideoRoom plugin attached.
    async fn attach(http: &reqwest::Client, base: &str) -> anyhow::Result<Handle> {
        let s = post(http, base, json!({"janus": "create"})).await?;
        let session = s["data"]["id"].as_u64().context("no session ID from Janus")?;
        let session_url = format!("{base}/{session}");
        let h = post(
            http,
            &session_url,
            json!({"janus": "attach", "plugin": "janus.plugin.videoroom"}),
        )
        .await?;
        let handle = h["data"]["id"].as_u64().context("no handle ID from Janus")?;
        // Janus drops a session that is quiet for 60 s.
        let keepalive = {
            let (http, url) = (http.clone(), session_url.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(15)).await;
                    let _ = post(&http, &url, json!({"janus": "keepalive"})).await;
                }
            })
        };
        Ok(Handle {
            http: http.clone(),
            handle_url: format!("{session_url}/{handle}"),
            session_url,
            keepalive,
        })
    }

    /// A plugin request; synchronous requests answer in the reply itself.
    async fn message(&self, body: Value, jsep: Option<Value>) -> anyhow::Result<Value> {
        let mut m = json!({"janus": "message", "body": body});
        if let Some(j) = jsep {
            m["jsep"] = j;
        }
        post(&self.http, &self.handle_url, m).await
    }

    /// The next plugin event of this handle that carries `field` in its
    /// plugin data (long-polling the session), with its JSEP if any.
    async fn event(&self, field: &str) -> anyhow::Result<(Value, Option<Value>)> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let events: Value = self
                .http
                .get(format!("{}?maxev=5", self.session_url))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let events = match events {
                Value::Array(v) => v,
                one => vec![one],
            };
            for e in events {
                let data = &e["plugindata"]["data"];
                if let Some(err) = data.get("error") {
                    bail!("Janus VideoRoom: {err}");
                }
                if data.get(field).is_some() {
                    return Ok((data.clone(), e.get("jsep").cloned()));
                }
            }
        }
        bail!("no '{field}' event from Janus in 20 s")
    }

    /// Tells Janus that every candidate of ours was in the SDP.
    async fn candidates_done(&self) -> anyhow::Result<()> {
        post(
            &self.http,
            &self.handle_url,
            json!({"janus": "trickle", "candidate": {"completed": true}}),
        )
        .await
        .map(|_| ())
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.keepalive.abort();
    }
}

/// The Janus sessions of a room's participants (the first one its
/// creator's), kept open while it runs.
pub struct Sessions {
    room: u64,
    handles: Vec<Handle>,
}

impl Sessions {
    /// Destroys the room and every session, so that nothing of this run
    /// stays in Janus to weigh on the next one.
    pub async fn close(self) {
        if let Some(admin) = self.handles.first() {
            let _ = admin
                .message(json!({"request": "destroy", "room": self.room}), None)
                .await;
        }
        for h in &self.handles {
            let _ = post(&h.http, &h.session_url, json!({"janus": "destroy"})).await;
        }
    }
}

/// Creates VideoRoom `room`, joins `publishers` sending audio (and `video`)
/// and `subscribers` receive-only participants, each receiving every
/// publisher but themselves, and starts their media: each PeerConnection
/// as a [`MediaPeer`] on a socket at `ip`, tagged publisher (sends) or not.
///
/// Janus gathers no candidates on the loopback interface (libnice skips
/// it), so on one machine it is given a loopback-range address on another
/// interface (`-E 127.0.0.2`), and the clients bind to that same address:
/// libnice paired no candidates between 127.0.0.1 and 127.0.0.2.
pub async fn room(
    base: &str,
    ip: std::net::IpAddr,
    room: u64,
    publishers: usize,
    subscribers: usize,
    video: bool,
    epoch: Instant,
) -> anyhow::Result<(Vec<(bool, MediaPeer)>, Sessions)> {
    let http = reqwest::Client::new();
    let admin = Handle::attach(&http, base).await?;
    let created = admin
        .message(
            json!({"request": "create", "room": room, "publishers": publishers.max(1),
                   "audiocodec": "opus", "videocodec": "vp8", "bitrate": 0, "notify_joining": false}),
            None,
        )
        .await?;
    if created["plugindata"]["data"]["videoroom"] != "created" {
        bail!("Janus did not create room {room}: {created}");
    }
    let mut handles = vec![admin];
    let mut peers = Vec::new();
    let mut feeds = Vec::new();
    // Tags in the frames: unique per sender across the benchmark (at most
    // 2,000 participants in all, two connections each).
    let tag = |i: usize| room * 10_000 + i as u64;
    for i in 0..publishers {
        let socket = tokio::net::UdpSocket::bind((ip, 0)).await?;
        let (mut client, offer) = MediaClient::new(Instant::now(), epoch, tag(i), socket.local_addr()?, true, video);
        let h = Handle::attach(&http, base).await?;
        h.message(
            json!({"request": "joinandconfigure", "room": room, "ptype": "publisher",
                   "display": format!("p{i}"), "audio": true, "video": video}),
            Some(json!({"type": "offer", "sdp": offer})),
        )
        .await?;
        h.candidates_done().await?;
        let (joined, jsep) = h.event("id").await?;
        let answer = jsep.context("Janus answered the publisher without SDP")?;
        client
            .accept_answer(Instant::now(), answer["sdp"].as_str().unwrap_or_default())
            .map_err(|e| anyhow::anyhow!("Janus's answer: {e}"))?;
        feeds.push(joined["id"].as_u64().context("no publisher ID")?);
        peers.push((true, MediaPeer::spawn(socket, client, None)));
        handles.push(h);
    }
    // Janus offers a feed to subscribers only once its PeerConnection is up.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !peers.iter().all(|(_, p)| p.with(|c| c.connected)) {
        if Instant::now() > deadline {
            bail!("room {room}: Janus's publisher connections not up after 20 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Everyone receives every publisher but themselves.
    for i in 0..publishers + subscribers {
        let streams: Vec<Value> = feeds
            .iter()
            .enumerate()
            .filter(|&(p, _)| p != i)
            .map(|(_, f)| json!({"feed": f}))
            .collect();
        if streams.is_empty() {
            continue;
        }
        let socket = tokio::net::UdpSocket::bind((ip, 0)).await?;
        let mut client = MediaClient::answerer(Instant::now(), epoch, tag(5_000 + i), socket.local_addr()?);
        let h = Handle::attach(&http, base).await?;
        // Janus registers a feed a little after the publisher's own side is
        // connected (seen with 30 rooms and more): "No such feed" is retried
        // until the deadline above.
        let jsep = loop {
            h.message(
                json!({"request": "join", "room": room, "ptype": "subscriber", "streams": streams}),
                None,
            )
            .await?;
            match h.event("streams").await {
                Ok((_, jsep)) => break jsep,
                Err(e) if e.to_string().contains("No such feed") && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e),
            }
        };
        let offer = jsep.context("Janus offered the subscriber no SDP")?;
        let answer = client
            .accept_offer(Instant::now(), offer["sdp"].as_str().unwrap_or_default())
            .map_err(|e| anyhow::anyhow!("Janus's offer: {e}"))?;
        h.message(
            json!({"request": "start", "room": room}),
            Some(json!({"type": "answer", "sdp": answer})),
        )
        .await?;
        h.candidates_done().await?;
        peers.push((false, MediaPeer::spawn(socket, client, None)));
        handles.push(h);
    }
    Ok((peers, Sessions { room, handles }))
}

/// Whether Janus answers at `base` (its `info` request).
pub async fn check(base: &str) -> anyhow::Result<String> {
    let info: Value = reqwest::get(format!("{base}/info"))
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(format!(
        "{} {}",
        info["name"].as_str().unwrap_or("Janus"),
        info["version_string"].as_str().unwrap_or("?")
    ))
}

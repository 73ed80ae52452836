//! The product's per-meeting event WebSocket (spec §6.2), for a host-side
//! program that follows a meeting: `GET .../control/conferences/wsToken`
//! (with the control token) gives a one-minute, single-use token; the
//! socket at `/cms/open/websocket/confctl/increment/conn?confID=&tmpToken=`
//! takes `Subscribe` (with the control token again, raw or `Basic
//! base64(token)`) and `HeartBeat`, and delivers the product's frames:
//! `ConfBasicInfoNotify`, `ConfDynamicInfoNotify`, `ParticipantsNotify`,
//! `AttendeesNotify`, `WaitingListNotify` (the first of each whole,
//! `msgMode` 0; then what changed, `msgMode` 1), `SpeakerChangeNotify`
//! (the loudest participant, whole each time) and `InviteResultNotify`
//! (how each invitation into the meeting went).
//!
//! The meeting's task keeps the watchers ([`Watchers`]): after every change
//! it compares the meeting with what it last told them and sends the
//! difference; nothing of this runs when nobody watches.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use convene_core::{ConfUuid, Meeting};
use convene_proto::confctl::{
    BasicInfo, DynamicInfo, Frame, InviteResultEntry, InvitedEntry, PInfo, ParticipantEntry, Reply, ReplyData,
    SpeakerEntry, WsTokenResponse,
};
use convene_proto::live::{Attendee, CallState, ParticipantId};
use convene_proto::{ConfRole, SdkErr};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::control::{authorized, ConfQuery};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// How long a `webSocketToken` may wait to be used (once).
const WS_TOKEN_TTL: i64 = 60;
/// A socket that says nothing (no heartbeat) for this long is closed.
const SILENCE: Duration = Duration::from_secs(180);
/// Frames queued for a watcher before it counts as gone.
const WATCH_QUEUE: usize = 1024;
/// The frame types convene sends.
const TYPES: [&str; 7] = [
    "ConfBasicInfoNotify",
    "ConfDynamicInfoNotify",
    "ParticipantsNotify",
    "AttendeesNotify",
    "WaitingListNotify",
    "SpeakerChangeNotify",
    "InviteResultNotify",
];

/// Issues a one-use socket token for the meeting, good for
/// [`WS_TOKEN_TTL`], kept in the store (as its digest, with a `ws:`
/// prefix) so that a socket through any node of a cluster finds it.
async fn issue(state: &AppState, m: &ConfUuid) -> ApiResult<String> {
    let token = convene_core::ids::random_hex(&mut rand::thread_rng(), 24);
    let now = state.now();
    state
        .store
        .put_control_token(&ws_key(&token), m, now + WS_TOKEN_TTL, now)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "keeping a socket token");
            ApiError::internal()
        })?;
    Ok(token)
}

fn ws_key(token: &str) -> String {
    format!("ws:{}", crate::auth::token_key(token))
}

/// `GET /v1/mmc/control/conferences/wsToken`: `{webSocketToken}`, good for
/// one connection within a minute.
#[utoipa::path(get, path = "/v1/mmc/control/conferences/wsToken", tag = "control",
    params(("conferenceID" = String, Query), ("X-Conference-Authorization" = String, Header, description = "the control token")),
    responses((status = 200, description = "`{webSocketToken}`"), (status = 401, body = convene_proto::RestError)))]
pub async fn ws_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ConfQuery>,
) -> ApiResult<Json<WsTokenResponse>> {
    let m = authorized(&state, &headers, &q).await?;
    Ok(Json(WsTokenResponse {
        web_socket_token: issue(&state, &m.conf_uuid).await?,
    }))
}

/// The token for the control token's answer (`tmpWsToken`).
pub async fn tmp_ws_token(state: &AppState, m: &Meeting) -> ApiResult<String> {
    issue(state, &m.conf_uuid).await
}

#[derive(Debug, Deserialize)]
pub struct ConnQuery {
    #[serde(rename = "confID")]
    conf_id: Option<String>,
    #[serde(rename = "tmpToken")]
    tmp_token: Option<String>,
}

/// `GET /cms/open/websocket/confctl/increment/conn?confID=&tmpToken=`.
pub async fn conn(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<ConnQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let now = state.now();
    // Several nodes: the socket goes to the node running the meeting, which
    // checks (and uses up) the token.
    if let (Some(cluster), Some(conf_id)) = (state.live.cluster.clone(), q.conf_id.clone()) {
        if !cluster.is_peer(&headers) {
            if let Some(url) = cluster.holder(state.store.as_ref(), &conf_id, now).await {
                let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str()).to_owned();
                return ws.on_upgrade(move |socket| async move {
                    cluster.forward_ws(&url, &path, socket, None, peer.ip()).await;
                });
            }
        }
    }
    let invalid = || {
        ApiError::unauthorized(
            SdkErr::USG_INVALID_TOKEN,
            "tmpToken is missing, used, expired or not this meeting's",
        )
    };
    let taken = match q.tmp_token.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => state.store.take_control_token(&ws_key(t), now).await,
        None => Ok(None),
    };
    let uuid = match taken {
        Ok(Some(u)) => u,
        Ok(None) => return invalid().into_response(),
        Err(e) => {
            tracing::error!(error = %e, "reading a socket token");
            return ApiError::internal().into_response();
        }
    };
    let m = match crate::api::meeting_param(&state, q.conf_id).await {
        Ok(Some(m)) if m.conf_uuid == uuid && m.is_live(now) => m,
        Ok(_) => return invalid().into_response(),
        Err(e) => return e.into_response(),
    };
    ws.on_upgrade(move |socket| follow(state, m, socket))
}

fn reply(action: &str, sequence: &Value, code: i64, desc: &str) -> Message {
    let r = Reply {
        action: action.into(),
        sequence: sequence.clone(),
        data: ReplyData {
            return_code: code,
            return_desc: desc.into(),
        },
    };
    Message::Text(serde_json::to_string(&r).unwrap_or_default().into())
}

/// One watcher's socket: `Subscribe` first, then frames and heartbeats.
async fn follow(state: AppState, m: Meeting, mut socket: WebSocket) {
    // The subscription: its types, and the control token again.
    let types = loop {
        let msg = match tokio::time::timeout(Duration::from_secs(30), socket.recv()).await {
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return,
        };
        let Ok(v) = serde_json::from_str::<Value>(&msg) else {
            let _ = socket
                .send(reply("Error", &Value::Null, 1, "frames are JSON objects"))
                .await;
            return;
        };
        let seq = v.get("sequence").cloned().unwrap_or(Value::Null);
        match v.get("action").and_then(Value::as_str) {
            Some("HeartBeat") => {
                let _ = socket.send(reply("HeartBeat", &seq, 0, "SUCCESS")).await;
            }
            Some("Subscribe") => {
                // `data` is a JSON string (the product's form); an object is taken too.
                let data = match v.get("data") {
                    Some(Value::String(s)) => serde_json::from_str::<Value>(s).unwrap_or(Value::Null),
                    Some(o @ Value::Object(_)) => o.clone(),
                    _ => Value::Null,
                };
                let token = data.get("confToken").and_then(Value::as_str).unwrap_or("");
                let mut headers = HeaderMap::new();
                if let Ok(h) = token.parse() {
                    headers.insert("X-Conference-Authorization", h);
                }
                let q = ConfQuery {
                    conference_id: Some(m.conf_id.0.clone()),
                    participant_id: None,
                };
                if authorized(&state, &headers, &q).await.is_err() {
                    let _ = socket
                        .send(reply("Subscribe", &seq, 1, "confToken is missing, wrong or expired"))
                        .await;
                    return;
                }
                let asked: HashSet<String> = match data.get("subscribeType") {
                    Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                    _ => HashSet::new(),
                };
                let types: HashSet<String> = if asked.is_empty() {
                    TYPES.iter().map(|t| (*t).to_owned()).collect()
                } else {
                    asked
                };
                let _ = socket.send(reply("Subscribe", &seq, 0, "SUCCESS")).await;
                break types;
            }
            _ => {
                let _ = socket.send(reply("Error", &seq, 1, "Subscribe first")).await;
            }
        }
    };
    let Some(mut frames) = state.live.watch(&m, types).await else {
        return;
    };
    following(&mut socket, &mut frames).await;
    drop(frames);
    // The meeting's session may stop now if nobody is in it.
    state.live.unwatch(&m).await;
}

async fn following(socket: &mut WebSocket, frames: &mut mpsc::Receiver<Arc<str>>) {
    let mut last_heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            f = frames.recv() => match f {
                Some(f) => {
                    if socket.send(Message::Text(f.to_string().into())).await.is_err() {
                        return;
                    }
                }
                // The meeting ended, or its session on this node stopped.
                None => {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    last_heard = tokio::time::Instant::now();
                    let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                    if v.get("action").and_then(Value::as_str) == Some("HeartBeat") {
                        let seq = v.get("sequence").cloned().unwrap_or(Value::Null);
                        if socket.send(reply("HeartBeat", &seq, 0, "SUCCESS")).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => last_heard = tokio::time::Instant::now(),
            },
            _ = tokio::time::sleep_until(last_heard + SILENCE) => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        }
    }
}

/// What the watchers were last told of a meeting.
#[derive(Clone, PartialEq)]
pub struct Seen {
    participants: BTreeMap<u64, Attendee>,
    waiting: BTreeMap<u64, Attendee>,
    dynamic: DynamicInfo,
}

/// A meeting task's watchers and what they last heard.
#[derive(Default)]
pub struct Watchers {
    list: Vec<(mpsc::Sender<Arc<str>>, HashSet<String>)>,
    seen: Option<Seen>,
}

/// The meeting as the watchers see it now.
pub struct Now<'a> {
    pub meeting: &'a Meeting,
    pub roster: Vec<Attendee>,
    pub locked: bool,
    pub mute_all: Option<bool>,
    pub end: i64,
    pub ended: bool,
    pub record: convene_proto::live::RecordState,
    pub recorded: bool,
}

impl<'a> Now<'a> {
    /// The meeting's live state as the watchers see it.
    pub fn of(live: &'a convene_core::live::Live) -> Now<'a> {
        let settings = live.settings();
        Now {
            meeting: live.meeting(),
            roster: live.roster(),
            locked: settings.locked,
            mute_all: settings.mute_all,
            end: live.end_time(),
            ended: live.is_ended(),
            record: live.record_state(),
            recorded: live.was_recorded(),
        }
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

fn pinfo(a: &Attendee) -> PInfo {
    PInfo {
        name: a.nick_name.clone(),
        role: match a.role {
            ConfRole::Host => "1",
            ConfRole::Audience => "2",
            _ => "0",
        }
        .into(),
        state: if a.online { "0" } else { "3" }.into(),
        hand: yes(a.hand_raised).into(),
        mute: yes(!a.is_mic_on).into(),
        video: yes(a.is_camera_on).into(),
        is_cohost: yes(a.role == ConfRole::Cohost).into(),
        anonymous: yes(a.is_anonymous).into(),
        account: a.user_uuid.clone().unwrap_or_default(),
    }
}

fn entries(now: &BTreeMap<u64, Attendee>, before: Option<&BTreeMap<u64, Attendee>>) -> Vec<ParticipantEntry> {
    let mut out = Vec::new();
    for (pid, a) in now {
        if before.and_then(|b| b.get(pid)) != Some(a) {
            out.push(ParticipantEntry {
                pid: pid.to_string(),
                mode: 0,
                pinfo_map: Some(pinfo(a)),
            });
        }
    }
    if let Some(b) = before {
        for pid in b.keys().filter(|p| !now.contains_key(p)) {
            out.push(ParticipantEntry {
                pid: pid.to_string(),
                mode: 1,
                pinfo_map: None,
            });
        }
    }
    out
}

impl Watchers {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Forgets the watchers whose socket is gone.
    pub fn prune(&mut self) {
        self.list.retain(|(tx, _)| !tx.is_closed());
    }

    /// A new watcher: told everything now, then what changes.
    pub fn add(&mut self, types: HashSet<String>, now: &Now<'_>) -> mpsc::Receiver<Arc<str>> {
        let (tx, rx) = mpsc::channel(WATCH_QUEUE);
        let seen = Self::look(now);
        let m = now.meeting;
        let basic = BasicInfo {
            conf_id: m.conf_id.0.clone(),
            subject: m.info.subject.clone(),
            schedule_start_time: m.start * 1000,
            schedule_end_time: m.end * 1000,
            scheduser_name: m.owner_name.clone(),
            media_type: if m.info.media_type == convene_proto::MediaType::Video {
                "Video"
            } else {
                "Voice"
            }
            .into(),
        };
        let invited: Vec<InvitedEntry> = m
            .info
            .attendees
            .iter()
            .map(|a| InvitedEntry {
                name: a.nick_name.clone(),
                phone: a.number.clone(),
                role: i64::from(a.role == Some(ConfRole::Host)),
            })
            .collect();
        let frames = [
            ("ConfBasicInfoNotify", frame("ConfBasicInfoNotify", m, 0, basic)),
            (
                "ConfDynamicInfoNotify",
                frame("ConfDynamicInfoNotify", m, 0, seen.dynamic.clone()),
            ),
            (
                "ParticipantsNotify",
                frame("ParticipantsNotify", m, 0, entries(&seen.participants, None)),
            ),
            ("AttendeesNotify", frame("AttendeesNotify", m, 0, invited)),
            (
                "WaitingListNotify",
                frame("WaitingListNotify", m, 0, entries(&seen.waiting, None)),
            ),
        ];
        for (action, f) in frames {
            if types.contains(action) {
                let _ = tx.try_send(f);
            }
        }
        if self.seen.is_none() {
            self.seen = Some(seen);
        }
        self.list.push((tx, types));
        rx
    }

    fn look(now: &Now<'_>) -> Seen {
        let (waiting, inside): (Vec<_>, Vec<_>) = now.roster.iter().cloned().partition(|a| a.role == ConfRole::Waiting);
        Seen {
            participants: inside.into_iter().map(|a| (a.participant_id.0, a)).collect(),
            waiting: waiting.into_iter().map(|a| (a.participant_id.0, a)).collect(),
            dynamic: DynamicInfo {
                end_time: now.end * 1000,
                mode: "FREE".into(),
                state: if now.ended { "Destroyed" } else { "Created" }.into(),
                lock: i64::from(now.locked),
                mute: i64::from(now.mute_all.is_some()),
                can_unmute: i64::from(now.mute_all.unwrap_or(true)),
                rec_state: i64::from(now.record.rec_state()),
                rec_occurred: i64::from(now.recorded),
            },
        }
    }

    /// Tells every watcher what changed since last time; drops the ones
    /// that are gone or too far behind.
    pub fn changed(&mut self, now: &Now<'_>) {
        if self.list.is_empty() {
            return;
        }
        let seen = Self::look(now);
        let before = self.seen.replace(seen.clone());
        let Some(before) = before.filter(|b| b != &seen) else {
            return;
        };
        let m = now.meeting;
        let mut frames: Vec<(&str, Arc<str>)> = Vec::new();
        if before.dynamic != seen.dynamic {
            frames.push((
                "ConfDynamicInfoNotify",
                frame("ConfDynamicInfoNotify", m, 1, seen.dynamic.clone()),
            ));
        }
        let p = entries(&seen.participants, Some(&before.participants));
        if !p.is_empty() {
            frames.push(("ParticipantsNotify", frame("ParticipantsNotify", m, 1, p)));
        }
        let w = entries(&seen.waiting, Some(&before.waiting));
        if !w.is_empty() {
            frames.push(("WaitingListNotify", frame("WaitingListNotify", m, 1, w)));
        }
        self.list.retain(|(tx, types)| {
            frames
                .iter()
                .filter(|(a, _)| types.contains(*a))
                .all(|(_, f)| tx.try_send(f.clone()).is_ok())
        });
    }
}

impl Watchers {
    /// Sends a frame to the watchers subscribed to its type.
    fn tell(&mut self, action: &str, f: Arc<str>) {
        self.list
            .retain(|(tx, types)| !types.contains(action) || tx.try_send(f.clone()).is_ok());
    }

    /// `SpeakerChangeNotify`: who speaks loudest now (`data` absent: nobody).
    pub fn speaker(&mut self, live: &convene_core::live::Live, p: Option<ParticipantId>, volume: u8) {
        if self.list.is_empty() {
            return;
        }
        let m = live.meeting();
        let data: Option<Vec<SpeakerEntry>> = p.map(|p| {
            vec![SpeakerEntry {
                pid: p.0.to_string(),
                name: live.attendee(p).map(|a| a.nick_name.clone()).unwrap_or_default(),
                speaking_volume: i64::from(volume),
            }]
        });
        self.tell("SpeakerChangeNotify", frame("SpeakerChangeNotify", m, 0, data));
    }

    /// `InviteResultNotify`: how an invitation went (`errorCode` "0" when
    /// answered; else why not: declined, noAnswer, unreachable, cancelled).
    pub fn invite_result(&mut self, m: &Meeting, name: &str, number: &str, state: CallState) {
        if self.list.is_empty() {
            return;
        }
        let code = match state {
            CallState::Answered => "0".to_owned(),
            other => other.as_str().to_owned(),
        };
        let data = vec![InviteResultEntry {
            call_number: if number.is_empty() {
                name.to_owned()
            } else {
                number.to_owned()
            },
            name: name.to_owned(),
            error_code: code.clone(),
            result_code: code,
        }];
        self.tell("InviteResultNotify", frame("InviteResultNotify", m, 1, data));
    }
}

fn frame<T: serde::Serialize>(action: &str, m: &Meeting, mode: u8, data: T) -> Arc<str> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let f = Frame {
        action: action.into(),
        version: "1.0".into(),
        create_time: now_ms,
        msg_id: convene_core::ids::random_hex(&mut rand::thread_rng(), 16),
        msg_mode: mode,
        conf_id: m.conf_id.0.clone(),
        data,
    };
    serde_json::to_string(&f).unwrap_or_default().into()
}

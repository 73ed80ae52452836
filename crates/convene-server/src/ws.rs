//! `GET /v1/convene/ws`: a participant's one WebSocket. The first message
//! joins (or resumes after a dropped connection); then the socket carries
//! control requests up and the meeting's events down, and the media
//! connection's signalling both ways.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use convene_core::live::{Credential, JoinRequest, Refusal};
use convene_proto::live::{ActionMsg, ClientMsg, ServerMsg};
use convene_proto::{AttendeeType, SdkErr};
use tokio::sync::oneshot;

use crate::live::{Attached, Cmd, MediaReq};
use crate::AppState;

/// How long a new socket may take to say who it is.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one message may take to be written. A client that does not
/// read holds the write (its TCP window is full); past this its
/// connection closes and it counts as disconnected (it may resume).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest message a participant may send. Control messages are
/// small, but a media answer grows with the meeting: a browser's answer
/// lists its codecs in every forwarded track's section (about 2.5 KB per
/// video track in Chromium), so 16 participants with cameras already answer
/// ~75 KB. 1 MiB holds a meeting of a few hundred tracks.
pub const MAX_MESSAGE: usize = 1024 * 1024;

pub async fn handler(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // From another node of the cluster: the client it forwards (and it
    // must not be forwarded again).
    let forwarded = state.live.cluster.as_ref().is_some_and(|c| c.is_peer(&headers));
    // Small buffers keep a connected participant cheap (the defaults are
    // 128 KiB each way); a message may be as large as MAX_MESSAGE.
    ws.max_message_size(MAX_MESSAGE)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| session(state, peer, socket, forwarded))
}

/// The meeting ID of a join or resume.
fn conf_id_of(first: &ClientMsg) -> Option<&str> {
    match first {
        ClientMsg::Join(j) => Some(&j.conf_id),
        ClientMsg::Resume { conf_id, .. } => Some(conf_id),
        _ => None,
    }
}

async fn send(socket: &mut WebSocket, msg: &ServerMsg) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => send_text(socket, text).await,
        Err(_) => false,
    }
}

/// Writes one message within [`WRITE_TIMEOUT`].
async fn send_text(socket: &mut WebSocket, text: String) -> bool {
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Text(text.into()))).await,
        Ok(Ok(()))
    )
}

/// Answers a refused join or resume, and closes the socket.
async fn refuse(socket: &mut WebSocket, r: Refusal) {
    send(
        socket,
        &ServerMsg::Error {
            ret: r.code,
            reason: r.reason,
        },
    )
    .await;
    let _ = socket.send(Message::Close(None)).await;
}

fn bad(reason: &str) -> Refusal {
    Refusal {
        code: SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
        reason: reason.into(),
    }
}

async fn hello(state: &AppState, peer: SocketAddr, first: ClientMsg) -> Result<(Attached, bool), Refusal> {
    match first {
        ClientMsg::Join(j) => {
            let account = match j.access_token.as_deref().filter(|t| !t.is_empty()) {
                None => None,
                Some(token) => {
                    let u = state.user_for_token(token).await.map_err(|e| Refusal {
                        code: e.code,
                        reason: e.msg,
                    })?;
                    Some(crate::auth::live_account(&u))
                }
            };
            let credential = match j.random {
                Some(r) => Credential::Random(r),
                None => Credential::Password(j.password.unwrap_or_default()),
            };
            let req = JoinRequest {
                credential,
                nick_name: j.nick_name,
                is_mic_on: j.is_mic_on,
                is_camera_on: j.is_camera_on,
                attendee_type: j.attendee_type.unwrap_or(AttendeeType::Normal),
                client_key: convene_core::guard::caller_key(account.as_ref().map(|a| a.user_id.as_str()), peer.ip()),
                account,
                password_gate: Default::default(),
                answering_call: false,
            };
            Ok((state.live.join(&j.conf_id, req).await?, false))
        }
        ClientMsg::Resume {
            conf_id,
            participant_id,
            resume_token,
            last_seq,
        } => Ok((
            state
                .live
                .resume(&conf_id, participant_id, resume_token, last_seq)
                .await?,
            true,
        )),
        _ => Err(bad("the first message must be a join or resume")),
    }
}

/// A control request: invitees' accounts are looked up first (an unknown
/// one is refused here, as on the REST API).
async fn control(state: &AppState, a: &Attached, action: ActionMsg) -> Result<(), Refusal> {
    let closed = || Refusal {
        code: SdkErr::CMS_CONF_IS_CLOSED,
        reason: "the meeting has ended".into(),
    };
    let action = match action {
        ActionMsg::AddAttendee { attendees } => ActionMsg::AddAttendee {
            attendees: crate::participants::resolve_invitees(state, attendees).await?,
        },
        other => other,
    };
    let (reply, rx) = oneshot::channel();
    let cmd = Cmd::Control {
        by: a.participant.into(),
        action: action.into(),
        reply,
    };
    match a.meeting.send(cmd).await {
        Ok(()) => rx.await.unwrap_or_else(|_| Err(closed())),
        Err(_) => Err(closed()),
    }
}

async fn media(a: &Attached, req: MediaReq) -> Result<Option<String>, Refusal> {
    let gone = || Refusal {
        code: SdkErr::CMS_CONF_IS_CLOSED,
        reason: "the meeting has ended".into(),
    };
    let (reply, rx) = oneshot::channel();
    let cmd = Cmd::Media {
        participant: a.participant,
        conn: a.conn,
        req,
        reply,
    };
    a.meeting.send(cmd).await.map_err(|_| gone())?;
    rx.await.unwrap_or_else(|_| Err(gone()))
}

async fn session(state: AppState, peer: SocketAddr, mut socket: WebSocket, forwarded: bool) {
    let first = match tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(Message::Text(t)))) => serde_json::from_str::<ClientMsg>(&t)
            .map(|m| (t.to_string(), m))
            .map_err(|e| bad(&format!("unreadable message: {e}"))),
        _ => Err(bad("the first message must be a join or resume")),
    };
    // Several nodes: the meeting runs on one; this node may be only the door.
    if let (Some(cluster), Ok((text, msg))) = (state.live.cluster.clone(), &first) {
        if let Some(conf_id) = conf_id_of(msg) {
            match cluster.route_conf(state.store.as_ref(), conf_id, state.now()).await {
                Ok(crate::cluster::Route::Remote(url)) if !forwarded => {
                    cluster
                        .forward_ws(&url, "/v1/convene/ws", socket, Some(text.clone()), peer.ip())
                        .await;
                    return;
                }
                Ok(crate::cluster::Route::Remote(_)) => {
                    let r = Refusal::new(SdkErr::SDK_COMMON_FAIL, "the meeting moved to another node: try again");
                    return refuse(&mut socket, r).await;
                }
                Ok(crate::cluster::Route::Local(_)) => {}
                Err(e) => tracing::error!(error = %e, "routing a meeting socket"),
            }
        }
    }
    let hello = match first {
        Ok((_, msg)) => hello(&state, peer, msg).await,
        Err(r) => Err(r),
    };
    let (mut a, resumed) = match hello {
        Ok(x) => x,
        Err(r) => return refuse(&mut socket, r).await,
    };
    let ice_servers = state.live.media.ice_servers(state.now(), &a.participant.0.to_string());
    let welcome = if resumed {
        ServerMsg::Resumed {
            participant_id: a.participant,
            role: a.role,
            ice_servers,
        }
    } else {
        ServerMsg::Joined {
            participant_id: a.participant,
            resume_token: a.resume_token.clone(),
            role: a.role,
            ice_servers,
        }
    };
    let mut left = false;
    // A failed welcome counts as a dropped connection, like any later one.
    let welcomed = send(&mut socket, &welcome).await;
    if welcomed {
        loop {
            tokio::select! {
                event = a.rx.recv() => match event {
                    Some(text) => {
                        a.queued.fetch_sub(text.len(), std::sync::atomic::Ordering::Relaxed);
                        if !send_text(&mut socket, text.to_string()).await {
                            break;
                        }
                    }
                    // The meeting closed this connection: ended, removed, left, or replaced.
                    None => {
                        let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Close(None))).await;
                        return;
                    }
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Text(t))) => match serde_json::from_str::<ClientMsg>(&t) {
                        Ok(ClientMsg::Control { req_id, action }) => {
                            let result = control(&state, &a, action).await;
                            let (ret, reason) = match result {
                                Ok(()) => (SdkErr::SDKERR_SUCCESS, String::new()),
                                Err(r) => (r.code, r.reason),
                            };
                            if !send(&mut socket, &ServerMsg::Result { req_id, ret, reason }).await {
                                break;
                            }
                        }
                        Ok(ClientMsg::MediaOffer { sdp }) => {
                            let answer = media(&a, MediaReq::Offer(sdp)).await;
                            let msg = match answer {
                                Ok(sdp) => ServerMsg::MediaAnswer { sdp: sdp.unwrap_or_default() },
                                Err(r) => ServerMsg::MediaError { ret: r.code, reason: r.reason },
                            };
                            if !send(&mut socket, &msg).await {
                                break;
                            }
                        }
                        Ok(ClientMsg::MediaAnswer { sdp }) => {
                            if let Err(r) = media(&a, MediaReq::Answer(sdp)).await {
                                if !send(&mut socket, &ServerMsg::MediaError { ret: r.code, reason: r.reason }).await {
                                    break;
                                }
                            }
                        }
                        Ok(ClientMsg::MediaClose) => {
                            let _ = media(&a, MediaReq::Close).await;
                        }
                        Ok(ClientMsg::Leave) if !left => {
                            left = true;
                            let _ = a.meeting.send(Cmd::Leave { participant: a.participant, conn: a.conn }).await;
                        }
                        Ok(_) => {}
                        Err(e) => {
                            let reason = format!("unreadable message: {e}");
                            if !send(&mut socket, &ServerMsg::Result { req_id: 0, ret: SdkErr::CMS_PARAMETER_VERIFIED_FAIL, reason }).await {
                                break;
                            }
                        }
                    },
                    Some(Err(e)) => {
                        // A message over the limit closes with 1009 ("message
                        // too big"), as RFC 6455 has it, not silently.
                        let too_big = e
                            .into_inner()
                            .downcast_ref::<tokio_tungstenite::tungstenite::Error>()
                            .is_some_and(|t| matches!(t, tokio_tungstenite::tungstenite::Error::Capacity(_)));
                        if too_big {
                            let frame = CloseFrame { code: 1009, reason: "message too big".into() };
                            let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
                        }
                        break;
                    }
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Ok(_)) => {}
                },
            }
        }
    }
    // The connection dropped without a leave: keep the place for the grace period.
    let _ = a
        .meeting
        .send(Cmd::Disconnect {
            participant: a.participant,
            conn: a.conn,
        })
        .await;
}

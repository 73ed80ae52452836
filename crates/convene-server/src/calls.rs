//! Incoming calls: `GET /v1/convene/calls`, a logged-in client's channel for
//! invitations into running meetings. Its first message names the account
//! (`listen` with the access token); from then on every call ringing for
//! that account reaches it (those already ringing at once), then how each
//! call ended. The client answers a call by joining the meeting as the
//! account (the invitation lets it in) or sends `decline`.
//!
//! Who is rung, for how long and why it stops is the meeting session's
//! (`convene_core::calls`); [`Calls`] only carries its rings to the
//! account's listening clients on this node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use convene_core::calls::Call;
use convene_core::ConfUuid;
use convene_proto::live::{CallClientMsg, CallServerMsg, CallState};
use convene_proto::SdkErr;
use tokio::sync::mpsc;

use crate::AppState;

const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Messages queued for a listener that does not read before it is dropped.
const LISTENER_QUEUE: usize = 64;

struct Listener {
    id: u64,
    user_id: String,
    account: String,
    tx: mpsc::Sender<Arc<str>>,
}

impl Listener {
    fn rings_for(&self, c: &Call) -> bool {
        c.rings(&self.user_id, &self.account)
    }
}

#[derive(Default)]
struct Inner {
    next: u64,
    listeners: Vec<Listener>,
    /// Calls ringing now, with their meeting.
    ringing: HashMap<String, (Call, ConfUuid)>,
}

/// This node's listening clients and ringing calls.
#[derive(Default)]
pub struct Calls {
    inner: Mutex<Inner>,
}

fn text(msg: &CallServerMsg) -> Arc<str> {
    serde_json::to_string(msg).unwrap_or_default().into()
}

fn incoming(c: &Call) -> Arc<str> {
    text(&CallServerMsg::IncomingCall {
        call_id: c.id.clone(),
        conf_id: c.conf_id.clone(),
        subject: c.subject.clone(),
        inviter: c.inviter.clone(),
        media_type: c.media_type,
        expires_at: c.until,
    })
}

impl Calls {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A meeting rings `call` (`now`: Unix seconds).
    pub fn ring(&self, conf_uuid: &ConfUuid, call: Call, now: i64) {
        let msg = incoming(&call);
        let mut inner = self.lock();
        // Calls past their time whose end never came (their meeting's node
        // died) are forgotten.
        inner.ringing.retain(|_, (c, _)| c.until > now);
        // A listener that cannot take it is too far behind: dropped.
        inner
            .listeners
            .retain(|l| !l.rings_for(&call) || l.tx.try_send(msg.clone()).is_ok());
        inner.ringing.insert(call.id.clone(), (call, conf_uuid.clone()));
    }

    /// A meeting stopped ringing `call`.
    pub fn end(&self, call: &Call, reason: CallState) {
        let msg = text(&CallServerMsg::CallEnded {
            call_id: call.id.clone(),
            reason,
        });
        let mut inner = self.lock();
        inner.ringing.remove(&call.id);
        inner
            .listeners
            .retain(|l| !l.rings_for(call) || l.tx.try_send(msg.clone()).is_ok());
    }

    /// A client listens for `user`'s calls: those ringing now come first.
    fn listen(&self, user: &convene_store::User, now: i64) -> (u64, mpsc::Receiver<Arc<str>>) {
        let (tx, rx) = mpsc::channel(LISTENER_QUEUE);
        let mut inner = self.lock();
        inner.ringing.retain(|_, (c, _)| c.until > now);
        inner.next += 1;
        let l = Listener {
            id: inner.next,
            user_id: user.id.as_str().to_owned(),
            account: user.account.clone(),
            tx,
        };
        for (c, _) in inner.ringing.values() {
            if l.rings_for(c) {
                let _ = l.tx.try_send(incoming(c));
            }
        }
        let id = l.id;
        inner.listeners.push(l);
        (id, rx)
    }

    fn unlisten(&self, id: u64) {
        self.lock().listeners.retain(|l| l.id != id);
    }

    /// Whether `call_id` rings for `user`.
    pub fn rings(&self, call_id: &str, user: &convene_store::User) -> bool {
        self.lock()
            .ringing
            .get(call_id)
            .is_some_and(|(c, _)| c.rings(user.id.as_str(), &user.account))
    }

    /// The meeting a ringing call belongs to.
    pub fn meeting_of(&self, call_id: &str) -> Option<ConfUuid> {
        self.lock().ringing.get(call_id).map(|(_, m)| m.clone())
    }
}

pub async fn handler(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(16 * 1024)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| channel(state, socket))
}

async fn send(socket: &mut WebSocket, msg: &CallServerMsg) -> bool {
    send_text(socket, &text(msg)).await
}

async fn send_text(socket: &mut WebSocket, text: &str) -> bool {
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Text(text.to_owned().into()))).await,
        Ok(Ok(()))
    )
}

async fn refuse(socket: &mut WebSocket, ret: SdkErr, reason: &str) {
    send(
        socket,
        &CallServerMsg::Error {
            ret,
            reason: reason.into(),
        },
    )
    .await;
    let _ = socket.send(Message::Close(None)).await;
}

async fn channel(state: AppState, mut socket: WebSocket) {
    let first = match tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(Message::Text(t)))) => t,
        _ => {
            return refuse(
                &mut socket,
                SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                "the first message must be listen",
            )
            .await
        }
    };
    let token = match serde_json::from_str::<CallClientMsg>(&first) {
        Ok(CallClientMsg::Listen { access_token }) => access_token,
        _ => {
            return refuse(
                &mut socket,
                SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                "the first message must be listen",
            )
            .await
        }
    };
    let user = match state.user_for_token(&token).await {
        Ok(u) => u,
        Err(e) => return refuse(&mut socket, e.code, &e.msg).await,
    };
    let calls = &state.live.calls;
    let (id, mut rx) = calls.listen(&user, state.now());
    if send(&mut socket, &CallServerMsg::Listening).await {
        loop {
            tokio::select! {
                out = rx.recv() => match out {
                    Some(msg) => if !send_text(&mut socket, &msg).await { break },
                    // Dropped for not reading.
                    None => break,
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Text(t))) => {
                        let result = match serde_json::from_str::<CallClientMsg>(&t) {
                            Ok(CallClientMsg::Decline { call_id }) => state.live.decline(&call_id, &user).await,
                            Ok(CallClientMsg::Listen { .. }) => Ok(()),
                            Err(e) => Err(convene_core::live::Refusal::new(
                                SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                                format!("unreadable message: {e}"),
                            )),
                        };
                        if let Err(r) = result {
                            if !send(&mut socket, &CallServerMsg::Error { ret: r.code, reason: r.reason }).await {
                                break;
                            }
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
            }
        }
    }
    calls.unlisten(id);
}

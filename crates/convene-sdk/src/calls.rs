//! Incoming calls: a logged-in client listens on `/v1/convene/calls` for
//! invitations into running meetings (an `addAttendee`, the REST
//! `invite_participant`, or a meeting's `isAutoInvite` invitees when it
//! starts). Answer one with [`crate::ConveneClient::accept_call_async`]
//! (joins as the logged-in account) or [`CallListener::decline`].

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use convene_proto::live::{CallClientMsg, CallServerMsg};
use convene_proto::SdkErr;

use crate::SdkError;

pub use convene_proto::live::CallState;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An invitation ringing here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    pub call_id: String,
    pub conf_id: String,
    pub subject: String,
    pub inviter: String,
    pub media_type: convene_proto::MediaType,
    /// Unix seconds: it stops ringing then.
    pub expires_at: i64,
}

/// What the call channel tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    Incoming(IncomingCall),
    /// It stopped ringing: answered (here or elsewhere), declined, not
    /// answered in time, or the meeting ended.
    Ended {
        call_id: String,
        reason: CallState,
    },
}

/// A listening call channel.
pub struct CallListener {
    ws: Ws,
}

fn net(e: impl std::fmt::Display) -> SdkError {
    SdkError {
        code: SdkErr::UISDK_NO_NETWORK_ERROR,
        reason: e.to_string(),
    }
}

impl CallListener {
    pub(crate) async fn open(
        url: &str,
        tls: Option<std::sync::Arc<rustls::ClientConfig>>,
        access_token: String,
    ) -> Result<CallListener, SdkError> {
        let connector = match tls {
            Some(config) => tokio_tungstenite::Connector::Rustls(config),
            None => tokio_tungstenite::Connector::Plain,
        };
        let connect = tokio_tungstenite::connect_async_tls_with_config(url, None, true, Some(connector));
        let (ws, _) = tokio::time::timeout(Duration::from_secs(15), connect)
            .await
            .map_err(|_| SdkError {
                code: SdkErr::UISDK_HTTP_CONNECT_SERVER_TIMEOUT_ERROR,
                reason: "connecting timed out".into(),
            })?
            .map_err(net)?;
        let mut me = CallListener { ws };
        me.send(&CallClientMsg::Listen { access_token }).await?;
        match me.recv().await? {
            CallServerMsg::Listening => Ok(me),
            CallServerMsg::Error { ret, reason } => Err(SdkError { code: ret, reason }),
            other => Err(net(format!("unexpected answer {other:?}"))),
        }
    }

    async fn send(&mut self, msg: &CallClientMsg) -> Result<(), SdkError> {
        let text = serde_json::to_string(msg).map_err(net)?;
        self.ws.send(Message::Text(text.into())).await.map_err(net)
    }

    async fn recv(&mut self) -> Result<CallServerMsg, SdkError> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    return serde_json::from_str(&t).map_err(|e| SdkError {
                        code: SdkErr::UISDK_HTTP_SERVER_ERROR,
                        reason: e.to_string(),
                    })
                }
                Some(Ok(Message::Close(_))) | None => return Err(net("the connection closed")),
                Some(Err(e)) => return Err(net(e)),
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next call event; a refusal the server sends (a decline of a
    /// call no longer ringing) comes back as an error.
    pub async fn next(&mut self) -> Result<CallEvent, SdkError> {
        match self.recv().await? {
            CallServerMsg::IncomingCall {
                call_id,
                conf_id,
                subject,
                inviter,
                media_type,
                expires_at,
            } => Ok(CallEvent::Incoming(IncomingCall {
                call_id,
                conf_id,
                subject,
                inviter,
                media_type,
                expires_at,
            })),
            CallServerMsg::CallEnded { call_id, reason } => Ok(CallEvent::Ended { call_id, reason }),
            CallServerMsg::Error { ret, reason } => Err(SdkError { code: ret, reason }),
            CallServerMsg::Listening => Err(net("listening twice")),
        }
    }

    /// Turns a call down: every device of the account stops ringing.
    pub async fn decline(&mut self, call_id: &str) -> Result<(), SdkError> {
        self.send(&CallClientMsg::Decline {
            call_id: call_id.to_owned(),
        })
        .await
    }
}

//! What the nodes of a cluster tell each other (issue 22), over PostgreSQL
//! `NOTIFY`/`LISTEN` (`Store::publish`, `Store::subscribe`): what is not one
//! meeting's and so cannot be forwarded to its holder.
//!
//! - **Calls ringing.** A meeting rings its invitees on the node holding
//!   it, but the invitee's client listens on whichever node the balancer
//!   gave it. Every node keeps every ringing call ([`crate::calls::Calls`]),
//!   so a client hears a call wherever it listens, and its decline reaches
//!   the meeting's node.
//! - **Sessions forgotten.** A logout, a changed password, a deleted
//!   account or App ID end sessions; each node forgets its cached copies.
//!
//! Messages go out in the order told (one publisher per node). A node that
//! may have missed some (its listening connection dropped) forgets its
//! whole session cache; calls it missed ringing are not rung there, and
//! calls it missed ending stop at their time.

use std::sync::Arc;

use convene_core::calls::Call;
use convene_core::ConfUuid;
use convene_proto::live::CallState;
use convene_store::{Heard, Store};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::AppState;

/// One piece of news for the other nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum News {
    /// A meeting rings `call`.
    #[serde(rename_all = "camelCase")]
    Ring { conf_uuid: String, call: Call },
    /// It stopped ringing.
    RingEnd { call: Call, reason: CallState },
    /// An invitee declined `call_id` (for the meeting's node).
    #[serde(rename_all = "camelCase")]
    Decline {
        conf_uuid: String,
        call_id: String,
        user_id: String,
        account: String,
    },
    /// A session ended (its token's digest).
    ForgetSession { key: String },
    /// Every session of an account ended.
    #[serde(rename_all = "camelCase")]
    ForgetUser { user_id: String },
    /// Every session of an App ID's users ended.
    #[serde(rename_all = "camelCase")]
    ForgetApp { app_id: String },
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    from: String,
    news: News,
}

/// This node's way to tell the others.
pub struct Bus {
    node_id: String,
    queue: mpsc::UnboundedSender<String>,
}

impl Bus {
    /// Starts the node's publisher (one, so news leaves in order).
    pub fn start(store: Arc<dyn Store>, node_id: &str) -> Bus {
        let (queue, mut rx) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(payload) = rx.recv().await {
                let mut tries = 0;
                while let Err(e) = store.publish(&payload).await {
                    tries += 1;
                    tracing::error!(error = %e, tries, "telling the other nodes");
                    if tries == 3 {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100 * tries)).await;
                }
            }
        });
        Bus {
            node_id: node_id.to_owned(),
            queue,
        }
    }

    /// Tells the other nodes (in the background, in order).
    pub fn tell(&self, news: News) {
        let envelope = Envelope {
            from: self.node_id.clone(),
            news,
        };
        if let Ok(payload) = serde_json::to_string(&envelope) {
            let _ = self.queue.send(payload);
        }
    }
}

/// Carries out what the other nodes tell this one, until the store stops
/// delivering.
pub async fn listen(state: AppState, node_id: String, mut heard: mpsc::Receiver<Heard>) {
    while let Some(h) = heard.recv().await {
        let payload = match h {
            Heard::Message(p) => p,
            Heard::Missed => {
                tracing::warn!("messages from the other nodes were lost: forgetting cached sessions");
                state.sessions.forget_where(|_| true);
                continue;
            }
        };
        let Ok(envelope) = serde_json::from_str::<Envelope>(&payload) else {
            tracing::warn!("an unreadable message from another node");
            continue;
        };
        if envelope.from == node_id {
            continue;
        }
        metrics::counter!("convene_cluster_news_total").increment(1);
        apply(&state, envelope.news).await;
    }
}

async fn apply(state: &AppState, news: News) {
    match news {
        News::Ring { conf_uuid, call } => state.live.calls.ring(&ConfUuid(conf_uuid), call, state.now()),
        News::RingEnd { call, reason } => state.live.calls.end(&call, reason),
        News::Decline {
            conf_uuid,
            call_id,
            user_id,
            account,
        } => {
            state
                .live
                .decline_here(&ConfUuid(conf_uuid), call_id, user_id, account)
                .await
        }
        News::ForgetSession { key } => state.sessions.forget(&key),
        News::ForgetUser { user_id } => state.sessions.forget_user(&convene_core::UserId(user_id)),
        News::ForgetApp { app_id } => state
            .sessions
            .forget_where(|u| u.app_id.as_deref() == Some(app_id.as_str())),
    }
}

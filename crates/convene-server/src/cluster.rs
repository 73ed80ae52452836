//! Several nodes on one PostgreSQL database (issue 22).
//!
//! Each live meeting runs on exactly one node: the one holding its lease in
//! `meeting_leases` (`convene_store::Lease`), taken when the first request
//! for it arrives while nobody holds it, renewed by the meeting's task, with
//! an epoch that grows at every takeover (the fencing token). Any node is a
//! door: a meeting WebSocket, or a REST call about a meeting, that reaches a
//! node not holding the meeting is forwarded to the holder over HTTP with
//! the cluster secret (`x-convene-cluster`) and the client's address
//! (`x-convene-client`), once (a forwarded request is never forwarded
//! again). Media go straight to the holder: its SFU answers with its own
//! `--media-ip`.
//!
//! Alone (no `--cluster-secret`), none of this runs: every meeting is local.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::ws::{Message, WebSocket};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use convene_core::{ConfState, ConfUuid};
use convene_store::{Store, StoreError};
use futures::{SinkExt, StreamExt};

use crate::config::Secret;

/// A node's hold on a meeting lasts this long without renewal (renewed
/// every third of it): a dead node's meetings move within this.
pub const DEFAULT_LEASE_MS: i64 = 5000;
/// The shared secret, on every request between nodes.
pub const SECRET_HEADER: &str = "x-convene-cluster";
/// The client's address, on a forwarded request.
pub const CLIENT_HEADER: &str = "x-convene-client";

#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Empty: made at start.
    pub node_id: String,
    /// Where other nodes reach this one (`None`: the bound HTTP address).
    pub url: Option<String>,
    pub secret: Secret,
    pub lease_ms: i64,
    /// Database connections kept open ([`DEFAULT_WARM_CONNECTIONS`]).
    pub warm_connections: u32,
}

/// A cluster node keeps this many database connections open: joins and
/// forwards read the database on their way, and opening a connection costs
/// PostgreSQL ~100 ms (a process and a password check).
pub const DEFAULT_WARM_CONNECTIONS: u32 = 16;

/// This node's part in the cluster.
pub struct Cluster {
    pub node_id: String,
    pub url: String,
    secret: String,
    pub lease_ms: i64,
    http: reqwest::Client,
    /// News for the other nodes.
    pub bus: crate::bus::Bus,
}

/// The name a node without `--node-id` keeps in its data folder (`node-id`),
/// made at its first start: the same after a restart, so that it still
/// composes the recording parts it captured before.
fn kept_node_id(data_dir: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context;
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let id = format!("node-{}", convene_core::ids::random_hex(&mut rand::thread_rng(), 4));
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    std::fs::write(&path, format!("{id}\n")).with_context(|| format!("writing {}", path.display()))?;
    Ok(id)
}

/// Where a meeting's requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// This node holds it (with this epoch).
    Local(i64),
    /// Another node holds it: its cluster URL.
    Remote(String),
}

impl Cluster {
    pub fn new(
        c: &ClusterConfig,
        bound: SocketAddr,
        store: std::sync::Arc<dyn Store>,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Cluster> {
        let node_id = if c.node_id.is_empty() {
            kept_node_id(data_dir)?
        } else {
            c.node_id.clone()
        };
        Ok(Cluster {
            bus: crate::bus::Bus::start(store, &node_id),
            node_id,
            url: c.url.clone().unwrap_or_else(|| format!("http://{bound}")),
            secret: c.secret.0.clone(),
            lease_ms: c.lease_ms,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(std::time::Duration::from_secs(3))
                .timeout(std::time::Duration::from_secs(30))
                .build()?,
        })
    }

    /// Whether a request came from another node of this cluster.
    pub fn is_peer(&self, headers: &HeaderMap) -> bool {
        headers
            .get(SECRET_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|s| convene_core::meeting::same_secret(s, &self.secret))
    }

    /// The client's address: the one a peer forwarded, else the connection's.
    pub fn client_addr(&self, headers: &HeaderMap, peer: SocketAddr) -> SocketAddr {
        if !self.is_peer(headers) {
            return peer;
        }
        headers
            .get(CLIENT_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<IpAddr>().ok())
            .map_or(peer, |ip| SocketAddr::new(ip, 0))
    }

    /// Where a live meeting runs: here (its lease taken or renewed), or on
    /// the node holding it.
    pub async fn route(&self, store: &dyn Store, uuid: &ConfUuid) -> Result<Route, StoreError> {
        // Most requests find a running lease: read it, write nothing (a
        // lease of ours is renewed by the meeting's task).
        if let Some(lease) = store.lease_of(uuid).await? {
            // Margin: a lease about to run out is taken (or renewed) below.
            if lease.expires_at > now_ms() + self.lease_ms / 3 {
                return Ok(if lease.node_id == self.node_id {
                    Route::Local(lease.epoch)
                } else {
                    Route::Remote(lease.node_url)
                });
            }
        }
        self.take(store, uuid).await
    }

    /// Takes a meeting's lease if free or run out (or renews ours) for a
    /// full `lease_ms` from now: here, or the node holding it.
    pub async fn take(&self, store: &dyn Store, uuid: &ConfUuid) -> Result<Route, StoreError> {
        let lease = store
            .claim_lease(uuid, &self.node_id, &self.url, now_ms(), self.lease_ms)
            .await?;

        Ok(if lease.node_id == self.node_id {
            Route::Local(lease.epoch)
        } else {
            Route::Remote(lease.node_url)
        })
    }

    /// Where the meeting with this ID runs, without taking it: another
    /// node's URL when one holds a running lease.
    pub async fn holder(&self, store: &dyn Store, conf_id: &str, now: i64) -> Option<String> {
        let m = store
            .meeting_by_conf_id(&convene_core::ConfId(conf_id.to_owned()), now)
            .await
            .ok()??;
        if m.state_at(now) != ConfState::Running {
            return None;
        }
        let lease = store.lease_of(&m.conf_uuid).await.ok()??;
        (lease.node_id != self.node_id && lease.expires_at > now_ms()).then_some(lease.node_url)
    }

    /// Where a WebSocket join or resume for meeting ID `conf_id` goes: the
    /// node holding its running meeting, taking it here if free.
    pub async fn route_conf(&self, store: &dyn Store, conf_id: &str, now: i64) -> Result<Route, StoreError> {
        let found = store
            .meeting_by_conf_id(&convene_core::ConfId(conf_id.to_owned()), now)
            .await?;
        match found {
            // Running, or booked (a join may start it): one node runs it.
            Some(m) if m.state_at(now) != ConfState::Ended && m.state != ConfState::Cancelled => {
                self.route(store, &m.conf_uuid).await
            }
            // Unknown or over: answered here, like any node would.
            _ => Ok(Route::Local(0)),
        }
    }

    /// Forwards an HTTP request to the node at `url`, answering its answer.
    pub async fn forward_http(&self, url: &str, req: Request<Body>, client: IpAddr) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
            return plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
        };
        let mut out = self.http.request(parts.method.clone(), format!("{url}{path}"));
        for (k, v) in &parts.headers {
            if !is_hop_header(k) {
                out = out.header(k, v);
            }
        }
        let sent = out
            .header(SECRET_HEADER, &self.secret)
            .header(CLIENT_HEADER, client.to_string())
            .body(body)
            .send()
            .await;
        let r = match sent {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, node = url, "forwarding to the meeting's node");
                metrics::counter!("convene_cluster_forward_failures_total").increment(1);
                return plain(
                    StatusCode::BAD_GATEWAY,
                    "the meeting's node cannot be reached: try again",
                );
            }
        };
        metrics::counter!("convene_cluster_forwarded_total", "kind" => "http").increment(1);
        let mut answer = Response::builder().status(r.status());
        for (k, v) in r.headers() {
            if !is_hop_header(k) {
                answer = answer.header(k, v);
            }
        }
        let bytes = r.bytes().await.unwrap_or_default();
        answer
            .body(Body::from(bytes))
            .unwrap_or_else(|_| plain(StatusCode::BAD_GATEWAY, "bad answer from the meeting's node"))
    }

    /// Pipes a client's meeting WebSocket to the node at `url`, whose
    /// `path` serves it: `first` (the join or resume already read) goes
    /// first, then every message both ways until either side closes.
    pub async fn forward_ws(&self, url: &str, path: &str, client: WebSocket, first: Option<String>, ip: IpAddr) {
        use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message as T};
        let target = format!("{}{path}", url.replacen("http", "ws", 1));
        let Ok(mut req) = target.as_str().into_client_request() else {
            return;
        };
        let h = req.headers_mut();
        if let (Ok(s), Ok(c)) = (
            HeaderValue::from_str(&self.secret),
            HeaderValue::from_str(&ip.to_string()),
        ) {
            h.insert(SECRET_HEADER, s);
            h.insert(CLIENT_HEADER, c);
        }
        // Small buffers, as the server's own sockets: a forwarded
        // participant costs its door little (the defaults are 128 KiB).
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(crate::ws::MAX_MESSAGE))
            .read_buffer_size(4 * 1024)
            .write_buffer_size(0);
        // A paused node accepts connections but never answers: bounded.
        let connect = tokio_tungstenite::connect_async_with_config(req, Some(config), true);
        let upstream = match tokio::time::timeout(std::time::Duration::from_secs(3), connect).await {
            Ok(Ok((s, _))) => s,
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".into(),
                };
                tracing::warn!(error = %why, node = url, "forwarding a meeting socket");
                metrics::counter!("convene_cluster_forward_failures_total").increment(1);
                // The client tries again (by then the meeting may have moved).
                let mut client = client;
                let e = convene_proto::live::ServerMsg::Error {
                    ret: convene_proto::SdkErr::SDK_COMMON_FAIL,
                    reason: "the meeting's node cannot be reached: try again".into(),
                };
                if let Ok(text) = serde_json::to_string(&e) {
                    let _ = client.send(Message::Text(text.into())).await;
                }
                let _ = client.send(Message::Close(None)).await;
                return;
            }
        };
        metrics::counter!("convene_cluster_forwarded_total", "kind" => "websocket").increment(1);
        let (mut up_tx, mut up_rx) = upstream.split();
        let (mut down_tx, mut down_rx) = client.split();
        if let Some(first) = first {
            if up_tx.send(T::Text(first.into())).await.is_err() {
                return;
            }
        }
        let up = async {
            while let Some(Ok(m)) = down_rx.next().await {
                let m = match m {
                    Message::Text(t) => T::Text(t.as_str().into()),
                    Message::Binary(b) => T::Binary(b),
                    Message::Ping(p) => T::Ping(p),
                    Message::Pong(p) => T::Pong(p),
                    Message::Close(_) => break,
                };
                if up_tx.send(m).await.is_err() {
                    break;
                }
            }
            let _ = up_tx.close().await;
        };
        let down = async {
            while let Some(Ok(m)) = up_rx.next().await {
                let m = match m {
                    T::Text(t) => Message::Text(t.as_str().into()),
                    T::Binary(b) => Message::Binary(b),
                    T::Ping(p) => Message::Ping(p),
                    T::Pong(p) => Message::Pong(p),
                    T::Close(f) => {
                        let f = f.map(|f| axum::extract::ws::CloseFrame {
                            code: f.code.into(),
                            reason: f.reason.as_str().into(),
                        });
                        let _ = down_tx.send(Message::Close(f)).await;
                        break;
                    }
                    T::Frame(_) => continue,
                };
                if down_tx.send(m).await.is_err() {
                    break;
                }
            }
            let _ = down_tx.close().await;
        };
        // Either side closing ends both.
        tokio::select! {
            _ = up => {}
            _ = down => {}
        }
    }
}

/// Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn is_hop_header(k: &HeaderName) -> bool {
    matches!(
        k.as_str(),
        "host" | "connection" | "keep-alive" | "transfer-encoding" | "upgrade" | "content-length" | "te" | "trailer"
    ) || k.as_str() == SECRET_HEADER
        || k.as_str() == CLIENT_HEADER
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r
}

/// The middleware of a cluster node: a request from another node gets the
/// client's address it forwarded (so lockouts and logs see the client); a
/// REST call about a meeting that another node holds is forwarded there.
pub async fn middleware(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    mut req: Request<Body>,
    next: axum::middleware::Next,
) -> Response<Body> {
    let Some(cluster) = state.live.cluster.clone() else {
        return next.run(req).await;
    };
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    if cluster.is_peer(req.headers()) {
        let client = cluster.client_addr(req.headers(), peer);
        req.extensions_mut().insert(axum::extract::ConnectInfo(client));
        return next.run(req).await;
    }
    if let Some(conf_id) = meeting_of(&req) {
        let store = state.store.as_ref();
        let holder = if is_password_check(&req) {
            // A host password is checked by the node holding the meeting,
            // which takes it if free (as a join does): one node's guard
            // counts every guess at the meeting at once, so racing guesses
            // through several nodes cannot pass its ceilings together.
            // (A database that fails here fails the handler too, which
            // answers in the product's error format.)
            match cluster.route_conf(store, &conf_id, state.now()).await {
                Ok(Route::Remote(url)) => Some(url),
                Ok(Route::Local(_)) => None,
                Err(e) => {
                    tracing::error!(error = %e, "finding a meeting's node");
                    None
                }
            }
        } else {
            cluster.holder(store, &conf_id, state.now()).await
        };
        if let Some(url) = holder {
            return cluster.forward_http(&url, req, peer.ip()).await;
        }
    }
    next.run(req).await
}

/// Whether a REST call checks a meeting's password: asking for a control
/// token (`GET /v1/mmc/control/conferences/token` with `X-Password`).
fn is_password_check(req: &Request<Body>) -> bool {
    req.method() == axum::http::Method::GET && req.uri().path() == "/v1/mmc/control/conferences/token"
}

/// The meeting ID a REST call acts on a live meeting with: the control
/// API (`/v1/mmc/control/...`) and ending or cancelling a meeting
/// (`DELETE /v1/mmc/management/conferences`), by their `conferenceID`.
fn meeting_of(req: &Request<Body>) -> Option<String> {
    let path = req.uri().path();
    let live = path.starts_with("/v1/mmc/control/")
        || (req.method() == axum::http::Method::DELETE && path == "/v1/mmc/management/conferences");
    if !live {
        return None;
    }
    url::form_urlencoded::parse(req.uri().query()?.as_bytes())
        .find(|(k, _)| k == "conferenceID")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

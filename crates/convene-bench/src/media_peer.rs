//! A synthetic participant's media over real UDP: a
//! [`convene_sfu::client::MediaClient`] on its own socket, signalling through
//! a joined [`ConfSession`]. Used by `convene bench media` and the tests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use convene_sdk::{ConfSession, MediaSignal, SdkError};
use convene_sfu::client::MediaClient;
use tokio::sync::watch;

/// A running media peer. Dropping it stops the peer.
pub struct MediaPeer {
    pub client: Arc<Mutex<MediaClient>>,
    /// Set when the server closed the media connection (with its reason).
    pub closed: Arc<Mutex<Option<String>>>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl MediaPeer {
    /// Offers audio and/or video through `session`, then runs the media
    /// connection until stopped. `id` tags the frames it sends (use the
    /// participant ID); `epoch` is shared by the peers whose latency is measured.
    pub async fn start(
        session: Arc<ConfSession>,
        ip: std::net::IpAddr,
        audio: bool,
        video: bool,
        epoch: Instant,
    ) -> Result<MediaPeer, SdkError> {
        Self::start_with(session, ip, audio, video, epoch, None).await
    }

    /// [`MediaPeer::start`], sending `source`'s real media if given.
    pub async fn start_with(
        session: Arc<ConfSession>,
        ip: std::net::IpAddr,
        audio: bool,
        video: bool,
        epoch: Instant,
        source: Option<convene_sfu::client::MediaSource>,
    ) -> Result<MediaPeer, SdkError> {
        Self::start_full(session, ip, audio, video, false, epoch, source).await
    }

    /// Audio, video and a shared screen (a second video track, carrying
    /// the same frames), sending `source`'s real media if given. The screen
    /// reaches others only while the meeting lets this participant share.
    pub async fn start_sharing(
        session: Arc<ConfSession>,
        ip: std::net::IpAddr,
        epoch: Instant,
        source: Option<convene_sfu::client::MediaSource>,
    ) -> Result<MediaPeer, SdkError> {
        Self::start_full(session, ip, true, true, true, epoch, source).await
    }

    async fn start_full(
        session: Arc<ConfSession>,
        ip: std::net::IpAddr,
        audio: bool,
        video: bool,
        screen: bool,
        epoch: Instant,
        source: Option<convene_sfu::client::MediaSource>,
    ) -> Result<MediaPeer, SdkError> {
        let net = |e: std::io::Error| SdkError {
            code: convene_proto::SdkErr::UISDK_NO_NETWORK_ERROR,
            reason: e.to_string(),
        };
        let socket = tokio::net::UdpSocket::bind(SocketAddr::new(ip, 0)).await.map_err(net)?;
        let local = socket.local_addr().map_err(net)?;
        let id = session.participant_id().0;
        let (mut client, offer) = if screen {
            MediaClient::with_screen(Instant::now(), epoch, id, local)
        } else {
            MediaClient::new(Instant::now(), epoch, id, local, audio, video)
        };
        if let Some(s) = source {
            client.set_source(s);
        }
        let answer = session.media_offer(offer).await?;
        client
            .accept_answer(Instant::now(), &answer)
            .map_err(|reason| SdkError {
                code: convene_proto::SdkErr::CMS_PARAMETER_VERIFIED_FAIL,
                reason,
            })?;
        Ok(Self::spawn(socket, client, Some(session)))
    }

    /// Runs an already negotiated `client` on `socket`; with a `session`,
    /// the server's later offers and its closing come through it. Without
    /// one (another SFU, signalled elsewhere) only the media runs.
    pub fn spawn(socket: tokio::net::UdpSocket, client: MediaClient, session: Option<Arc<ConfSession>>) -> MediaPeer {
        let client = Arc::new(Mutex::new(client));
        let closed = Arc::new(Mutex::new(None));
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(socket, session, client.clone(), closed.clone(), stop_rx));
        MediaPeer {
            client,
            closed,
            stop,
            task: Some(task),
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut MediaClient) -> T) -> T {
        let mut c = self.client.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut c)
    }

    pub fn closed_reason(&self) -> Option<String> {
        self.closed.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for MediaPeer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The session's next media signal; without a session, never.
async fn next_signal(session: Option<&ConfSession>) -> Option<MediaSignal> {
    match session {
        Some(s) => s.next_media_signal().await,
        None => std::future::pending().await,
    }
}

async fn run(
    socket: tokio::net::UdpSocket,
    session: Option<Arc<ConfSession>>,
    client: Arc<Mutex<MediaClient>>,
    closed: Arc<Mutex<Option<String>>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; convene_sfu::RECV_BUFFER];
    let lock = || client.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let deadline = lock().next_timeout();
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                if let Ok((n, from)) = r {
                    lock().handle_datagram(Instant::now(), from, &buf[..n]);
                }
            }
            signal = next_signal(session.as_deref()) => match signal {
                Some(MediaSignal::Offer(sdp)) => {
                    let answer = lock().accept_offer(Instant::now(), &sdp);
                    if let (Ok(answer), Some(session)) = (answer, &session) {
                        session.media_answer(answer);
                    }
                }
                Some(MediaSignal::Closed(reason)) => {
                    *closed.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason);
                }
                Some(_) => {}
                None => return,
            },
            _ = tokio::time::sleep_until(deadline.into()) => {
                lock().handle_timeout(Instant::now());
            }
            _ = stop.changed() => return,
        }
        let out: Vec<_> = {
            let mut c = lock();
            std::iter::from_fn(|| c.poll_transmit()).collect()
        };
        for t in out {
            let _ = socket.send_to(&t.contents, t.destination).await;
        }
    }
}

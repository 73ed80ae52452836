//! Cloud recording on this node: the capture writer (`capture`), the
//! composer that makes a segment's video with ffmpeg (`compose`), and the
//! product's recording API (`api`). What may be recorded and when is
//! decided in core (`live::control`, `session`, `recording`); this module
//! carries it out.
//!
//! Files live in the data folder: `recordings/<confUUID>/<segment>/`,
//! one WebM file per captured track and the composed `Hd.mp4`.

pub mod api;
pub mod archive;
pub mod capture;
pub mod compose;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use convene_core::ConfUuid;
use convene_store::Store;
use tokio::sync::{oneshot, Notify};

use crate::clock::Clock;

/// The node's recordings: where their files are, and the composer's bell.
pub struct Recordings {
    pub root: PathBuf,
    pub store: Arc<dyn Store>,
    pub clock: Arc<Clock>,
    /// Wakes the composer when a segment was queued.
    pub wake: Notify,
    /// The ffmpeg program.
    pub ffmpeg: PathBuf,
    /// Days recordings are kept (0: until deleted).
    pub retention_days: i64,
    /// Threads each composition may use (ffmpeg's decoders, filters, encoder).
    pub compose_threads: u32,
    /// Where composed recordings are kept (the data folder, or an object store).
    pub archive: archive::Archive,
    /// This node's name in a cluster ("" alone): it captures, and so
    /// composes, the segments stored under it.
    pub node_id: String,
}

impl Recordings {
    /// The node's recordings as `config` sets them (in its data folder).
    pub fn new(
        config: &crate::config::Config,
        store: Arc<dyn Store>,
        clock: Arc<Clock>,
        archive: archive::Archive,
        node_id: String,
    ) -> Arc<Recordings> {
        Arc::new(Recordings {
            root: config.data_dir.join("recordings"),
            store,
            clock,
            wake: Notify::new(),
            ffmpeg: config.ffmpeg.clone(),
            retention_days: config.record_retention_days,
            compose_threads: config.record_compose_threads,
            archive,
            node_id,
        })
    }

    /// Deletes recordings past the retention time (if one is set).
    pub async fn sweep(&self) {
        if self.retention_days <= 0 {
            return;
        }
        let before = self.clock.now() - self.retention_days * 86_400;
        match self.store.expired_recordings(before).await {
            Ok(list) => {
                for uuid in list {
                    match self.delete(&uuid).await {
                        Ok(n) => {
                            tracing::info!(conf_uuid = %uuid.0, segments = n, "recording deleted: past its retention")
                        }
                        Err(e) => tracing::error!(error = %e, "deleting an expired recording"),
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "finding expired recordings"),
        }
    }

    /// Starts the composer (after releasing what an earlier run of this
    /// node left claimed or capturing).
    pub fn spawn(self: &Arc<Self>) {
        let rec = self.clone();
        tokio::spawn(async move {
            if let Err(e) = rec.store.release_segment_claims(rec.clock.now(), &rec.node_id).await {
                tracing::error!(error = %e, "releasing recordings left by an earlier run");
            }
            compose::run(rec).await;
        });
    }

    pub fn meeting_dir(&self, conf_uuid: &str) -> PathBuf {
        self.root.join(safe_part(conf_uuid))
    }

    pub fn segment_dir(&self, conf_uuid: &str, segment: i64) -> PathBuf {
        self.meeting_dir(conf_uuid).join(segment.to_string())
    }

    /// A segment's capture begins: stored, and its folder named.
    pub async fn begin(&self, conf_uuid: &ConfUuid, at: i64) -> convene_store::Result<(i64, PathBuf)> {
        let id = self.store.start_segment(conf_uuid, at, &self.node_id).await?;
        Ok((id, self.segment_dir(conf_uuid.as_str(), id)))
    }

    /// A segment's capture stopped: once the writer has closed its files,
    /// they are stored (with the participants' names) and queued for
    /// composing.
    pub fn end(
        self: &Arc<Self>,
        segment: i64,
        at: i64,
        done: oneshot::Receiver<capture::Captured>,
        names: HashMap<u64, String>,
    ) {
        let rec = self.clone();
        tokio::spawn(async move {
            let mut captured = done.await.unwrap_or_default();
            for t in &mut captured.tracks {
                t.name = names.get(&t.participant).cloned().unwrap_or_default();
            }
            if captured.dropped > 0 {
                tracing::warn!(
                    segment,
                    dropped = captured.dropped,
                    "a recording lost frames: the writer fell behind"
                );
            }
            let dropped = i64::try_from(captured.dropped).unwrap_or(i64::MAX);
            for attempt in 1..=3u64 {
                match rec.store.stop_segment(segment, at, &captured.tracks, dropped).await {
                    Ok(()) => break,
                    Err(e) => {
                        tracing::error!(segment, attempt, error = %e, "storing a recording segment's tracks");
                        tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
                    }
                }
            }
            rec.wake.notify_one();
        });
    }

    /// Deletes a meeting's recording: its rows, then its files (here and
    /// in the object store).
    pub async fn delete(&self, conf_uuid: &ConfUuid) -> convene_store::Result<usize> {
        let gone = self.store.delete_segments(conf_uuid).await?;
        if let Err(e) = self.archive.delete(conf_uuid.as_str()).await {
            tracing::error!(conf_uuid = %conf_uuid.0, error = %e, "deleting a recording's objects");
        }
        let dir = self.meeting_dir(conf_uuid.as_str());
        if let Err(e) = tokio::fs::remove_dir_all(&dir).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(dir = %dir.display(), error = %e, "deleting a recording's files");
            }
        }
        Ok(gone.len())
    }
}

/// A conference UUID as a folder name (they are hex and dashes; anything
/// else is replaced, so no path can climb out of the root).
fn safe_part(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect()
}

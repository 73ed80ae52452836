//! The SQLite backend: a read pool, one writer thread that group-commits
//! creations, a syncer thread, a checkpointer task, and the WAL reserve.

use super::*;

/// One queued meeting creation for the SQLite writer.
pub(super) struct CreateJob {
    meeting: NewMeeting,
    now: i64,
    /// The meeting (or the refusal) once its batch is committed.
    reply: oneshot::Sender<Result<Meeting>>,
    /// Told by the syncer once the commit is on disk.
    durable: oneshot::Sender<Result<()>>,
}

/// Most creates one group commit takes.
pub(super) const MAX_BATCH: usize = 512;

/// SQLite backend: WAL with `synchronous = FULL`, a read pool, and one writer
/// thread that group-commits meeting creations.
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    pub(super) writer: mpsc::Sender<CreateJob>,
    /// This database's permutation of random meeting IDs (see `conf_ids`).
    pub(super) cipher: ConfIdCipher,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite:PATH`).
    pub async fn open(url: &str) -> Result<SqliteStore> {
        Self::open_with(url, 0).await
    }

    /// [`SqliteStore::open`], first growing the WAL file to `wal_reserve`
    /// bytes of written zeros (see [`reserve_wal`]) if it is shorter.
    pub async fn open_with(url: &str, wal_reserve: u64) -> Result<SqliteStore> {
        // SQLite cuts the WAL back to this when it rewinds it: never below
        // the reserve.
        let keep = WAL_KEEP_BYTES.max(i64::try_from(wal_reserve).unwrap_or(i64::MAX));
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .page_size(1024)
            // A batch's inserts keep a statement journal; in memory it costs a
            // copy, on disk a temporary file per batch.
            .pragma("temp_store", "MEMORY")
            .pragma("journal_size_limit", keep.to_string())
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        lite::fold_old_subjects(&pool).await?;
        let key: Vec<u8> = sqlx::query_scalar("SELECT value FROM store_keys WHERE name = 'conf_id'")
            .fetch_one(&pool)
            .await?;
        let key: [u8; 16] = key
            .try_into()
            .map_err(|_| StoreError::Corrupt("the meeting ID key in store_keys is not 16 bytes".into()))?;
        let cipher = ConfIdCipher::new(key);
        // The writer reads where the sequence stands at each transaction.
        let draws = IdDraws {
            cipher: Some(cipher.clone()),
            next: 0,
        };
        let path = opts.get_filename().to_owned();
        let wal = {
            let mut p = path.as_os_str().to_owned();
            p.push("-wal");
            std::path::PathBuf::from(p)
        };
        let wal_file = wal.clone();
        let conn = open_writer(&path, keep)?;
        reserve_wal(&conn, &wal, wal_reserve)?;
        let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
        let (sync_tx, sync_rx) = std::sync::mpsc::channel();
        let created = Arc::new(AtomicU64::new(0));
        let counter = created.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || sqlite_writer(conn, draws, rx, sync_tx, counter))
            .map_err(|e| StoreError::Corrupt(format!("starting the SQLite writer: {e}")))?;
        std::thread::Builder::new()
            .name("sqlite-syncer".into())
            .spawn(move || sqlite_syncer(wal, sync_rx))
            .map_err(|e| StoreError::Corrupt(format!("starting the SQLite syncer: {e}")))?;
        tokio::spawn(sqlite_checkpointer(pool.clone(), wal_file, tx.downgrade(), created));
        Ok(SqliteStore {
            pool,
            writer: tx,
            cipher,
        })
    }

    pub(super) fn conf_id_cipher(&self) -> Option<&ConfIdCipher> {
        Some(&self.cipher)
    }

    /// One server per SQLite database (`start` takes its lock).
    pub(super) fn owns_database(&self) -> bool {
        true
    }

    /// No row locks: SQLite has one writer at a time.
    pub(super) fn room_lock_sql(&self) -> Option<&'static str> {
        None
    }

    pub(super) async fn create_meeting_scheduled(&self, meeting: NewMeeting, now: i64) -> Result<crate::Staged> {
        let (reply, answer) = oneshot::channel();
        let (durable, on_disk) = oneshot::channel();
        self.writer
            .send(CreateJob {
                meeting,
                now,
                reply,
                durable,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        let meeting = answer.await.map_err(|_| StoreError::Closed)??;
        Ok(crate::Staged {
            meeting,
            // A syncer gone before the fsync: not known to be on disk.
            durable: Box::pin(async move { on_disk.await.map_err(|_| StoreError::Closed)? }),
        })
    }
}

/// The writer's own connection (rusqlite, driven synchronously by its
/// thread: no hop per statement, statements prepared once).
///
/// It never checkpoints: a checkpoint inside its commit would delay every
/// create of the batch; the checkpointer task does that on the pool's FULL
/// connections, which sync the WAL before copying it and the database after.
/// Nor does it fsync at commit (synchronous = OFF on this connection only):
/// the syncer thread fsyncs the WAL after each commit and only then
/// acknowledges the batch, so an acknowledged create is on disk, while the
/// next batch's SQL runs during the previous one's fsync.
pub(super) fn open_writer(path: &std::path::Path, journal_size_limit: i64) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.pragma_update(None, "journal_size_limit", journal_size_limit)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// Grows the WAL file to `reserve` bytes of written (and synced) zeros, as
/// PostgreSQL recycles WAL segments, if it is shorter.
///
/// A commit that appends to the WAL makes its fdatasync also allocate blocks
/// and commit the file system's journal for the new size; one that overwrites
/// written blocks does not (the fsync p50 0.8 -> 0.4 ms; creates/s and p99 in
/// docs/PERFORMANCE.md, "the WAL reserve"). SQLite keeps the file
/// (it rewinds to its start after a checkpoint and cuts it back only to
/// `journal_size_limit`, set no lower), so this is paid once per data folder.
///
/// Safe beside SQLite: it runs inside a write transaction (no frame can be
/// appended meanwhile) and writes only past the end of the file; SQLite reads
/// frames only up to the last valid one, and zeros are never valid. On an
/// error (a full disk) the file is cut back to where it ended and the store
/// opens without the reserve.
pub(super) fn reserve_wal(conn: &rusqlite::Connection, wal: &std::path::Path, reserve: u64) -> Result<()> {
    use std::io::{Seek, Write};
    if reserve == 0 {
        return Ok(());
    }
    fn append_zeros(file: &mut std::fs::File, from: u64, to: u64) -> std::io::Result<()> {
        file.seek(std::io::SeekFrom::Start(from))?;
        let zeros = vec![0u8; 1 << 20];
        let mut at = from;
        while at < to {
            let n = usize::try_from(to - at).unwrap_or(usize::MAX).min(zeros.len());
            file.write_all(&zeros[..n])?;
            at += n as u64;
        }
        file.sync_all()
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let grown = std::fs::OpenOptions::new().write(true).open(wal).and_then(|mut file| {
        let len = file.metadata()?.len();
        let written = if len < reserve {
            append_zeros(&mut file, len, reserve)
        } else {
            Ok(())
        };
        if written.is_err() {
            let _ = file.set_len(len);
        }
        written
    });
    conn.execute_batch("ROLLBACK")?;
    if let Err(e) = grown {
        tracing::warn!(error = %e, wal = %wal.display(), reserve, "could not write the WAL reserve; going on without");
    }
    Ok(())
}

/// How often the checkpointer looks at the writer.
pub(super) const CHECKPOINT_TICK: Duration = Duration::from_millis(100);

/// While the writer is idle, the WAL is copied back into the database file
/// this often (a checkpoint with nothing to copy costs next to nothing).
pub(super) const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// While creates keep coming, checkpoints wait: one running beside the
/// writer costs it the copy's reads and writes and the database file's
/// fsync on the same disk (measured: p99 11.3-11.9 ms with a checkpoint
/// every 500 ms, 9.2-10 ms without, at 10.5-11.7k creates/s). They wait at
/// most this long...
pub(super) const CHECKPOINT_BUSY_MAX_WAIT: Duration = Duration::from_secs(60);

/// ...or until the WAL file has grown this large (PostgreSQL's default
/// `max_wal_size`; ~2.7 KB per create measured, so ~400,000 creates). A
/// larger WAL makes readers probe more of its index and a crash's recovery
/// read more of it.
pub(super) const CHECKPOINT_BUSY_MAX_WAL_BYTES: u64 = 1 << 30;

/// What is left of the WAL file when SQLite rewinds it.
///
/// SQLite rewinds the WAL when a write begins after a checkpoint has copied
/// all of it back. During a burst of creates there is no checkpoint (see
/// above), so the WAL grows for as long as the burst lasts (about 40 MB/s at
/// 11k creates/s); the checkpoint at the first pause copies it back, the next
/// write rewinds it, and SQLite cuts it back to this size. Forcing a rewind
/// during the burst would stall the writer for a database fsync
/// (20-60 ms measured), which costs more than the disk space. A WAL reserve
/// (`open_with`) larger than this is kept instead.
pub(super) const WAL_KEEP_BYTES: i64 = 64 << 20;

/// Checkpoints the WAL while the store is open (until its writer is gone):
/// when the writer has been idle for a tick, or when a burst has gone on for
/// too long or grown the WAL too much. `created` counts the creates the
/// writer has committed.
pub(super) async fn sqlite_checkpointer(
    pool: SqlitePool,
    wal: std::path::PathBuf,
    alive: mpsc::WeakSender<CreateJob>,
    created: Arc<AtomicU64>,
) {
    let mut tick = tokio::time::interval(CHECKPOINT_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = created.load(Ordering::Relaxed);
    let (mut last, mut at_last) = (tokio::time::Instant::now(), seen);
    loop {
        tick.tick().await;
        if alive.upgrade().is_none() {
            return;
        }
        let now_created = created.load(Ordering::Relaxed);
        let busy = now_created != seen;
        seen = now_created;
        let due = if busy {
            let wal_bytes = tokio::fs::metadata(&wal).await.map(|m| m.len()).unwrap_or(0);
            last.elapsed() >= CHECKPOINT_BUSY_MAX_WAIT || wal_bytes >= CHECKPOINT_BUSY_MAX_WAL_BYTES
        } else {
            last.elapsed() >= CHECKPOINT_EVERY || now_created != at_last
        };
        if !due {
            continue;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
        }
        (last, at_last) = (tokio::time::Instant::now(), now_created);
    }
}

/// Takes every create that is waiting, runs them in one transaction, commits
/// once, hands each caller its meeting (so that it can build its answer while
/// the fsync runs) and the batch to the syncer, which tells the callers when
/// it is on disk. Runs on its own thread until the store is dropped.
pub(super) fn sqlite_writer(
    mut conn: rusqlite::Connection,
    mut draws: IdDraws,
    mut rx: mpsc::Receiver<CreateJob>,
    syncer: std::sync::mpsc::Sender<Committed>,
    created: Arc<AtomicU64>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // The meetings move into the transaction (nothing is copied); whom
        // to answer stays here.
        let (work, callers): (Vec<_>, Vec<_>) = batch
            .drain(..)
            .map(|job| ((job.meeting, job.now), (job.reply, job.durable)))
            .unzip();
        match write_batch(&mut conn, &mut draws, work) {
            Ok(results) => {
                created.fetch_add(callers.len() as u64, Ordering::Relaxed);
                // Committed, not yet durable: each caller gets its meeting now
                // and the syncer tells it once it is on disk. A refused create
                // stored nothing and has nothing to wait for.
                let answers = callers
                    .into_iter()
                    .zip(results)
                    .filter_map(|((reply, durable), result)| {
                        let ok = result.is_ok();
                        let _ = reply.send(result);
                        ok.then_some(durable)
                    })
                    .collect();
                if let Err(lost) = syncer.send(answers) {
                    for reply in lost.0 {
                        let _ = reply.send(Err(StoreError::Closed));
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, jobs = callers.len(), "group commit failed");
                let msg = e.to_string();
                for (reply, _) in callers {
                    let _ = reply.send(Err(StoreError::GroupCommit(msg.clone())));
                }
            }
        }
    }
}

/// A committed batch waiting for its fsync: whom to tell.
pub(super) type Committed = Vec<oneshot::Sender<Result<()>>>;

/// Makes committed batches durable (fdatasync of the WAL) and tells their
/// callers.
/// One sync covers every batch committed before it started.
pub(super) fn sqlite_syncer(wal: std::path::PathBuf, rx: std::sync::mpsc::Receiver<Committed>) {
    let mut file: Option<std::fs::File> = None;
    let mut waiting: Vec<Committed> = Vec::new();
    while let Ok(first) = rx.recv() {
        waiting.push(first);
        waiting.extend(rx.try_iter());
        if file.is_none() {
            file = std::fs::OpenOptions::new().read(true).open(&wal).ok();
        }
        let synced = match &file {
            Some(f) => f.sync_data(),
            None => Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no WAL file to sync")),
        };
        if let Err(e) = &synced {
            tracing::error!(error = %e, "syncing the WAL");
        }
        for reply in waiting.drain(..).flatten() {
            let answer = synced
                .as_ref()
                .map(|_| ())
                .map_err(|e| StoreError::GroupCommit(format!("syncing the WAL: {e}")));
            let _ = reply.send(answer);
        }
    }
}

/// One group commit: every job's creation in one transaction. A database
/// error fails the whole batch (nothing of it is stored) rather than guess.
pub(super) fn write_batch(
    conn: &mut rusqlite::Connection,
    draws: &mut IdDraws,
    batch: Vec<(NewMeeting, i64)>,
) -> Result<Vec<Result<Meeting>>> {
    let started = std::time::Instant::now();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Where the sequence of derived IDs stands, read inside the write lock:
    // another process writing meetings into the same file (a second server
    // on one data folder) has then moved it on, and no number is drawn twice.
    let end: i64 = tx.prepare_cached(SEQUENCE_END_SQL)?.query_row([], |r| r.get(0))?;
    draws.next = draws.next.max(end);
    let mut results = Vec::with_capacity(batch.len());
    {
        // Whether any webhook is enabled, read once per batch inside the
        // write lock: a create then skips its event's statement when none is.
        let push = tx.prepare_cached(ANY_ENABLED_SQL)?.exists([])?;
        let mut w = LiteWriter(&tx, push);
        for (meeting, now) in batch {
            match run_ready(create_meeting(&mut w, draws, meeting, now))? {
                Err(StoreError::Sqlite(e)) => return Err(StoreError::Sqlite(e)),
                other => results.push(other),
            }
        }
    }
    tx.commit()?;
    metrics::histogram!("convene_store_commit_seconds").record(started.elapsed().as_secs_f64());
    Ok(results)
}

/// Runs a future that never waits (the writer's statements are synchronous)
/// to completion on the calling thread.
pub(super) fn run_ready<F: std::future::Future>(f: F) -> Result<F::Output> {
    let mut f = std::pin::pin!(f);
    match f
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(v) => Ok(v),
        std::task::Poll::Pending => Err(StoreError::Corrupt("the SQLite writer was asked to wait".into())),
    }
}

/// The SQLite writer's transaction as a [`CreateTx`]: the same statements
/// as the sqlx backends (`$N` placeholders bind by position in SQLite too);
/// and whether any webhook subscription is enabled.
pub(super) struct LiteWriter<'a>(&'a rusqlite::Transaction<'a>, bool);

impl CreateTx for LiteWriter<'_> {
    async fn expire_room(&mut self, room: &str, now: i64) -> Result<()> {
        self.0
            .prepare_cached(EXPIRE_ROOM_SQL)?
            .execute(rusqlite::params![room, now])?;
        Ok(())
    }

    async fn room_is_active(&mut self, room: &str) -> Result<bool> {
        Ok(self.0.prepare_cached(ROOM_IS_ACTIVE_SQL)?.exists([room])?)
    }

    async fn running_with_id(&mut self, id: &str, seq: Option<i64>) -> Result<Vec<(String, i64)>> {
        let mut st = self.0.prepare_cached(RUNNING_WITH_ID_SQL)?;
        let rows = st.query_map(rusqlite::params![id, seq], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn end_overrun(&mut self, conf_uuid: &str) -> Result<()> {
        self.0.prepare_cached(END_OVERRUN_SQL)?.execute([conf_uuid])?;
        Ok(())
    }

    async fn is_room(&mut self, id: &str) -> Result<bool> {
        Ok(self.0.prepare_cached(IS_ROOM_SQL)?.exists([id])?)
    }

    async fn room(&mut self, room: &RoomId) -> Result<Option<RoomRow>> {
        use rusqlite::OptionalExtension;
        let mut st = self.0.prepare_cached(ROOM_SQL)?;
        let row = st
            .query_row([room.as_str()], |r| {
                Ok(RoomRow {
                    enterprise_id: r.get(0)?,
                    kind: r.get(1)?,
                    owner_id: r.get(2)?,
                })
            })
            .optional()?;
        Ok(row)
    }

    async fn free_shared_rooms(&mut self, enterprise: &EnterpriseId, start: i64, end: i64) -> Result<Vec<RoomId>> {
        let mut st = self.0.prepare_cached(FREE_SHARED_ROOMS_SQL)?;
        let rows = st.query_map(rusqlite::params![enterprise.as_str(), start, end], |r| {
            r.get::<_, String>(0)
        })?;
        Ok(rows.map(|r| r.map(RoomId)).collect::<Result<_, _>>()?)
    }

    async fn room_taken(&mut self, room: &str, start: i64, end: i64, except: &str) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(&ROOM_TAKEN_SQL)?
            .exists(rusqlite::params![room, except, start, end])?)
    }

    async fn insert_notices(
        &mut self,
        conf_uuid: &ConfUuid,
        notices: &[convene_core::notify::Notice],
        now: i64,
    ) -> Result<()> {
        let mut st = self.0.prepare_cached(INSERT_NOTICE_SQL)?;
        for n in notices {
            let (kind, channel, recipient, name, host, calendar, sequence) = notice_columns(n);
            st.execute(rusqlite::params![
                conf_uuid.as_str(),
                kind,
                channel,
                recipient,
                name,
                host,
                calendar,
                sequence,
                now.max(n.due),
                now
            ])?;
        }
        Ok(())
    }

    async fn enqueue_event(&mut self, conf_uuid: &str, event: &str) -> Result<()> {
        if !self.1 {
            return Ok(());
        }
        self.0.prepare_cached(ENQUEUE_SQL.as_str())?.execute(rusqlite::params![
            event,
            event_time_ms(),
            None::<String>,
            conf_uuid
        ])?;
        Ok(())
    }

    async fn insert_meeting(&mut self, m: &Meeting, seq: Option<i64>) -> Result<bool> {
        let room = m.room_id.as_ref().map(|r| r.as_str());
        let (active_id, active_room) = active_keys(m);
        let doc = encode_meeting(m)?;
        let done = self.0.prepare_cached(INSERT_MEETING_SQL)?.execute(rusqlite::params![
            m.conf_uuid.as_str(),
            m.conf_id.as_str(),
            active_id,
            room,
            active_room,
            m.owner_id.as_str(),
            m.enterprise_id.as_str(),
            m.info.subject,
            m.state.as_str(),
            m.start,
            m.end,
            doc,
            subject_key(&m.info.subject),
            seq,
            m.series.as_ref().map(|x| x.id.as_str()),
        ])?;
        Ok(done == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_core::create::{plan, CreateLimits, Creator};
    use convene_proto::{ConfOptions, CreateConfInfo, MediaType, VmrConfIdType};

    const T0: i64 = 1_800_000_000;

    async fn store_with_user(dir: &tempfile::TempDir) -> (SqliteStore, User) {
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        let user = add_alice(&store).await;
        (store, user)
    }

    async fn add_alice(store: &SqliteStore) -> User {
        let e = store.ensure_default_enterprise("Default", T0).await.unwrap();
        let user = NewUser {
            enterprise_id: e.id,
            account: "alice".into(),
            password_hash: None,
            name: "Alice".into(),
            email: None,
            phone: None,
            app_id: None,
            third_user_id: None,
        };
        store.add_user(user, T0).await.unwrap()
    }

    fn request(u: &User, fixed: bool) -> NewMeeting {
        let mut info = CreateConfInfo::new("ids", MediaType::Video, true);
        if fixed {
            info.vmr_conf_id_type = Some(VmrConfIdType::Fixed);
        }
        let creator = Creator {
            user_id: u.id.clone(),
            name: u.name.clone(),
            enterprise_id: u.enterprise_id.clone(),
            personal_room: u.personal_room.clone(),
        };
        plan(
            info,
            ConfOptions::default(),
            &creator,
            &CreateLimits::default(),
            T0,
            &mut rand::thread_rng(),
        )
        .unwrap()
    }

    async fn id_seq(store: &SqliteStore, m: &Meeting) -> Option<i64> {
        sqlx::query_scalar("SELECT id_seq FROM meetings WHERE conf_uuid = $1")
            .bind(m.conf_uuid.as_str())
            .fetch_one(&store.pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn random_ids_are_derived_from_a_sequence_and_found_by_it() {
        let dir = tempfile::tempdir().unwrap();
        let (store, alice) = store_with_user(&dir).await;
        let mut made = Vec::new();
        for seq in 0..3 {
            let m = store.create_meeting(request(&alice, false), T0).await.unwrap();
            assert_eq!(id_seq(&store, &m).await, Some(seq));
            assert_eq!(store.cipher.id_of(seq).as_deref(), Some(m.conf_id.as_str()));
            made.push(m);
        }
        // A cloud meeting room's fixed ID is drawn, not derived.
        let fixed = store.create_meeting(request(&alice, true), T0).await.unwrap();
        assert_eq!(fixed.conf_id.as_str(), alice.personal_room.as_str());
        assert_eq!(id_seq(&store, &fixed).await, None);
        for m in made.iter().chain([&fixed]) {
            let found = store.meeting_by_conf_id(&m.conf_id, T0).await.unwrap().unwrap();
            assert_eq!(found.conf_uuid, m.conf_uuid);
        }
        // The sequence goes on after a restart; the key stays.
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        drop(store);
        let again = SqliteStore::open(&url).await.unwrap();
        let m = again.create_meeting(request(&alice, false), T0).await.unwrap();
        assert_eq!(id_seq(&again, &m).await, Some(3));
        assert_eq!(again.cipher.id_of(0).as_deref(), Some(made[0].conf_id.as_str()));
        assert!(again.meeting_by_conf_id(&made[1].conf_id, T0).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_drawn_id_that_is_running_or_a_room_is_not_given_again() {
        let dir = tempfile::tempdir().unwrap();
        let (store, alice) = store_with_user(&dir).await;
        // A meeting from before derived IDs (drawn, so no sequence number)
        // runs under the ID that sequence number 0 would give.
        let old = store.create_meeting(request(&alice, false), T0).await.unwrap();
        let taken = store.cipher.id_of(1).unwrap();
        sqlx::query("UPDATE meetings SET conf_id = $1, active_conf_id = $1, id_seq = NULL WHERE conf_uuid = $2")
            .bind(&taken)
            .bind(old.conf_uuid.as_str())
            .execute(&store.pool)
            .await
            .unwrap();
        // And sequence number 2's ID is a cloud meeting room's.
        let room = store.cipher.id_of(2).unwrap();
        sqlx::query(
            "INSERT INTO rooms (id, enterprise_id, kind, owner_id, created_at) VALUES ($1, $2, 'shared', NULL, 0)",
        )
        .bind(&room)
        .bind(alice.enterprise_id.as_str())
        .execute(&store.pool)
        .await
        .unwrap();
        let m = store.create_meeting(request(&alice, false), T0).await.unwrap();
        assert_eq!(id_seq(&store, &m).await, Some(3), "1 is running, 2 is a room");
        assert_eq!(m.conf_id.as_str(), store.cipher.id_of(3).unwrap());
        let found = store
            .meeting_by_conf_id(&ConfId(taken.clone()), T0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.conf_uuid, old.conf_uuid, "the drawn ID is still found");

        // A drawn meeting that ran past its end gives its ID up: now under
        // sequence number 4's ID, it is ended when that ID is drawn.
        let overrun = store.cipher.id_of(4).unwrap();
        sqlx::query("UPDATE meetings SET conf_id = $1, active_conf_id = $1 WHERE conf_uuid = $2")
            .bind(&overrun)
            .bind(old.conf_uuid.as_str())
            .execute(&store.pool)
            .await
            .unwrap();
        let later = old.end + 1;
        let next = store.create_meeting(request(&alice, false), later).await.unwrap();
        assert_eq!(next.conf_id.as_str(), overrun);
        assert_eq!(id_seq(&store, &next).await, Some(4));
        let found = store.meeting_by_conf_id(&ConfId(overrun), T0).await.unwrap().unwrap();
        assert_eq!(found.conf_uuid, next.conf_uuid, "the running one first");
        let old_state: (String, Option<String>) =
            sqlx::query_as("SELECT state, active_conf_id FROM meetings WHERE conf_uuid = $1")
                .bind(old.conf_uuid.as_str())
                .fetch_one(&store.pool)
                .await
                .unwrap();
        assert_eq!(old_state, ("ended".to_owned(), None));
    }

    #[tokio::test]
    async fn a_staged_create_is_settled_at_commit_and_durable_after_the_sync() {
        let dir = tempfile::tempdir().unwrap();
        let (store, alice) = store_with_user(&dir).await;
        let staged = store.create_meeting_staged(request(&alice, false), T0).await.unwrap();
        // Committed: readers see it before the fsync is known to be done.
        let read = store.meeting_by_uuid(&staged.meeting.conf_uuid).await.unwrap().unwrap();
        assert_eq!(read.conf_id, staged.meeting.conf_id);
        staged.durable.await.unwrap();

        // A refusal (the room is busy) comes at once, with nothing to wait for.
        let first = store.create_meeting_staged(request(&alice, true), T0).await.unwrap();
        let refused = store.create_meeting_staged(request(&alice, true), T0).await;
        assert!(matches!(refused, Err(StoreError::RoomBusy(_))), "{:?}", refused.err());
        first.durable.await.unwrap();

        // Many at once: one group commit or a few, each told when it is durable.
        let many =
            futures::future::join_all((0..40).map(|_| store.create_meeting_staged(request(&alice, false), T0))).await;
        let mut ids = std::collections::HashSet::new();
        for staged in many {
            let staged = staged.unwrap();
            assert!(ids.insert(staged.meeting.conf_id.clone()));
            staged.durable.await.unwrap();
        }
        // The one-step call is the same two steps.
        let m = store.create_meeting(request(&alice, false), T0).await.unwrap();
        assert!(!ids.contains(&m.conf_id));
    }

    #[tokio::test]
    async fn the_wal_reserve_is_written_ahead_kept_and_harmless() {
        // Above WAL_KEEP_BYTES, so that SQLite's cut-back would show.
        const RESERVE: u64 = 72 << 20;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let wal = dir.path().join("t.db-wal");
        let wal_len = || std::fs::metadata(&wal).unwrap().len();
        let store = SqliteStore::open_with(&url, RESERVE).await.unwrap();
        let alice = add_alice(&store).await;
        assert!(wal_len() >= RESERVE, "{}", wal_len());
        let mut made = Vec::new();
        for _ in 0..20 {
            made.push(store.create_meeting(request(&alice, false), T0).await.unwrap());
        }
        // Copied back and rewound: SQLite cuts the file back no lower than the reserve.
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&store.pool)
            .await
            .unwrap();
        made.push(store.create_meeting(request(&alice, false), T0).await.unwrap());
        assert!(wal_len() >= RESERVE, "{}", wal_len());
        drop(store);
        // Everything acknowledged is read back after a reopen (the zeros past
        // the last frame are not taken for frames).
        let again = SqliteStore::open_with(&url, RESERVE).await.unwrap();
        for m in &made {
            let read = again.meeting_by_conf_id(&m.conf_id, T0).await.unwrap().unwrap();
            assert_eq!(read.conf_uuid, m.conf_uuid);
        }
        assert!(wal_len() >= RESERVE);
    }

    #[tokio::test]
    async fn two_stores_on_one_file_never_draw_the_same_number() {
        let dir = tempfile::tempdir().unwrap();
        let (a, alice) = store_with_user(&dir).await;
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let b = SqliteStore::open(&url).await.unwrap();
        let mut ids = std::collections::HashSet::new();
        // `b` opened before `a` wrote these, and is then many numbers behind
        // (more than a create's attempts).
        let plan = [(&a, 40), (&b, 1), (&a, 1), (&b, 2)];
        let mut seq = 0;
        for (store, n) in plan {
            for _ in 0..n {
                let m = store.create_meeting(request(&alice, false), T0).await.unwrap();
                assert!(ids.insert(m.conf_id.clone()), "{:?} given twice", m.conf_id);
                assert_eq!(id_seq(store, &m).await, Some(seq));
                seq += 1;
            }
        }
    }

    #[tokio::test]
    async fn lookups_by_id_use_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = store_with_user(&dir).await;
        let by_id = meeting_by_conf_id_sql();
        for sql in [RUNNING_WITH_ID_SQL, by_id.as_str()] {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .bind("123456789")
                .bind(7i64)
                .fetch_all(&store.pool)
                .await
                .unwrap();
            let plan: Vec<String> = rows.iter().map(|r| r.get("detail")).collect();
            let plan = plan.join(" | ");
            assert!(plan.contains("meetings USING INDEX meetings_conf_id"), "{plan}");
            assert!(plan.contains("meetings USING INDEX meetings_id_seq"), "{plan}");
            assert!(!plan.contains("SCAN meetings"), "{plan}");
        }
    }
}

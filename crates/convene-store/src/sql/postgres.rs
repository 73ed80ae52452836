//! The PostgreSQL backend.

use super::*;

/// PostgreSQL backend: a connection pool; each create is its own transaction,
/// and the unique indexes settle races between nodes.
pub struct PgStore {
    pub(super) pool: PgPool,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<PgStore> {
        Self::open_with(url, 0, 0).await
    }

    /// With `warm` connections kept open (see `StoreOptions::pg_warm_connections`)
    /// and transactions left idle past `idle_transaction_ms` ended by the
    /// server (0: never; see `StoreOptions::pg_idle_transaction_ms`).
    pub async fn open_with(url: &str, warm: u32, idle_transaction_ms: u64) -> Result<PgStore> {
        let mut options = PgPoolOptions::new().max_connections(16);
        if warm > 0 {
            options = options.min_connections(warm.min(16)).idle_timeout(None);
        }
        let mut connect = sqlx::postgres::PgConnectOptions::from_str(url)?;
        if idle_transaction_ms > 0 {
            connect = connect.options([("idle_in_transaction_session_timeout", idle_transaction_ms)]);
        }
        let pool = options.connect_with(connect).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        pg::fold_old_subjects(&pool).await?;
        Ok(PgStore { pool })
    }

    /// PostgreSQL draws random IDs (several nodes create at once) and finds
    /// them through its `meetings_conf_id` index.
    pub(super) fn conf_id_cipher(&self) -> Option<&ConfIdCipher> {
        None
    }

    /// Several servers may share a PostgreSQL database.
    pub(super) fn owns_database(&self) -> bool {
        false
    }

    /// Locks a room's row for the transaction, so that two nodes checking
    /// "one meeting at a time in this room" for it take turns.
    pub(super) fn room_lock_sql(&self) -> Option<&'static str> {
        Some(PG_LOCK_ROOM_SQL)
    }
}

/// See [`PgStore::room_lock_sql`]; the shared pool's rooms are locked all
/// together (a pooled booking may take any of them).
const PG_LOCK_ROOM_SQL: &str = "SELECT id FROM rooms WHERE id = $1 FOR UPDATE";
const PG_LOCK_SHARED_ROOMS_SQL: &str =
    "SELECT id FROM rooms WHERE enterprise_id = $1 AND kind = 'shared' ORDER BY id FOR UPDATE";

impl PgStore {
    pub(super) async fn create_meeting_scheduled(&self, meeting: NewMeeting, now: i64) -> Result<crate::Staged> {
        let started = std::time::Instant::now();
        let mut tx = self.pool.begin().await?;
        // SQLite has one writer; here the rooms a meeting may take are
        // locked first, so the overlap check and the insert cannot
        // interleave with another node's.
        match &meeting.room {
            RoomRequest::Personal(r) | RoomRequest::Specific(r) => {
                sqlx::query(PG_LOCK_ROOM_SQL).bind(r.as_str()).execute(&mut *tx).await?;
            }
            RoomRequest::SharedPool => {
                sqlx::query(PG_LOCK_SHARED_ROOMS_SQL)
                    .bind(meeting.owner.enterprise_id.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            RoomRequest::None => {}
        }
        let m = create_meeting(&mut *tx, &mut IdDraws::drawn(), meeting, now).await?;
        tx.commit().await?;
        metrics::histogram!("convene_store_commit_seconds").record(started.elapsed().as_secs_f64());
        Ok(crate::Staged {
            meeting: m,
            durable: Box::pin(std::future::ready(Ok(()))),
        })
    }
}

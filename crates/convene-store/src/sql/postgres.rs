//! The PostgreSQL backend.

use super::*;

/// PostgreSQL backend: a connection pool; each create is its own transaction,
/// and the unique indexes settle races between nodes.
pub struct PgStore {
    pub(super) pool: PgPool,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<PgStore> {
        let pool = PgPoolOptions::new().max_connections(16).connect(url).await?;
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
}

impl PgStore {
    pub(super) async fn create_meeting_scheduled(&self, meeting: NewMeeting, now: i64) -> Result<crate::Staged> {
        let mut tx = self.pool.begin().await?;
        let m = create_meeting(&mut *tx, &mut IdDraws::drawn(), meeting, now).await?;
        tx.commit().await?;
        Ok(crate::Staged {
            meeting: m,
            durable: Box::pin(std::future::ready(Ok(()))),
        })
    }
}

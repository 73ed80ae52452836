//! Several nodes on one database (issue 22): meeting leases with epochs,
//! App ID nonces and control tokens, shared by every node, and the nodes'
//! messages to each other (PostgreSQL `NOTIFY`/`LISTEN`).

use crate::Lease;

fn lease_of<R: sqlx::Row>(r: &R) -> crate::Result<Lease>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Lease {
        node_id: r.try_get("node_id")?,
        node_url: r.try_get("node_url")?,
        epoch: r.try_get("epoch")?,
        expires_at: r.try_get("expires_at")?,
    })
}

/// Extends a lease to `$1` if `$3` still holds it with epoch `$4` (the
/// epoch changes only on a takeover: matching it means nobody took the
/// meeting, even if the lease ran out).
const RENEW_LEASE_SQL: &str = "UPDATE meeting_leases SET expires_at = $1 \
     WHERE conf_uuid = $2 AND node_id = $3 AND epoch = $4";

macro_rules! cluster_queries {
    ($module:ident, $pool:ty, $async_commit:expr) => {
        pub(crate) mod $module {
            use super::lease_of;
            use super::RENEW_LEASE_SQL;
            use crate::sql::*;
            use crate::Lease;

            pub async fn claim_lease(
                pool: &$pool,
                conf_uuid: &str,
                node_id: &str,
                node_url: &str,
                now_ms: i64,
                lease_ms: i64,
            ) -> Result<Lease> {
                // Taken when free or run out (a new epoch), renewed when
                // still ours (the same epoch); else the holder is answered.
                let taken = sqlx::query(
                    "INSERT INTO meeting_leases (conf_uuid, node_id, node_url, epoch, expires_at) \
                     VALUES ($1, $2, $3, 1, $4) \
                     ON CONFLICT (conf_uuid) DO UPDATE SET \
                       epoch = CASE WHEN meeting_leases.node_id = excluded.node_id \
                                     AND meeting_leases.expires_at > $5 \
                                    THEN meeting_leases.epoch ELSE meeting_leases.epoch + 1 END, \
                       node_id = excluded.node_id, node_url = excluded.node_url, \
                       expires_at = excluded.expires_at \
                     WHERE meeting_leases.node_id = excluded.node_id OR meeting_leases.expires_at <= $5 \
                     RETURNING node_id, node_url, epoch, expires_at",
                )
                .bind(conf_uuid)
                .bind(node_id)
                .bind(node_url)
                .bind(now_ms + lease_ms)
                .bind(now_ms)
                .fetch_optional(pool)
                .await?;
                if let Some(r) = taken {
                    return lease_of(&r);
                }
                // Not taken: the row exists (the insert met it).
                lease_of_meeting(pool, conf_uuid)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt(format!("the lease of {conf_uuid} vanished")))
            }

            pub async fn renew_lease(
                pool: &$pool,
                conf_uuid: &str,
                node_id: &str,
                epoch: i64,
                until_ms: i64,
            ) -> Result<bool> {
                let done = sqlx::query(RENEW_LEASE_SQL)
                .bind(until_ms)
                .bind(conf_uuid)
                .bind(node_id)
                .bind(epoch)
                .execute(pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            pub async fn release_lease(pool: &$pool, conf_uuid: &str, node_id: &str, epoch: i64) -> Result<()> {
                sqlx::query(
                    "UPDATE meeting_leases SET expires_at = 0 \
                     WHERE conf_uuid = $1 AND node_id = $2 AND epoch = $3",
                )
                .bind(conf_uuid)
                .bind(node_id)
                .bind(epoch)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn lease_of_meeting(pool: &$pool, conf_uuid: &str) -> Result<Option<Lease>> {
                let r = sqlx::query(
                    "SELECT node_id, node_url, epoch, expires_at FROM meeting_leases WHERE conf_uuid = $1",
                )
                .bind(conf_uuid)
                .fetch_optional(pool)
                .await?;
                r.as_ref().map(lease_of).transpose()
            }

            pub async fn save_handover(pool: &$pool, conf_uuid: &str, node_id: &str, epoch: i64, doc: &str) -> Result<bool> {
                // Written only under the lease it was taken with (the fence).
                // Written often: on PostgreSQL without waiting for the WAL
                // flush (a node's crash loses nothing; the database's own
                // crash, the last few hundred ms of handovers).
                let mut tx = pool.begin().await?;
                if let Some(sql) = $async_commit {
                    sqlx::query(sql).execute(&mut *tx).await?;
                }
                let done = sqlx::query(
                    "INSERT INTO meeting_handovers (conf_uuid, epoch, doc) \
                     SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM meeting_leases \
                       WHERE conf_uuid = $1 AND node_id = $4 AND epoch = $2) \
                     ON CONFLICT (conf_uuid) DO UPDATE SET epoch = excluded.epoch, doc = excluded.doc",
                )
                .bind(conf_uuid)
                .bind(epoch)
                .bind(doc)
                .bind(node_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            pub async fn handover_of(pool: &$pool, conf_uuid: &str) -> Result<Option<(i64, String)>> {
                let r = sqlx::query("SELECT epoch, doc FROM meeting_handovers WHERE conf_uuid = $1")
                    .bind(conf_uuid)
                    .fetch_optional(pool)
                    .await?;
                Ok(match r {
                    Some(r) => Some((r.try_get("epoch")?, r.try_get("doc")?)),
                    None => None,
                })
            }

            pub async fn clear_handover(pool: &$pool, conf_uuid: &str, node_id: &str, epoch: i64) -> Result<()> {
                sqlx::query(
                    "DELETE FROM meeting_handovers WHERE conf_uuid = $1 AND EXISTS (SELECT 1 FROM meeting_leases \
                       WHERE conf_uuid = $1 AND node_id = $2 AND epoch = $3)",
                )
                .bind(conf_uuid)
                .bind(node_id)
                .bind(epoch)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn first_nonce_use(pool: &$pool, app_id: &str, nonce: &str, until: i64, now: i64) -> Result<bool> {
                // New, or remembered past its time: this use is the first.
                let done = sqlx::query(
                    "INSERT INTO app_nonces (app_id, nonce, until_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (app_id, nonce) DO UPDATE SET until_at = excluded.until_at \
                     WHERE app_nonces.until_at <= $4",
                )
                .bind(app_id)
                .bind(nonce)
                .bind(until)
                .bind(now)
                .execute(pool)
                .await?;
                if done.rows_affected() == 1 && rand::random::<u8>() == 0 {
                    // Now and then, forget the nonces past their time.
                    sqlx::query("DELETE FROM app_nonces WHERE until_at <= $1")
                        .bind(now)
                        .execute(pool)
                        .await?;
                }
                Ok(done.rows_affected() == 1)
            }

            pub async fn put_control_token(pool: &$pool, key: &str, conf_uuid: &str, expires: i64, now: i64) -> Result<()> {
                sqlx::query(
                    "INSERT INTO control_tokens (token_key, conf_uuid, expires_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (token_key) DO UPDATE SET conf_uuid = excluded.conf_uuid, expires_at = excluded.expires_at",
                )
                .bind(key)
                .bind(conf_uuid)
                .bind(expires)
                .execute(pool)
                .await?;
                if rand::random::<u8>() == 0 {
                    sqlx::query("DELETE FROM control_tokens WHERE expires_at <= $1")
                        .bind(now)
                        .execute(pool)
                        .await?;
                }
                Ok(())
            }

            pub async fn store_live_change(
                pool: &$pool,
                conf_uuid: &str,
                fence: Option<&crate::Fence>,
                change: &convene_core::session::Persist,
            ) -> Result<bool> {
                use convene_core::session::Persist;
                // One transaction: the lease's renewal first (its row stays
                // locked until the commit, so no node takes the meeting in
                // between), then the change; nothing when the epoch moved on.
                let mut tx = BeginWrite::begin_write(pool).await?;
                if let Some(f) = fence {
                    let renewed = sqlx::query(RENEW_LEASE_SQL)
                    .bind(f.until_ms)
                    .bind(conf_uuid)
                    .bind(&f.node_id)
                    .bind(f.epoch)
                    .execute(&mut *tx)
                    .await?;
                    if renewed.rows_affected() != 1 {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                }
                match change {
                    Persist::Ended => {
                        sqlx::query(END_MEETING_SQL)
                        .bind(conf_uuid)
                        .execute(&mut *tx)
                        .await?;
                    }
                    Persist::Changed { end, settings, invitees } => {
                        if let Some(end) = end {
                            sqlx::query("UPDATE meetings SET end_ts = $1 WHERE conf_uuid = $2 AND state = 'created'")
                                .bind(*end)
                                .bind(conf_uuid)
                                .execute(&mut *tx)
                                .await?;
                        }
                        if let Some(live) = settings {
                            sqlx::query("UPDATE meetings SET live = $1 WHERE conf_uuid = $2 AND state = 'created'")
                                .bind(crate::doc::encode_live(live)?)
                                .bind(conf_uuid)
                                .execute(&mut *tx)
                                .await?;
                        }
                        if let Some(list) = invitees {
                            let doc: Option<String> = sqlx::query("SELECT doc FROM meetings WHERE conf_uuid = $1")
                                .bind(conf_uuid)
                                .fetch_optional(&mut *tx)
                                .await?
                                .map(|r| r.try_get("doc"))
                                .transpose()?;
                            if let Some(doc) = doc {
                                let mut m = crate::doc::decode_meeting(&doc)?;
                                m.info.attendees = list.clone();
                                m.info.num_of_attendee = list.len() as i64;
                                sqlx::query("UPDATE meetings SET doc = $1 WHERE conf_uuid = $2")
                                    .bind(encode_meeting(&m)?)
                                    .bind(conf_uuid)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                        }
                    }
                }
                tx.commit().await?;
                Ok(true)
            }

            pub async fn take_control_token(pool: &$pool, key: &str, now: i64) -> Result<Option<String>> {
                let r = sqlx::query("DELETE FROM control_tokens WHERE token_key = $1 RETURNING conf_uuid, expires_at")
                    .bind(key)
                    .fetch_optional(pool)
                    .await?;
                let Some(r) = r else { return Ok(None) };
                let expires: i64 = r.try_get("expires_at")?;
                Ok((expires > now).then(|| r.try_get("conf_uuid")).transpose()?)
            }

            pub async fn control_token(pool: &$pool, key: &str, now: i64) -> Result<Option<String>> {
                let r = sqlx::query("SELECT conf_uuid FROM control_tokens WHERE token_key = $1 AND expires_at > $2")
                    .bind(key)
                    .bind(now)
                    .fetch_optional(pool)
                    .await?;
                Ok(r.map(|r| r.try_get("conf_uuid")).transpose()?)
            }
        }
    };
}

cluster_queries!(lite_cluster, SqlitePool, None::<&str>);
cluster_queries!(pg_cluster, PgPool, Some("SET LOCAL synchronous_commit TO OFF"));

/// The PostgreSQL channel the nodes of a cluster tell each other on.
const CHANNEL: &str = "convene_cluster";
/// Messages held for a subscriber that has not taken them yet; past this,
/// the subscription is told it missed some.
const SUBSCRIBER_QUEUE: usize = 4096;

/// The nodes' messages: `NOTIFY` on PostgreSQL; nothing on SQLite (one node).
pub(crate) trait Notifier {
    async fn publish(&self, payload: &str) -> crate::Result<()>;
    async fn subscribe(&self) -> crate::Result<Option<tokio::sync::mpsc::Receiver<crate::Heard>>>;
}

impl Notifier for sqlx::SqlitePool {
    async fn publish(&self, _payload: &str) -> crate::Result<()> {
        Ok(())
    }
    async fn subscribe(&self) -> crate::Result<Option<tokio::sync::mpsc::Receiver<crate::Heard>>> {
        Ok(None)
    }
}

impl Notifier for sqlx::PgPool {
    async fn publish(&self, payload: &str) -> crate::Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(self)
            .await?;
        Ok(())
    }

    async fn subscribe(&self) -> crate::Result<Option<tokio::sync::mpsc::Receiver<crate::Heard>>> {
        use crate::Heard;
        let mut listener = sqlx::postgres::PgListener::connect_with(self).await?;
        listener.listen(CHANNEL).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(SUBSCRIBER_QUEUE);
        let pool = self.clone();
        tokio::spawn(async move {
            // Whether the subscriber missed messages it has not been told of.
            let mut missed = false;
            loop {
                let heard = match listener.try_recv().await {
                    Ok(Some(n)) => Heard::Message(n.payload().to_owned()),
                    // The connection dropped (and was opened again):
                    // whatever was sent meanwhile is lost.
                    Ok(None) => Heard::Missed,
                    // The store closed (the node stops): so does this.
                    Err(_) if pool.is_closed() => return,
                    Err(e) => {
                        tracing::error!(error = %e, "listening to the other nodes");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        Heard::Missed
                    }
                };
                if tx.is_closed() {
                    return;
                }
                let heard = if std::mem::take(&mut missed) {
                    Heard::Missed
                } else {
                    heard
                };
                if let Err(tokio::sync::mpsc::error::TrySendError::Full(_)) = tx.try_send(heard) {
                    missed = true;
                }
            }
        });
        Ok(Some(rx))
    }
}

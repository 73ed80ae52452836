//! Cloud recording's segments and download links (see
//! `migrations/*/0016_recordings.sql`).

use convene_core::recording::{OutputFile, SegmentState, TrackFile};

/// One segment of a meeting's recording, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub id: i64,
    pub conf_uuid: String,
    pub started_at: i64,
    pub stopped_at: Option<i64>,
    pub state: SegmentState,
    pub attempts: i64,
    pub error: Option<String>,
    pub tracks: Vec<TrackFile>,
    pub files: Vec<OutputFile>,
    /// Frames the capture had to drop (its writer fell behind).
    pub dropped: i64,
}

/// How a composition went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Composed {
    /// Its files are ready (and `record.finish` is pushed).
    Ready(Vec<OutputFile>),
    /// It failed; try again later (another claim).
    Retry(String),
    /// It failed for good.
    Failed(String),
}

/// Which recorded meetings a list asks for.
#[derive(Debug, Clone, Default)]
pub struct RecordQuery {
    /// Only this owner's (`None`: the whole enterprise, for its admins).
    pub owner: Option<String>,
    pub enterprise: String,
    /// Subject words or the meeting ID.
    pub search: Option<String>,
    /// Meetings starting in `[from, to)` (seconds).
    pub from: i64,
    pub to: i64,
    pub ascending: bool,
    pub offset: i64,
    pub limit: i64,
}

/// The error of a segment whose node stopped capturing it because another
/// node took its meeting over (that node may still close it).
pub const INTERRUPTED: &str = "the node capturing this part stopped answering: another node took the meeting over";

pub(super) const SEGMENT_COLS: &str =
    "id, conf_uuid, started_at, stopped_at, state, attempts, error, tracks, files, dropped";

pub(super) fn decode_segment<R: sqlx::Row>(r: &R) -> crate::Result<Segment>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str, e: &dyn std::fmt::Display| crate::StoreError::Corrupt(format!("segment {what}: {e}"));
    let state: i64 = r.try_get("state")?;
    let tracks: String = r.try_get("tracks")?;
    let files: String = r.try_get("files")?;
    Ok(Segment {
        id: r.try_get("id")?,
        conf_uuid: r.try_get("conf_uuid")?,
        started_at: r.try_get("started_at")?,
        stopped_at: r.try_get("stopped_at")?,
        state: SegmentState::from_number(state).ok_or_else(|| corrupt("state", &state))?,
        attempts: r.try_get("attempts")?,
        error: r.try_get("error")?,
        tracks: serde_json::from_str(&tracks).map_err(|e| corrupt("tracks", &e))?,
        files: serde_json::from_str(&files).map_err(|e| corrupt("files", &e))?,
        dropped: r.try_get("dropped")?,
    })
}

macro_rules! recordings_queries {
    ($module:ident, $events:ident, $pool:ty) => {
        pub(crate) mod $module {
            use super::*;
            use crate::sql::$events as events;
            use crate::sql::*;
            use convene_core::recording::{SegmentState, TrackFile};

            fn json<T: serde::Serialize>(v: &T) -> Result<String> {
                serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
            }

            pub async fn start_segment(pool: &$pool, conf_uuid: &str, at: i64, node_id: &str) -> Result<i64> {
                let r = sqlx::query(
                    "INSERT INTO record_segments (conf_uuid, started_at, state, node_id) VALUES ($1, $2, 0, $3) \
                     RETURNING id",
                )
                .bind(conf_uuid)
                .bind(at)
                .bind(node_id)
                .fetch_one(pool)
                .await?;
                Ok(r.try_get("id")?)
            }

            pub async fn stop_segment(
                pool: &$pool,
                id: i64,
                at: i64,
                tracks: &[TrackFile],
                dropped: i64,
            ) -> Result<()> {
                // Nothing captured (nobody published): nothing to compose.
                let (state, error) = if tracks.is_empty() {
                    (
                        SegmentState::Failed,
                        Some("nothing was captured (no participant sent media)"),
                    )
                } else {
                    (SegmentState::Queued, None)
                };
                // Capturing, or marked interrupted by the node that took
                // the meeting over while this one was paused: closed with
                // what it captured.
                sqlx::query(
                    "UPDATE record_segments SET stopped_at = $1, tracks = $2, dropped = $3, state = $4, error = $5 \
                     WHERE id = $6 AND (state = 0 OR (state = 4 AND error = $7))",
                )
                .bind(at)
                .bind(json(&tracks)?)
                .bind(dropped)
                .bind(state.number())
                .bind(error)
                .bind(id)
                .bind(INTERRUPTED)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn claim_segment(pool: &$pool, now: i64, lease: i64, node_id: &str) -> Result<Option<Segment>> {
                // A node composes what it captured (the tracks are on its disk).
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE record_segments SET state = 2, claimed_until = $1, attempts = attempts + 1 \
                     WHERE id = (SELECT id FROM record_segments WHERE node_id = $3 AND (state = 1 \
                       OR (state = 2 AND claimed_until < $2)) ORDER BY id LIMIT 1) \
                     AND (state = 1 OR (state = 2 AND claimed_until < $2)) RETURNING {SEGMENT_COLS}"
                )))
                .bind(now + lease)
                .bind(now)
                .bind(node_id)
                .fetch_optional(pool)
                .await?;
                row.as_ref().map(decode_segment).transpose()
            }

            pub async fn finish_segment(pool: &$pool, id: i64, outcome: &Composed) -> Result<()> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                let (state, error, files) = match outcome {
                    Composed::Ready(files) => (SegmentState::Ready, None, json(files)?),
                    Composed::Retry(e) => (SegmentState::Queued, Some(e.as_str()), "[]".to_owned()),
                    Composed::Failed(e) => (SegmentState::Failed, Some(e.as_str()), "[]".to_owned()),
                };
                let row = sqlx::query(
                    "UPDATE record_segments SET state = $1, error = $2, files = $3, claimed_until = NULL \
                     WHERE id = $4 AND state = 2 RETURNING conf_uuid",
                )
                .bind(state.number())
                .bind(error)
                .bind(files)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                if let (Some(r), Composed::Ready(_)) = (row, outcome) {
                    let conf_uuid: String = r.try_get("conf_uuid")?;
                    events::enqueue(
                        &mut tx,
                        &conf_uuid,
                        convene_core::webhook::event::RECORD_FINISH,
                        None,
                    )
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            pub async fn segments_of(pool: &$pool, conf_uuid: &str) -> Result<Vec<Segment>> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {SEGMENT_COLS} FROM record_segments WHERE conf_uuid = $1 ORDER BY id"
                )))
                .bind(conf_uuid)
                .fetch_all(pool)
                .await?;
                rows.iter().map(decode_segment).collect()
            }

            pub async fn segments_of_many(pool: &$pool, conf_uuids: &[ConfUuid]) -> Result<Vec<Segment>> {
                let mut out = Vec::new();
                // Bounded statements: a query per MAX_SEGMENT_LOOKUP meetings.
                for chunk in conf_uuids.chunks(crate::MAX_SEGMENT_LOOKUP) {
                    let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
                    let sql = format!(
                        "SELECT {SEGMENT_COLS} FROM record_segments WHERE conf_uuid IN ({}) ORDER BY id",
                        marks.join(", ")
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for u in chunk {
                        q = q.bind(u.as_str());
                    }
                    for row in q.fetch_all(pool).await? {
                        out.push(decode_segment(&row)?);
                    }
                }
                Ok(out)
            }

            pub async fn segment(pool: &$pool, id: i64) -> Result<Option<Segment>> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {SEGMENT_COLS} FROM record_segments WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(pool)
                .await?;
                row.as_ref().map(decode_segment).transpose()
            }

            pub async fn recorded_meetings(pool: &$pool, q: &RecordQuery) -> Result<(i64, Vec<Meeting>)> {
                let search = q.search.clone().unwrap_or_default();
                let pattern = format!("%{}%", like_literal(&subject_key(&search)));
                let filter = "enterprise_id = $1 AND ($2 = '' OR owner_id = $2) \
                     AND conf_uuid IN (SELECT conf_uuid FROM record_segments) \
                     AND ($3 = '' OR subject_key LIKE $4 ESCAPE '\\' OR conf_id = $3) \
                     AND start_ts >= $5 AND start_ts < $6";
                let owner = q.owner.clone().unwrap_or_default();
                let count: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) AS n FROM meetings WHERE {filter}"
                )))
                .bind(&q.enterprise)
                .bind(&owner)
                .bind(&search)
                .bind(&pattern)
                .bind(q.from)
                .bind(q.to)
                .fetch_one(pool)
                .await?
                .try_get("n")?;
                let order = if q.ascending { "ASC" } else { "DESC" };
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {MEETING_COLS} FROM meetings WHERE {filter} ORDER BY start_ts {order}, conf_uuid \
                     LIMIT $7 OFFSET $8"
                )))
                .bind(&q.enterprise)
                .bind(&owner)
                .bind(&search)
                .bind(&pattern)
                .bind(q.from)
                .bind(q.to)
                .bind(q.limit)
                .bind(q.offset)
                .fetch_all(pool)
                .await?;
                let meetings = rows.iter().map(decode_meeting).collect::<Result<Vec<_>>>()?;
                Ok((count, meetings))
            }

            pub async fn delete_segments(pool: &$pool, conf_uuid: &str) -> Result<Vec<Segment>> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM record_segments WHERE conf_uuid = $1 RETURNING {SEGMENT_COLS}"
                )))
                .bind(conf_uuid)
                .fetch_all(&mut *tx)
                .await?;
                let segments = rows.iter().map(decode_segment).collect::<Result<Vec<_>>>()?;
                for s in &segments {
                    sqlx::query("DELETE FROM record_downloads WHERE segment_id = $1")
                        .bind(s.id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(segments)
            }

            /// After a restart of a node: compositions it was doing are
            /// queued again, and captures it was doing cannot be closed
            /// (their files were never finished).
            pub async fn release_segment_claims(pool: &$pool, now: i64, node_id: &str) -> Result<()> {
                sqlx::query(
                    "UPDATE record_segments SET state = 1, claimed_until = NULL WHERE state = 2 AND node_id = $1",
                )
                .bind(node_id)
                .execute(pool)
                .await?;
                sqlx::query(
                    "UPDATE record_segments SET state = 4, stopped_at = $1, \
                     error = 'the server stopped while this part was being captured' \
                     WHERE node_id = $2 AND (state = 0 OR (state = 4 AND error = $3))",
                )
                .bind(now)
                .bind(node_id)
                .bind(INTERRUPTED)
                .execute(pool)
                .await?;
                Ok(())
            }

            /// A node took the meeting over: what other nodes were still
            /// capturing of it is marked interrupted.
            pub async fn interrupt_segments(pool: &$pool, conf_uuid: &str, node_id: &str, now: i64) -> Result<u64> {
                let done = sqlx::query(
                    "UPDATE record_segments SET state = 4, stopped_at = $1, error = $2 \
                     WHERE conf_uuid = $3 AND state = 0 AND node_id <> $4",
                )
                .bind(now)
                .bind(INTERRUPTED)
                .bind(conf_uuid)
                .bind(node_id)
                .execute(pool)
                .await?;
                Ok(done.rows_affected())
            }

            pub async fn expired_segments(pool: &$pool, before: i64) -> Result<Vec<String>> {
                let rows = sqlx::query(
                    "SELECT DISTINCT conf_uuid FROM record_segments WHERE state IN (3, 4) AND stopped_at < $1",
                )
                .bind(before)
                .fetch_all(pool)
                .await?;
                rows.iter().map(|r| Ok(r.try_get("conf_uuid")?)).collect()
            }

            pub async fn put_download(
                pool: &$pool,
                key: &str,
                segment: i64,
                file: &str,
                expires_at: i64,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO record_downloads (token_hash, segment_id, file, expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(key)
                .bind(segment)
                .bind(file)
                .bind(expires_at)
                .execute(pool)
                .await?;
                Ok(())
            }

            pub async fn take_download(pool: &$pool, key: &str, now: i64) -> Result<Option<(i64, String)>> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                // Expired links go with any use.
                sqlx::query("DELETE FROM record_downloads WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query("DELETE FROM record_downloads WHERE token_hash = $1 RETURNING segment_id, file")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                row.map(|r| Ok((r.try_get("segment_id")?, r.try_get("file")?)))
                    .transpose()
            }
        }
    };
}

recordings_queries!(lite_recordings, lite_events, SqlitePool);
recordings_queries!(pg_recordings, pg_events, PgPool);

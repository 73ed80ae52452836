//! The webhook events outbox (see `migrations/*/0014_webhook_events.sql`):
//! events are put in it by the statements of the change that causes them,
//! in its transaction, and only for meetings of an enterprise whose
//! subscription is enabled then (one `INSERT ... SELECT`: nothing is
//! written for the others). A deliverer claims the oldest pending events of
//! each meeting, in order, for a while (a lease), and records how each went.

use convene_core::webhook::EventFacts;

use super::*;

/// Milliseconds since the epoch: an event's time, the wall clock's when its
/// change was stored (not the test clock the rest of the store is given).
pub(super) fn event_time_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Event `$1` at `$2` (ms; attendee `$3`) for each meeting `filter` picks
/// (alias `m`, parameters from `$4` on) whose enterprise's subscription is
/// enabled.
fn enqueue_sql(filter: &str) -> String {
    format!(
        "INSERT INTO webhook_events (event, at_ms, attendee, next_at, enterprise_id, conf_uuid, conf_id, \
         cycle_sub_id, state, attempts) \
         SELECT $1, $2, $3, $2, m.enterprise_id, m.conf_uuid, m.conf_id, \
         CASE WHEN m.series_id IS NULL THEN '' ELSE m.conf_uuid END, 'pending', 0 \
         FROM meetings m JOIN webhooks w ON w.enterprise_id = m.enterprise_id AND w.status = 0 \
         WHERE {filter}"
    )
}

/// The event of one meeting (`$4`).
pub(super) static ENQUEUE_SQL: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| enqueue_sql("m.conf_uuid = $4"));

/// The event of each booked meeting of owner `$4` not over at `$5`.
pub(super) static ENQUEUE_OWNER_BOOKED_SQL: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| enqueue_sql("m.owner_id = $4 AND m.state = 'scheduled' AND m.end_ts > $5"));

/// Whether any subscription is enabled: a batch of records skips the
/// events' statements when none is.
pub(super) const ANY_ENABLED_SQL: &str = "SELECT 1 FROM webhooks WHERE status = 0 LIMIT 1";

/// Whether an event is due at `$1` (a cheap read before the claim's write).
pub(super) const ANY_DUE_SQL: &str = "SELECT 1 FROM webhook_events WHERE state = 'pending' AND next_at <= $1 \
     AND (claimed_until IS NULL OR claimed_until <= $1) LIMIT 1";

/// Claims up to `$3` events due at `$1` until `$2`: each one's meeting has
/// no earlier pending event that waits (not due) or is claimed, so a
/// meeting's events go out in order. The outer condition is checked again
/// on each row as it is locked (PostgreSQL).
pub(super) const CLAIM_EVENTS_SQL: &str = "UPDATE webhook_events SET claimed_until = $2 \
     WHERE id IN (SELECT e.id FROM webhook_events e WHERE e.state = 'pending' AND e.next_at <= $1 \
       AND (e.claimed_until IS NULL OR e.claimed_until <= $1) \
       AND NOT EXISTS (SELECT 1 FROM webhook_events b WHERE b.conf_uuid = e.conf_uuid AND b.state = 'pending' \
         AND b.id < e.id AND (b.next_at > $1 OR b.claimed_until > $1)) \
       ORDER BY e.id LIMIT $3) \
     AND state = 'pending' AND (claimed_until IS NULL OR claimed_until <= $1) \
     RETURNING id, enterprise_id, conf_uuid, conf_id, cycle_sub_id, event, at_ms, attendee, attempts";

pub(super) const RELEASE_EVENT_CLAIMS_SQL: &str =
    "UPDATE webhook_events SET claimed_until = NULL WHERE claimed_until IS NOT NULL AND state = 'pending'";

/// An event claimed for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventItem {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    pub facts: EventFacts,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// How an event's delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventDelivery {
    /// Taken by the receiver: the event is done (deleted).
    Sent,
    /// Refused or unreachable: tried again at `at` (ms).
    Retry { at: i64, error: String },
    /// Out of retries: kept as 'failed'.
    Failed { error: String },
    /// Its subscription is gone or disabled: kept as 'unsent'.
    Unsent { reason: String },
    /// Not tried (an earlier event of its meeting failed): claimed again later.
    Released,
}

/// The statement and its parameters that one result writes.
fn finish_event_sql(id: i64, d: &EventDelivery) -> (&'static str, Vec<Param>) {
    match d {
        EventDelivery::Sent => ("DELETE FROM webhook_events WHERE id = $1", vec![Param::Int(id)]),
        EventDelivery::Retry { at, error } => (
            "UPDATE webhook_events SET next_at = $1, last_error = $2, attempts = attempts + 1, \
             claimed_until = NULL WHERE id = $3",
            vec![Param::Int(*at), Param::Text(error.clone()), Param::Int(id)],
        ),
        EventDelivery::Failed { error } => (
            "UPDATE webhook_events SET state = 'failed', last_error = $1, attempts = attempts + 1, \
             claimed_until = NULL WHERE id = $2",
            vec![Param::Text(error.clone()), Param::Int(id)],
        ),
        EventDelivery::Unsent { reason } => (
            "UPDATE webhook_events SET state = 'unsent', last_error = $1, claimed_until = NULL WHERE id = $2",
            vec![Param::Text(reason.clone()), Param::Int(id)],
        ),
        EventDelivery::Released => (
            "UPDATE webhook_events SET claimed_until = NULL WHERE id = $1",
            vec![Param::Int(id)],
        ),
    }
}

/// An event's state as the outbox keeps it (tests, operators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStatus {
    pub event: String,
    pub conf_uuid: ConfUuid,
    /// pending, failed or unsent (delivered ones are gone).
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

// The events' queries, written once for both backends (see `store_queries!`).

macro_rules! events_queries {
    ($module:ident, $conn:ty, $pool:ty) => {
        pub(crate) mod $module {
            use super::*;

            /// Puts `event` of meeting `conf_uuid` in the outbox, inside
            /// the caller's transaction (nothing if its enterprise has no
            /// enabled subscription).
            pub async fn enqueue(conn: &mut $conn, conf_uuid: &str, event: &str, attendee: Option<&str>) -> Result<()> {
                sqlx::query(sqlx::AssertSqlSafe(ENQUEUE_SQL.as_str()))
                    .bind(event)
                    .bind(event_time_ms())
                    .bind(attendee)
                    .bind(conf_uuid)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub async fn enqueue_owner_booked(conn: &mut $conn, owner: &str, now: i64, event: &str) -> Result<()> {
                sqlx::query(sqlx::AssertSqlSafe(ENQUEUE_OWNER_BOOKED_SQL.as_str()))
                    .bind(event)
                    .bind(event_time_ms())
                    .bind(None::<String>)
                    .bind(owner)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub async fn any_enabled(conn: &mut $conn) -> Result<bool> {
                Ok(sqlx::query(ANY_ENABLED_SQL)
                    .fetch_optional(&mut *conn)
                    .await?
                    .is_some())
            }

            pub async fn claim_events(pool: &$pool, now_ms: i64, lease_ms: i64, limit: i64) -> Result<Vec<EventItem>> {
                if sqlx::query(ANY_DUE_SQL)
                    .bind(now_ms)
                    .fetch_optional(pool)
                    .await?
                    .is_none()
                {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query(CLAIM_EVENTS_SQL)
                    .bind(now_ms)
                    .bind(now_ms + lease_ms)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?;
                let mut items = rows
                    .iter()
                    .map(|r| {
                        Ok(EventItem {
                            id: r.try_get("id")?,
                            enterprise_id: EnterpriseId(r.try_get("enterprise_id")?),
                            attempts: r.try_get("attempts")?,
                            facts: EventFacts {
                                event: r.try_get("event")?,
                                at_ms: r.try_get("at_ms")?,
                                conf_id: r.try_get("conf_id")?,
                                conf_uuid: r.try_get("conf_uuid")?,
                                cycle_sub_id: r.try_get("cycle_sub_id")?,
                                attendee: r.try_get("attendee")?,
                            },
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                items.sort_by_key(|i| i.id);
                Ok(items)
            }

            pub async fn finish_events(pool: &$pool, results: &[(i64, EventDelivery)]) -> Result<()> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                for (id, d) in results {
                    let (sql, params) = finish_event_sql(*id, d);
                    let mut q = sqlx::query(sql);
                    for p in params {
                        q = match p {
                            Param::Int(v) => q.bind(v),
                            Param::Text(v) => q.bind(v),
                        };
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            pub async fn release_event_claims(pool: &$pool) -> Result<()> {
                sqlx::query(RELEASE_EVENT_CLAIMS_SQL).execute(pool).await?;
                Ok(())
            }

            pub async fn events_of(pool: &$pool, conf_uuid: &str) -> Result<Vec<EventStatus>> {
                let rows = sqlx::query(
                    "SELECT event, conf_uuid, state, attempts, last_error FROM webhook_events \
                     WHERE conf_uuid = $1 ORDER BY id",
                )
                .bind(conf_uuid)
                .fetch_all(pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(EventStatus {
                            event: r.try_get("event")?,
                            conf_uuid: ConfUuid(r.try_get("conf_uuid")?),
                            state: r.try_get("state")?,
                            attempts: r.try_get("attempts")?,
                            last_error: r.try_get("last_error")?,
                        })
                    })
                    .collect()
            }
        }
    };
}

events_queries!(lite_events, sqlx::SqliteConnection, SqlitePool);
events_queries!(pg_events, sqlx::PgConnection, PgPool);

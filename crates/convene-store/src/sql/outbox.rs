//! The invitations outbox: its statements and rows (see
//! `migrations/*/0008_outbox.sql`). Notices are inserted in the same
//! transaction as the change they tell of; a deliverer claims due ones for
//! a while (a lease, so a crash only delays them), then records the result.

use convene_core::notify::{Channel, Notice, NoticeKind};

use super::*;

/// Inserts one pending notice of meeting `$1`, due at `$9` (also its
/// creation time).
pub(super) const INSERT_NOTICE_SQL: &str = "INSERT INTO outbox (conf_uuid, kind, channel, recipient, name, host, \
     calendar, sequence, state, attempts, next_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10)";

/// Claims up to `$3` notices due at `$1` until `$2` (the lease), counting
/// the attempt. The outer condition is checked again on each row as it is
/// locked (PostgreSQL), so two deliverers never claim one notice together.
pub(super) const CLAIM_SQL: &str = "UPDATE outbox SET claimed_until = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_at <= $1 \
       AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY next_at LIMIT $3) \
     AND state = 'pending' AND (claimed_until IS NULL OR claimed_until <= $1) \
     RETURNING id, conf_uuid, kind, channel, recipient, name, host, calendar, sequence, attempts";

/// Lets go of every claim: for a database one server owns (SQLite), whose
/// claims at its start are those of a process that died.
pub(super) const RELEASE_CLAIMS_SQL: &str = "UPDATE outbox SET claimed_until = NULL WHERE claimed_until IS NOT NULL";

pub(super) const NOTICES_OF_SQL: &str = "SELECT kind, channel, recipient, name, host, calendar, sequence, state, \
     attempts, last_error, sent_at FROM outbox WHERE conf_uuid = $1 ORDER BY id";

/// A notice waiting in the outbox, as claimed for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub conf_uuid: ConfUuid,
    pub notice: Notice,
    /// Delivery attempts so far, this one included.
    pub attempts: i64,
}

/// How a delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Failed; tried again at `at`.
    Retry {
        at: i64,
        error: String,
    },
    /// Failed for good (a refused address, or out of attempts).
    Failed {
        error: String,
    },
    /// Not sent: nothing is configured to send it with.
    Unsent {
        reason: String,
    },
}

/// A notice as a meeting's detail shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeStatus {
    pub notice: Notice,
    /// pending, sent, failed or unsent.
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

/// The statement and its parameters that a delivery's result writes.
pub(super) fn finish_sql(id: i64, now: i64, d: &Delivery) -> (&'static str, Vec<Param>) {
    match d {
        Delivery::Sent => (
            "UPDATE outbox SET state = 'sent', sent_at = $1, last_error = NULL, claimed_until = NULL WHERE id = $2",
            vec![Param::Int(now), Param::Int(id)],
        ),
        Delivery::Retry { at, error } => (
            "UPDATE outbox SET next_at = $1, last_error = $2, claimed_until = NULL WHERE id = $3",
            vec![Param::Int(*at), Param::Text(error.clone()), Param::Int(id)],
        ),
        Delivery::Failed { error } => (
            "UPDATE outbox SET state = 'failed', last_error = $1, claimed_until = NULL WHERE id = $2",
            vec![Param::Text(error.clone()), Param::Int(id)],
        ),
        Delivery::Unsent { reason } => (
            "UPDATE outbox SET state = 'unsent', last_error = $1, claimed_until = NULL WHERE id = $2",
            vec![Param::Text(reason.clone()), Param::Int(id)],
        ),
    }
}

/// A statement parameter of the outbox's few shapes.
pub(super) enum Param {
    Int(i64),
    Text(String),
}

/// A notice's columns, in `INSERT_NOTICE_SQL`'s order after the meeting
/// (`next_at`, when it is due, comes from `Notice::due` and the time).
pub(super) fn notice_columns(n: &Notice) -> (&'static str, &'static str, &str, &str, i64, i64, i64) {
    (
        n.kind.as_str(),
        n.channel.as_str(),
        &n.recipient,
        &n.name,
        i64::from(n.host),
        i64::from(n.calendar),
        n.sequence,
    )
}

pub(super) fn decode_notice<R: Row>(r: &R) -> Result<Notice>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = r.try_get("kind")?;
    let channel: String = r.try_get("channel")?;
    Ok(Notice {
        kind: NoticeKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("notice kind {kind:?}")))?,
        channel: Channel::parse(&channel).ok_or_else(|| StoreError::Corrupt(format!("notice channel {channel:?}")))?,
        recipient: r.try_get("recipient")?,
        name: r.try_get("name")?,
        host: r.try_get::<i64, _>("host")? != 0,
        calendar: r.try_get::<i64, _>("calendar")? != 0,
        sequence: r.try_get("sequence")?,
        due: 0,
    })
}

// The outbox's queries, written once for both backends (see `store_queries!`).

macro_rules! outbox_queries {
    ($module:ident, $pool:ty) => {
        pub(crate) mod $module {
            use super::*;

            pub async fn claim_notices(pool: &$pool, now: i64, lease: i64, limit: i64) -> Result<Vec<OutboxItem>> {
                let rows = sqlx::query(CLAIM_SQL)
                    .bind(now)
                    .bind(now + lease)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(OutboxItem {
                            id: r.try_get("id")?,
                            conf_uuid: ConfUuid(r.try_get("conf_uuid")?),
                            notice: decode_notice(r)?,
                            attempts: r.try_get("attempts")?,
                        })
                    })
                    .collect()
            }

            pub async fn release_notice_claims(pool: &$pool) -> Result<()> {
                sqlx::query(RELEASE_CLAIMS_SQL).execute(pool).await?;
                Ok(())
            }

            pub async fn finish_notice(pool: &$pool, id: i64, now: i64, d: &Delivery) -> Result<()> {
                let (sql, params) = finish_sql(id, now, d);
                let mut q = sqlx::query(sql);
                for p in params {
                    q = match p {
                        Param::Int(v) => q.bind(v),
                        Param::Text(v) => q.bind(v),
                    };
                }
                q.execute(pool).await?;
                Ok(())
            }

            pub async fn notices_of(pool: &$pool, conf_uuid: &str) -> Result<Vec<NoticeStatus>> {
                let rows = sqlx::query(NOTICES_OF_SQL)
                    .bind(conf_uuid)
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(NoticeStatus {
                            notice: decode_notice(r)?,
                            state: r.try_get("state")?,
                            attempts: r.try_get("attempts")?,
                            last_error: r.try_get("last_error")?,
                            sent_at: r.try_get("sent_at")?,
                        })
                    })
                    .collect()
            }
        }
    };
}

outbox_queries!(lite_outbox, SqlitePool);
outbox_queries!(pg_outbox, PgPool);

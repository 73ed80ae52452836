//! A held meeting's records: attendance and control actions (see
//! `migrations/*/0009_meeting_records.sql`).

pub(super) const JOINED_SQL: &str =
    "INSERT INTO attendance (conf_uuid, participant_id, name, role, device, joined_at, \
     user_uuid) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// Ends a stay, answering it (what `meeting.left` tells).
pub(super) const LEFT_SQL: &str =
    "UPDATE attendance SET left_at = $1, spoke_ms = $4 WHERE conf_uuid = $2 AND participant_id = $3 \
     AND left_at IS NULL RETURNING name, role, device, joined_at, user_uuid";
pub(super) const CHAT_SQL: &str =
    "INSERT INTO chat_records (conf_uuid, at, sender, recipient, text) VALUES ($1, $2, $3, $4, $5)";
pub(super) const CONTROL_SQL: &str = "INSERT INTO control_records \
     (conf_uuid, at, source, operator, code, object, result, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// One stay of a participant in a held meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceRow {
    pub participant_id: i64,
    pub name: String,
    /// The seed's role number.
    pub role: i64,
    /// The product's attendee type name.
    pub device: String,
    pub joined_at: i64,
    /// `None` while still in it (or it never said).
    pub left_at: Option<i64>,
    /// How long it was the active speaker during the stay (ms).
    pub spoke_ms: i64,
}

/// One chat message of a held meeting (private ones name their receiver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRow {
    pub at: i64,
    pub from: String,
    pub to: Option<String>,
    pub text: String,
}

/// One control action in a held meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlRow {
    pub at: i64,
    pub source: String,
    pub operator: String,
    pub code: String,
    pub object: String,
    pub result: i64,
    pub detail: String,
}

// The records' queries, written once for both backends (see `store_queries!`).

macro_rules! records_queries {
    ($module:ident, $events:ident, $pool:ty) => {
        pub(crate) mod $module {
            use super::*;
            use crate::sql::$events as events;
            use crate::sql::*;
            use convene_core::webhook::{attendee_info, event, AttendeeFacts};

            pub async fn add_meeting_records(
                pool: &$pool,
                records: &[(ConfUuid, convene_core::session::Record)],
            ) -> Result<()> {
                use convene_core::session::Record;
                let mut tx = BeginWrite::begin_write(pool).await?;
                // The events of what is recorded, in the same transaction
                // (none to write unless some subscription is enabled).
                let push = events::any_enabled(&mut tx).await?;
                for (uuid, r) in records {
                    match r {
                        Record::Joined {
                            participant,
                            name,
                            role,
                            device,
                            user,
                            at,
                        } => {
                            sqlx::query(JOINED_SQL)
                                .bind(uuid.as_str())
                                .bind(participant.0 as i64)
                                .bind(name)
                                .bind(i64::from(role.number()))
                                .bind(*device)
                                .bind(*at)
                                .bind(user.as_deref())
                                .execute(&mut *tx)
                                .await?;
                            if push {
                                let a = attendee_info(&AttendeeFacts {
                                    participant: participant.0,
                                    name,
                                    role: i64::from(role.number()),
                                    device,
                                    user: user.as_deref(),
                                    joined_at: *at,
                                    left_at: None,
                                });
                                events::enqueue(&mut tx, uuid.as_str(), event::JOIN, Some(&a)).await?;
                            }
                        }
                        Record::Left {
                            participant,
                            at,
                            spoke_ms,
                        } => {
                            let stay = sqlx::query(LEFT_SQL)
                                .bind(*at)
                                .bind(uuid.as_str())
                                .bind(participant.0 as i64)
                                .bind(*spoke_ms)
                                .fetch_optional(&mut *tx)
                                .await?;
                            if let (true, Some(row)) = (push, stay) {
                                let name: String = row.try_get("name")?;
                                let device: String = row.try_get("device")?;
                                let user: Option<String> = row.try_get("user_uuid")?;
                                let a = attendee_info(&AttendeeFacts {
                                    participant: participant.0,
                                    name: &name,
                                    role: row.try_get("role")?,
                                    device: &device,
                                    user: user.as_deref(),
                                    joined_at: row.try_get("joined_at")?,
                                    left_at: Some(*at),
                                });
                                events::enqueue(&mut tx, uuid.as_str(), event::LEFT, Some(&a)).await?;
                            }
                        }
                        Record::Chat { at, from, to, text } => {
                            sqlx::query(CHAT_SQL)
                                .bind(uuid.as_str())
                                .bind(*at)
                                .bind(from)
                                .bind(to.as_deref())
                                .bind(text)
                                .execute(&mut *tx)
                                .await?;
                        }
                        Record::SessionStarted { .. } | Record::SessionEnded { .. } | Record::Concluded { .. } => {
                            if push {
                                let e = match r {
                                    Record::SessionStarted { .. } => event::STARTED,
                                    Record::SessionEnded { .. } => event::END,
                                    _ => event::CONCLUDE,
                                };
                                events::enqueue(&mut tx, uuid.as_str(), e, None).await?;
                            }
                        }
                        Record::Control {
                            at,
                            source,
                            operator,
                            code,
                            object,
                            result,
                            detail,
                        } => {
                            sqlx::query(CONTROL_SQL)
                                .bind(uuid.as_str())
                                .bind(*at)
                                .bind(*source)
                                .bind(operator)
                                .bind(*code)
                                .bind(object)
                                .bind(*result)
                                .bind(detail)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            pub async fn attendance_of(
                pool: &$pool,
                conf_uuid: &str,
                offset: i64,
                limit: i64,
                search: Option<&str>,
            ) -> Result<(i64, Vec<AttendanceRow>)> {
                let pattern = format!("%{}%", like_literal(search.unwrap_or_default()));
                let filter = "conf_uuid = $1 AND name LIKE $2 ESCAPE '\\'";
                let count: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) AS n FROM attendance WHERE {filter}"
                )))
                .bind(conf_uuid)
                .bind(&pattern)
                .fetch_one(pool)
                .await?
                .try_get("n")?;
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT participant_id, name, role, device, joined_at, left_at, spoke_ms FROM attendance WHERE {filter} \
                     ORDER BY joined_at, participant_id LIMIT $3 OFFSET $4"
                )))
                .bind(conf_uuid)
                .bind(&pattern)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
                let rows = rows
                    .iter()
                    .map(|r| {
                        Ok(AttendanceRow {
                            participant_id: r.try_get("participant_id")?,
                            name: r.try_get("name")?,
                            role: r.try_get("role")?,
                            device: r.try_get("device")?,
                            joined_at: r.try_get("joined_at")?,
                            left_at: r.try_get("left_at")?,
                            spoke_ms: r.try_get("spoke_ms")?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok((count, rows))
            }

            pub async fn chat_of(pool: &$pool, conf_uuid: &str) -> Result<Vec<ChatRow>> {
                let rows = sqlx::query(
                    "SELECT at, sender, recipient, text FROM chat_records WHERE conf_uuid = $1 ORDER BY id",
                )
                .bind(conf_uuid)
                .fetch_all(pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(ChatRow {
                            at: r.try_get("at")?,
                            from: r.try_get("sender")?,
                            to: r.try_get("recipient")?,
                            text: r.try_get("text")?,
                        })
                    })
                    .collect()
            }

            pub async fn control_records_of(
                pool: &$pool,
                conf_uuid: &str,
                offset: i64,
                limit: i64,
            ) -> Result<(i64, Vec<ControlRow>)> {
                let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM control_records WHERE conf_uuid = $1")
                    .bind(conf_uuid)
                    .fetch_one(pool)
                    .await?
                    .try_get("n")?;
                let rows = sqlx::query(
                    "SELECT at, source, operator, code, object, result, detail FROM control_records \
                     WHERE conf_uuid = $1 ORDER BY at LIMIT $2 OFFSET $3",
                )
                .bind(conf_uuid)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
                let rows = rows
                    .iter()
                    .map(|r| {
                        Ok(ControlRow {
                            at: r.try_get("at")?,
                            source: r.try_get("source")?,
                            operator: r.try_get("operator")?,
                            code: r.try_get("code")?,
                            object: r.try_get("object")?,
                            result: r.try_get("result")?,
                            detail: r.try_get("detail")?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok((count, rows))
            }
        }
    };
}

records_queries!(lite_records, lite_events, SqlitePool);
records_queries!(pg_records, pg_events, PgPool);

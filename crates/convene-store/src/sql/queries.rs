//! Every statement but a creation's, written once and expanded for both
//! backends (`store_queries!`), and the `Store` impls (`impl_store!`).

use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::*;
use convene_core::notify::Notice;

macro_rules! store_queries {
    ($module:ident, $events:ident, $conn:ty, $pool:ty, $row:ty) => {
        pub(crate) mod $module {
            use super::*;
            use super::$events as events;

            fn user_from_row(r: &$row) -> Result<User> {
                Ok(User {
                    id: UserId(r.try_get("id")?),
                    enterprise_id: EnterpriseId(r.try_get("enterprise_id")?),
                    account: r.try_get("account")?,
                    password_hash: r.try_get("password_hash")?,
                    name: r.try_get("name")?,
                    email: r.try_get("email")?,
                    phone: r.try_get("phone")?,
                    app_id: r.try_get("app_id")?,
                    third_user_id: r.try_get("third_user_id")?,
                    personal_room: RoomId(r.try_get("personal_room")?),
                    admin: r.try_get::<i64, _>("admin")? != 0,
                })
            }

            const USER_COLS: &str = "id, enterprise_id, account, password_hash, name, email, phone, app_id, third_user_id, personal_room, admin";

            pub async fn first_enterprise(pool: &$pool) -> Result<Option<Enterprise>> {
                let row = sqlx::query("SELECT id, name FROM enterprises ORDER BY created_at, id LIMIT 1")
                    .fetch_optional(pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(Enterprise { id: EnterpriseId(r.try_get("id")?), name: r.try_get("name")? }),
                    None => None,
                })
            }

            pub async fn create_enterprise(pool: &$pool, name: &str, now: i64) -> Result<Enterprise> {
                let id = random_hex(&mut rand::thread_rng(), 8);
                sqlx::query("INSERT INTO enterprises (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(&id)
                    .bind(name)
                    .bind(now)
                    .execute(pool)
                    .await?;
                Ok(Enterprise { id: EnterpriseId(id), name: name.to_owned() })
            }

            pub async fn enterprise(pool: &$pool, id: &EnterpriseId) -> Result<Option<Enterprise>> {
                let row = sqlx::query("SELECT id, name FROM enterprises WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(Enterprise { id: EnterpriseId(r.try_get("id")?), name: r.try_get("name")? }),
                    None => None,
                })
            }

            /// A room ID that no room and no running meeting uses.
            async fn insert_room(
                conn: &mut $conn,
                ids: Option<&ConfIdCipher>,
                enterprise: &EnterpriseId,
                kind: &str,
                owner: Option<&str>,
                now: i64,
            ) -> Result<RoomId> {
                for _ in 0..ID_ATTEMPTS {
                    let id = fresh_id();
                    if !CreateTx::running_with_id(&mut *conn, &id, seq_of(ids, &id)).await?.is_empty() {
                        continue;
                    }
                    let done = sqlx::query(
                        "INSERT INTO rooms (id, enterprise_id, kind, owner_id, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(&id)
                    .bind(enterprise.as_str())
                    .bind(kind)
                    .bind(owner)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                    if done.rows_affected() == 1 {
                        return Ok(RoomId(id));
                    }
                }
                Err(StoreError::Conflict("every room ID drawn".into()))
            }

            pub async fn add_user(conn: &mut $conn, ids: Option<&ConfIdCipher>, u: NewUser, now: i64) -> Result<User> {
                let exists = sqlx::query("SELECT 1 FROM users WHERE account = $1")
                    .bind(&u.account)
                    .fetch_optional(&mut *conn)
                    .await?;
                if exists.is_some() {
                    return Err(StoreError::Conflict(format!("account {:?}", u.account)));
                }
                let id = random_hex(&mut rand::thread_rng(), 16);
                let room = insert_room(&mut *conn, ids, &u.enterprise_id, "personal", Some(&id), now).await?;
                sqlx::query(
                    "INSERT INTO users (id, enterprise_id, account, password_hash, name, email, phone, app_id, third_user_id, personal_room, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&id)
                .bind(u.enterprise_id.as_str())
                .bind(&u.account)
                .bind(&u.password_hash)
                .bind(&u.name)
                .bind(&u.email)
                .bind(&u.phone)
                .bind(&u.app_id)
                .bind(&u.third_user_id)
                .bind(room.as_str())
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(User {
                    id: UserId(id),
                    enterprise_id: u.enterprise_id,
                    account: u.account,
                    password_hash: u.password_hash,
                    name: u.name,
                    email: u.email,
                    phone: u.phone,
                    app_id: u.app_id,
                    third_user_id: u.third_user_id,
                    personal_room: room,
                    admin: false,
                })
            }

            pub async fn webhook_of(pool: &$pool, enterprise: &str) -> Result<Option<crate::Webhook>> {
                let row = sqlx::query(
                    "SELECT id, enterprise_id, subscriber_id, subscriber_key, url, status, created_at, updated_at \
                     FROM webhooks WHERE enterprise_id = $1",
                )
                .bind(enterprise)
                .fetch_optional(pool)
                .await?;
                Ok(match row {
                    Some(r) => Some(crate::Webhook {
                        id: r.try_get("id")?,
                        enterprise_id: EnterpriseId(r.try_get("enterprise_id")?),
                        subscriber_id: r.try_get("subscriber_id")?,
                        subscriber_key: r.try_get("subscriber_key")?,
                        url: r.try_get("url")?,
                        status: r.try_get("status")?,
                        created_at: r.try_get("created_at")?,
                        updated_at: r.try_get("updated_at")?,
                    }),
                    None => None,
                })
            }

            pub async fn put_webhook(pool: &$pool, w: &crate::Webhook) -> Result<()> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                sqlx::query("DELETE FROM webhooks WHERE enterprise_id = $1")
                    .bind(w.enterprise_id.as_str())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO webhooks (id, enterprise_id, subscriber_id, subscriber_key, url, status, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&w.id)
                .bind(w.enterprise_id.as_str())
                .bind(&w.subscriber_id)
                .bind(&w.subscriber_key)
                .bind(&w.url)
                .bind(w.status)
                .bind(w.created_at)
                .bind(w.updated_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            pub async fn set_webhook_status(pool: &$pool, id: &str, status: i64, now: i64) -> Result<bool> {
                let done = sqlx::query("UPDATE webhooks SET status = $1, updated_at = $2 WHERE id = $3")
                    .bind(status)
                    .bind(now)
                    .bind(id)
                    .execute(pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            pub async fn delete_webhook(pool: &$pool, id: &str) -> Result<bool> {
                let done = sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(pool).await?;
                Ok(done.rows_affected() == 1)
            }

            fn app_from_row(r: &$row) -> Result<crate::AppInfo> {
                Ok(crate::AppInfo {
                    app: App {
                        app_id: r.try_get("app_id")?,
                        app_key: r.try_get("app_key")?,
                        enterprise_id: EnterpriseId(r.try_get("enterprise_id")?),
                    },
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    disabled: r.try_get::<i64, _>("disabled")? != 0,
                    created_at: r.try_get("created_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            }

            const APP_COLS: &str = "app_id, app_key, enterprise_id, name, description, disabled, created_at, updated_at";

            pub async fn app_info(pool: &$pool, app_id: &str) -> Result<Option<crate::AppInfo>> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {APP_COLS} FROM apps WHERE app_id = $1")))
                    .bind(app_id)
                    .fetch_optional(pool)
                    .await?;
                row.as_ref().map(app_from_row).transpose()
            }

            pub async fn list_apps(pool: &$pool, enterprise: &str, offset: i64, limit: i64) -> Result<(i64, Vec<crate::AppInfo>)> {
                let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM apps WHERE enterprise_id = $1")
                    .bind(enterprise)
                    .fetch_one(pool)
                    .await?
                    .try_get("n")?;
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {APP_COLS} FROM apps WHERE enterprise_id = $1 ORDER BY created_at, app_id LIMIT $2 OFFSET $3"
                )))
                .bind(enterprise)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
                Ok((count, rows.iter().map(app_from_row).collect::<Result<Vec<_>>>()?))
            }

            const END_APP_SESSIONS_SQL: &str = "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE app_id = $1)";

            pub async fn update_app(pool: &$pool, app_id: &str, c: &crate::AppChange, now: i64) -> Result<()> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                sqlx::query(
                    "UPDATE apps SET name = COALESCE($1, name), description = COALESCE($2, description), \
                     disabled = COALESCE($3, disabled), app_key = COALESCE($4, app_key), updated_at = $5 WHERE app_id = $6",
                )
                .bind(&c.name)
                .bind(&c.description)
                .bind(c.disabled.map(i64::from))
                .bind(&c.app_key)
                .bind(now)
                .bind(app_id)
                .execute(&mut *tx)
                .await?;
                if c.app_key.is_some() || c.disabled == Some(true) {
                    sqlx::query(END_APP_SESSIONS_SQL).bind(app_id).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            pub async fn delete_app(pool: &$pool, app_id: &str) -> Result<()> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                sqlx::query(END_APP_SESSIONS_SQL).bind(app_id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM apps WHERE app_id = $1").bind(app_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }


            pub async fn set_admin(pool: &$pool, user: &str, admin: bool) -> Result<()> {
                sqlx::query("UPDATE users SET admin = $1 WHERE id = $2")
                    .bind(i64::from(admin))
                    .bind(user)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn list_users(
                pool: &$pool,
                enterprise: &str,
                search: Option<&str>,
                offset: i64,
                limit: i64,
            ) -> Result<(i64, Vec<User>)> {
                let key = search.unwrap_or("").to_lowercase();
                let pattern = format!("%{}%", like_literal(&key));
                let filter = "enterprise_id = $1 AND ($2 = '' OR LOWER(account) LIKE $3 ESCAPE '\\' \
                              OR LOWER(name) LIKE $3 ESCAPE '\\' OR LOWER(COALESCE(email, '')) LIKE $3 ESCAPE '\\')";
                let count: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM users WHERE {filter}")))
                    .bind(enterprise)
                    .bind(&key)
                    .bind(&pattern)
                    .fetch_one(pool)
                    .await?
                    .try_get("n")?;
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLS} FROM users WHERE {filter} ORDER BY account LIMIT $4 OFFSET $5"
                )))
                .bind(enterprise)
                .bind(&key)
                .bind(&pattern)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
                Ok((count, rows.iter().map(user_from_row).collect::<Result<Vec<_>>>()?))
            }

            pub async fn update_user(pool: &$pool, user: &str, name: &str, email: Option<&str>, phone: Option<&str>) -> Result<()> {
                sqlx::query("UPDATE users SET name = $1, email = $2, phone = $3 WHERE id = $4")
                    .bind(name)
                    .bind(email)
                    .bind(phone)
                    .bind(user)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn set_password(pool: &$pool, user: &str, hash: &str) -> Result<()> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(user)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            pub async fn delete_user(pool: &$pool, user: &str, now: i64) -> Result<()> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                let room: Option<String> = sqlx::query("SELECT personal_room FROM users WHERE id = $1")
                    .bind(user)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.try_get("personal_room"))
                    .transpose()?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user).execute(&mut *tx).await?;
                events::enqueue_owner_booked(&mut tx, user, now, convene_core::webhook::event::CANCEL).await?;
                sqlx::query(
                    "UPDATE meetings SET state = 'cancelled', active_conf_id = NULL, active_room_id = NULL \
                     WHERE owner_id = $1 AND state = 'scheduled' AND end_ts > $2",
                )
                .bind(user)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM users WHERE id = $1").bind(user).execute(&mut *tx).await?;
                if let Some(room) = room {
                    sqlx::query("DELETE FROM rooms WHERE id = $1").bind(room).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            pub async fn user_by(pool: &$pool, column: &'static str, value: &str) -> Result<Option<User>> {
                // `column` is one of this module's own constants, never input.
                let q = format!("SELECT {USER_COLS} FROM users WHERE {column} = $1");
                let row = sqlx::query(sqlx::AssertSqlSafe(q)).bind(value).fetch_optional(pool).await?;
                row.as_ref().map(user_from_row).transpose()
            }

            pub async fn upsert_app_user(
                conn: &mut $conn,
                ids: Option<&ConfIdCipher>,
                app: &App,
                u: NewUser,
                now: i64,
            ) -> Result<User> {
                let q = format!("SELECT {USER_COLS} FROM users WHERE app_id = $1 AND third_user_id = $2");
                let row = sqlx::query(sqlx::AssertSqlSafe(q))
                    .bind(&app.app_id)
                    .bind(&u.third_user_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                match row {
                    Some(r) => {
                        let mut user = user_from_row(&r)?;
                        sqlx::query("UPDATE users SET name = $1, email = $2, phone = $3 WHERE id = $4")
                            .bind(&u.name)
                            .bind(&u.email)
                            .bind(&u.phone)
                            .bind(user.id.as_str())
                            .execute(&mut *conn)
                            .await?;
                        user.name = u.name;
                        user.email = u.email;
                        user.phone = u.phone;
                        Ok(user)
                    }
                    None => add_user(conn, ids, u, now).await,
                }
            }

            pub async fn add_app(pool: &$pool, app: App, now: i64) -> Result<App> {
                let done = sqlx::query(
                    "INSERT INTO apps (app_id, app_key, enterprise_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
                )
                .bind(&app.app_id)
                .bind(&app.app_key)
                .bind(app.enterprise_id.as_str())
                .bind(now)
                .execute(pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict(format!("app {:?}", app.app_id)));
                }
                Ok(app)
            }

            pub async fn app(pool: &$pool, app_id: &str) -> Result<Option<App>> {
                let row = sqlx::query("SELECT app_id, app_key, enterprise_id FROM apps WHERE app_id = $1")
                    .bind(app_id)
                    .fetch_optional(pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(App {
                        app_id: r.try_get("app_id")?,
                        app_key: r.try_get("app_key")?,
                        enterprise_id: EnterpriseId(r.try_get("enterprise_id")?),
                    }),
                    None => None,
                })
            }

            pub async fn add_shared_room(
                conn: &mut $conn,
                ids: Option<&ConfIdCipher>,
                enterprise: &EnterpriseId,
                now: i64,
            ) -> Result<RoomId> {
                insert_room(conn, ids, enterprise, "shared", None, now).await
            }

            pub async fn shared_rooms(pool: &$pool, enterprise: &EnterpriseId) -> Result<Vec<RoomId>> {
                let rows = sqlx::query("SELECT id FROM rooms WHERE enterprise_id = $1 AND kind = 'shared' ORDER BY id")
                    .bind(enterprise.as_str())
                    .fetch_all(pool)
                    .await?;
                rows.iter().map(|r| Ok(RoomId(r.try_get("id")?))).collect()
            }

            pub async fn login_failures(pool: &$pool, account: &str) -> Result<LoginFailures> {
                let row = sqlx::query("SELECT count, locked_until, last_failed_at FROM login_failures WHERE account = $1")
                    .bind(account)
                    .fetch_optional(pool)
                    .await?;
                Ok(match row {
                    Some(r) => LoginFailures {
                        count: r.try_get("count")?,
                        locked_until: r.try_get("locked_until")?,
                        last_failed_at: r.try_get("last_failed_at")?,
                    },
                    None => LoginFailures::default(),
                })
            }

            pub async fn set_login_failures(pool: &$pool, account: &str, f: LoginFailures) -> Result<()> {
                if f == LoginFailures::default() {
                    sqlx::query("DELETE FROM login_failures WHERE account = $1").bind(account).execute(pool).await?;
                } else {
                    sqlx::query(
                        "INSERT INTO login_failures (account, count, locked_until, last_failed_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (account) DO UPDATE SET count = excluded.count, locked_until = excluded.locked_until, \
                         last_failed_at = excluded.last_failed_at",
                    )
                    .bind(account)
                    .bind(f.count)
                    .bind(f.locked_until)
                    .bind(f.last_failed_at)
                    .execute(pool)
                    .await?;
                }
                Ok(())
            }

            /// One more wrong password under `rule`, counted by
            /// compare-and-set on the record so that concurrent attempts
            /// each count; the rule of what a failure does is
            /// `LoginFailures::after_failure`.
            pub async fn add_login_failure(pool: &$pool, key: &str, now: i64, rule: &FailureRule) -> Result<LoginFailures> {
                // Records that no longer matter (`LoginFailures::is_forgotten`)
                // go here, a bounded number per failure, so that names tried
                // once do not pile up and a backlog costs no one call much.
                sqlx::query(
                    "DELETE FROM login_failures WHERE account IN (SELECT account FROM login_failures \
                     WHERE last_failed_at <= $1 AND locked_until <= $2 LIMIT 100)",
                )
                .bind(now - FAILURE_MEMORY_SECONDS)
                .bind(now)
                .execute(pool)
                .await?;
                update_login_failures(pool, key, |old| old.after_failure(now, rule)).await
            }

            /// Takes back one counted attempt that turned out right
            /// (`LoginFailures::forgiven`), by compare-and-set likewise.
            pub async fn forgive_login_failure(pool: &$pool, key: &str, rule: &FailureRule) -> Result<LoginFailures> {
                update_login_failures(pool, key, |old| old.forgiven(rule)).await
            }

            async fn update_login_failures(
                pool: &$pool,
                key: &str,
                change: impl Fn(LoginFailures) -> LoginFailures,
            ) -> Result<LoginFailures> {
                for _ in 0..LOGIN_FAILURE_ATTEMPTS {
                    let old = login_failures(pool, key).await?;
                    let new = change(old);
                    if new == old {
                        return Ok(new);
                    }
                    let mut done = 0;
                    if new == LoginFailures::default() {
                        done = sqlx::query(
                            "DELETE FROM login_failures WHERE account = $1 AND count = $2 AND locked_until = $3 \
                             AND last_failed_at = $4",
                        )
                        .bind(key)
                        .bind(old.count)
                        .bind(old.locked_until)
                        .bind(old.last_failed_at)
                        .execute(pool)
                        .await?
                        .rows_affected();
                    } else if old == LoginFailures::default() {
                        done = sqlx::query(
                            "INSERT INTO login_failures (account, count, locked_until, last_failed_at) \
                             VALUES ($1, $2, $3, $4) ON CONFLICT (account) DO NOTHING",
                        )
                        .bind(key)
                        .bind(new.count)
                        .bind(new.locked_until)
                        .bind(new.last_failed_at)
                        .execute(pool)
                        .await?
                        .rows_affected();
                    }
                    if done == 0 && old != LoginFailures::default() && new != LoginFailures::default() {
                        done = sqlx::query(
                            "UPDATE login_failures SET count = $2, locked_until = $3, last_failed_at = $4 \
                             WHERE account = $1 AND count = $5 AND locked_until = $6 AND last_failed_at = $7",
                        )
                        .bind(key)
                        .bind(new.count)
                        .bind(new.locked_until)
                        .bind(new.last_failed_at)
                        .bind(old.count)
                        .bind(old.locked_until)
                        .bind(old.last_failed_at)
                        .execute(pool)
                        .await?
                        .rows_affected();
                    }
                    if done == 1 {
                        return Ok(new);
                    }
                }
                Err(StoreError::Conflict("the login failure record kept changing".into()))
            }

            pub async fn put_session(pool: &$pool, key: &str, user: &UserId, expires_at: i64, now: i64) -> Result<()> {
                sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?;
                sqlx::query("INSERT INTO sessions (token_key, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(key)
                    .bind(user.as_str())
                    .bind(expires_at)
                    .bind(now)
                    .execute(pool)
                    .await?;
                Ok(())
            }

            pub async fn delete_session(pool: &$pool, key: &str) -> Result<bool> {
                let n = sqlx::query("DELETE FROM sessions WHERE token_key = $1")
                    .bind(key)
                    .execute(pool)
                    .await?
                    .rows_affected();
                Ok(n > 0)
            }

            pub async fn session(pool: &$pool, key: &str) -> Result<Option<(UserId, i64)>> {
                let row = sqlx::query("SELECT user_id, expires_at FROM sessions WHERE token_key = $1")
                    .bind(key)
                    .fetch_optional(pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some((UserId(r.try_get("user_id")?), r.try_get("expires_at")?)),
                    None => None,
                })
            }

            impl CreateTx for $conn {
                async fn expire_room(&mut self, room: &str, now: i64) -> Result<()> {
                    sqlx::query(EXPIRE_ROOM_SQL).bind(room).bind(now).execute(&mut *self).await?;
                    Ok(())
                }

                async fn room_is_active(&mut self, room: &str) -> Result<bool> {
                    Ok(sqlx::query(ROOM_IS_ACTIVE_SQL).bind(room).fetch_optional(&mut *self).await?.is_some())
                }

                async fn running_with_id(&mut self, id: &str, seq: Option<i64>) -> Result<Vec<(String, i64)>> {
                    let rows = sqlx::query(RUNNING_WITH_ID_SQL).bind(id).bind(seq).fetch_all(&mut *self).await?;
                    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
                }

                async fn end_overrun(&mut self, conf_uuid: &str) -> Result<()> {
                    sqlx::query(END_OVERRUN_SQL).bind(conf_uuid).execute(&mut *self).await?;
                    Ok(())
                }

                async fn is_room(&mut self, id: &str) -> Result<bool> {
                    Ok(sqlx::query(IS_ROOM_SQL).bind(id).fetch_optional(&mut *self).await?.is_some())
                }

                async fn room(&mut self, room: &RoomId) -> Result<Option<RoomRow>> {
                    let row = sqlx::query(ROOM_SQL).bind(room.as_str()).fetch_optional(&mut *self).await?;
                    Ok(match row {
                        Some(r) => Some(RoomRow {
                            enterprise_id: r.try_get("enterprise_id")?,
                            kind: r.try_get("kind")?,
                            owner_id: r.try_get("owner_id")?,
                        }),
                        None => None,
                    })
                }

                async fn free_shared_rooms(&mut self, enterprise: &EnterpriseId, start: i64, end: i64) -> Result<Vec<RoomId>> {
                    let rows = sqlx::query(FREE_SHARED_ROOMS_SQL)
                        .bind(enterprise.as_str())
                        .bind(start)
                        .bind(end)
                        .fetch_all(&mut *self)
                        .await?;
                    rows.iter().map(|r| Ok(RoomId(r.try_get("id")?))).collect()
                }

                async fn room_taken(&mut self, room: &str, start: i64, end: i64, except: &str) -> Result<bool> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(ROOM_TAKEN_SQL.as_str()))
                        .bind(room)
                        .bind(except)
                        .bind(start)
                        .bind(end)
                        .fetch_optional(&mut *self)
                        .await?;
                    Ok(row.is_some())
                }

                async fn insert_notices(&mut self, conf_uuid: &ConfUuid, notices: &[convene_core::notify::Notice], now: i64) -> Result<()> {
                    insert_notices(&mut *self, conf_uuid, notices, now).await
                }

                async fn enqueue_event(&mut self, conf_uuid: &str, event: &str) -> Result<()> {
                    events::enqueue(&mut *self, conf_uuid, event, None).await
                }

                async fn insert_meeting(&mut self, m: &Meeting, seq: Option<i64>) -> Result<bool> {
                    let room = m.room_id.as_ref().map(|r| r.as_str().to_owned());
                    let (active_id, active_room) = active_keys(m);
                    let done = sqlx::query(INSERT_MEETING_SQL)
                        .bind(m.conf_uuid.as_str())
                        .bind(m.conf_id.as_str())
                        .bind(active_id)
                        .bind(&room)
                        .bind(active_room)
                        .bind(m.owner_id.as_str())
                        .bind(m.enterprise_id.as_str())
                        .bind(&m.info.subject)
                        .bind(m.state.as_str())
                        .bind(m.start)
                        .bind(m.end)
                        .bind(encode_meeting(m)?)
                        .bind(subject_key(&m.info.subject))
                        .bind(seq)
                        .bind(m.series.as_ref().map(|x| x.id.as_str().to_owned()))
                        .execute(&mut *self)
                        .await?;
                    Ok(done.rows_affected() == 1)
                }
            }

            /// The meeting with this ID: the running one, else the latest.
            /// Drawn IDs are found through `meetings_conf_id`, a derived one
            /// through its sequence number (`seq`, from [`seq_of`]).
            pub async fn meeting_by_conf_id(pool: &$pool, conf_id: &str, seq: Option<i64>, now: i64) -> Result<Option<Meeting>> {
                let row = sqlx::query(sqlx::AssertSqlSafe(meeting_by_conf_id_sql())).bind(conf_id).bind(seq).bind(now).fetch_optional(pool).await?;
                row.as_ref().map(decode_meeting).transpose()
            }

            pub async fn meeting_by(pool: &$pool, column: &'static str, value: &str) -> Result<Option<Meeting>> {
                // `column` is one of this module's own constants, never input.
                let q = format!(
                    "SELECT {MEETING_COLS} FROM meetings WHERE {column} = $1 \
                     ORDER BY CASE WHEN active_conf_id IS NULL THEN 1 ELSE 0 END, start_ts DESC LIMIT 1"
                );
                let row = sqlx::query(sqlx::AssertSqlSafe(q)).bind(value).fetch_optional(pool).await?;
                row.as_ref().map(decode_meeting).transpose()
            }

            /// Folds the subjects of meetings stored before `subject_key`
            /// existed (a migration cannot run Rust's folding), a batch per
            /// transaction, until none is left.
            pub async fn fold_old_subjects(pool: &$pool) -> Result<u64> {
                let mut folded = 0;
                loop {
                    let mut tx = BeginWrite::begin_write(pool).await?;
                    let rows = sqlx::query(UNFOLDED_SQL).fetch_all(&mut *tx).await?;
                    if rows.is_empty() {
                        return Ok(folded);
                    }
                    for r in &rows {
                        let (uuid, subject): (String, String) = (r.try_get(0)?, r.try_get(1)?);
                        sqlx::query(FOLD_SQL)
                            .bind(subject_key(&subject))
                            .bind(uuid)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    folded += rows.len() as u64;
                }
            }

            pub async fn list_meetings(pool: &$pool, owner: &UserId, q: &ListQuery, now: i64) -> Result<(i64, Vec<Meeting>)> {
                let search = q.search.clone().unwrap_or_default();
                let pattern = format!("%{}%", like_literal(&subject_key(&search)));
                let states = match q.kind {
                    crate::ListKind::NotOver => "$2 = 1 OR (state IN ('created', 'scheduled') AND end_ts > $3)",
                    crate::ListKind::Running => "$2 = 1 OR (state = 'created' AND end_ts > $3)",
                    crate::ListKind::Held => "$2 = 2 OR state = 'ended' OR (state = 'created' AND end_ts <= $3)",
                };
                let filter = format!(
                    "owner_id = $1 AND ({states}) AND ($4 = '' OR subject_key LIKE $5 ESCAPE '\\' OR conf_id = $4) \
                     AND start_ts >= $6 AND start_ts < $7"
                );
                let starts_from = q.starts_from.unwrap_or(i64::MIN);
                let starts_before = q.starts_before.unwrap_or(i64::MAX);
                let order = if q.ascending { "ASC" } else { "DESC" };
                let count: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM meetings WHERE {filter}")))
                    .bind(owner.as_str())
                    .bind(i64::from(q.include_ended))
                    .bind(now)
                    .bind(&search)
                    .bind(&pattern)
                    .bind(starts_from)
                    .bind(starts_before)
                    .fetch_one(pool)
                    .await?
                    .try_get("n")?;
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {MEETING_COLS} FROM meetings WHERE {filter} ORDER BY start_ts {order}, conf_uuid LIMIT $8 OFFSET $9"
                )))
                .bind(owner.as_str())
                .bind(i64::from(q.include_ended))
                .bind(now)
                .bind(&search)
                .bind(&pattern)
                .bind(starts_from)
                .bind(starts_before)
                .bind(q.limit)
                .bind(q.offset)
                .fetch_all(pool)
                .await?;
                let meetings = rows.iter().map(decode_meeting).collect::<Result<Vec<_>>>()?;
                Ok((count, meetings))
            }

            pub async fn end_meeting(pool: &$pool, conf_uuid: &str) -> Result<bool> {
                let done = sqlx::query(END_MEETING_SQL)
                .bind(conf_uuid)
                .execute(pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }



            pub async fn activate_meeting(pool: &$pool, conf_uuid: &str, now: i64) -> Result<Option<Meeting>> {
                // A meeting that overran in the room still holds its key.
                let room: Option<Option<String>> = sqlx::query("SELECT room_id FROM meetings WHERE conf_uuid = $1")
                    .bind(conf_uuid)
                    .fetch_optional(pool)
                    .await?
                    .map(|r| r.try_get("room_id"))
                    .transpose()?;
                if let Some(Some(room)) = &room {
                    sqlx::query(EXPIRE_ROOM_SQL).bind(room).bind(now).execute(pool).await?;
                }
                match sqlx::query(sqlx::AssertSqlSafe(ACTIVATE_SQL.as_str())).bind(now).bind(conf_uuid).execute(pool).await {
                    Ok(_) => {}
                    // Another meeting holds the room's key: it stays booked.
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {}
                    Err(e) => return Err(e.into()),
                }
                meeting_by(pool, "conf_uuid", conf_uuid).await
            }

            pub async fn insert_notices(
                conn: &mut $conn,
                conf_uuid: &ConfUuid,
                notices: &[convene_core::notify::Notice],
                now: i64,
            ) -> Result<()> {
                for n in notices {
                    let (kind, channel, recipient, name, host, calendar, sequence) = notice_columns(n);
                    sqlx::query(INSERT_NOTICE_SQL)
                        .bind(conf_uuid.as_str())
                        .bind(kind)
                        .bind(channel)
                        .bind(recipient)
                        .bind(name)
                        .bind(host)
                        .bind(calendar)
                        .bind(sequence)
                        .bind(now.max(n.due))
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            pub async fn update_booked_meeting(
                pool: &$pool,
                m: &Meeting,
                notices: &[convene_core::notify::Notice],
                now: i64,
                room_lock: Option<&'static str>,
            ) -> Result<bool> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                if let (Some(lock), Some(room)) = (room_lock, &m.room_id) {
                    sqlx::query(lock).bind(room.as_str()).execute(&mut *tx).await?;
                }
                let done = sqlx::query(sqlx::AssertSqlSafe(UPDATE_BOOKED_SQL.as_str()))
                    .bind(encode_meeting(m)?)
                    .bind(&m.info.subject)
                    .bind(subject_key(&m.info.subject))
                    .bind(m.start)
                    .bind(m.end)
                    .bind(m.conf_uuid.as_str())
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                insert_notices(&mut tx, &m.conf_uuid, notices, now).await?;
                events::enqueue(&mut tx, m.conf_uuid.as_str(), convene_core::webhook::event::MODIFY, None).await?;
                tx.commit().await?;
                Ok(true)
            }

            pub async fn cancel_meeting(pool: &$pool, conf_uuid: &str, now: i64, notices: &[convene_core::notify::Notice]) -> Result<bool> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                let done = sqlx::query(CANCEL_SQL)
                .bind(conf_uuid)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                insert_notices(&mut tx, &ConfUuid(conf_uuid.to_owned()), notices, now).await?;
                events::enqueue(&mut tx, conf_uuid, convene_core::webhook::event::CANCEL, None).await?;
                tx.commit().await?;
                Ok(true)
            }

            /// What `/metrics` reads of the store at `now`.
            pub async fn gauges(pool: &$pool, now: i64) -> Result<crate::StoreGauges> {
                let booked: i64 = sqlx::query("SELECT COUNT(*) AS n FROM meetings WHERE state = 'scheduled' AND end_ts > $1")
                    .bind(now)
                    .fetch_one(pool)
                    .await?
                    .try_get("n")?;
                let r = sqlx::query(
                    "SELECT COUNT(*) AS n, MIN(CASE WHEN next_at <= $1 THEN next_at END) AS oldest \
                     FROM outbox WHERE state = 'pending'",
                )
                .bind(now)
                .fetch_one(pool)
                .await?;
                let e = sqlx::query(
                    "SELECT COUNT(*) AS n, MIN(CASE WHEN next_at <= $1 THEN next_at END) AS oldest \
                     FROM webhook_events WHERE state = 'pending'",
                )
                .bind(now * 1000)
                .fetch_one(pool)
                .await?;
                Ok(crate::StoreGauges {
                    booked,
                    outbox_pending: r.try_get("n")?,
                    outbox_oldest_due: r.try_get("oldest")?,
                    events_pending: e.try_get("n")?,
                    events_oldest_due_ms: e.try_get("oldest")?,
                })
            }

            pub async fn ping(pool: &$pool) -> Result<()> {
                sqlx::query("SELECT 1").execute(pool).await?;
                Ok(())
            }

            /// A series' occurrences, held, booked and cancelled, by start.
            pub async fn series_meetings(pool: &$pool, series_id: &str) -> Result<Vec<Meeting>> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {MEETING_COLS} FROM meetings WHERE series_id = $1 ORDER BY start_ts, conf_uuid"
                )))
                .bind(series_id)
                .fetch_all(pool)
                .await?;
                rows.iter().map(decode_meeting).collect()
            }

            /// Carries out a series' change in one transaction: `false`
            /// (nothing changed) when an occurrence to cancel was no longer
            /// open; an occurrence that would clash in its room refuses all.
            pub async fn change_series(
                pool: &$pool,
                change: &convene_core::series::SeriesChange,
                now: i64,
                room_lock: Option<&'static str>,
            ) -> Result<bool> {
                let mut tx = BeginWrite::begin_write(pool).await?;
                if let (Some(lock), Some(room)) = (room_lock, change.insert.iter().find_map(|m| m.room_id.as_ref())) {
                    sqlx::query(lock).bind(room.as_str()).execute(&mut *tx).await?;
                }
                for uuid in &change.cancel {
                    let done = sqlx::query(CANCEL_SQL).bind(uuid.as_str()).bind(now).execute(&mut *tx).await?;
                    if done.rows_affected() != 1 {
                        return Ok(false);
                    }
                    events::enqueue(&mut tx, uuid.as_str(), convene_core::webhook::event::CANCEL, None).await?;
                }
                for m in &change.insert {
                    if let Some(room) = &m.room_id {
                        if CreateTx::room_taken(&mut *tx, room.as_str(), m.start, m.end, m.conf_uuid.as_str()).await? {
                            return Err(StoreError::RoomBusy(room.clone()));
                        }
                    }
                    if !CreateTx::insert_meeting(&mut *tx, m, None).await? {
                        return Err(StoreError::Conflict("an occurrence's UUID is taken".into()));
                    }
                    events::enqueue(&mut tx, m.conf_uuid.as_str(), convene_core::webhook::event::CREATE, None).await?;
                }
                for (uuid, n) in &change.notices {
                    insert_notices(&mut tx, uuid, std::slice::from_ref(n), now).await?;
                }
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}

store_queries!(
    lite,
    lite_events,
    sqlx::SqliteConnection,
    SqlitePool,
    sqlx::sqlite::SqliteRow
);
store_queries!(pg, pg_events, sqlx::PgConnection, PgPool, sqlx::postgres::PgRow);

/// The `Store` impl of a backend: the same SQL for both, except
/// `create_meeting`, which each backend schedules its own way.
macro_rules! impl_store {
    ($ty:ty, $q:ident, $o:ident, $r:ident, $e:ident, $rec:ident, $cl:ident) => {
        #[async_trait]
        impl Store for $ty {
            async fn claim_lease(
                &self,
                conf_uuid: &ConfUuid,
                node_id: &str,
                node_url: &str,
                now_ms: i64,
                lease_ms: i64,
            ) -> Result<crate::Lease> {
                crate::sql::cluster::$cl::claim_lease(
                    &self.pool,
                    conf_uuid.as_str(),
                    node_id,
                    node_url,
                    now_ms,
                    lease_ms,
                )
                .await
            }
            async fn renew_lease(
                &self,
                conf_uuid: &ConfUuid,
                node_id: &str,
                epoch: i64,
                until_ms: i64,
            ) -> Result<bool> {
                crate::sql::cluster::$cl::renew_lease(&self.pool, conf_uuid.as_str(), node_id, epoch, until_ms).await
            }
            async fn store_live_change(
                &self,
                conf_uuid: &ConfUuid,
                fence: Option<&crate::Fence>,
                change: &convene_core::session::Persist,
            ) -> Result<bool> {
                crate::sql::cluster::$cl::store_live_change(&self.pool, conf_uuid.as_str(), fence, change).await
            }
            async fn publish(&self, payload: &str) -> Result<()> {
                crate::sql::cluster::Notifier::publish(&self.pool, payload).await
            }
            async fn subscribe(&self) -> Result<Option<tokio::sync::mpsc::Receiver<crate::Heard>>> {
                crate::sql::cluster::Notifier::subscribe(&self.pool).await
            }
            async fn release_lease(&self, conf_uuid: &ConfUuid, node_id: &str, epoch: i64) -> Result<()> {
                crate::sql::cluster::$cl::release_lease(&self.pool, conf_uuid.as_str(), node_id, epoch).await
            }
            async fn lease_of(&self, conf_uuid: &ConfUuid) -> Result<Option<crate::Lease>> {
                crate::sql::cluster::$cl::lease_of_meeting(&self.pool, conf_uuid.as_str()).await
            }
            async fn first_nonce_use(&self, app_id: &str, nonce: &str, until: i64, now: i64) -> Result<bool> {
                crate::sql::cluster::$cl::first_nonce_use(&self.pool, app_id, nonce, until, now).await
            }
            async fn put_control_token(&self, key: &str, conf_uuid: &ConfUuid, expires: i64, now: i64) -> Result<()> {
                crate::sql::cluster::$cl::put_control_token(&self.pool, key, conf_uuid.as_str(), expires, now).await
            }
            async fn save_handover(&self, conf_uuid: &ConfUuid, node_id: &str, epoch: i64, doc: &str) -> Result<bool> {
                crate::sql::cluster::$cl::save_handover(&self.pool, conf_uuid.as_str(), node_id, epoch, doc).await
            }
            async fn handover_of(&self, conf_uuid: &ConfUuid) -> Result<Option<(i64, String)>> {
                crate::sql::cluster::$cl::handover_of(&self.pool, conf_uuid.as_str()).await
            }
            async fn clear_handover(&self, conf_uuid: &ConfUuid, node_id: &str, epoch: i64) -> Result<()> {
                crate::sql::cluster::$cl::clear_handover(&self.pool, conf_uuid.as_str(), node_id, epoch).await
            }
            async fn take_control_token(&self, key: &str, now: i64) -> Result<Option<ConfUuid>> {
                Ok(crate::sql::cluster::$cl::take_control_token(&self.pool, key, now)
                    .await?
                    .map(ConfUuid))
            }
            async fn control_token(&self, key: &str, now: i64) -> Result<Option<ConfUuid>> {
                Ok(crate::sql::cluster::$cl::control_token(&self.pool, key, now)
                    .await?
                    .map(ConfUuid))
            }
            async fn create_meeting_staged(&self, meeting: NewMeeting, now: i64) -> Result<crate::Staged> {
                self.create_meeting_scheduled(meeting, now).await
            }
            async fn ensure_default_enterprise(&self, name: &str, now: i64) -> Result<Enterprise> {
                match $q::first_enterprise(&self.pool).await? {
                    Some(e) => Ok(e),
                    None => $q::create_enterprise(&self.pool, name, now).await,
                }
            }
            async fn create_enterprise(&self, name: &str, now: i64) -> Result<Enterprise> {
                $q::create_enterprise(&self.pool, name, now).await
            }
            async fn enterprise(&self, id: &EnterpriseId) -> Result<Option<Enterprise>> {
                $q::enterprise(&self.pool, id).await
            }
            async fn add_user(&self, user: NewUser, now: i64) -> Result<User> {
                let mut tx = BeginWrite::begin_write(&self.pool).await?;
                let u = $q::add_user(&mut *tx, self.conf_id_cipher(), user, now).await?;
                tx.commit().await?;
                Ok(u)
            }
            async fn user_by_account(&self, account: &str) -> Result<Option<User>> {
                $q::user_by(&self.pool, "account", account).await
            }
            async fn user_by_id(&self, id: &UserId) -> Result<Option<User>> {
                $q::user_by(&self.pool, "id", id.as_str()).await
            }
            async fn upsert_app_user(&self, app: &App, user: NewUser, now: i64) -> Result<User> {
                let mut tx = BeginWrite::begin_write(&self.pool).await?;
                let u = $q::upsert_app_user(&mut *tx, self.conf_id_cipher(), app, user, now).await?;
                tx.commit().await?;
                Ok(u)
            }
            async fn add_app(&self, app: App, now: i64) -> Result<App> {
                $q::add_app(&self.pool, app, now).await
            }
            async fn app(&self, app_id: &str) -> Result<Option<App>> {
                $q::app(&self.pool, app_id).await
            }
            async fn add_shared_room(&self, enterprise: &EnterpriseId, now: i64) -> Result<RoomId> {
                let mut tx = BeginWrite::begin_write(&self.pool).await?;
                let r = $q::add_shared_room(&mut *tx, self.conf_id_cipher(), enterprise, now).await?;
                tx.commit().await?;
                Ok(r)
            }
            async fn shared_rooms(&self, enterprise: &EnterpriseId) -> Result<Vec<RoomId>> {
                $q::shared_rooms(&self.pool, enterprise).await
            }
            async fn login_failures(&self, account: &str) -> Result<LoginFailures> {
                $q::login_failures(&self.pool, account).await
            }
            async fn set_login_failures(&self, account: &str, f: LoginFailures) -> Result<()> {
                $q::set_login_failures(&self.pool, account, f).await
            }
            async fn add_login_failure(&self, key: &str, now: i64, rule: &FailureRule) -> Result<LoginFailures> {
                $q::add_login_failure(&self.pool, key, now, rule).await
            }
            async fn forgive_login_failure(&self, key: &str, rule: &FailureRule) -> Result<LoginFailures> {
                $q::forgive_login_failure(&self.pool, key, rule).await
            }
            async fn put_session(&self, key: &str, user: &UserId, expires_at: i64, now: i64) -> Result<()> {
                $q::put_session(&self.pool, key, user, expires_at, now).await
            }
            async fn session(&self, key: &str) -> Result<Option<(UserId, i64)>> {
                $q::session(&self.pool, key).await
            }
            async fn delete_session(&self, key: &str) -> Result<bool> {
                $q::delete_session(&self.pool, key).await
            }
            async fn meeting_by_conf_id(&self, conf_id: &ConfId, now: i64) -> Result<Option<Meeting>> {
                let seq = seq_of(self.conf_id_cipher(), conf_id.as_str());
                $q::meeting_by_conf_id(&self.pool, conf_id.as_str(), seq, now).await
            }
            async fn meeting_by_uuid(&self, conf_uuid: &ConfUuid) -> Result<Option<Meeting>> {
                $q::meeting_by(&self.pool, "conf_uuid", conf_uuid.as_str()).await
            }
            async fn list_meetings(&self, owner: &UserId, q: &ListQuery, now: i64) -> Result<(i64, Vec<Meeting>)> {
                $q::list_meetings(&self.pool, owner, q, now).await
            }
            async fn end_meeting(&self, conf_uuid: &ConfUuid) -> Result<bool> {
                $q::end_meeting(&self.pool, conf_uuid.as_str()).await
            }
            async fn activate_meeting(&self, conf_uuid: &ConfUuid, now: i64) -> Result<Option<Meeting>> {
                $q::activate_meeting(&self.pool, conf_uuid.as_str(), now).await
            }
            async fn update_booked_meeting(&self, m: &Meeting, notices: &[Notice], now: i64) -> Result<bool> {
                $q::update_booked_meeting(&self.pool, m, notices, now, self.room_lock_sql()).await
            }
            async fn cancel_meeting(&self, conf_uuid: &ConfUuid, now: i64, notices: &[Notice]) -> Result<bool> {
                $q::cancel_meeting(&self.pool, conf_uuid.as_str(), now, notices).await
            }
            async fn webhook_of(&self, enterprise: &EnterpriseId) -> Result<Option<crate::Webhook>> {
                $q::webhook_of(&self.pool, enterprise.as_str()).await
            }
            async fn put_webhook(&self, w: &crate::Webhook) -> Result<()> {
                $q::put_webhook(&self.pool, w).await
            }
            async fn set_webhook_status(&self, id: &str, status: i64, now: i64) -> Result<bool> {
                $q::set_webhook_status(&self.pool, id, status, now).await
            }
            async fn delete_webhook(&self, id: &str) -> Result<bool> {
                $q::delete_webhook(&self.pool, id).await
            }
            async fn app_info(&self, app_id: &str) -> Result<Option<crate::AppInfo>> {
                $q::app_info(&self.pool, app_id).await
            }
            async fn list_apps(
                &self,
                enterprise: &EnterpriseId,
                offset: i64,
                limit: i64,
            ) -> Result<(i64, Vec<crate::AppInfo>)> {
                $q::list_apps(&self.pool, enterprise.as_str(), offset, limit).await
            }
            async fn update_app(&self, app_id: &str, change: &crate::AppChange, now: i64) -> Result<()> {
                $q::update_app(&self.pool, app_id, change, now).await
            }
            async fn delete_app(&self, app_id: &str) -> Result<()> {
                $q::delete_app(&self.pool, app_id).await
            }
            async fn set_admin(&self, user: &UserId, admin: bool) -> Result<()> {
                $q::set_admin(&self.pool, user.as_str(), admin).await
            }
            async fn list_users(
                &self,
                enterprise: &EnterpriseId,
                search: Option<&str>,
                offset: i64,
                limit: i64,
            ) -> Result<(i64, Vec<User>)> {
                $q::list_users(&self.pool, enterprise.as_str(), search, offset, limit).await
            }
            async fn update_user(
                &self,
                user: &UserId,
                name: &str,
                email: Option<&str>,
                phone: Option<&str>,
            ) -> Result<()> {
                $q::update_user(&self.pool, user.as_str(), name, email, phone).await
            }
            async fn set_password(&self, user: &UserId, hash: &str) -> Result<()> {
                $q::set_password(&self.pool, user.as_str(), hash).await
            }
            async fn delete_user(&self, user: &UserId, now: i64) -> Result<()> {
                $q::delete_user(&self.pool, user.as_str(), now).await
            }
            async fn gauges(&self, now: i64) -> Result<crate::StoreGauges> {
                $q::gauges(&self.pool, now).await
            }
            async fn ping(&self) -> Result<()> {
                $q::ping(&self.pool).await
            }
            async fn series_meetings(&self, series_id: &ConfUuid) -> Result<Vec<Meeting>> {
                $q::series_meetings(&self.pool, series_id.as_str()).await
            }
            async fn change_series(&self, change: &convene_core::series::SeriesChange, now: i64) -> Result<bool> {
                $q::change_series(&self.pool, change, now, self.room_lock_sql()).await
            }
            async fn claim_notices(&self, now: i64, lease: i64, limit: i64) -> Result<Vec<OutboxItem>> {
                $o::claim_notices(&self.pool, now, lease, limit).await
            }
            async fn claim_events(&self, now_ms: i64, lease_ms: i64, limit: i64) -> Result<Vec<EventItem>> {
                $e::claim_events(&self.pool, now_ms, lease_ms, limit).await
            }
            async fn finish_events(&self, results: &[(i64, EventDelivery)]) -> Result<()> {
                $e::finish_events(&self.pool, results).await
            }
            async fn release_event_claims(&self) -> Result<()> {
                if self.owns_database() {
                    $e::release_event_claims(&self.pool).await?;
                }
                Ok(())
            }
            async fn events_of(&self, conf_uuid: &ConfUuid) -> Result<Vec<EventStatus>> {
                $e::events_of(&self.pool, conf_uuid.as_str()).await
            }
            async fn add_meeting_records(&self, records: &[(ConfUuid, convene_core::session::Record)]) -> Result<()> {
                $r::add_meeting_records(&self.pool, records).await
            }
            async fn attendance_of(
                &self,
                conf_uuid: &ConfUuid,
                offset: i64,
                limit: i64,
                search: Option<&str>,
            ) -> Result<(i64, Vec<AttendanceRow>)> {
                $r::attendance_of(&self.pool, conf_uuid.as_str(), offset, limit, search).await
            }
            async fn chat_of(&self, conf_uuid: &ConfUuid) -> Result<Vec<ChatRow>> {
                $r::chat_of(&self.pool, conf_uuid.as_str()).await
            }
            async fn control_records_of(
                &self,
                conf_uuid: &ConfUuid,
                offset: i64,
                limit: i64,
            ) -> Result<(i64, Vec<ControlRow>)> {
                $r::control_records_of(&self.pool, conf_uuid.as_str(), offset, limit).await
            }
            async fn release_notice_claims(&self) -> Result<()> {
                if self.owns_database() {
                    $o::release_notice_claims(&self.pool).await?;
                }
                Ok(())
            }
            async fn finish_notice(&self, id: i64, now: i64, delivery: &Delivery) -> Result<()> {
                $o::finish_notice(&self.pool, id, now, delivery).await
            }
            async fn notices_of(&self, conf_uuid: &ConfUuid) -> Result<Vec<NoticeStatus>> {
                $o::notices_of(&self.pool, conf_uuid.as_str()).await
            }
            async fn start_segment(&self, conf_uuid: &ConfUuid, at: i64, node_id: &str) -> Result<i64> {
                $rec::start_segment(&self.pool, conf_uuid.as_str(), at, node_id).await
            }
            async fn stop_segment(
                &self,
                id: i64,
                at: i64,
                tracks: &[convene_core::recording::TrackFile],
                dropped: i64,
            ) -> Result<()> {
                $rec::stop_segment(&self.pool, id, at, tracks, dropped).await
            }
            async fn claim_segment(&self, now: i64, lease: i64, node_id: &str) -> Result<Option<Segment>> {
                $rec::claim_segment(&self.pool, now, lease, node_id).await
            }
            async fn finish_segment(&self, id: i64, outcome: &Composed) -> Result<()> {
                $rec::finish_segment(&self.pool, id, outcome).await
            }
            async fn segments_of_many(&self, conf_uuids: &[ConfUuid]) -> Result<Vec<Segment>> {
                $rec::segments_of_many(&self.pool, conf_uuids).await
            }
            async fn segments_of(&self, conf_uuid: &ConfUuid) -> Result<Vec<Segment>> {
                $rec::segments_of(&self.pool, conf_uuid.as_str()).await
            }
            async fn segment(&self, id: i64) -> Result<Option<Segment>> {
                $rec::segment(&self.pool, id).await
            }
            async fn recorded_meetings(&self, q: &RecordQuery) -> Result<(i64, Vec<Meeting>)> {
                $rec::recorded_meetings(&self.pool, q).await
            }
            async fn delete_segments(&self, conf_uuid: &ConfUuid) -> Result<Vec<Segment>> {
                $rec::delete_segments(&self.pool, conf_uuid.as_str()).await
            }
            async fn release_segment_claims(&self, now: i64, node_id: &str) -> Result<()> {
                // A named node releases only its own; nodes alone share ''.
                if !node_id.is_empty() || self.owns_database() {
                    $rec::release_segment_claims(&self.pool, now, node_id).await?;
                }
                Ok(())
            }
            async fn interrupt_segments(&self, conf_uuid: &ConfUuid, node_id: &str, now: i64) -> Result<u64> {
                $rec::interrupt_segments(&self.pool, conf_uuid.as_str(), node_id, now).await
            }
            async fn expired_recordings(&self, before: i64) -> Result<Vec<ConfUuid>> {
                Ok($rec::expired_segments(&self.pool, before)
                    .await?
                    .into_iter()
                    .map(ConfUuid)
                    .collect())
            }
            async fn put_download(&self, key: &str, segment: i64, file: &str, expires_at: i64) -> Result<()> {
                $rec::put_download(&self.pool, key, segment, file, expires_at).await
            }
            async fn take_download(&self, key: &str, now: i64) -> Result<Option<(i64, String)>> {
                $rec::take_download(&self.pool, key, now).await
            }
        }
    };
}

impl_store!(
    SqliteStore,
    lite,
    lite_outbox,
    lite_records,
    lite_events,
    lite_recordings,
    lite_cluster
);
impl_store!(PgStore, pg, pg_outbox, pg_records, pg_events, pg_recordings, pg_cluster);

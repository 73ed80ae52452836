//! What the storage tests share.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

/// A new, empty PostgreSQL database on the server `CONVENE_TEST_PG` names,
/// as a URL; `None` (said on stderr) when it names none: that run is CI's.
pub async fn fresh_postgres(prefix: &str) -> Option<String> {
    use sqlx::Connection;
    let Ok(admin_url) = std::env::var("CONVENE_TEST_PG") else {
        eprintln!("CONVENE_TEST_PG is not set: the PostgreSQL run of {prefix} is left to CI");
        return None;
    };
    let name = format!(
        "convene_{prefix}_{}",
        convene_core::ids::random_hex(&mut rand::thread_rng(), 6)
    );
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}

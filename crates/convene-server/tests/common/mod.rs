//! Shared helpers of the end-to-end tests: a real server on 127.0.0.1:0.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

use convene_sdk::{ConveneClient, LoginByAccountInfo, LoginByAppIdInfo};
use convene_server::{admin, Config, Running};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestServer {
    pub running: Running,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// With settings changed from the tests' defaults.
    pub async fn start_with(change: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_tests(dir.path(), None);
        change(&mut config);
        let running = convene_server::start(config).await.unwrap();
        TestServer { running, dir }
    }

    /// On a fresh database (see [`fresh_postgres`]).
    pub async fn start_pg(url: String) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let running = convene_server::start(Config::for_tests(dir.path(), Some(url)))
            .await
            .unwrap();
        TestServer { running, dir }
    }

    pub fn url(&self) -> String {
        self.running.http_url()
    }

    pub fn https_url(&self) -> String {
        self.running.https_url().unwrap()
    }

    /// `GET .../control/conferences/token` with the host password: the
    /// whole answer (`data.token`, `data.wsURL`, `data.tmpWsToken`...).
    pub async fn control_token(&self, conf_id: &str, host_pwd: &str) -> serde_json::Value {
        reqwest::Client::new()
            .get(format!("{}/v1/mmc/control/conferences/token", self.url()))
            .query(&[("conferenceID", conf_id)])
            .header("X-Password", host_pwd)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn add_account(&self, account: &str, name: &str) {
        admin::add_account(
            self.running.store.as_ref(),
            admin::AccountSpec {
                account,
                password: PASSWORD,
                name,
                email: None,
                phone: None,
                enterprise: None,
                admin: false,
            },
        )
        .await
        .unwrap();
    }

    pub async fn add_app(&self, app_id: &str) -> String {
        admin::add_app(self.running.store.as_ref(), app_id, None, None)
            .await
            .unwrap()
            .app_key
    }

    pub async fn client(&self, account: &str) -> ConveneClient {
        let c = ConveneClient::new(&self.url()).unwrap();
        c.login_by_account_async(LoginByAccountInfo {
            account: account.into(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
        c
    }
}

/// A new, empty database on the PostgreSQL server `CONVENE_TEST_PG` names
/// (`prefix` and a random tail), as a URL; `None` without that variable.
pub async fn fresh_postgres(prefix: &str) -> Option<String> {
    use sqlx::Connection;
    let admin_url = std::env::var("CONVENE_TEST_PG").ok()?;
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

/// The product's event socket, as a test reads it.
pub type EventSocket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the product's event socket at `ws_url` (its
/// `.../confctl/increment/conn`) for meeting `conf_id` with `t`, a control
/// token's answer (`data.token`, `data.tmpWsToken`), and subscribes to
/// `types`.
pub async fn event_socket(ws_url: &str, conf_id: &str, t: &serde_json::Value, types: &[&str]) -> EventSocket {
    use futures::SinkExt;
    let url = format!(
        "{ws_url}?confID={conf_id}&tmpToken={}",
        t["data"]["tmpWsToken"].as_str().unwrap()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let data = serde_json::json!({"subscribeType": types, "confToken": t["data"]["token"]});
    let subscribe = serde_json::json!({"sequence": "1", "action": "Subscribe", "data": data.to_string()});
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        subscribe.to_string().into(),
    ))
    .await
    .unwrap();
    ws
}

pub fn now() -> i64 {
    convene_server::util::now()
}

pub fn app_login(app_id: &str, key: &str, user: &str, expire: i64) -> LoginByAppIdInfo {
    LoginByAppIdInfo {
        app_id: app_id.into(),
        third_user_id: user.into(),
        user_name: format!("{user} (app)"),
        expire_time: expire,
        ..Default::default()
    }
    .signed(key)
}

#[path = "python.rs"]
mod python;
#[allow(unused_imports)]
pub use python::{python_venv, S3Server, SmtpServer};

/// The browser tests' folder (`web/tests`).
#[allow(unused_imports)]
pub use convene_bench::browser::web_tests;

/// playwright-core and axe-core in `web/tests`, and Chromium.
pub fn playwright() {
    convene_bench::browser::ensure_playwright().unwrap();
}

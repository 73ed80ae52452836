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

    /// On a fresh database of the PostgreSQL server `CONVENE_TEST_PG` names.
    pub async fn start_pg(admin_url: &str) -> TestServer {
        use sqlx::Connection;
        let name = format!(
            "convene_e2e_{}",
            convene_core::ids::random_hex(&mut rand::thread_rng(), 6)
        );
        let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let dir = tempfile::tempdir().unwrap();
        let running = convene_server::start(Config::for_tests(dir.path(), Some(format!("{base}/{name}"))))
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

/// What the Python-side tests use: the product's official client, an SMTP
/// server and an iCalendar parser, pinned.
const PYTHON_PACKAGES: &[&str] = &[
    "huaweicloudsdkmeeting==3.1.219",
    "huaweicloudsdkcore==3.1.219",
    "aiosmtpd==1.4.6",
    "icalendar==6.1.3",
];

/// A venv with [`PYTHON_PACKAGES`], made once and kept in the target folder
/// (made again when the list changes); its `python`.
pub fn python_venv() -> std::path::PathBuf {
    use std::process::Command;
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
    let python = dir.join("bin/python");
    let marker = dir.join(".installed");
    let want = PYTHON_PACKAGES.join("\n");
    if std::fs::read_to_string(&marker).is_ok_and(|have| have == want) {
        return python;
    }
    if !python.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .expect("python3 on PATH");
        assert!(ok.success(), "python3 -m venv failed");
    }
    let ok = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
        .args(PYTHON_PACKAGES)
        .status()
        .unwrap();
    assert!(ok.success(), "pip install {PYTHON_PACKAGES:?} failed");
    std::fs::write(&marker, want).unwrap();
    python
}

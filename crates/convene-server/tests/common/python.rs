//! Python-side helpers of the tests (also used by the `convene` crate's
//! crash test): a venv with pinned packages, and a real SMTP server.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

/// What the Python-side tests use: the product's official client, an SMTP
/// server, an iCalendar parser and Prometheus' text-format parser, pinned.
const PYTHON_PACKAGES: &[&str] = &[
    "huaweicloudsdkmeeting==3.1.219",
    "huaweicloudsdkcore==3.1.219",
    "aiosmtpd==1.4.6",
    "icalendar==6.1.3",
    "prometheus-client==0.21.1",
    "moto[server]==5.2.5",
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

/// A real SMTP server on 127.0.0.1 (Python's aiosmtpd), keeping what it
/// receives in a maildir.
pub struct SmtpServer {
    child: tokio::process::Child,
    pub port: u16,
    pub maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl SmtpServer {
    pub async fn start(python: &std::path::Path) -> SmtpServer {
        Self::start_with(python, "aiosmtpd.handlers.Mailbox").await
    }

    /// With `refusing_smtp.Refusing` (tests/python): refuses `@nobody.example`.
    pub async fn start_refusing(python: &std::path::Path) -> SmtpServer {
        Self::start_with(python, "refusing_smtp.Refusing").await
    }

    async fn start_with(python: &std::path::Path, handler: &str) -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let child = tokio::process::Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                handler,
            ])
            .env(
                "PYTHONPATH",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../convene-server/tests/python"),
            )
            .arg(maildir.path().join("mail"))
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return SmtpServer { child, port, maildir };
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not listen on {port}");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The maildir's `new` folder (messages as files).
    pub fn new_mail(&self) -> std::path::PathBuf {
        self.maildir.path().join("mail/new")
    }

    /// The `To:` of each message received so far.
    pub fn recipients(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.new_mail()) else {
            return Vec::new();
        };
        dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .filter_map(|m| m.lines().find_map(|l| l.strip_prefix("To: ").map(str::to_owned)))
            .collect()
    }
}

/// A real S3-compatible server on 127.0.0.1 (moto in server mode), with
/// one bucket made.
pub struct S3Server {
    child: tokio::process::Child,
    pub port: u16,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl S3Server {
    pub async fn start(python: &std::path::Path, bucket: &str) -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let moto = python.with_file_name("moto_server");
        let child = tokio::process::Command::new(moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let http = reqwest::Client::new();
        for _ in 0..150 {
            if let Ok(r) = http.put(format!("http://127.0.0.1:{port}/{bucket}")).send().await {
                assert!(r.status().is_success(), "making bucket {bucket}: {}", r.status());
                return S3Server { child, port };
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("moto_server did not listen on {port}");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The keys under `prefix` in `bucket` (S3's ListObjectsV2, as XML).
    pub async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let xml = reqwest::get(format!("{}/{bucket}?list-type=2&prefix={prefix}", self.endpoint()))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        xml.split("<Key>")
            .skip(1)
            .filter_map(|k| k.split_once("</Key>").map(|(k, _)| k.to_owned()))
            .collect()
    }
}

//! Which server a benchmark loads, starting one when none is given, and
//! what the benchmarks read of a process (memory, CPU).

use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use tokio::io::AsyncBufReadExt;

/// Which server a benchmark loads: a running one on loopback, or (default)
/// one it starts itself.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// A running server (`http://127.0.0.1:PORT`); default: start one.
    #[arg(long)]
    pub url: Option<String>,
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long)]
    pub password: Option<String>,
    /// Start the server with `--no-metrics` (to compare metrics' cost).
    #[arg(long)]
    pub no_metrics: bool,
}

/// The server to load and how to log in to it; the child process is the
/// server the benchmark started, if it did.
pub(crate) async fn target(
    t: &TargetArgs,
    database_url: Option<&str>,
) -> anyhow::Result<(String, String, String, Option<Child>)> {
    match &t.url {
        Some(u) => {
            let (Some(a), Some(p)) = (&t.account, &t.password) else {
                bail!("--url needs --account and --password");
            };
            if !(u.starts_with("http://127.") || u.starts_with("http://localhost") || u.starts_with("http://[::1]")) {
                bail!("the benchmark only targets loopback addresses");
            }
            Ok((u.clone(), a.clone(), p.clone(), None))
        }
        None => {
            let (u, a, p, c) = start_server(database_url, t.no_metrics, false).await?;
            Ok((u, a, p, Some(c)))
        }
    }
}

pub(crate) struct Child {
    pub(crate) proc: tokio::process::Child,
    pub(crate) _dir: tempfile::TempDir,
}

/// Starts `convene serve --dev` on a fresh data folder; with `admin`, logs
/// in as an administrator of the enterprise added first (`convene account
/// add --admin`) instead of the dev account.
pub(crate) async fn start_server(
    db: Option<&str>,
    no_metrics: bool,
    admin: bool,
) -> anyhow::Result<(String, String, String, Child)> {
    start_server_with(db, no_metrics, admin, true, &[]).await
}

/// [`start_server`] with more `convene serve` flags (a cluster node's);
/// without `dev`, no dev account (another node of the database made it):
/// the login answered is empty.
pub(crate) async fn start_server_with(
    db: Option<&str>,
    no_metrics: bool,
    admin: bool,
    dev: bool,
    extra: &[String],
) -> anyhow::Result<(String, String, String, Child)> {
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe()?;
    let admin_login = if admin {
        let password = format!("bench-{}", rand::random::<u64>());
        let mut add = tokio::process::Command::new(&exe);
        add.args([
            "account",
            "add",
            "--admin",
            "--account",
            "bench-admin",
            "--name",
            "Bench Admin",
        ])
        .args(["--password", &password, "--data-dir"])
        .arg(dir.path());
        if let Some(db) = db {
            add.args(["--database-url", db]);
        }
        let out = add.output().await.context("convene account add")?;
        if !out.status.success() {
            bail!(
                "adding the bench administrator: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Some(("bench-admin".to_owned(), password))
    } else {
        None
    };
    let mut args: Vec<std::ffi::OsString> = vec!["--data-dir".into(), dir.path().into()];
    if let Some(db) = db {
        args.extend(["--database-url".into(), db.into()]);
    }
    if no_metrics {
        args.push("--no-metrics".into());
    }
    args.extend(extra.iter().map(Into::into));
    if dev {
        args.push("--dev".into());
    }
    let (proc, url) = serve(&exe, &args).await?;
    let (account, password) = match admin_login {
        Some(login) => login,
        None if !dev => (String::new(), String::new()),
        None => {
            let (account, password, _, _) =
                convene_server::admin::read_dev_login(dir.path()).context("reading the dev credentials")?;
            (account, password)
        }
    };
    Ok((url, account, password, Child { proc, _dir: dir }))
}

/// Starts `exe serve --no-tls --listen 127.0.0.1:0` with `args`, and
/// answers the process (killed when dropped) and its URL once it listens.
/// Its output is drained so it never blocks on a full pipe.
pub async fn serve(
    exe: &std::path::Path,
    args: &[std::ffi::OsString],
) -> anyhow::Result<(tokio::process::Child, String)> {
    let mut proc = tokio::process::Command::new(exe)
        .args(["serve", "--no-tls", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting convene serve")?;
    let stdout = proc.stdout.take().context("server stdout")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(u) = line.strip_prefix("convene listening on ") {
                return Ok::<_, anyhow::Error>(u.split_whitespace().next().unwrap_or_default().to_owned());
            }
        }
        bail!("the server exited before listening")
    })
    .await
    .context("waiting for the server")??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((proc, url))
}

pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User + system CPU seconds a process used so far (from /proc).
pub(crate) fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after ')'.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(ticks / 100.0)
}

/// How a benchmark's participant `slot` of `conf` joins: the first as
/// its host (host password), the others as guests, mic and camera on.
pub(crate) fn join_info(
    conf: &convene_sdk::CreateConfResult,
    slot: usize,
    nick_name: String,
) -> convene_sdk::JoinConfByIdInfo {
    convene_sdk::JoinConfByIdInfo {
        conf_id: conf.conf_id.clone(),
        password: if slot == 0 {
            conf.host_pwd.clone()
        } else {
            conf.guest_pwd.clone()
        },
        nick_name,
        is_mic_on: true,
        is_camera_on: true,
        attendee_type: None,
    }
}

//! Issue 2: `kill -9` while 64 clients create meetings. After the restart,
//! every meeting whose creation was acknowledged is there and complete, and
//! every stored meeting is whole. Issue 18: `kill -9` while invitations are
//! being mailed loses none of them.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use convene_sdk::*;
use tokio::io::AsyncBufReadExt;

const CLIENTS: usize = 64;
/// Acknowledged creates to wait for before the kill.
const KILL_AFTER: usize = 600;

#[path = "../../convene-server/tests/common/python.rs"]
mod python;

async fn spawn_server(dir: &std::path::Path) -> (tokio::process::Child, String) {
    spawn_server_with(dir, &[]).await
}

async fn spawn_server_with(dir: &std::path::Path, args: &[&str]) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["serve", "--dev", "--no-tls", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("server exited before listening");
        if let Some(u) = line.strip_prefix("convene listening on ") {
            break u.to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_meeting() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = spawn_server(dir.path()).await;
    let (account, password, _, _) = convene_server::admin::read_dev_login(dir.path()).unwrap();
    let login = LoginByAccountInfo { account, password };
    let first = ConveneClient::new(&url).unwrap();
    first.login_by_account_async(login.clone()).await.unwrap();
    let token = first.access_token().unwrap();

    let acked: Arc<Mutex<Vec<CreateConfResult>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::new();
    for n in 0..CLIENTS {
        let client = ConveneClient::with_token(&url, &token).unwrap();
        let (acked, count, enough) = (acked.clone(), count.clone(), enough.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let mut info = CreateConfInfo::new(format!("crash {n}-{i}"), MediaType::Video, true);
                info.custom_info = Some(format!("client {n} create {i}"));
                match client.create_conf_async(info).await {
                    Ok(r) => {
                        acked.lock().unwrap().push(r);
                        if count.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                            enough.notify_one();
                        }
                    }
                    // The server died under us: this client is done.
                    Err(_) => return,
                }
            }
        }));
    }
    tokio::time::timeout(std::time::Duration::from_secs(120), enough.notified())
        .await
        .expect("creates acknowledged in time");
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= KILL_AFTER);

    let (_child2, url2) = spawn_server(dir.path()).await;
    let c = ConveneClient::new(&url2).unwrap();
    c.login_by_account_async(login).await.unwrap();
    for r in &acked {
        let d = c
            .conf_detail_async(&r.conf_id)
            .await
            .unwrap_or_else(|e| panic!("acknowledged {} lost: {e}", r.conf_id));
        let back = d.to_create_conf_result();
        assert_eq!(
            (&back.subject, &back.host_pwd, &back.guest_pwd),
            (&r.subject, &r.host_pwd, &r.guest_pwd)
        );
        assert_eq!(back.custom_info, r.custom_info);
    }
    // Every stored meeting, acknowledged or not, is whole.
    let mut offset = 0;
    let mut stored = 0;
    loop {
        let page = c.list_confs_async(offset, 500).await.unwrap();
        for m in &page.data {
            assert_eq!(m.conference_id.len(), 9);
            assert!(m.subject.starts_with("crash "), "{m:?}");
            assert!(m.custom_info.starts_with("client "), "{m:?}");
            assert_eq!(m.password_for("chair").len(), 6);
            assert_eq!(m.password_for("general").len(), 6);
            assert!(!m.guest_join_uri.is_empty());
        }
        stored += page.data.len();
        if page.data.is_empty() {
            break;
        }
        offset += page.data.len() as i64;
    }
    assert!(stored >= acked.len(), "stored {stored} < acknowledged {}", acked.len());
    assert!(
        stored <= acked.len() + CLIENTS,
        "at most one unacknowledged create per client"
    );
}

/// Issue 18: the server is killed while it mails the invitations of 40
/// meetings (3 invitees each) to a real SMTP server; after a restart every
/// invitee gets theirs (at least once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_invitation_delivery_loses_none() {
    const MEETINGS: usize = 40;
    let python = tokio::task::spawn_blocking(python::python_venv).await.unwrap();
    let smtp = python::SmtpServer::start(&python).await;
    let dir = tempfile::tempdir().unwrap();
    let smtp_url = smtp.url();
    let args = ["--smtp-url", smtp_url.as_str()];
    let (mut child, url) = spawn_server_with(dir.path(), &args).await;
    let (account, password, _, _) = convene_server::admin::read_dev_login(dir.path()).unwrap();
    let login = LoginByAccountInfo { account, password };
    let client = ConveneClient::new(&url).unwrap();
    client.login_by_account_async(login).await.unwrap();
    let mut expected = std::collections::BTreeSet::new();
    let mut creates = Vec::new();
    for m in 0..MEETINGS {
        let mut info = CreateConfInfo::new(format!("mail {m}"), MediaType::Audio, true);
        for i in 0..3 {
            let email = format!("m{m}-i{i}@example.com");
            expected.insert(email.clone());
            info.attendees.push(AttendeeBaseInfo {
                nick_name: format!("Invitee {i}"),
                number: "1".into(),
                email: Some(email),
                ..Default::default()
            });
        }
        info.num_of_attendee = 3;
        let c = client.clone();
        creates.push(tokio::spawn(async move { c.create_conf_async(info).await.unwrap() }));
    }
    for c in creates {
        c.await.unwrap();
    }
    // Killed once the first few have gone out, with most still to send.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while smtp.recipients().len() < 5 {
        assert!(std::time::Instant::now() < deadline, "no invitation was mailed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    let before = smtp.recipients().len();
    assert!(
        before < expected.len(),
        "all {before} went out before the kill: the test proves nothing"
    );

    let (_child2, _url2) = spawn_server_with(dir.path(), &args).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let got: std::collections::BTreeSet<String> = smtp
            .recipients()
            .into_iter()
            .map(|to| {
                to.trim_matches(|c| c == '<' || c == '>')
                    .rsplit('<')
                    .next()
                    .unwrap()
                    .trim_end_matches('>')
                    .to_owned()
            })
            .collect();
        let missing: Vec<_> = expected.difference(&got).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} invitations never arrived after the restart (e.g. {:?}); {before} had before the kill",
            missing.len(),
            missing.first()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

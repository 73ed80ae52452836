//! Issue 2: the product's own official REST client (PyPI
//! `huaweicloudsdkmeeting`, pinned below) logs in both ways and creates,
//! lists, shows and cancels meetings against convene over HTTPS, unchanged.
//! The test makes its own venv (kept in the target folder between runs).

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_works_unchanged() {
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let server = common::TestServer::start().await;
    server.add_account("py-account", "Python Account").await;
    let key = server.add_app("py-app").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/official_client.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args([&server.https_url(), "py-account", common::PASSWORD, "py-app", &key])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

/// Issue 3: the official client takes a control token and locks, mutes all
/// and stops a meeting while SDK clients are in it; they see each change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_controls_a_live_meeting() {
    use convene_sdk::*;
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let server = common::TestServer::start().await;
    server.add_account("py-host", "Python Host").await;
    let host_client = server.client("py-host").await;
    let m = host_client
        .create_conf_async(CreateConfInfo::new("Controlled", MediaType::Video, true))
        .await
        .unwrap();
    let host = host_client
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            is_mic_on: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let guest = ConveneClient::new(&server.url())
        .unwrap()
        .join_conf_by_id_async(JoinConfByIdInfo {
            conf_id: m.conf_id.clone(),
            password: m.guest_pwd.clone(),
            nick_name: "Guest".into(),
            is_mic_on: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/control_client.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .args([
            &server.https_url(),
            "py-host",
            common::PASSWORD,
            &m.conf_id,
            &m.host_pwd,
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wait = std::time::Duration::from_secs(10);
    for s in [&host, &guest] {
        let locked = s
            .wait_for(wait, |e| {
                matches!(e, Event::OnMeetingInfoChanged { is_locked: true, .. }).then_some(())
            })
            .await;
        assert_eq!(locked, Some(()));
    }
    let muted = guest
        .wait_for_list(false, wait, |l| {
            l.iter().any(|a| a.nick_name == "Guest" && !a.is_mic_on)
        })
        .await;
    assert!(muted.is_some());
    for s in [&host, &guest] {
        let ended = s
            .wait_for(wait, |e| match e {
                Event::OnConfEnded { reason, .. } => Some(reason.0),
                _ => None,
            })
            .await;
        assert_eq!(ended, Some(SdkErr::SDK_CONFCTRL_CONF_END_STOP_CONF));
    }
    assert_eq!(
        host_client
            .conf_detail_async(&m.conf_id)
            .await
            .unwrap()
            .conference_state,
        "Destroyed"
    );
}

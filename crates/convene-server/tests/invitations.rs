//! Issue 18: invitations by e-mail, to a real SMTP server (Python's aiosmtpd,
//! started by the test) with iCalendar entries parsed as a calendar client
//! would (Python's icalendar): an invitation on booking, an update on edit,
//! a cancellation on cancel; a bad address is refused at booking, and a
//! server that does not answer shows in the meeting's detail.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

mod common;

use std::time::Duration;

use common::{SmtpServer, TestServer};
use convene_proto::*;

/// The messages received so far, as `tests/python/read_maildir.py` reads them.
async fn received(python: &std::path::Path, smtp: &SmtpServer) -> Vec<serde_json::Value> {
    let dir = smtp.maildir.path().join("mail");
    if !smtp.new_mail().exists() {
        return Vec::new();
    }
    let out = tokio::process::Command::new(python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/read_maildir.py"))
        .arg(&dir)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap()
}

async fn wait_for(python: &std::path::Path, smtp: &SmtpServer, n: usize) -> Vec<serde_json::Value> {
    for _ in 0..150 {
        let got = received(python, smtp).await;
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("fewer than {n} messages arrived: {:#?}", received(python, smtp).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_updates_and_cancellations_arrive_with_calendar_entries() {
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let smtp = SmtpServer::start(&python).await;
    let url = smtp.url();
    let server = TestServer::start_with(|c| {
        c.notify.smtp_url = Some(convene_server::config::Secret(url));
        c.notify.smtp_from = "Convene <meetings@convene.test>".into();
    })
    .await;
    server.add_account("olga", "Olga Host").await;
    let client = server.client("olga").await;
    // Tomorrow 09:00 UTC, shown in London time (GMT in December, BST in summer).
    let now = server.running.clock.now();
    let start = now - now % 86_400 + 86_400 + 9 * 3600;
    let invitee = |name: &str, email: &str, role: ConfRole| AttendeeBaseInfo {
        nick_name: name.into(),
        number: "+8613800000000".into(),
        email: Some(email.into()),
        role: Some(role),
        ..Default::default()
    };
    let mut info = CreateConfInfo::new("Quarterly planning", MediaType::Video, true);
    // An address that is not one: refused, nothing stored.
    let mut bad = CreateConfInfo::new("Bad address", MediaType::Video, true);
    bad.attendees = vec![invitee("Broken", "broken@", ConfRole::Attendee)];
    bad.num_of_attendee = 1;
    let refused = client
        .book_conf_async(BookConfParam {
            start_time: start,
            duration: 45,
            time_zone_id: None,
            conf_common_param: bad,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code, SdkErr::CMS_PARAMETER_VERIFIED_FAIL);
    assert_eq!(client.list_confs_async(0, 10).await.unwrap().count, 0);
    info.attendees = vec![
        invitee("Ana", "ana@example.com", ConfRole::Host),
        invitee("Bo", "bo@example.com", ConfRole::Attendee),
    ];
    info.num_of_attendee = 2;
    let booked = client
        .book_conf_async(BookConfParam {
            start_time: start,
            duration: 45,
            time_zone_id: Some("26".into()),
            conf_common_param: info.clone(),
        })
        .await
        .unwrap();

    let mail = wait_for(&python, &smtp, 2).await;
    let to = |m: &serde_json::Value, who: &str| m["to"].as_str().unwrap().contains(who);
    let ana = mail.iter().find(|m| to(m, "ana@example.com")).unwrap();
    let bo = mail.iter().find(|m| to(m, "bo@example.com")).unwrap();
    assert!(
        ana["subject"]
            .as_str()
            .unwrap()
            .starts_with("Invitation: Quarterly planning"),
        "{ana}"
    );
    assert!(ana["from"].as_str().unwrap().contains("meetings@convene.test"));
    // Each is told their own password and link: the host's to the host.
    let text = |m: &serde_json::Value| m["text"].as_str().unwrap().to_owned();
    assert!(
        text(ana).contains(&format!("Password: {} (host)", booked.host_pwd)),
        "{}",
        text(ana)
    );
    assert!(text(bo).contains(&format!("Password: {}", booked.guest_pwd)) && !text(bo).contains(&booked.host_pwd));
    assert!(text(bo).contains(&booked.conf_id) && text(bo).contains("Olga Host"));
    let ics = &ana["ics"];
    assert_eq!(ics["method"], "REQUEST");
    assert_eq!(ics["sequence"], 0);
    assert_eq!(ics["tzid"], "Europe/London");
    assert_eq!(ics["timezones"], serde_json::json!(["Europe/London"]));
    let utc = |t: i64| convene_proto::time::rest_time(t);
    assert_eq!(ics["start_utc"].as_str().unwrap(), utc(start));
    assert!(ics["organizer"].as_str().unwrap().contains("meetings@convene.test"));
    let uid = ics["uid"].as_str().unwrap().to_owned();

    // An edit: an hour later, a new subject: updates with the same UID, SEQUENCE 1.
    let mut moved = info.clone();
    moved.subject = "Quarterly planning (moved)".into();
    client
        .modify_conf_async(
            &booked.conf_id,
            BookConfParam {
                start_time: start + 3600,
                duration: 45,
                time_zone_id: Some("26".into()),
                conf_common_param: moved,
            },
        )
        .await
        .unwrap();
    let mail = wait_for(&python, &smtp, 4).await;
    let update = mail
        .iter()
        .find(|m| to(m, "bo@example.com") && m["subject"].as_str().unwrap().starts_with("Updated:"))
        .unwrap();
    assert_eq!(update["ics"]["uid"], uid.as_str());
    assert_eq!(update["ics"]["sequence"], 1);
    assert_eq!(update["ics"]["start_utc"].as_str().unwrap(), utc(start + 3600));

    // Cancelled: METHOD:CANCEL, same UID, a higher SEQUENCE.
    client.cancel_conf_async(&booked.conf_id).await.unwrap();
    let mail = wait_for(&python, &smtp, 6).await;
    let cancel = mail
        .iter()
        .find(|m| to(m, "ana@example.com") && m["subject"].as_str().unwrap().starts_with("Cancelled:"))
        .unwrap();
    assert_eq!(cancel["ics"]["method"], "CANCEL");
    assert_eq!(cancel["ics"]["status"], "CANCELLED");
    assert_eq!(cancel["ics"]["uid"], uid.as_str());
    assert_eq!(cancel["ics"]["sequence"], 2);
    assert!(!text(cancel).contains("Password"), "no password in a cancellation");

    // Every notice is in the host's detail, sent.
    let detail = client.conf_detail_async(&booked.conf_id).await.unwrap();
    let states: Vec<_> = detail
        .notifications
        .iter()
        .map(|n| (n.kind.as_str(), n.recipient.as_str(), n.state.as_str()))
        .collect();
    assert_eq!(states.len(), 6, "{states:?}");
    assert!(states.iter().all(|(_, _, s)| *s == "sent"), "{states:?}");
}

/// `language: zh-CN` invitations are in Chinese.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_speak_the_meetings_language() {
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let smtp = SmtpServer::start(&python).await;
    let url = smtp.url();
    let server = TestServer::start_with(|c| {
        c.notify.smtp_url = Some(convene_server::config::Secret(url));
    })
    .await;
    server.add_account("olga", "Olga Host").await;
    let client = server.client("olga").await;
    let body = serde_json::json!({
        "subject": "周会", "mediaTypes": "Voice", "language": "zh-CN", "timeZoneID": "56",
        "attendees": [{"name": "王芳", "phone": "+8613800000001", "email": "wang@example.com"}]
    });
    let post = |body: serde_json::Value| {
        reqwest::Client::new()
            .post(format!("{}/v1/mmc/management/conferences", server.url()))
            .header("X-Access-Token", client.access_token().unwrap())
            .json(&body)
            .send()
    };
    let bad = post(serde_json::json!({"subject": "x", "mediaTypes": "Voice", "language": "fr-FR"}))
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(post(body).await.unwrap().status(), 200);
    let mail = wait_for(&python, &smtp, 1).await;
    let subject = mail[0]["subject"].as_str().unwrap();
    assert!(subject.starts_with("会议邀请：周会"), "{subject}");
    let text = mail[0]["text"].as_str().unwrap();
    assert!(
        text.contains("王芳，您好") && text.contains("会议密码：") && text.contains("Beijing"),
        "{text}"
    );
}

/// A mail server that refuses an address for good (550): that invitation
/// fails at once with the server's words in the detail; the others go out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_address_fails_and_shows_in_the_detail() {
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let smtp = SmtpServer::start_refusing(&python).await;
    let url = smtp.url();
    let server = TestServer::start_with(|c| {
        c.notify.smtp_url = Some(convene_server::config::Secret(url));
    })
    .await;
    server.add_account("olga", "Olga Host").await;
    let client = server.client("olga").await;
    let mut info = CreateConfInfo::new("Refused", MediaType::Audio, true);
    info.attendees = ["ana@example.com", "ghost@nobody.example"]
        .iter()
        .map(|e| AttendeeBaseInfo {
            nick_name: "Someone".into(),
            number: "1".into(),
            email: Some((*e).into()),
            ..Default::default()
        })
        .collect();
    info.num_of_attendee = 2;
    let m = client.create_conf_async(info).await.unwrap();
    for _ in 0..100 {
        let d = client.conf_detail_async(&m.conf_id).await.unwrap();
        let state = |to: &str| {
            d.notifications
                .iter()
                .find(|n| n.recipient == to)
                .map(|n| n.state.clone())
        };
        if state("ghost@nobody.example").as_deref() == Some("failed")
            && state("ana@example.com").as_deref() == Some("sent")
        {
            let ghost = d
                .notifications
                .iter()
                .find(|n| n.recipient == "ghost@nobody.example")
                .unwrap();
            assert_eq!(ghost.attempts, 1, "a permanent refusal is not tried again");
            assert!(
                ghost.last_error.as_deref().unwrap().contains("no such mailbox"),
                "{ghost:?}"
            );
            assert_eq!(smtp.recipients().len(), 1);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{:?}",
        client.conf_detail_async(&m.conf_id).await.unwrap().notifications
    );
}

/// An SMTP server that does not answer: the invitation waits to be tried
/// again, and the detail says why.
#[tokio::test]
async fn a_server_that_does_not_answer_shows_in_the_detail() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = TestServer::start_with(|c| {
        c.notify.smtp_url = Some(convene_server::config::Secret(format!("smtp://127.0.0.1:{closed}")));
    })
    .await;
    server.add_account("olga", "Olga Host").await;
    let client = server.client("olga").await;
    let mut info = CreateConfInfo::new("Unreachable", MediaType::Audio, true);
    info.attendees = vec![AttendeeBaseInfo {
        nick_name: "Ana".into(),
        number: "1".into(),
        email: Some("ana@example.com".into()),
        ..Default::default()
    }];
    info.num_of_attendee = 1;
    let m = client.create_conf_async(info).await.unwrap();
    for _ in 0..100 {
        let d = client.conf_detail_async(&m.conf_id).await.unwrap();
        if let Some(n) = d
            .notifications
            .first()
            .filter(|n| n.attempts >= 1 && n.last_error.is_some())
        {
            assert_eq!(n.state, "pending", "tried again later: {n:?}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the failed delivery never showed");
}

/// Without an SMTP server the invitations are kept and shown as not sent.
#[tokio::test]
async fn without_an_smtp_server_invitations_are_recorded_as_not_sent() {
    let server = TestServer::start().await;
    server.add_account("olga", "Olga Host").await;
    let client = server.client("olga").await;
    let mut info = CreateConfInfo::new("No mail", MediaType::Audio, true);
    info.attendees = vec![AttendeeBaseInfo {
        nick_name: "Ana".into(),
        number: "1".into(),
        email: Some("ana@example.com".into()),
        ..Default::default()
    }];
    info.num_of_attendee = 1;
    let m = client.create_conf_async(info).await.unwrap();
    for _ in 0..50 {
        let d = client.conf_detail_async(&m.conf_id).await.unwrap();
        if d.notifications.first().is_some_and(|n| n.state == "unsent") {
            assert!(d.notifications[0].last_error.as_deref().unwrap().contains("--smtp-url"));
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the invitation was never recorded as not sent");
}

/// SMS invitations (`isSendSms`) are POSTed to the configured gateway,
/// signed with its shared secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_invitations_reach_the_gateway_signed() {
    use hmac::Mac;
    let received: std::sync::Arc<tokio::sync::Mutex<Vec<(String, String)>>> = Default::default();
    let keep = received.clone();
    let gateway = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let keep = keep.clone();
            async move {
                let sig = headers.get("X-Convene-Signature").unwrap().to_str().unwrap().to_owned();
                keep.lock().await.push((sig, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, gateway).await.unwrap() });
    let server = TestServer::start_with(|c| {
        c.notify.sms_gateway_url = Some(format!("http://{addr}/sms"));
        c.notify.sms_gateway_secret = Some(convene_server::config::Secret("gateway secret".into()));
    })
    .await;
    server.add_account("olga", "Olga Host").await;
    let client = server.client("olga").await;
    let body = serde_json::json!({
        "subject": "By text", "mediaTypes": "Voice",
        "confConfigInfo": {"isSendSms": true, "isSendNotify": false},
        "attendees": [{"name": "Ana", "phone": "+8613800000001", "sms": "+8613800000001"}]
    });
    let created: Vec<serde_json::Value> = reqwest::Client::new()
        .post(format!("{}/v1/mmc/management/conferences", server.url()))
        .header("X-Access-Token", client.access_token().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conf_id = created[0]["conferenceID"].as_str().unwrap().to_owned();
    for _ in 0..100 {
        if let Some((sig, body)) = received.lock().await.first().cloned() {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"gateway secret").unwrap();
            mac.update(body.as_bytes());
            assert_eq!(sig, hex::encode(mac.finalize().into_bytes()));
            let sms: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(sms["to"], "+8613800000001");
            assert_eq!(sms["conferenceID"], conf_id.as_str());
            assert_eq!(sms["kind"], "invite");
            assert!(sms["text"].as_str().unwrap().contains(&conf_id));
            let detail = client.conf_detail_async(&conf_id).await.unwrap();
            assert_eq!(detail.notifications.len(), 1, "no e-mail: isSendNotify is false");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the SMS gateway got nothing");
}

/// Issue 18: a recurring series is one calendar entry (one `UID`, its
/// `RRULE`, times in its zone); moving or cancelling one occurrence tells of
/// that occurrence only (the series' `UID` and the occurrence's
/// `RECURRENCE-ID`); cancelling the series cancels the `UID`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_series_is_one_calendar_entry_with_its_rule_and_exceptions() {
    use convene_proto::time::rest_time;
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let smtp = SmtpServer::start(&python).await;
    let url = smtp.url();
    let server = TestServer::start_with(|c| {
        c.notify.smtp_url = Some(convene_server::config::Secret(url));
    })
    .await;
    server.add_account("rita", "Rita Host").await;
    let client = server.client("rita").await;
    let token = client.access_token().unwrap();
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, body: serde_json::Value| {
        http.request(method, format!("{}{path}", server.url()))
            .header("X-Access-Token", &token)
            .json(&body)
            .send()
    };
    // Mondays at 09:00 Beijing time (zone 56, no daylight saving: 01:00
    // UTC), from the first Monday at least two days ahead, for four weeks.
    const DAY: i64 = 86_400;
    let now = server.running.clock.now();
    let mut d = (now + 8 * 3600) / DAY + 2;
    while (d + 4) % 7 != 1 {
        d += 1; // 1970-01-01 was a Thursday
    }
    let date = |d: i64| rest_time(d * DAY)[..10].to_owned();
    let start = d * DAY + 3600;
    let r = call(
        reqwest::Method::POST,
        "/v1/mmc/management/cycleconferences",
        serde_json::json!({
            "subject": "Weekly sync", "mediaTypes": "Voice", "startTime": rest_time(start), "length": 30,
            "timeZoneID": "56",
            "attendees": [{"name": "Ana", "phone": "+8613800000000", "email": "ana@example.com", "role": 0}],
            "cycleParams": {"startDate": date(d), "endDate": date(d + 21), "cycle": "Week", "interval": 1,
                            "point": [1], "preRemindDays": 1}
        }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let series: serde_json::Value = r.json().await.unwrap();
    let series = &series[0];
    assert_eq!(series["conferenceType"], 2);
    assert_eq!(series["confType"], "CYCLE");
    let subs = series["subConfs"].as_array().unwrap().clone();
    let starts: Vec<&str> = subs.iter().map(|s| s["startTime"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..4).map(|w| rest_time(start + w * 7 * DAY)).collect();
    assert_eq!(starts, expected);
    assert_eq!(series["cycleSubConfID"], subs[0]["cycleSubConfID"]);
    let id = series["conferenceID"].as_str().unwrap().to_owned();
    let sub = |i: usize| subs[i]["cycleSubConfID"].as_str().unwrap().to_owned();

    let mail = wait_for(&python, &smtp, 1).await;
    let invite = &mail[0]["ics"];
    assert_eq!(invite["method"], "REQUEST");
    assert_eq!(invite["tzid"], "Asia/Shanghai");
    assert_eq!(invite["start_local"].as_str().unwrap(), format!("{} 09:00", date(d)));
    let rrule = invite["rrule"].as_str().unwrap();
    assert!(rrule.contains("FREQ=WEEKLY") && rrule.contains("BYDAY=MO"), "{rrule}");
    assert!(
        rrule.contains(&format!("UNTIL={}T155959Z", date(d + 21).replace('-', ""))),
        "{rrule}"
    );
    let uid = invite["uid"].as_str().unwrap().to_owned();
    let text = mail[0]["text"].as_str().unwrap();
    assert!(text.contains("Repeats: every week on Mon"), "{text}");

    // The second occurrence moves a day and an hour later, for 45 minutes.
    let moved = start + 8 * DAY + 3600;
    let r = call(
        reqwest::Method::PUT,
        &format!("/v1/mmc/management/conferences/cyclesubconf?conferenceID={id}"),
        serde_json::json!({"cycleSubConfID": sub(1), "mediaTypes": "Voice", "startTime": rest_time(moved), "length": 45}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let mail = wait_for(&python, &smtp, 2).await;
    let update = mail
        .iter()
        .find(|m| m["subject"].as_str().unwrap().starts_with("Updated:"))
        .unwrap();
    assert_eq!(update["ics"]["uid"], uid.as_str());
    assert_eq!(update["ics"]["recurrence_id_utc"], rest_time(start + 7 * DAY));
    assert_eq!(update["ics"]["start_utc"], rest_time(moved));
    assert!(update["ics"]["rrule"].is_null());

    // Refused: the fourth onto the moved one; an occurrence of no series.
    let r = call(
        reqwest::Method::PUT,
        &format!("/v1/mmc/management/conferences/cyclesubconf?conferenceID={id}"),
        serde_json::json!({"cycleSubConfID": sub(3), "mediaTypes": "Voice", "startTime": rest_time(moved + 600), "length": 30}),
    )
    .await
    .unwrap();
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["error_code"], "MMC.111071082", "{e}");
    let r = call(
        reqwest::Method::DELETE,
        &format!("/v1/mmc/management/conferences/cyclesubconf?conferenceID={id}"),
        serde_json::json!({"cycleSubConfIDs": ["no-such-occurrence"]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 404);

    // The third is cancelled: that occurrence only.
    let r = call(
        reqwest::Method::DELETE,
        &format!("/v1/mmc/management/conferences/cyclesubconf?conferenceID={id}"),
        serde_json::json!({"cycleSubConfIDs": [sub(2)]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let mail = wait_for(&python, &smtp, 3).await;
    let one = mail
        .iter()
        .find(|m| m["subject"].as_str().unwrap().starts_with("Cancelled:"))
        .unwrap();
    assert_eq!(one["ics"]["method"], "CANCEL");
    assert_eq!(one["ics"]["uid"], uid.as_str());
    assert_eq!(one["ics"]["recurrence_id_utc"], rest_time(start + 14 * DAY));
    let detail = client.conf_detail_async(&id).await.unwrap();
    assert_eq!(detail.start_time_stamp, start, "the next occurrence is the first");

    // The whole series is cancelled: the UID, no RECURRENCE-ID.
    let r = call(
        reqwest::Method::DELETE,
        &format!("/v1/mmc/management/cycleconferences?conferenceID={id}"),
        serde_json::json!({}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let mail = wait_for(&python, &smtp, 4).await;
    let all = mail
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().starts_with("Cancelled:"))
        .find(|m| m["ics"]["recurrence_id_utc"].is_null())
        .unwrap();
    assert_eq!(all["ics"]["uid"], uid.as_str());
    assert_eq!(all["ics"]["method"], "CANCEL");
    assert!(all["ics"]["rrule"].as_str().is_some());
    assert_eq!(client.list_confs_async(0, 10).await.unwrap().count, 0);
}

/// Issue 18: `preRemindDays` is honoured: each invitee is reminded that
/// many days before each occurrence, at that time; a cancelled
/// occurrence's reminder is not sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn occurrences_are_reminded_days_before() {
    use convene_proto::time::rest_time;
    let python = tokio::task::spawn_blocking(common::python_venv).await.unwrap();
    let smtp = SmtpServer::start(&python).await;
    let url = smtp.url();
    let server = TestServer::start_with(|c| {
        c.notify.smtp_url = Some(convene_server::config::Secret(url));
    })
    .await;
    server.add_account("rita", "Rita Host").await;
    let client = server.client("rita").await;
    let token = client.access_token().unwrap();
    const DAY: i64 = 86_400;
    let clock = &server.running.clock;
    // Daily for three days from the day after tomorrow, two days' notice.
    let start = clock.now() - clock.now() % 60 + 2 * DAY + 3600;
    let r: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v1/mmc/management/cycleconferences", server.url()))
        .header("X-Access-Token", &token)
        .json(&serde_json::json!({
            "subject": "Daily", "mediaTypes": "Voice", "startTime": rest_time(start), "length": 15,
            "attendees": [{"name": "Ana", "phone": "+8613800000000", "email": "ana@example.com"}],
            "cycleParams": {"startDate": rest_time(start)[..10], "endDate": rest_time(start + 2 * DAY)[..10],
                            "cycle": "Day", "preRemindDays": 2}
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = r[0]["conferenceID"].as_str().unwrap().to_owned();
    let subs: Vec<String> = r[0]["subConfs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cycleSubConfID"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(subs.len(), 3);
    wait_for(&python, &smtp, 1).await;
    // The second occurrence is cancelled (a cancellation goes out).
    let r = reqwest::Client::new()
        .delete(format!(
            "{}/v1/mmc/management/conferences/cyclesubconf?conferenceID={id}",
            server.url()
        ))
        .header("X-Access-Token", &token)
        .json(&serde_json::json!({"cycleSubConfIDs": [subs[1]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    wait_for(&python, &smtp, 2).await;
    let reminders = |mail: &[serde_json::Value]| {
        mail.iter()
            .filter(|m| m["subject"].as_str().unwrap().starts_with("Reminder: Daily"))
            .count()
    };
    assert_eq!(reminders(&received(&python, &smtp).await), 0, "none is due yet");
    // Two days before the first: its reminder arrives.
    clock.advance(start - 2 * DAY - clock.now() + 1);
    let mail = wait_for(&python, &smtp, 3).await;
    assert_eq!(reminders(&mail), 1);
    let text = mail
        .iter()
        .find(|m| m["subject"].as_str().unwrap().starts_with("Reminder:"))
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains("coming up") && text.contains(&id), "{text}");
    // Two days later all are due: the cancelled one's is not sent.
    clock.advance(2 * DAY);
    let mail = wait_for(&python, &smtp, 4).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(reminders(&received(&python, &smtp).await), 2, "{mail:#?}");
    // (Logged in again: four days outlive a login.)
    let client = server.client("rita").await;
    let detail = client.conf_detail_async(&id).await.unwrap();
    assert!(detail
        .notifications
        .iter()
        .any(|n| n.kind == "remind" && n.state == "sent"));
}

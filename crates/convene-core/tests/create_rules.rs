//! Issue 2: every CreateConfInfo field, valid values and their effect, each bad
//! value and its SDKERR. Time is simulated and randomness seeded.

#![allow(clippy::unwrap_used)] // Tests may panic on what cannot happen.

use convene_core::create::{plan, CreateLimits, Creator, RoomRequest};
use convene_core::{ConfId, EnterpriseId, RoomId, UserId};
use convene_proto::rest::RestScheduleConfDto;
use convene_proto::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

const NOW: i64 = 1_800_000_000;

fn creator() -> Creator {
    Creator {
        user_id: UserId("u1".into()),
        name: "Alice Host".into(),
        enterprise_id: EnterpriseId("e1".into()),
        personal_room: RoomId("900000001".into()),
    }
}

fn base() -> CreateConfInfo {
    CreateConfInfo::new("Weekly sync", MediaType::Video, true)
}

fn attendee(name: &str) -> AttendeeBaseInfo {
    AttendeeBaseInfo {
        nick_name: name.into(),
        number: "+8613800000000".into(),
        ..Default::default()
    }
}

type Edit = fn(&mut CreateConfInfo, &mut ConfOptions);
type Check = fn(&convene_core::NewMeeting);

enum Expect {
    Ok(Check),
    Err(SdkErr),
}

fn run(edit: Edit) -> Result<convene_core::NewMeeting, convene_core::Refusal> {
    let mut info = base();
    let mut opts = ConfOptions::default();
    edit(&mut info, &mut opts);
    plan(
        info,
        opts,
        &creator(),
        &CreateLimits::default(),
        NOW,
        &mut StdRng::seed_from_u64(7),
    )
}

#[test]
fn every_field_valid_and_invalid() {
    let table: Vec<(&str, Edit, Expect)> = vec![
        // subject
        (
            "subject kept",
            |_, _| {},
            Expect::Ok(|m| assert_eq!(m.info.subject, "Weekly sync")),
        ),
        (
            "subject 128 chars",
            |c, _| c.subject = "é".repeat(128),
            Expect::Ok(|m| assert_eq!(m.info.subject.chars().count(), 128)),
        ),
        (
            "subject 129 chars",
            |c, _| c.subject = "a".repeat(129),
            Expect::Err(SdkErr::CMS_CONF_SUBJECT_LENGTH_TOO_LONG),
        ),
        (
            "subject empty",
            |c, _| c.subject = String::new(),
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "subject blank",
            |c, _| c.subject = "   ".into(),
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "subject control char",
            |c, _| c.subject = "a\u{0}b".into(),
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        // mediaType
        (
            "audio meeting",
            |c, _| c.media_type = MediaType::Audio,
            Expect::Ok(|m| assert_eq!(m.info.media_type, MediaType::Audio)),
        ),
        // duration
        (
            "duration default 30",
            |_, _| {},
            Expect::Ok(|m| {
                assert_eq!(m.info.duration, Some(30));
                assert_eq!((m.start, m.end), (NOW, NOW + 30 * 60));
            }),
        ),
        (
            "duration 15",
            |c, _| c.duration = Some(15),
            Expect::Ok(|m| assert_eq!(m.end, NOW + 15 * 60)),
        ),
        (
            "duration 1440",
            |c, _| c.duration = Some(1440),
            Expect::Ok(|m| assert_eq!(m.end, NOW + 1440 * 60)),
        ),
        (
            "duration 14",
            |c, _| c.duration = Some(14),
            Expect::Err(SdkErr::CMS_CONF_DURATION_OVER_RANGE),
        ),
        (
            "duration 1441",
            |c, _| c.duration = Some(1441),
            Expect::Err(SdkErr::CMS_CONF_DURATION_OVER_RANGE),
        ),
        (
            "duration negative",
            |c, _| c.duration = Some(-30),
            Expect::Err(SdkErr::CMS_CONF_DURATION_OVER_RANGE),
        ),
        // needPassword / guestPwd
        (
            "password generated",
            |_, _| {},
            Expect::Ok(|m| {
                let g = m.guest_pwd.as_deref().unwrap();
                assert!(g.len() == 6 && g.bytes().all(|b| b.is_ascii_digit()));
                assert_eq!(m.info.guest_pwd.as_deref(), Some(g));
            }),
        ),
        (
            "guestPwd 4 digits",
            |c, _| c.guest_pwd = Some("1234".into()),
            Expect::Ok(|m| assert_eq!(m.guest_pwd.as_deref(), Some("1234"))),
        ),
        (
            "guestPwd 16 digits",
            |c, _| c.guest_pwd = Some("1".repeat(16)),
            Expect::Ok(|m| assert_eq!(m.guest_pwd.as_deref().map(str::len), Some(16))),
        ),
        (
            "guestPwd 3 digits",
            |c, _| c.guest_pwd = Some("123".into()),
            Expect::Err(SdkErr::CMS_GUEST_PWD_ILLEGAL),
        ),
        (
            "guestPwd 17 digits",
            |c, _| c.guest_pwd = Some("1".repeat(17)),
            Expect::Err(SdkErr::CMS_GUEST_PWD_ILLEGAL),
        ),
        (
            "guestPwd letters",
            |c, _| c.guest_pwd = Some("12ab".into()),
            Expect::Err(SdkErr::CMS_GUEST_PWD_ILLEGAL),
        ),
        (
            "guestPwd empty = generate",
            |c, _| c.guest_pwd = Some(String::new()),
            Expect::Ok(|m| assert!(m.guest_pwd.is_some())),
        ),
        (
            "no password",
            |c, _| c.need_password = false,
            Expect::Ok(|m| {
                assert_eq!(m.guest_pwd, None);
                assert!(!m.host_pwd.is_empty(), "a host password is always made");
            }),
        ),
        (
            "guestPwd without needPassword",
            |c, _| {
                c.need_password = false;
                c.guest_pwd = Some("1234".into())
            },
            Expect::Err(SdkErr::CMS_GUEST_PWD_ILLEGAL),
        ),
        // room and ID type
        (
            "random id, no room",
            |_, _| {},
            Expect::Ok(|m| {
                assert_eq!(m.room, RoomRequest::None);
                assert_eq!(m.info.vmr_conf_id_type, Some(VmrConfIdType::Random));
            }),
        ),
        (
            "fixed id = personal room",
            |c, _| c.vmr_conf_id_type = Some(VmrConfIdType::Fixed),
            Expect::Ok(|m| {
                assert_eq!(m.room, RoomRequest::Personal(RoomId("900000001".into())));
                assert!(m.uses_fixed_id());
            }),
        ),
        (
            "vmrId names a room, fixed by default",
            |c, _| c.vmr_id = Some("912345678".into()),
            Expect::Ok(|m| {
                assert_eq!(m.room, RoomRequest::Specific(RoomId("912345678".into())));
                assert!(m.uses_fixed_id());
            }),
        ),
        (
            "vmrId with random id",
            |c, _| {
                c.vmr_id = Some("912345678".into());
                c.vmr_conf_id_type = Some(VmrConfIdType::Random)
            },
            Expect::Ok(|m| {
                assert_eq!(m.room, RoomRequest::Specific(RoomId("912345678".into())));
                assert!(!m.uses_fixed_id());
            }),
        ),
        (
            "vmrId empty = random",
            |c, _| c.vmr_id = Some(String::new()),
            Expect::Ok(|m| assert_eq!(m.room, RoomRequest::None)),
        ),
        (
            "vmrId not digits",
            |c, _| c.vmr_id = Some("12a".into()),
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "share vmr draws from pool",
            |c, _| c.conf_res_type = Some(ConfResType::ShareVmr),
            Expect::Ok(|m| {
                assert_eq!(m.room, RoomRequest::SharedPool);
                assert_eq!(m.info.conf_res_type, Some(ConfResType::ShareVmr));
            }),
        ),
        // concurrentParticipants
        (
            "cap unlimited by default",
            |_, _| {},
            Expect::Ok(|m| assert_eq!(m.info.concurrent_participants, Some(0))),
        ),
        (
            "cap 3",
            |c, _| c.concurrent_participants = Some(3),
            Expect::Ok(|m| assert_eq!(m.info.concurrent_participants, Some(3))),
        ),
        (
            "cap negative",
            |c, _| c.concurrent_participants = Some(-1),
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "cap too large",
            |c, _| c.concurrent_participants = Some(10_001),
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        // numOfAttendee / attendees
        (
            "two attendees, every field",
            |c, _| {
                c.attendees = vec![
                    AttendeeBaseInfo {
                        nick_name: "Bob".into(),
                        number: "+8613800000000".into(),
                        third_user_id: String::new(),
                        account_id: Some("bob".into()),
                        email: Some("bob@example.com".into()),
                        sms: Some("+8613800000000".into()),
                        is_auto_invite: Some(true),
                        is_mute: Some(true),
                        role: Some(ConfRole::Cohost),
                        attendee_type: Some(AttendeeType::Terminal),
                        user_uuid: Some("uuid-bob".into()),
                    },
                    AttendeeBaseInfo {
                        nick_name: "Carol".into(),
                        third_user_id: "carol-ext".into(),
                        ..Default::default()
                    },
                ];
                c.num_of_attendee = 2;
            },
            Expect::Ok(|m| {
                assert_eq!(m.info.attendees.len(), 2);
                assert_eq!(m.info.attendees[0].role, Some(ConfRole::Cohost));
                assert_eq!(m.info.attendees[0].attendee_type, Some(AttendeeType::Terminal));
                assert_eq!(m.info.attendees[1].third_user_id, "carol-ext");
            }),
        ),
        (
            "numOfAttendee mismatch",
            |c, _| {
                c.attendees = vec![attendee("Bob")];
                c.num_of_attendee = 2
            },
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "numOfAttendee negative",
            |c, _| c.num_of_attendee = -1,
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "attendee without number or thirdUserId",
            |c, _| {
                c.attendees = vec![AttendeeBaseInfo {
                    nick_name: "X".into(),
                    ..Default::default()
                }];
                c.num_of_attendee = 1;
            },
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "attendee without nickName",
            |c, _| {
                c.attendees = vec![AttendeeBaseInfo {
                    number: "1".into(),
                    ..Default::default()
                }];
                c.num_of_attendee = 1;
            },
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "attendee as WAITING",
            |c, _| {
                c.attendees = vec![AttendeeBaseInfo {
                    role: Some(ConfRole::Waiting),
                    ..attendee("W")
                }];
                c.num_of_attendee = 1;
            },
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "attendee bad email",
            |c, _| {
                c.attendees = vec![AttendeeBaseInfo {
                    email: Some("nope".into()),
                    ..attendee("E")
                }];
                c.num_of_attendee = 1;
            },
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "attendee bad sms",
            |c, _| {
                c.attendees = vec![AttendeeBaseInfo {
                    sms: Some("call me".into()),
                    ..attendee("S")
                }];
                c.num_of_attendee = 1;
            },
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "attendee name too long",
            |c, _| {
                c.attendees = vec![attendee(&"n".repeat(65))];
                c.num_of_attendee = 1;
            },
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "501 attendees",
            |c, _| {
                c.attendees = (0..501).map(|i| attendee(&format!("a{i}"))).collect();
                c.num_of_attendee = 501;
            },
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        // customInfo
        (
            "customInfo kept",
            |c, _| c.custom_info = Some("ticket=42".into()),
            Expect::Ok(|m| assert_eq!(m.info.custom_info.as_deref(), Some("ticket=42"))),
        ),
        (
            "customInfo 1024",
            |c, _| c.custom_info = Some("x".repeat(1024)),
            Expect::Ok(|_| {}),
        ),
        (
            "customInfo 1025",
            |c, _| c.custom_info = Some("x".repeat(1025)),
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        // settings stored for later enforcement, with defaults made explicit
        (
            "defaults explicit",
            |_, _| {},
            Expect::Ok(|m| {
                assert_eq!(m.info.conf_allow_join_user, Some(ConfAllowJoinUserType::Anyone));
                assert_eq!(m.info.is_open_waiting_room, Some(false));
                assert_eq!(m.info.auto_mute_mode, Some(AutoMuteType::Default));
                assert_eq!(m.info.hard_terminal_auto_mute_mode, Some(AutoMuteType::Default));
                assert_eq!(m.info.default_summary_state, Some(SummaryState::Close));
                assert_eq!(m.info.is_auto_record, Some(false));
                assert_eq!(m.info.allow_record, Some(false));
                assert_eq!(m.info.conf_res_type, Some(ConfResType::Default));
            }),
        ),
        (
            "settings kept",
            |c, _| {
                c.conf_allow_join_user = Some(ConfAllowJoinUserType::InvitedUser);
                c.is_open_waiting_room = Some(true);
                c.auto_mute_mode = Some(AutoMuteType::Mute);
                c.hard_terminal_auto_mute_mode = Some(AutoMuteType::Unmute);
                c.is_mic_on = Some(false);
                c.is_camera_on = Some(true);
                c.default_summary_state = Some(SummaryState::Open);
            },
            Expect::Ok(|m| {
                assert_eq!(m.info.conf_allow_join_user, Some(ConfAllowJoinUserType::InvitedUser));
                assert_eq!(m.info.is_open_waiting_room, Some(true));
                assert_eq!(m.info.auto_mute_mode, Some(AutoMuteType::Mute));
                assert_eq!(m.info.hard_terminal_auto_mute_mode, Some(AutoMuteType::Unmute));
                assert_eq!((m.info.is_mic_on, m.info.is_camera_on), (Some(false), Some(true)));
                assert_eq!(m.info.default_summary_state, Some(SummaryState::Open));
            }),
        ),
        (
            "auto record implies recording",
            |c, _| c.is_auto_record = Some(true),
            Expect::Ok(|m| {
                assert_eq!(m.info.allow_record, Some(true));
                assert_eq!(m.options.record_type, 2);
            }),
        ),
        (
            "allowRecord",
            |c, _| c.allow_record = Some(true),
            Expect::Ok(|m| assert_eq!(m.options.record_type, 2)),
        ),
        // REST-only options
        (
            "prolongLength 60",
            |_, o| o.prolong_length = 60,
            Expect::Ok(|m| assert_eq!(m.options.prolong_length, 60)),
        ),
        (
            "prolongLength 61",
            |_, o| o.prolong_length = 61,
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
        (
            "recordType 4",
            |_, o| o.record_type = 4,
            Expect::Err(SdkErr::CMS_PARAMETER_VERIFIED_FAIL),
        ),
    ];
    for (name, edit, expect) in table {
        match (run(edit), expect) {
            (Ok(m), Expect::Ok(check)) => check(&m),
            (Err(e), Expect::Err(code)) => {
                assert_eq!(e.code, code, "{name}: {}", e.reason);
                assert!(!e.reason.is_empty(), "{name}: a reason is given");
            }
            (Ok(m), Expect::Err(code)) => panic!("{name}: accepted, expected {code}: {m:?}"),
            (Err(e), Expect::Ok(_)) => panic!("{name}: refused with {e}"),
        }
    }
}

#[test]
fn secrets_are_fresh_and_well_formed() {
    let mut rng = StdRng::seed_from_u64(1);
    let a = plan(
        base(),
        ConfOptions::default(),
        &creator(),
        &CreateLimits::default(),
        NOW,
        &mut rng,
    )
    .unwrap();
    let b = plan(
        base(),
        ConfOptions::default(),
        &creator(),
        &CreateLimits::default(),
        NOW,
        &mut rng,
    )
    .unwrap();
    assert_ne!(a.guest_random, b.guest_random);
    assert_ne!(a.host_pwd, b.host_pwd);
    for m in [&a, &b] {
        assert_eq!(m.guest_random.len(), 48);
        assert_eq!(m.host_random.len(), 48);
        assert_ne!(m.guest_random, m.host_random);
        assert!(m.host_pwd.len() == 6 && m.host_pwd.bytes().all(|c| c.is_ascii_digit()));
    }
}

#[test]
fn create_result_follows_the_seed() {
    let mut info = base();
    info.custom_info = Some("ci".into());
    let new = plan(
        info,
        ConfOptions::default(),
        &creator(),
        &CreateLimits::default(),
        NOW,
        &mut StdRng::seed_from_u64(3),
    )
    .unwrap();
    let guest = new.guest_pwd.clone().unwrap();
    let m = new.into_meeting(ConfId("123456789".into()), None);
    let r = m.create_conf_result("http://127.0.0.1:1");
    assert_eq!(r.conf_id, "123456789");
    assert_eq!(r.self_conf_role, Some(ConfRole::Host));
    assert_eq!(r.scheduler_name, "Alice Host");
    assert_eq!((r.start_time_stamp, r.end_time_stamp), (NOW, NOW + 1800));
    assert_eq!((r.start_time, r.end_time), (NOW, NOW + 1800));
    assert_eq!(r.guest_pwd, guest);
    assert_eq!(r.custom_info, "ci");
    assert_eq!(r.media_type, Some(MediaType::Video));
    assert_eq!(
        r.guest_join_uri,
        format!("http://127.0.0.1:1/j/123456789/{}", m.guest_random)
    );
    // The REST view answers the same meeting, and the SDK reads it back the same.
    let ci = m.conference_info("http://127.0.0.1:1", convene_core::meeting::Viewer::Host, NOW);
    assert_eq!(ci.to_create_conf_result(), r);
    // Someone else sees no host secret.
    let other = m.conference_info("http://127.0.0.1:1", convene_core::meeting::Viewer::Other, NOW);
    assert_eq!(other.password_for("chair"), "");
    assert_eq!(other.chair_join_uri, "");
    // Past its end, the meeting reads as ended.
    assert_eq!(
        m.conference_info("x", convene_core::meeting::Viewer::Host, NOW + 1800)
            .conference_state,
        "Destroyed"
    );
}

/// The SDK sends a CreateConfInfo as the REST body; the server must read back
/// exactly what was sent, for every field and every enum value.
#[test]
fn sdk_to_rest_round_trip_is_lossless() {
    let mut variants = Vec::new();
    for &mt in MediaType::ALL {
        for &join in ConfAllowJoinUserType::ALL {
            for &mute in AutoMuteType::ALL {
                let mut c = CreateConfInfo::new("rt", mt, join != ConfAllowJoinUserType::Anyone);
                c.conf_allow_join_user = Some(join);
                c.auto_mute_mode = Some(mute).filter(|m| *m != AutoMuteType::Default);
                c.hard_terminal_auto_mute_mode = c.auto_mute_mode;
                variants.push(c);
            }
        }
    }
    let mut full = CreateConfInfo::new("full", MediaType::Video, true);
    full.is_auto_record = Some(true);
    full.allow_record = Some(true);
    full.vmr_id = Some("912345678".into());
    full.vmr_conf_id_type = Some(VmrConfIdType::Random);
    full.guest_pwd = Some("4321".into());
    full.is_open_waiting_room = Some(true);
    full.duration = Some(90);
    full.is_mic_on = Some(true);
    full.is_camera_on = Some(false);
    full.concurrent_participants = Some(10);
    full.custom_info = Some("custom".into());
    full.conf_res_type = Some(ConfResType::ShareVmr);
    full.default_summary_state = Some(SummaryState::Open);
    for (i, &t) in AttendeeType::ALL.iter().enumerate() {
        full.attendees.push(AttendeeBaseInfo {
            nick_name: format!("n{i}"),
            number: format!("{i}"),
            third_user_id: format!("t{i}"),
            account_id: Some(format!("a{i}")),
            email: Some(format!("e{i}@x")),
            sms: Some(format!("{i}")),
            is_auto_invite: Some(i % 2 == 0),
            is_mute: Some(i % 3 == 0),
            role: Some(ConfRole::ALL[i % 4]),
            attendee_type: Some(t),
            user_uuid: Some(format!("uu{i}")),
        });
    }
    full.num_of_attendee = full.attendees.len() as i64;
    variants.push(full);
    for c in variants {
        let dto = RestScheduleConfDto::from(&c);
        // Through JSON, as on the wire.
        let dto: RestScheduleConfDto = serde_json::from_str(&serde_json::to_string(&dto).unwrap()).unwrap();
        let (back, _) = convene_core::rest::create_from_rest(dto).unwrap();
        assert_eq!(back, c);
    }
}

#[test]
fn rest_only_values_are_checked() {
    let bad = |dto: RestScheduleConfDto| rest_plan(dto).unwrap_err().code;
    let ok = RestScheduleConfDto {
        subject: Some("s".into()),
        ..Default::default()
    };
    assert!(rest_plan(ok.clone()).is_ok());
    assert_eq!(
        bad(RestScheduleConfDto {
            media_types: Some("Fax".into()),
            ..ok.clone()
        }),
        SdkErr::CMS_CONF_MEDIA_TYPES_ILLEGAL
    );
    assert_eq!(
        bad(RestScheduleConfDto {
            media_types: Some("Data".into()),
            ..ok.clone()
        }),
        SdkErr::CMS_CONF_MEDIA_TYPES_ILLEGAL
    );
    assert_eq!(
        bad(RestScheduleConfDto {
            is_auto_record: Some(2),
            ..ok.clone()
        }),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
    assert_eq!(
        bad(RestScheduleConfDto {
            record_type: Some(9),
            ..ok.clone()
        }),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
    assert_eq!(
        bad(RestScheduleConfDto {
            conf_res_type: Some(1),
            ..ok.clone()
        }),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
    assert_eq!(
        bad(RestScheduleConfDto {
            conf_allow_join_user: Some(4),
            ..ok.clone()
        }),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
    assert_eq!(
        bad(RestScheduleConfDto {
            default_summary_state: Some(2),
            ..ok.clone()
        }),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
    assert_eq!(
        bad(RestScheduleConfDto {
            start_time: Some("2020-01-01 10:00".into()),
            ..ok.clone()
        }),
        SdkErr::CMS_CONF_START_TIME_LESS_THAN_CURRENT_TIME
    );
    assert_eq!(
        bad(RestScheduleConfDto {
            start_time: Some("2100-01-01 10:00".into()),
            ..ok.clone()
        }),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
    assert_eq!(
        bad(RestScheduleConfDto {
            time_zone_id: Some("74".into()),
            ..ok.clone()
        }),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
    assert_eq!(
        bad(RestScheduleConfDto {
            start_time: Some("tomorrow".into()),
            ..ok.clone()
        }),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
    let cfg = |f: fn(&mut convene_proto::rest::RestConfConfigDto)| {
        let mut c = convene_proto::rest::RestConfConfigDto::default();
        f(&mut c);
        RestScheduleConfDto {
            conf_config_info: Some(c),
            ..ok.clone()
        }
    };
    assert_eq!(
        bad(cfg(|c| c.call_in_restriction = Some(1))),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
    assert_eq!(
        bad(cfg(|c| c.vmr_id_type = Some(5))),
        SdkErr::CMS_PARAMETER_VERIFIED_FAIL
    );
    let mut with_attendee = ok.clone();
    with_attendee.attendees = Some(vec![convene_proto::rest::RestAttendeeDto {
        name: Some("x".into()),
        phone: Some("1".into()),
        attendee_type: Some("robot".into()),
        ..Default::default()
    }]);
    assert_eq!(bad(with_attendee), SdkErr::CMS_PARAMETER_VERIFIED_FAIL);
    // A current startTime is an instant meeting; Voice alone is audio.
    let planned = rest_plan(RestScheduleConfDto {
        start_time: Some(convene_proto::time::rest_time(NOW)),
        media_types: Some("Voice".into()),
        ..ok.clone()
    })
    .unwrap();
    assert_eq!(planned.info.media_type, MediaType::Audio);
    assert!(!planned.booked);
    assert_eq!(planned.start, NOW);
    // A later startTime books the meeting for then, in its time zone.
    let tomorrow = NOW - NOW % 60 + 86_400;
    let booked = rest_plan(RestScheduleConfDto {
        start_time: Some(convene_proto::time::rest_time(tomorrow)),
        time_zone_id: Some(" 26".into()),
        length: Some(45),
        ..ok
    })
    .unwrap();
    assert!(booked.booked);
    assert_eq!((booked.start, booked.end), (tomorrow, tomorrow + 45 * 60));
    assert_eq!(booked.options.time_zone_id.as_deref(), Some("26"));
    assert_eq!(booked.options.start_time, None);
}

/// A REST body read and planned as the server does.
fn rest_plan(dto: RestScheduleConfDto) -> Result<convene_core::NewMeeting, convene_core::Refusal> {
    let (info, options) = convene_core::rest::create_from_rest(dto)?;
    plan(
        info,
        options,
        &creator(),
        &CreateLimits::default(),
        NOW,
        &mut StdRng::seed_from_u64(7),
    )
}

#[test]
fn who_may_hold_a_meeting_in_a_room() {
    use convene_core::create::{may_hold, RoomFacts};
    let m = run(|_, _| {}).unwrap().into_meeting(ConfId("123456789".into()), None);
    let owner = m.owner_id.as_str().to_owned();
    let corp = m.enterprise_id.as_str().to_owned();
    assert!(may_hold(&m, RoomFacts::Personal { owner: &owner }));
    assert!(!may_hold(&m, RoomFacts::Personal { owner: "someone-else" }));
    assert!(may_hold(&m, RoomFacts::Shared { enterprise: &corp }));
    assert!(!may_hold(
        &m,
        RoomFacts::Shared {
            enterprise: "other-corp"
        }
    ));
}

#[test]
fn invitees_addresses_are_addresses() {
    use convene_core::create::is_email;
    for ok in [
        "ana@example.com",
        "a.b+tag@mail.example.co.uk",
        "ünï@例え.jp",
        "x@a-b.io",
    ] {
        assert!(is_email(ok), "{ok}");
    }
    for bad in [
        "broken@",
        "@example.com",
        "a@b",
        "a b@example.com",
        "a@exa mple.com",
        "a..b@example.com",
        "a@-x.com",
        "a@x..com",
        "\"q\"@example.com",
        "a@b.com\r\n",
    ] {
        assert!(!is_email(bad), "{bad:?}");
    }
}

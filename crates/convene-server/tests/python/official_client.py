"""The product's official Python client (huaweicloudsdkmeeting), unchanged,
against convene over HTTPS. Exits non-zero on the first thing that is wrong."""
import sys
import warnings

warnings.filterwarnings("ignore")
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmeeting.v1 import *
from huaweicloudsdkmeeting.v1.meeting_credentials import AuthTypeEnum, MeetingCredentials

url, account, password, app_id, app_key = sys.argv[1:6]
cfg = HttpConfig.get_default_config()
cfg.ignore_ssl_verification = True


def client(cred):
    return MeetingClient.new_builder().with_http_config(cfg).with_credentials(cred).with_endpoint(url).build()


c = client(MeetingCredentials(account, password))
body = RestScheduleConfDTO(
    subject="From the official client",
    media_types="HDVideo",
    length=60,
    concurrent_participants=8,
    conf_config_info=RestConfConfigDTO(is_guest_free_pwd=False, guest_pwd="246810", enable_waiting_room=True,
                                       call_in_restriction=2, is_auto_mute=True, prolong_length=15),
    attendees=[RestAttendeeDTO(name="Bob", phone="+8613800000000", role=0, type="terminal", email="bob@example.com")],
)
created = c.create_meeting(CreateMeetingRequest(body=body)).body[0]
cid = created.conference_id
assert len(cid) == 9, cid
pw = {p.conference_role: p.password for p in created.password_entry}
assert pw["general"] == "246810", pw
assert len(pw["chair"]) == 6, pw
assert created.guest_join_uri and created.chair_join_uri, created
print("created", cid)

listed = c.search_meetings(SearchMeetingsRequest(limit=10))
assert cid in [m.conference_id for m in listed.data], listed
print("listed", listed.count)

d = c.show_meeting_detail(ShowMeetingDetailRequest(conference_id=cid)).conference_data
assert d.subject == "From the official client", d.subject
assert d.concurrent_participants == 8
assert d.conf_config_info.enable_waiting_room is True
assert d.conf_config_info.call_in_restriction == 2
assert d.conf_config_info.prolong_length == 15
assert d.is_auto_mute == 1
assert d.scheduser_name, d
invited = c.show_meeting_detail(ShowMeetingDetailRequest(conference_id=cid)).data
assert invited.count == 1 and invited.data[0].name == "Bob", invited
assert invited.data[0].attendee_type == "terminal" and invited.data[0].state == "MEETTING", invited.data[0]
assert invited.data[0].email == "bob@example.com" and invited.data[0].participant_id == "+8613800000000", invited.data[0]
print("detail ok")

try:
    c.create_meeting(CreateMeetingRequest(body=RestScheduleConfDTO(subject="x", length=5)))
    raise SystemExit("a 5-minute meeting was accepted")
except ClientRequestException as e:
    assert e.error_code == "MMC.111071015", e.error_code
    print("refused", e.error_code)

try:
    c.cancel_meeting(CancelMeetingRequest(conference_id=cid))
    raise SystemExit("a started meeting was cancelled without type=1")
except ClientRequestException as e:
    assert e.error_code == "MMC.111070001", e.error_code
c.cancel_meeting(CancelMeetingRequest(conference_id=cid, type=1))
try:
    c.cancel_meeting(CancelMeetingRequest(conference_id=cid, type=1))
    raise SystemExit("cancelled twice")
except ClientRequestException as e:
    assert e.error_code == "MMC.111072006", e.error_code
print("cancelled")

# Booking: tomorrow at 09:00 UTC, shown in London time.
import datetime

tomorrow = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).replace(
    hour=9, minute=0, second=0, microsecond=0)
fmt = "%Y-%m-%d %H:%M"
booked = c.create_meeting(CreateMeetingRequest(body=RestScheduleConfDTO(
    subject="Planning", media_types="HDVideo", start_time=tomorrow.strftime(fmt), length=45, time_zone_id="26",
    conf_config_info=RestConfConfigDTO(is_guest_free_pwd=False)))).body[0]
bid = booked.conference_id
assert booked.conference_state == "Schedule", booked.conference_state
assert booked.conf_type == "FUTURE", booked.conf_type
assert booked.start_time == tomorrow.strftime(fmt), booked.start_time
assert booked.time_zone_id == "26", booked.time_zone_id
assert not booked.conf_uuid, booked.conf_uuid
bpw = {p.conference_role: p.password for p in booked.password_entry}
print("booked", bid, booked.start_time)

online = c.search_online_meetings(SearchOnlineMeetingsRequest(limit=100))
assert bid not in [m.conference_id for m in online.data], "a booked meeting is not online"
try:
    c.show_online_meeting_detail(ShowOnlineMeetingDetailRequest(conference_id=bid))
    raise SystemExit("a booked meeting has an online detail")
except ClientRequestException as e:
    assert e.status_code == 404, e.status_code
soon = c.search_meetings(SearchMeetingsRequest(query_conf_mode="AWEEK", sort_type="ASC_StartTIME"))
assert bid in [m.conference_id for m in soon.data], soon
print("listed booked", soon.count)

later = tomorrow + datetime.timedelta(hours=2)
edited = c.update_meeting(UpdateMeetingRequest(conference_id=bid, body=RestScheduleConfDTO(
    subject="Planning (moved)", media_types="HDVideo", start_time=later.strftime(fmt), length=60, time_zone_id="26",
    conf_config_info=RestConfConfigDTO(is_guest_free_pwd=False)))).body[0]
assert edited.conference_id == bid and edited.start_time == later.strftime(fmt), edited
d = c.show_meeting_detail(ShowMeetingDetailRequest(conference_id=bid)).conference_data
assert d.subject == "Planning (moved)" and d.start_time == later.strftime(fmt), (d.subject, d.start_time)
assert {p.conference_role: p.password for p in d.password_entry} == bpw, "passwords changed on edit"
print("edited", d.start_time)

for bad, code in [("2001-01-01 10:00", "MMC.111071013"), ("tomorrow", "MMC.111071061")]:
    try:
        c.create_meeting(CreateMeetingRequest(body=RestScheduleConfDTO(subject="x", media_types="Voice", start_time=bad)))
        raise SystemExit(f"startTime {bad} was accepted")
    except ClientRequestException as e:
        assert e.error_code == code, (bad, e.error_code)
try:
    c.create_meeting(CreateMeetingRequest(body=RestScheduleConfDTO(
        subject="x", media_types="Voice", start_time=later.strftime(fmt), time_zone_id="99")))
    raise SystemExit("timeZoneID 99 was accepted")
except ClientRequestException as e:
    assert e.error_code == "MMC.111071061", e.error_code
print("bad bookings refused")

c.cancel_meeting(CancelMeetingRequest(conference_id=bid))
gone = c.search_meetings(SearchMeetingsRequest(limit=100))
assert bid not in [m.conference_id for m in gone.data], gone
print("booking cancelled")

# Started early by its host password, then it runs; edits are over.
soon_start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=20)
early = c.create_meeting(CreateMeetingRequest(body=RestScheduleConfDTO(
    subject="Stand-up", media_types="Voice", start_time=soon_start.strftime(fmt), length=15))).body[0]
epw = {p.conference_role: p.password for p in early.password_entry}
try:
    c.start_meeting(StartMeetingRequest(body=StartRequest(conference_id=early.conference_id, password="000000")))
    raise SystemExit("a wrong password started the meeting")
except ClientRequestException as e:
    assert e.error_code == "MMC.111072065", e.error_code
c.start_meeting(StartMeetingRequest(body=StartRequest(conference_id=early.conference_id, password=epw["chair"])))
d = c.show_meeting_detail(ShowMeetingDetailRequest(conference_id=early.conference_id)).conference_data
assert d.conference_state == "Created" and d.conf_uuid, (d.conference_state, d.conf_uuid)
try:
    c.update_meeting(UpdateMeetingRequest(conference_id=early.conference_id, body=RestScheduleConfDTO(
        subject="too late", media_types="Voice")))
    raise SystemExit("a started meeting was edited")
except ClientRequestException as e:
    assert e.error_code == "MMC.111070001", e.error_code
c.cancel_meeting(CancelMeetingRequest(conference_id=early.conference_id, type=1))
print("started early, then ended")

# A recurring meeting: four Mondays at 17:00 Beijing time (zone 56, 09:00 UTC), from the first Monday
# at least two days ahead; then one occurrence moved, one cancelled, the series edited and cancelled.
day = datetime.timedelta(days=1)
first = (datetime.datetime.now(datetime.timezone.utc) + 2 * day).replace(hour=9, minute=0, second=0, microsecond=0)
while first.weekday() != 0:
    first += day
dfmt = "%Y-%m-%d"
rule = CycleParams(start_date=first.strftime(dfmt), end_date=(first + 21 * day).strftime(dfmt), cycle="Week",
                   interval=1, point=[1], pre_remind_days=1)
series = c.create_recurring_meeting(CreateRecurringMeetingRequest(body=RestScheduleConfDTO(
    subject="Weekly sync", media_types="Voice", start_time=first.strftime(fmt), length=30, time_zone_id="56",
    cycle_params=rule, conf_config_info=RestConfConfigDTO(is_guest_free_pwd=False)))).body[0]
sid = series.conference_id
assert series.conf_type == "CYCLE" and series.conference_type == 2, (series.conf_type, series.conference_type)
assert series.cycle_params.cycle == "Week" and series.cycle_params.point == [1], series.cycle_params
subs = series.sub_confs
assert [s.start_time for s in subs] == [(first + 7 * w * day).strftime(fmt) for w in range(4)], subs
assert series.cycle_sub_conf_id == subs[0].cycle_sub_conf_id
assert all(s.conference_id == sid for s in subs)
print("series booked", sid, len(subs))

moved = first + 8 * day + datetime.timedelta(hours=1)
c.update_recurring_sub_meeting(UpdateRecurringSubMeetingRequest(conference_id=sid, body=RestScheduleCycleConfDTO(
    cycle_sub_conf_id=subs[1].cycle_sub_conf_id, media_types="Voice", start_time=moved.strftime(fmt), length=45)))
d = c.show_meeting_detail(ShowMeetingDetailRequest(conference_id=sid)).conference_data
assert [s.start_time for s in d.sub_confs][1] == moved.strftime(fmt), d.sub_confs
assert d.sub_confs[1].end_time == (moved + datetime.timedelta(minutes=45)).strftime(fmt), d.sub_confs[1]
try:
    c.update_recurring_sub_meeting(UpdateRecurringSubMeetingRequest(conference_id=sid, body=RestScheduleCycleConfDTO(
        cycle_sub_conf_id=subs[2].cycle_sub_conf_id, media_types="Voice", start_time=moved.strftime(fmt), length=30)))
    raise SystemExit("two occurrences of a series overlap")
except ClientRequestException as e:
    assert e.error_code == "MMC.111071082", e.error_code
c.cancel_recurring_sub_meeting(CancelRecurringSubMeetingRequest(
    conference_id=sid, body=RestCancelSingleRecordCycleConfListReqBody(cycle_sub_conf_i_ds=[subs[2].cycle_sub_conf_id])))
d = c.show_meeting_detail(ShowMeetingDetailRequest(conference_id=sid)).conference_data
assert len(d.sub_confs) == 3 and subs[2].cycle_sub_conf_id not in [s.cycle_sub_conf_id for s in d.sub_confs], d.sub_confs
print("occurrence moved and one cancelled")

try:
    c.create_recurring_meeting(CreateRecurringMeetingRequest(body=RestScheduleConfDTO(
        subject="x", media_types="Voice", start_time=first.strftime(fmt), time_zone_id="56",
        cycle_params=CycleParams(start_date=first.strftime(dfmt), end_date=(first + 30 * day).strftime(dfmt),
                                 cycle="Week", interval=9, pre_remind_days=1))))
    raise SystemExit("interval 9 weeks was accepted")
except ClientRequestException as e:
    assert e.error_code == "MMC.111071061", e.error_code
daily = c.create_recurring_meeting(CreateRecurringMeetingRequest(body=RestScheduleConfDTO(
    subject="Daily", media_types="Voice", start_time=first.strftime(fmt), length=15, time_zone_id="56",
    cycle_params=CycleParams(start_date=first.strftime(dfmt), end_date=(first + 90 * day).strftime(dfmt),
                             cycle="Day", interval=1, pre_remind_days=0)))).body[0]
assert len(daily.sub_confs) == 50, len(daily.sub_confs)
assert daily.cycle_params.end_date == (first + 49 * day).strftime(dfmt), daily.cycle_params.end_date
c.cancel_recurring_meeting(CancelRecurringMeetingRequest(conference_id=daily.conference_id))
print("more than 50 occurrences cut short")

edited = c.update_recurring_meeting(UpdateRecurringMeetingRequest(conference_id=sid, body=RestScheduleConfDTO(
    subject="Weekly sync (Tuesdays)", media_types="Voice", start_time=(first + day).strftime(fmt), length=30,
    time_zone_id="56", cycle_params=CycleParams(start_date=first.strftime(dfmt), end_date=(first + 21 * day).strftime(dfmt),
                                                cycle="Week", interval=1, point=[2], pre_remind_days=1),
    conf_config_info=RestConfConfigDTO(is_guest_free_pwd=False)))).body[0]
assert edited.conference_id == sid and edited.subject == "Weekly sync (Tuesdays)", edited
assert [s.start_time for s in edited.sub_confs] == [(first + (1 + 7 * w) * day).strftime(fmt) for w in range(3)], \
    edited.sub_confs
assert {p.conference_role: p.password for p in edited.password_entry} == \
    {p.conference_role: p.password for p in series.password_entry}, "passwords changed on edit"
c.cancel_recurring_meeting(CancelRecurringMeetingRequest(conference_id=sid))
left = c.search_meetings(SearchMeetingsRequest(limit=100))
assert sid not in [m.conference_id for m in left.data], left
print("series edited, then cancelled")

app = client(MeetingCredentials().with_auth_type_enum(AuthTypeEnum.APP_ID)
             .with_app_id(app_id).with_app_key(app_key).with_user_id("py-user"))
m = app.create_meeting(CreateMeetingRequest(body=RestScheduleConfDTO(subject="App ID meeting", media_types="Voice"))).body[0]
assert m.scheduser_name == "py-user", m.scheduser_name
print("app id ok", m.conference_id)

try:
    client(MeetingCredentials(account, "wrong password")).search_meetings(SearchMeetingsRequest())
    raise SystemExit("a wrong password logged in")
except Exception as e:  # the client raises from its own login step
    print("wrong password refused", type(e).__name__)
print("ALL OK")

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
print("detail ok")

try:
    c.create_meeting(CreateMeetingRequest(body=RestScheduleConfDTO(subject="x", length=5)))
    raise SystemExit("a 5-minute meeting was accepted")
except ClientRequestException as e:
    assert e.error_code == "MMC.111071015", e.error_code
    print("refused", e.error_code)

c.cancel_meeting(CancelMeetingRequest(conference_id=cid))
try:
    c.cancel_meeting(CancelMeetingRequest(conference_id=cid))
    raise SystemExit("cancelled twice")
except ClientRequestException as e:
    assert e.error_code == "MMC.111072006", e.error_code
print("cancelled")

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

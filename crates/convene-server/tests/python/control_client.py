"""The product's official Python client controls a live meeting: a control
token from the host password, then lock, mute all and stop."""
import sys
import warnings

warnings.filterwarnings("ignore")
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmeeting.v1 import *
from huaweicloudsdkmeeting.v1.meeting_credentials import MeetingCredentials

url, account, password, conf_id, host_pwd = sys.argv[1:6]
cfg = HttpConfig.get_default_config()
cfg.ignore_ssl_verification = True
c = MeetingClient.new_builder().with_http_config(cfg).with_credentials(MeetingCredentials(account, password)).with_endpoint(url).build()

try:
    c.create_conf_token(CreateConfTokenRequest(conference_id=conf_id, x_password="000000", x_login_type=1))
    raise SystemExit("a wrong host password got a control token")
except ClientRequestException as e:
    assert e.error_code == "MMC.111072065", e.error_code

token = c.create_conf_token(CreateConfTokenRequest(conference_id=conf_id, x_password=host_pwd, x_login_type=1)).data.token
assert token, "no token"
print("token ok")
c.lock_meeting(LockMeetingRequest(conference_id=conf_id, x_conference_authorization=token, body=RestLockReqBody(is_lock=1)))
print("locked")
c.mute_meeting(MuteMeetingRequest(conference_id=conf_id, x_conference_authorization=token,
                                  body=RestMuteReqBody(is_mute=1, allow_unmute_by_oneself=0)))
print("muted all")
try:
    c.lock_meeting(LockMeetingRequest(conference_id=conf_id, x_conference_authorization="forged", body=RestLockReqBody(is_lock=0)))
    raise SystemExit("a forged control token was accepted")
except ClientRequestException as e:
    assert e.error_code == "USG.206020000", e.error_code
c.stop_meeting(StopMeetingRequest(conference_id=conf_id, x_conference_authorization=token))
print("stopped")

# History: the stopped meeting, who was in it, what was done.
import time

now_ms = int(time.time() * 1000)
his = c.search_his_meetings(SearchHisMeetingsRequest(start_date=now_ms - 3600_000, end_date=now_ms + 60_000))
held = [m for m in his.data if m.conference_id == conf_id]
assert held, [m.conference_id for m in his.data]
uuid = held[0].conf_uuid
assert uuid, held[0]
d = c.show_his_meeting_detail(ShowHisMeetingDetailRequest(conf_uuid=uuid)).conference_data
assert d.conference_id == conf_id and d.conference_state == "Destroyed", (d.conference_id, d.conference_state)
for _ in range(50):  # the records are written in batches
    att = c.search_attendance_records_of_his_meeting(SearchAttendanceRecordsOfHisMeetingRequest(conf_uuid=uuid))
    if att.count >= 2 and all(a.left_time for a in att.data):
        break
    time.sleep(0.1)
names = sorted(a.display_name for a in att.data)
assert att.count >= 2 and all(a.join_time and a.left_time >= a.join_time for a in att.data), att
print("attendance", names)
ctl = c.search_ctl_records_of_his_meeting(SearchCtlRecordsOfHisMeetingRequest(conf_uuid=uuid))
codes = [r.operate_code for r in ctl.data]
assert codes[:3] == ["lockConf", "muteAllAttendee", "endConf"], codes
assert all(r.operate_source == "rest" and r.operate_result == "0" for r in ctl.data[:3]), ctl
print("control records", codes)
try:
    c.search_his_meetings(SearchHisMeetingsRequest(start_date=now_ms, end_date=now_ms - 1))
    raise SystemExit("an empty date range was accepted")
except ClientRequestException as e:
    assert e.error_code == "MMC.111071061", e.error_code
print("ALL OK")

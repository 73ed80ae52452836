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

tok = c.create_conf_token(CreateConfTokenRequest(conference_id=conf_id, x_password=host_pwd, x_login_type=1)).data
token = tok.token
assert token, "no token"
assert 0 < tok.conf_token_expire_time <= 24 * 3600, tok.conf_token_expire_time  # seconds, an int32
# Keep-alive: the current token renews itself without the password.
again = c.create_conf_token(CreateConfTokenRequest(conference_id=conf_id, x_conference_authorization=token, x_login_type=1))
assert again.data.token == token, again
print("token ok")

auth = dict(conference_id=conf_id, x_conference_authorization=token)


def real_time():
    return c.show_real_time_info_of_meeting(ShowRealTimeInfoOfMeetingRequest(**auth))


info = real_time()
pid = {p.name: p.pid for p in info.participants}
assert set(pid) == {"Python Host", "Guest", "Second"}, pid
assert info.conf_info.chair_id == pid["Python Host"], info.conf_info
assert {p.name: p.hand for p in info.participants}["Guest"] == 1, info.participants
print("real time info", sorted(pid))

end = lambda: c.show_meeting_detail(ShowMeetingDetailRequest(conference_id=conf_id)).conference_data.end_time
import datetime
before = datetime.datetime.strptime(end(), "%Y-%m-%d %H:%M")
c.prolong_meeting(ProlongMeetingRequest(**auth, body=RestProlongDurReqBody(auto=0, duration=30)))
after = datetime.datetime.strptime(end(), "%Y-%m-%d %H:%M")
assert after - before == datetime.timedelta(minutes=30), (before, after)
print("prolonged", after)

c.rename_participant(RenameParticipantRequest(**auth, body=RestRenamePartReqBody(
    participant_id=pid["Guest"], number=pid["Guest"], new_name="Renamed Guest")))
c.hand(HandRequest(**auth, participant_id=pid["Guest"], body=RestHandsUpReqBody(hands_state=0)))
try:
    c.hand(HandRequest(**auth, participant_id=pid["Second"], body=RestHandsUpReqBody(hands_state=1)))
    raise SystemExit("someone else's hand was raised")
except ClientRequestException as e:
    assert e.error_code == "MMC.111070002", e.error_code
c.batch_hand(BatchHandRequest(**auth, body=RestBatchHandsUpReqBody(hands_state=0, pids=[pid["Guest"], pid["Second"]])))
rows = {p.pid: p for p in real_time().participants}
assert rows[pid["Guest"]].name == "Renamed Guest" and rows[pid["Guest"]].hand == 0, rows[pid["Guest"]]
print("renamed, hand lowered")

try:
    c.set_role(SetRoleRequest(**auth, participant_id=pid["Guest"], body=RestChairTokenReqBody(apply_chair=1, chairman_pwd="000000")))
    raise SystemExit("a wrong chairmanPwd handed over the host role")
except ClientRequestException as e:
    assert e.error_code == "MMC.111071091", e.error_code
c.set_role(SetRoleRequest(**auth, participant_id=pid["Guest"], body=RestChairTokenReqBody(apply_chair=1, chairman_pwd=host_pwd)))
assert real_time().conf_info.chair_id == pid["Guest"]
c.set_role(SetRoleRequest(**auth, participant_id=pid["Python Host"], body=RestChairTokenReqBody(apply_chair=1)))
assert real_time().conf_info.chair_id == pid["Python Host"]
print("host handed over and back")

c.move_to_waiting_room(MoveToWaitingRoomRequest(**auth, body=RestMoveToWaitingRoomReqBody(participant_id=pid["Second"])))
assert pid["Second"] not in [p.pid for p in real_time().participants]
c.allow_waiting_participant(AllowWaitingParticipantRequest(**auth, body=RestAllowWaitingParticipantReqBody(
    participant_id=pid["Second"])))
assert pid["Second"] in [p.pid for p in real_time().participants]
c.hang_up(HangUpRequest(**auth, body=RestBulkHangUpReqBody(bulk_hang_up_participants=[pid["Second"]])))
assert pid["Second"] not in [p.pid for p in real_time().participants]
print("waiting room and hang up")

# Invite into the running meeting: the account's logged-in client rings (the
# test answers it: it joins); a phone number alone is unreachable. Then hung up.
c.invite_participant(InviteParticipantRequest(**auth, body=RestInviteReqBody(attendees=[
    Attendee(name="Callee", account_id="py-callee", phone="+8613800000001", type="normal"),
    Attendee(name="Phone Only", phone="+8613800000002", type="normal")])))
try:
    c.invite_participant(InviteParticipantRequest(**auth, body=RestInviteReqBody(attendees=[
        Attendee(name="Nobody", account_id="no-such-account", phone="1", type="normal")])))
    raise SystemExit("an unknown account was invited")
except ClientRequestException as e:
    assert e.error_code == "MMC.111071061", e.error_code
import time

for _ in range(100):
    callee = [p.pid for p in real_time().participants if p.name == "Py Callee"]
    if callee:
        break
    time.sleep(0.1)
assert callee, [p.name for p in real_time().participants]
c.hang_up(HangUpRequest(**auth, body=RestBulkHangUpReqBody(bulk_hang_up_participants=callee)))
print("invited: answered, joined, hung up")

online = c.list_online_conf_attendee(ListOnlineConfAttendeeRequest(conf_id=conf_id))
assert sorted(a.name for a in online.data) == ["Python Host", "Renamed Guest"], online
print("online attendees", online.count)
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
assert codes == ["raiseHand", "extendConf", "renameAttendee"] + ["setHandsState"] * 4 + [
    "grantHostRole", "grantHostRole", "moveToWaitingRoom", "allowWaitingAttendeeEnter", "hangupAttendee",
    "inviteAttendees", "inviteResult", "inviteResult", "hangupAttendee", "lockConf", "muteAllAttendee", "endConf"], codes
assert ctl.data[0].operate_source != "rest", ctl.data[0]  # the guest raised its own hand
assert all(r.operate_source == ("system" if r.operate_code == "inviteResult" else "rest") for r in ctl.data[1:]), ctl
results = [(r.operation_object, r.detail) for r in ctl.data if r.operate_code == "inviteResult"]
assert results == [("Phone Only", "state=unreachable"), ("Callee", "state=answered")], results
refused = [r for r in ctl.data if r.operate_result != "0"]
assert [(r.operate_code, r.operate_result) for r in refused] == [("setHandsState", "111070002")], refused
print("control records", codes)
try:
    c.search_his_meetings(SearchHisMeetingsRequest(start_date=now_ms, end_date=now_ms - 1))
    raise SystemExit("an empty date range was accepted")
except ClientRequestException as e:
    assert e.error_code == "MMC.111071061", e.error_code
print("ALL OK")

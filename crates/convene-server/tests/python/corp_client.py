"""The product's official Python client manages an enterprise's accounts as
its administrator: add, search, show, update, reset a password, delete.
Exits non-zero on the first thing that is wrong."""
import json
import sys
import warnings

warnings.filterwarnings("ignore")
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmeeting.v1 import *
from huaweicloudsdkmeeting.v1.meeting_credentials import MeetingCredentials

url, admin, password, plain = sys.argv[1:5]
cfg = HttpConfig.get_default_config()
cfg.ignore_ssl_verification = True


def client(account, pwd):
    return MeetingClient.new_builder().with_http_config(cfg).with_credentials(
        MeetingCredentials(account, pwd)).with_endpoint(url).build()


def refused(call, status, code="USG.200000003"):
    try:
        call()
    except ClientRequestException as e:
        assert (e.status_code, e.error_code) == (status, code), (e.status_code, e.error_code, e.error_msg)
        return e.error_msg
    raise SystemExit("accepted: " + repr(call))


c = client(admin, password)
refused(lambda: client(plain, password).search_users(SearchUsersRequest()), 403)
print("only administrators")

u = c.add_user(AddUserRequest(body=AddUserDTO(name="Dana Lee", account="dana", pwd="Dana-pass-1",
                                              email="dana@example.com", phone="+8613800000001")))
assert u.user_account == "dana" and u.name == "Dana Lee" and u.admin_type == 2, u
assert u.vmr_list and u.vmr_list[0].vmr_id, u.vmr_list
refused(lambda: c.add_user(AddUserRequest(body=AddUserDTO(name="Again", account="dana", pwd="Dana-pass-1"))), 409)
refused(lambda: c.add_user(AddUserRequest(body=AddUserDTO(name="E", account="e1", pwd="E-pass-123", email="e@"))), 400)
refused(lambda: c.add_user(AddUserRequest(body=AddUserDTO(name="S", account="s1", pwd="short"))), 400)
msg = refused(lambda: c.add_user(AddUserRequest(body=AddUserDTO(name="T", account="t1", pwd="T-pass-123", title="CTO"))), 400)
assert "title" in msg, msg
print("added dana; bad ones refused")

page = c.search_users(SearchUsersRequest(search_key="DANA"))
assert page.count == 1 and page.data[0].user_account == "dana", page
everyone = c.search_users(SearchUsersRequest(limit=100))
assert {d.user_account for d in everyone.data} >= {admin, plain, "dana"}, everyone
d = c.show_user_detail(ShowUserDetailRequest(account="dana"))
assert d.email == "dana@example.com" and d.id == u.id, d
refused(lambda: c.show_user_detail(ShowUserDetailRequest(account="nobody")), 404)
print("searched and shown")

c.update_user(UpdateUserRequest(account="dana", body=ModUserDTO(name="Dana Lee-Smith", email="dls@example.com")))
d = c.show_user_detail(ShowUserDetailRequest(account="dana"))
assert (d.name, d.email, d.phone) == ("Dana Lee-Smith", "dls@example.com", "+8613800000001"), d
print("updated")

dana = client("dana", "Dana-pass-1")
m = dana.create_meeting(CreateMeetingRequest(body=RestScheduleConfDTO(subject="Dana's", media_types="Voice"))).body[0]
assert m.scheduser_name == "Dana Lee-Smith", m.scheduser_name
r = c.reset_pwd_by_admin(ResetPwdByAdminRequest(body=AdminResetPwdReqDTO(account="dana")))
new = json.loads(r.raw_content)["newPassword"]
assert len(new) >= 8, new
refused(lambda: dana.search_meetings(SearchMeetingsRequest()), 401, "USG.206020000")
client("dana", new).search_meetings(SearchMeetingsRequest())
print("password reset; the old sessions ended")

refused(lambda: c.batch_delete_users(BatchDeleteUsersRequest(body=[admin])), 400)
c.batch_delete_users(BatchDeleteUsersRequest(body=["dana"]))
refused(lambda: c.show_user_detail(ShowUserDetailRequest(account="dana")), 404)
try:
    client("dana", new).search_meetings(SearchMeetingsRequest())
    raise SystemExit("a deleted account logged in")
except Exception as e:  # the client raises from its own login step
    print("deleted", type(e).__name__)
print("ALL OK")

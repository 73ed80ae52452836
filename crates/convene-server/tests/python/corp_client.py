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
from huaweicloudsdkmeeting.v1.meeting_credentials import AuthTypeEnum, MeetingCredentials

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

refused(lambda: c.search_users(SearchUsersRequest(limit=0)), 400)
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

# App IDs: made here, listed, disabled and enabled, key reset, deleted.
def app_client(app_id, key):
    return MeetingClient.new_builder().with_http_config(cfg).with_credentials(
        MeetingCredentials().with_auth_type_enum(AuthTypeEnum.APP_ID).with_app_id(app_id).with_app_key(key)
        .with_user_id("app-user")).with_endpoint(url).build()


def app_login_fails(app_id, key):
    try:
        app_client(app_id, key).search_meetings(SearchMeetingsRequest())
    except Exception as e:  # the client raises from its own login step
        return type(e).__name__
    raise SystemExit("an App ID login that should fail worked")


a = c.add_app_id(AddAppIdRequest(body=AddAppIdRequestBody(app_name="Back office", description="HR sync")))
assert a.app_name == "Back office" and a.app_id and len(a.app_key) >= 32 and a.status == 0, a
app_client(a.app_id, a.app_key).search_meetings(SearchMeetingsRequest())
refused(lambda: c.add_app_id(AddAppIdRequest(body=AddAppIdRequestBody(description="no name"))), 400)
listed = c.batch_search_app_id(BatchSearchAppIdRequest())
assert [x.app_id for x in listed.data] == [a.app_id] and listed.count == 1, listed
c.update_app_id(UpdateAppIdRequest(app_id=a.app_id, body=UpdateAppIdRequestBody(status=1)))
app_login_fails(a.app_id, a.app_key)
c.update_app_id(UpdateAppIdRequest(app_id=a.app_id, body=UpdateAppIdRequestBody(status=0, app_name="Back office 2")))
app_client(a.app_id, a.app_key).search_meetings(SearchMeetingsRequest())
r = c.reset_app_key(ResetAppKeyRequest(app_id=a.app_id))
assert r.app_key != a.app_key and r.app_name == "Back office 2", r
app_login_fails(a.app_id, a.app_key)
app_client(a.app_id, r.app_key).search_meetings(SearchMeetingsRequest())
refused(lambda: client(plain, password).reset_app_key(ResetAppKeyRequest(app_id=a.app_id)), 403)
c.delete_app_id(DeleteAppIdRequest(app_id=a.app_id))
app_login_fails(a.app_id, r.app_key)
refused(lambda: c.delete_app_id(DeleteAppIdRequest(app_id=a.app_id)), 404)
print("App IDs added, listed, disabled, reset, deleted")
print("ALL OK")

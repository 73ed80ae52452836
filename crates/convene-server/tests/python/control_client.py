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
print("ALL OK")

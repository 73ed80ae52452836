"""Issue 22: the product's official Python client gets a control token from
one node and uses it on another node of the same cluster (a lock, then the
real-time info: everyone, whichever node they joined through); a forged
token is refused there too."""
import sys
import warnings

warnings.filterwarnings("ignore")
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmeeting.v1 import *
from huaweicloudsdkmeeting.v1.meeting_credentials import MeetingCredentials

url_a, url_b, account, password, conf_id, host_pwd = sys.argv[1:7]
names = set(sys.argv[7:])
cfg = HttpConfig.get_default_config()
cfg.ignore_ssl_verification = True


def client(url):
    return MeetingClient.new_builder().with_http_config(cfg).with_credentials(
        MeetingCredentials(account, password)).with_endpoint(url).build()


a, b = client(url_a), client(url_b)
token = a.create_conf_token(CreateConfTokenRequest(conference_id=conf_id, x_password=host_pwd, x_login_type=1)).data.token
assert token, "no token"
b.lock_meeting(LockMeetingRequest(conference_id=conf_id, x_conference_authorization=token, body=RestLockReqBody(is_lock=1)))
info = b.show_real_time_info_of_meeting(ShowRealTimeInfoOfMeetingRequest(conference_id=conf_id, x_conference_authorization=token))
seen = {p.name for p in info.participants}
assert seen == names, (seen, names)
print("locked through the other node; it sees", sorted(seen))
try:
    b.lock_meeting(LockMeetingRequest(conference_id=conf_id, x_conference_authorization="forged", body=RestLockReqBody(is_lock=0)))
    raise SystemExit("a forged token unlocked the meeting")
except ClientRequestException as e:
    assert e.status_code == 401, e.status_code
print("ALL OK")

"""Issue 20: the product's official Python client (huaweicloudsdkmeeting),
unchanged, finds a meeting's recording, its detail and its parts, gets
download links and downloads the composed file with the token; a reused or
wrong token is refused. Exits non-zero on the first thing that is wrong."""
import ssl
import sys
import time
import urllib.error
import urllib.request
import warnings

warnings.filterwarnings("ignore")
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmeeting.v1 import *
from huaweicloudsdkmeeting.v1.meeting_credentials import MeetingCredentials

url, account, password, conf_uuid, expect_bytes = sys.argv[1:6]
cfg = HttpConfig.get_default_config()
cfg.ignore_ssl_verification = True
c = MeetingClient.new_builder().with_http_config(cfg).with_credentials(
    MeetingCredentials(account, password)).with_endpoint(url).build()

now = int(time.time() * 1000)
found = c.search_recordings(SearchRecordingsRequest(start_date=now - 3600_000, end_date=now + 60_000, limit=10))
assert found.count == 1, found
r = found.data[0]
assert r.conf_uuid == conf_uuid, r
assert r.is_decode_finish and r.available, r
assert r.rcd_time >= 5, r
print("listed", r.conf_uuid, r.rcd_time, "s")

detail = c.show_recording_detail(ShowRecordingDetailRequest(conf_uuid=conf_uuid))
assert detail.conf_uuid == conf_uuid and detail.subject == r.subject, detail

info = c.show_record_info(ShowRecordInfoRequest(body=RecordInfoReq(conf_uuid=conf_uuid)))
assert info.data.segment_count >= 1, info
files = info.data.segment_list[0].file_list
assert files and files[0].record_type == "SPEAKER_VIDEO" and len(files[0].sha256) == 64, info

links = c.show_recording_file_download_urls(ShowRecordingFileDownloadUrlsRequest(conf_uuid=conf_uuid))
entry = links.record_urls[0]
assert entry.conf_uuid == conf_uuid, links
hd = [u for u in entry.urls if u.file_type == "Hd"][0]
print("download link", hd.url)

# The docs' way: GET the url with the raw token in Authorization.
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def get(token):
    req = urllib.request.Request(hd.url, headers={"Authorization": token})
    try:
        with urllib.request.urlopen(req, context=ctx) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


status, data = get(hd.token)
assert status == 200, (status, data[:200])
assert len(data) == int(expect_bytes), (len(data), expect_bytes)
assert data[4:8] == b"ftyp", data[:16]
status, _ = get(hd.token)
assert status == 401, ("a used token works again", status)
status, _ = get("not-" + hd.token)
assert status == 401, ("a wrong token works", status)
print("downloaded", len(data), "bytes once")
print("ALL OK")

"""Reads the maildir an aiosmtpd Mailbox handler wrote and prints, as JSON,
each message's recipient, subject, text and iCalendar facts (parsed with the
icalendar package, as a calendar client would)."""
import json
import mailbox
import sys
from email.header import decode_header, make_header

from icalendar import Calendar

def utc(t):
    return t.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%d %H:%M")


out = []
for msg in mailbox.Maildir(sys.argv[1], create=False):
    text = lambda h: str(make_header(decode_header(msg[h])))
    item = {"to": text("To"), "from": text("From"), "subject": text("Subject"), "text": "", "ics": None}
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "text/plain":
            item["text"] += part.get_payload(decode=True).decode()
        elif ctype == "text/calendar":
            cal = Calendar.from_ical(part.get_payload(decode=True))
            ev = next(iter(cal.walk("VEVENT")))
            start = ev.decoded("DTSTART")
            item["ics"] = {
                "method": str(cal.get("METHOD")),
                "uid": str(ev.get("UID")),
                "sequence": int(ev.get("SEQUENCE", 0)),
                "status": str(ev.get("STATUS", "")),
                "tzid": ev["DTSTART"].params.get("TZID"),
                "start_local": start.strftime("%Y-%m-%d %H:%M"),
                "start_utc": start.astimezone(__import__("datetime").timezone.utc).strftime("%Y-%m-%d %H:%M"),
                "timezones": [str(tz.get("TZID")) for tz in cal.walk("VTIMEZONE")],
                "organizer": str(ev.get("ORGANIZER")),
                "attendee": str(ev.get("ATTENDEE")),
                "rrule": ev["RRULE"].to_ical().decode() if "RRULE" in ev else None,
                "recurrence_id_utc": utc(ev.decoded("RECURRENCE-ID")) if "RECURRENCE-ID" in ev else None,
                "exdates": [utc(d.dt) for x in ([ev["EXDATE"]] if "EXDATE" in ev and not isinstance(ev["EXDATE"], list)
                                                else ev.get("EXDATE", [])) for d in x.dts],
                "events": len(cal.walk("VEVENT")),
            }
    out.append(item)
print(json.dumps(out))

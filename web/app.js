// The convene web client: log in, create a meeting with every CreateConfInfo
// field, join by ID or by guest link, and run the meeting (participants,
// waiting room, host controls). Built on the JS SDK at /sdk/convene.js.
import { ConveneSDK, ConfRole, SDKERR } from '/sdk/convene.js';

const sdk = new ConveneSDK();
const $ = (sel) => document.querySelector(sel);
const views = ['login-view', 'home-view', 'created-view', 'prejoin-view', 'room-view', 'ended-view', 'minutes-view'];
const ROLE_NAMES = ['Guest', 'Host', 'Audience', 'Co-host', 'Waiting'];
let created = null;
let me = { participantId: null, role: null, micOn: true, cameraOn: true, hand: false };
let locked = false;
let waitingRoomOpen = false;
let mediaType = null; // the meeting's (0 audio, 1 video), known from onConfInfoNotify
let speaker = null;
const tiles = new Map(); // participantId -> tile element
// For tests and debugging in the console.
window.convene = { sdk };

function show(id) {
  for (const v of views) $(`#${v}`).hidden = v !== id;
  document.body.classList.toggle('in-room', id === 'room-view');
  if (id === 'home-view') loadHome();
}

/** A toolbar button's label (beside its icon). */
function say(sel, text) {
  const b = $(sel);
  const l = b.querySelector('.lbl');
  if (l) l.textContent = text; else b.textContent = text;
}

function notice(text) {
  const n = $('#notice');
  n.textContent = text || '';
  n.hidden = !text;
}

// What the common refusals mean, in words a person reads (the code stays,
// small, for support).
const SAID = {
  111072065: 'The meeting ID or password is not right.',
  111072006: 'This meeting has ended.',
  111072050: 'The meeting is locked: ask the host to unlock it.',
  111072101: 'The meeting is full.',
  111071073: 'This meeting is for signed-in users: log in first.',
  111071074: 'Only people of the host\'s organisation may join this meeting.',
  111071075: 'Only invited people may join this meeting.',
  111072222: 'This meeting was created without recording.',
  111072223: 'The meeting is not being recorded.',
  206030015: 'Too many wrong passwords: this account is locked for a while.',
  430500003: 'The connection to the server was lost.',
};
function errorText(ret, reason) {
  // 0: the page's own check (no server code to keep).
  if (!ret) return reason;
  return `${SAID[ret] || reason || 'That did not work.'} (code ${ret})`;
}

/**
 * Shows a refusal where the person acted: under `near` (a form, the room's
 * toolbar) when given, else at the top of the page, scrolled into view.
 */
function fail(ret, reason, near) {
  const text = errorText(ret, reason);
  const place = near || ($('#room-view').hidden ? null : $('#room-error'));
  if (!place) {
    notice(text);
    $('#notice').scrollIntoView({ block: 'nearest' });
    return;
  }
  let p = place.id === 'room-error' ? place : place.querySelector(':scope > .form-error');
  if (!p) {
    p = Object.assign(document.createElement('p'), { className: 'form-error' });
    p.setAttribute('role', 'alert');
    p.dataset.testid = 'form-error';
    place.append(p);
  }
  p.textContent = text;
  p.hidden = false;
  p.scrollIntoView({ block: 'nearest' });
}

/** Clears the refusal shown in `form` (it worked this time). */
function cleared(form) {
  const p = form && form.querySelector(':scope > .form-error');
  if (p) p.hidden = true;
}

function session() {
  // The login is kept for the browser (every tab), until it expires or
  // the person logs out; the meeting's place is per tab (MEETING_KEY).
  const saved = JSON.parse(localStorage.getItem('convene') || 'null');
  if (saved) { sdk.accessToken = saved.token; sdk.user = saved.user; }
  $('#who').textContent = sdk.user ? sdk.user.name : '';
  $('#logout').hidden = !sdk.accessToken;
  // A logged-in page rings for invitations into running meetings.
  if (sdk.accessToken) sdk.listenCalls();
}

// Incoming calls: one banner, the latest call.
let ringing = null;
const CALL_ENDS = { answered: 'answered', declined: 'declined', noAnswer: 'not answered', cancelled: 'cancelled' };
sdk.onIncomingCall = (call) => {
  ringing = call;
  $('#call-text').textContent = `${call.inviter} invites you to “${call.subject}” (${call.confId}).`;
  $('#incoming-call').hidden = false;
};
sdk.onCallEnded = ({ callId }) => {
  if (ringing && ringing.callId === callId) { ringing = null; $('#incoming-call').hidden = true; }
};
$('#accept-call').addEventListener('click', () => {
  if (!ringing) return;
  const call = ringing;
  ringing = null;
  $('#incoming-call').hidden = true;
  sdk.acceptCall(call, { nickName: sdk.user?.name || '', isMicOn: true, isCameraOn: call.mediaType === 1 }, joined);
});
$('#decline-call').addEventListener('click', () => {
  if (!ringing) return;
  sdk.declineCall(ringing.callId);
  ringing = null;
  $('#incoming-call').hidden = true;
});
$('#invite-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const account = String(new FormData(ev.target).get('account') || '').trim();
  if (!account) return;
  // The server fills in the account's name.
  sdk.addAttendee([{ nickName: '', number: '', accountId: account }], (ret, reason) => {
    if (ret) return fail(ret, reason, ev.target);
    cleared(ev.target);
    ev.target.reset();
  });
});
sdk.onCallStateChanged = ({ nickName, state }) => {
  const li = document.createElement('li');
  li.textContent = `${nickName}: ${({ ringing: 'ringing…', unreachable: 'no account to ring' })[state] || CALL_ENDS[state] || state}`;
  $('#call-states').prepend(li);
};

$('#logout').addEventListener('click', () => {
  sdk.logout(() => {
    localStorage.removeItem('convene');
    $('#who').textContent = '';
    $('#logout').hidden = true;
    notice('You are logged out.');
    show('login-view');
  });
});

// Home: my meetings (upcoming and running, then those held lately).
const dayTime = (secs) => new Date(secs * 1000).toLocaleString([], { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
function meetingItem(ci, when) {
  const li = document.createElement('li');
  const what = Object.assign(document.createElement('span'), { className: 'what' });
  what.append(Object.assign(document.createElement('strong'), { textContent: ci.subject }));
  what.append(Object.assign(document.createElement('span'), { className: 'when', textContent: `${when} · ID ${ci.conferenceID}` }));
  li.append(what);
  return li;
}
function hostPassword(ci) {
  return ((ci.passwordEntry || []).find((p) => p.conferenceRole === 'chair') || {}).password || '';
}
function loadHome() {
  const mine = $('#my-meetings');
  mine.hidden = !sdk.accessToken;
  $('#create-form').hidden = !sdk.accessToken;
  if (!sdk.accessToken) return;
  loadZones();
  const now = Date.now() / 1000;
  sdk.getConfList({ limit: 50, sortType: 'ASC_StartTIME' }, (ret, reason, page) => {
    const ul = $('#upcoming');
    ul.replaceChildren();
    if (ret) return fail(ret, reason, ul.parentElement);
    const list = page.data || [];
    if (!list.length) item(ul, 'Nothing booked. Start a meeting now, or schedule one below.', 'muted');
    for (const ci of list) {
      const running = ci.conferenceState === 'Created' && ci.startTimeStamp <= now + 60;
      const li = meetingItem(ci, running ? `running since ${dayTime(ci.startTimeStamp)}` : dayTime(ci.startTimeStamp));
      li.dataset.testid = 'upcoming-meeting';
      li.append(button(running ? 'Join' : 'Start', 'start-meeting', () => prejoin({
        title: `${running ? 'Join' : 'Start'} “${ci.subject}”`,
        video: ci.mediaType !== 0,
        join: (s, form) => sdk.joinConfById({ confId: ci.conferenceID, password: hostPassword(ci), ...s }, enter(form)),
      })));
      if (ci.guestJoinUri) {
        li.append(button('Copy invite link', 'copy-invite', () => navigator.clipboard?.writeText(ci.guestJoinUri).then(() => notice('Invite link copied.'), () => {})));
      }
      ul.append(li);
    }
    return undefined;
  });
  sdk.getHistoryList({ startDate: Math.round((now - 30 * 86400) * 1000), endDate: Math.round(now * 1000), limit: 20 }, (ret, reason, page) => {
    const ul = $('#history');
    ul.replaceChildren();
    if (ret) return fail(ret, reason, ul.parentElement);
    const list = page.data || [];
    if (!list.length) item(ul, 'No meetings held in the last 30 days.', 'muted');
    for (const ci of list) {
      const li = meetingItem(ci, dayTime(ci.startTimeStamp));
      li.dataset.testid = 'held-meeting';
      if (ci.defaultSummaryState === 1 && ci.confUUID) {
        const a = Object.assign(document.createElement('a'), { href: `/minutes/${encodeURIComponent(ci.confUUID)}`, textContent: 'Minutes' });
        a.dataset.testid = 'minutes';
        li.append(a);
      }
      if (ci.isHasRecordFile) {
        li.append(button('Download recording', 'download-recording', () => {
          sdk.getRecordingUrls(ci.confUUID, (r, why, urls) => {
            if (r) return fail(r, why, li);
            const hd = (urls || []).find((u) => u.fileType === 'Hd');
            if (hd) location.href = `${hd.url}?token=${encodeURIComponent(hd.token)}`;
            return undefined;
          });
        }));
      }
      ul.append(li);
    }
    return undefined;
  });
}
$('#instant').addEventListener('click', () => {
  const name = sdk.user?.name || 'My';
  sdk.createConf({ subject: `${name}'s meeting`, mediaType: 1, needPassword: true, duration: 60, isMicOn: true, isCameraOn: true,
    numOfAttendee: 0, attendees: [] }, (ret, reason, r) => {
    if (ret) return fail(ret, reason, $('.home-actions'));
    return sdk.joinConfById({ confId: r.confId, password: r.hostPwd, nickName: sdk.user?.name || 'Host', isMicOn: true, isCameraOn: true },
      (r2, why, res) => (r2 ? fail(r2, why, $('.home-actions')) : joined(0, '', res)));
  });
});

$('#login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  sdk.loginByAccount({ account: f.get('account'), password: f.get('password') }, (ret, reason) => {
    if (ret) return fail(ret, reason, ev.target);
    cleared(ev.target);
    localStorage.setItem('convene', JSON.stringify({ token: sdk.accessToken, user: sdk.user }));
    notice('');
    session();
    show('home-view');
  });
});

function num(f, name) {
  const v = f.get(name);
  return v === null || v === '' ? undefined : Number(v);
}

$('#create-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  // The browser's own checks, said in words next to the form.
  const bad = [...ev.target.elements].find((el) => el.willValidate && !el.checkValidity());
  if (bad) {
    const label = bad.closest('label')?.firstChild?.textContent?.trim() || bad.name;
    bad.focus();
    return fail(0, `${label}: ${bad.validationMessage}`, ev.target);
  }
  const lines = String(f.get('attendees') || '').split('\n').map((l) => l.trim()).filter(Boolean);
  const bare = lines.find((l) => !l.includes(','));
  if (bare) return fail(0, `Invite: “${bare}” needs an e-mail, phone number or ID after a comma.`, ev.target);
  const attendees = lines.map((line) => {
    const [nickName, id = ''] = line.split(',').map((s) => s.trim());
    if (id.includes('@')) return { nickName, email: id };
    return /^[+0-9]+$/.test(id) ? { nickName, number: id } : { nickName, thirdUserId: id };
  });
  const info = {
    subject: f.get('subject'),
    mediaType: num(f, 'mediaType'),
    needPassword: f.get('needPassword') === 'on',
    guestPwd: f.get('needPassword') === 'on' ? (f.get('guestPwd') || undefined) : undefined,
    duration: num(f, 'duration'),
    isOpenWaitingRoom: f.get('isOpenWaitingRoom') === 'on',
    concurrentParticipants: num(f, 'concurrentParticipants'),
    confAllowJoinUser: num(f, 'confAllowJoinUser'),
    vmrConfIdType: num(f, 'vmrConfIdType'),
    vmrId: f.get('vmrId') || undefined,
    confResType: num(f, 'confResType'),
    autoMuteMode: num(f, 'autoMuteMode'),
    hardTerminalAutoMuteMode: num(f, 'hardTerminalAutoMuteMode'),
    isMicOn: f.get('isMicOn') === 'on',
    isCameraOn: f.get('isCameraOn') === 'on',
    allowRecord: f.get('allowRecord') === 'on',
    isAutoRecord: f.get('isAutoRecord') === 'on',
    defaultSummaryState: f.get('defaultSummaryState') ? 1 : 0,
    customInfo: f.get('customInfo') || undefined,
    numOfAttendee: attendees.length,
    attendees,
  };
  const startAt = f.get('startAt');
  const done = (ret, reason, result) => {
    if (ret) return fail(ret, reason, ev.target);
    notice('');
    created = result;
    $('[data-testid=created-subject]').textContent = result.subject;
    $('[data-testid=conf-id]').textContent = result.confId;
    $('[data-testid=guest-pwd]').textContent = result.guestPwd || 'none';
    $('[data-testid=host-pwd]').textContent = result.hostPwd;
    const link = $('[data-testid=guest-link]');
    link.textContent = result.guestJoinUri;
    link.href = result.guestJoinUri;
    $('[data-testid=ends]').textContent = new Date(result.endTimeStamp * 1000).toLocaleString();
    $('#start').textContent = result.startTimeStamp > Date.now() / 1000 + 60 ? `Starts ${dayTime(result.startTimeStamp)}: start it now` : 'Start the meeting';
    show('created-view');
    return undefined;
  };
  const cycle = f.get('cycle');
  if (cycle && !startAt) return fail(0, 'A repeating meeting needs its first start: fill in Starts.', ev.target);
  if (startAt) {
    // Starts is a wall-clock time in the chosen zone (else this device's);
    // the API takes UTC and the zone's code, which its mails show.
    const zone = zones.find((z) => z.timeZoneID === f.get('timeZone'));
    const startTime = zone ? zonedToUtc(startAt, zone.zone) : Math.floor(new Date(startAt).getTime() / 1000);
    const booking = { startTime, duration: info.duration || 30, timeZoneId: zone?.timeZoneID, confCommonParam: info };
    if (!cycle) return sdk.bookConf(booking, done);
    const endDate = f.get('endDate');
    if (!endDate) return fail(0, 'Until: say when the repeating ends.', ev.target);
    if (endDate < startAt.slice(0, 10)) return fail(0, 'Until: the last day comes before the first start.', ev.target);
    const point = cycle === 'Week' ? f.getAll('point').map(Number)
      : cycle === 'Month' ? [Number(startAt.slice(8, 10))] : undefined;
    if (cycle === 'Week' && point.length === 0) return fail(0, 'Weekly: choose at least one day.', ev.target);
    booking.cycleParam = { startDate: startAt.slice(0, 10), endDate, cycle, interval: num(f, 'interval') || 1, point };
    return sdk.bookCycleConf(booking, done);
  }
  return sdk.createConf(info, done);
});

// Scheduling: the product's time zones (its codes, with their IANA zones),
// this device's preselected; the repeat fields shown for a series.
let zones = [];
function offsetAt(ms, zone) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(ms).map((x) => [x.type, x.value]));
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
}
/** "YYYY-MM-DDTHH:MM" on the clocks of `zone` -> Unix seconds. */
function zonedToUtc(local, zone) {
  const [d, t] = local.split('T');
  const [y, mo, da] = d.split('-').map(Number);
  const [h, mi] = t.split(':').map(Number);
  const wall = Date.UTC(y, mo - 1, da, h, mi);
  const first = wall - offsetAt(wall, zone);
  return Math.floor((wall - offsetAt(first, zone)) / 1000);
}
function loadZones() {
  if (zones.length) return;
  sdk.getTimeZones((ret, _reason, list) => {
    if (ret || !list) return;
    zones = list;
    // This device's zone if the product's table has it; else "this
    // device's" (no code sent: no city guessed from an offset).
    const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const pick = zones.find((z) => z.zone === mine);
    const sel = $('#create-form [name=timeZone]');
    const option = (value, text) => Object.assign(document.createElement('option'), { value, textContent: text });
    sel.replaceChildren(...(pick ? [] : [option('', `This device's (${mine})`)]), ...zones.map((z) => option(z.timeZoneID, z.label)));
    sel.value = pick ? pick.timeZoneID : '';
  });
}
function repeatFields() {
  const cycle = $('#create-form [name=cycle]').value;
  $('#repeat-fields').hidden = !cycle;
  $('#repeat-weekdays').hidden = cycle !== 'Week';
  $('#repeat-unit').textContent = { Day: 'day(s)', Week: 'week(s)', Month: 'month(s)' }[cycle] || '';
  const every = $('#create-form [name=interval]');
  every.max = { Day: 15, Week: 5, Month: 3 }[cycle] || 15;
  const start = $('#create-form [name=startAt]').value;
  if (cycle === 'Week' && start && ![...document.querySelectorAll('#repeat-weekdays input')].some((c) => c.checked)) {
    const day = new Date(`${start.slice(0, 10)}T12:00:00Z`).getUTCDay();
    document.querySelector(`#repeat-weekdays input[value="${day}"]`).checked = true;
  }
}
$('#create-form [name=cycle]').addEventListener('change', repeatFields);
$('#create-form [name=startAt]').addEventListener('change', repeatFields);

$('#copy-link').addEventListener('click', () => {
  if (created) navigator.clipboard?.writeText(created.guestJoinUri).then(() => notice('Guest link copied.'), () => {});
});

// Pre-join: see oneself, choose the camera and microphone, name, and mic
// and camera on or off before entering. The choice of devices is kept for
// the meeting's media connection.
const devices = { audioDeviceId: undefined, videoDeviceId: undefined };
let preview = null;
let previewOf = 0; // which preview is current (device changes race)
let levelTimer = null;
let audioCtx = null;
let prejoinJoin = null;
let prejoinVideo = true;
function stopPreview() {
  previewOf += 1;
  if (preview) preview.getTracks().forEach((t) => t.stop());
  preview = null;
  clearInterval(levelTimer);
  $('#preview').srcObject = null;
  $('#mic-level').value = 0;
}
function fillDevices(select, list, current) {
  const keep = select.value;
  select.replaceChildren();
  list.forEach((d, i) => select.append(new Option(d.label || `${d.kind === 'videoinput' ? 'Camera' : 'Microphone'} ${i + 1}`, d.deviceId)));
  select.value = current || keep || (list[0] && list[0].deviceId) || '';
}
async function startPreview() {
  const form = $('#prejoin-form');
  const f = new FormData(form);
  stopPreview();
  const mine = previewOf;
  const cam = prejoinVideo && f.get('isCameraOn') === 'on';
  const mic = f.get('mic');
  const camera = f.get('camera');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: mic ? { deviceId: { exact: mic } } : true,
      video: cam ? { width: 640, height: 360, ...(camera ? { deviceId: { exact: camera } } : {}) } : false,
    });
  } catch (e) {
    return fail(0, `The camera or microphone cannot be used: ${e.message}. You can still join without them.`, form);
  }
  if (mine !== previewOf) { stream.getTracks().forEach((t) => t.stop()); return undefined; }
  preview = stream;
  $('#preview').srcObject = stream;
  $('#preview-tile').classList.toggle('no-video', !cam);
  const list = await navigator.mediaDevices.enumerateDevices();
  const track = (kind) => stream.getTracks().find((t) => t.kind === kind);
  fillDevices(form.camera, list.filter((d) => d.kind === 'videoinput'), track('video')?.getSettings().deviceId);
  fillDevices(form.mic, list.filter((d) => d.kind === 'audioinput'), track('audio')?.getSettings().deviceId);
  // How loud the microphone is, so people see it works.
  try {
    audioCtx = audioCtx || new AudioContext();
    const analyser = audioCtx.createAnalyser();
    audioCtx.createMediaStreamSource(stream).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    levelTimer = setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      const rms = Math.sqrt(buf.reduce((a, x) => a + x * x, 0) / buf.length);
      $('#mic-level').value = f.get('isMicOn') === 'on' ? Math.min(1, rms * 4) : 0;
    }, 100);
  } catch (_) { /* no level meter without Web Audio */ }
  return undefined;
}
/** Shows the pre-join page; `join({nickName, isMicOn, isCameraOn}, form)` enters. */
function prejoin({ title, name, video = true, join }) {
  const form = $('#prejoin-form');
  cleared(form);
  $('#prejoin-title').textContent = title;
  form.nickName.value = name || sdk.user?.name || form.nickName.value || '';
  prejoinVideo = video;
  $('#camera-choice').hidden = !video;
  $('#camera-on-choice').hidden = !video;
  prejoinJoin = join;
  show('prejoin-view');
  startPreview();
}
$('#prejoin-form').addEventListener('change', (ev) => {
  if (['camera', 'mic', 'isCameraOn'].includes(ev.target.name)) startPreview();
});
$('#prejoin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const f = new FormData(form);
  const nickName = String(f.get('nickName') || '').trim();
  if (!nickName) return fail(0, 'Your name: say how others will see you.', form);
  devices.audioDeviceId = f.get('mic') || undefined;
  devices.videoDeviceId = prejoinVideo ? f.get('camera') || undefined : undefined;
  stopPreview();
  return prejoinJoin({ nickName, isMicOn: f.get('isMicOn') === 'on', isCameraOn: prejoinVideo && f.get('isCameraOn') === 'on' }, form);
});
$('#prejoin-cancel').addEventListener('click', () => {
  stopPreview();
  show(sdk.accessToken || location.hash === '#join' ? 'home-view' : 'login-view');
});
const enter = (form) => (ret, reason, r) => {
  if (ret) { startPreview(); return fail(ret, reason, form); }
  return joined(0, '', r);
};

$('#start').addEventListener('click', () => {
  const c = created;
  prejoin({
    title: `Start “${c.subject}”`,
    video: c.mediaType !== 0,
    join: (s, form) => sdk.joinConfById({ confId: c.confId, password: c.hostPwd, ...s }, enter(form)),
  });
});

$('#join-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const typed = String(f.get('confId') || '').trim();
  // A pasted join link (this server's /j/<id>/<code>) opens as a link does.
  const link = typed.match(/^https?:\/\/[^/]+(\/j\/[0-9]+\/[A-Za-z0-9_-]+)\/?$/);
  if (link) {
    location.assign(link[1]);
    return undefined;
  }
  // IDs are often written in groups ("123 456 789").
  const confId = typed.replace(/[\s-]/g, '');
  if (!/^[0-9]+$/.test(confId)) return fail(0, 'Meeting ID: digits, or paste the whole join link.', ev.target);
  const password = f.get('password') || '';
  return prejoin({
    title: `Join meeting ${confId}`,
    name: f.get('nickName'),
    join: (s, form) => sdk.joinConfById({ confId, password, ...s }, enter(form)),
  });
});

// A meeting has its own address (/m/<id>): a reload there takes the same
// place back (kept per tab), Back leaves the meeting.
const MEETING_KEY = 'convene-meeting';
function rememberMeeting() {
  const r = sdk.resumeInfo;
  if (!r) return;
  sessionStorage.setItem(MEETING_KEY, JSON.stringify(r));
  const path = `/m/${encodeURIComponent(r.confId)}`;
  if (location.pathname !== path) history.pushState({ meeting: r.confId }, '', path);
}
function forgetMeeting() { sessionStorage.removeItem(MEETING_KEY); }
function joinFormFor(confId, text) {
  show('home-view');
  $('#create-form').hidden = !sdk.accessToken;
  $('#join-form [name=confId]').value = confId;
  if (sdk.user) $('#join-form [name=nickName]').value = sdk.user.name;
  notice(text || '');
}
let leftByBack = false;
window.addEventListener('popstate', () => {
  if (!location.pathname.startsWith('/m/') && !$('#room-view').hidden) {
    forgetMeeting();
    leftByBack = true;
    me.role = null;
    sdk.leaveConf();
  }
  if (!location.pathname.startsWith('/m/')) { show(sdk.accessToken ? 'home-view' : 'login-view'); notice(''); return; }
  // Forward to a meeting's address after leaving it: offer to join again
  // (never rejoin by itself).
  const m = location.pathname.match(/^\/m\/([^/]+)$/);
  if (m && $('#room-view').hidden) joinFormFor(decodeURIComponent(m[1]));
});

function joined(ret, reason, result) {
  if (ret) return fail(ret, reason);
  notice('');
  rememberMeeting();
  // A new meeting's chat starts empty (its history arrives on admission).
  const empty = Object.assign(document.createElement('li'), { id: 'chat-empty', className: 'muted', textContent: 'No messages yet.' });
  $('#chat-log').replaceChildren(empty);
  chatAllowed = true;
  me.participantId = result.participantId;
  me.seen = false;
  setRole(result.role);
  show('room-view');
}

const ROLE_NOTICES = { 1: 'You are the host now.', 3: 'You are a co-host now.' };
function setRole(role) {
  if (me.role !== null && me.role !== role && ROLE_NOTICES[role] && me.role !== ConfRole.HWM_CONF_ROLE_WAITING) notice(ROLE_NOTICES[role]);
  me.role = role;
  maybeStartMedia();
  const hostLike = role === ConfRole.HWM_CONF_ROLE_HOST || role === ConfRole.HWM_CONF_ROLE_COHOST;
  document.body.classList.toggle('is-host', hostLike);
  $('#end').hidden = role !== ConfRole.HWM_CONF_ROLE_HOST;
  $('[data-testid=my-role]').textContent = ROLE_NAMES[role] ?? '';
  $('#waiting-banner').hidden = role !== ConfRole.HWM_CONF_ROLE_WAITING;
  // Waiting: nothing of the meeting (its lists are not ours to see; moved
  // back, the old ones go).
  document.body.classList.toggle('is-waiting', role === ConfRole.HWM_CONF_ROLE_WAITING);
  if (role === ConfRole.HWM_CONF_ROLE_WAITING) { $('#attendees').replaceChildren(); lastAttendees = []; }
  $('#room-status').textContent = role === ConfRole.HWM_CONF_ROLE_WAITING ? 'waiting room' : 'in the meeting';
  chatState();
}

function button(label, testid, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.dataset.testid = testid;
  b.addEventListener('click', onClick);
  return b;
}

const report = (ret, reason) => { if (ret) fail(ret, reason); };

function renderList(ul, attendees, waiting) {
  ul.replaceChildren();
  const hostLike = me.role === ConfRole.HWM_CONF_ROLE_HOST || me.role === ConfRole.HWM_CONF_ROLE_COHOST;
  if (waiting) {
    $('#admit-all').disabled = attendees.length === 0;
    if (attendees.length === 0) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = 'No one is waiting.';
      ul.append(li);
    }
  }
  for (const a of attendees) {
    const li = document.createElement('li');
    li.dataset.participant = a.participantId;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = a.nickName + (a.participantId === me.participantId ? ' (you)' : '');
    li.append(name);
    const tags = [ROLE_NAMES[a.role], a.isMicOn ? 'mic on' : 'muted', a.isCameraOn ? 'camera on' : 'camera off'];
    if (a.handRaised) tags.push('hand raised');
    if (!a.online) tags.push('reconnecting');
    for (const t of tags) {
      const s = document.createElement('span');
      s.className = 'tag';
      s.textContent = t;
      li.append(s);
    }
    if (hostLike && a.participantId !== me.participantId) {
      if (waiting) {
        li.append(button('Admit', 'admit', () => sdk.allowWaitingAttendeeEnter(a.participantId, report)));
        li.append(button('Remove', 'remove', () => sdk.hangupAttendee(a.participantId, report)));
      } else if (a.role !== ConfRole.HWM_CONF_ROLE_HOST) {
        li.append(button(a.isMicOn ? 'Mute' : 'Unmute', 'mute', () => sdk.muteAttendee(a.participantId, a.isMicOn, report)));
        if (me.role === ConfRole.HWM_CONF_ROLE_HOST) {
          const co = a.role === ConfRole.HWM_CONF_ROLE_COHOST;
          li.append(button(co ? 'Remove co-host' : 'Make co-host', 'cohost', () => sdk.setCohostRight(a.participantId, !co, report)));
        }
        li.append(button('To waiting room', 'to-waiting', () => sdk.moveToWaitingRoom(a.participantId, report)));
        li.append(button('Remove', 'remove', () => sdk.hangupAttendee(a.participantId, report)));
      }
    }
    ul.append(li);
    if (a.participantId === me.participantId) {
      // Told when someone else changed it (a host's mute, hand lowered).
      if (me.seen && me.micOn && !a.isMicOn && !me.selfMute) notice('The host muted you.');
      if (me.seen && me.hand && !a.handRaised && !me.selfHand) notice('The host lowered your hand.');
      me.seen = true;
      me.selfMute = false;
      me.selfHand = false;
      me.micOn = a.isMicOn;
      me.cameraOn = a.isCameraOn;
      me.hand = a.handRaised;
      say('#mic', me.micOn ? 'Mute' : 'Unmute');
      say('#camera', me.cameraOn ? 'Camera off' : 'Camera on');
      say('#hand', me.hand ? 'Lower hand' : 'Raise hand');
      $('#mic').classList.toggle('off', !me.micOn);
      $('#camera').classList.toggle('off', !me.cameraOn);
    }
  }
}

// ---- Video grid

function tile(participantId) {
  let t = tiles.get(participantId);
  if (t) return t;
  t = document.createElement('div');
  t.className = 'tile no-video';
  t.dataset.participant = participantId;
  t.dataset.testid = 'tile';
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  if (participantId === me.participantId) { video.muted = true; t.classList.add('self'); }
  const initials = document.createElement('div');
  initials.className = 'initials';
  const label = document.createElement('div');
  label.className = 'label';
  label.innerHTML = '<span class="net" role="img" aria-label="Network: good"></span><span class="who"></span><span class="state"></span>';
  const pin = Object.assign(document.createElement('button'), { type: 'button', className: 'pin', textContent: 'Pin' });
  pin.dataset.testid = 'pin';
  pin.setAttribute('aria-pressed', 'false');
  pin.addEventListener('click', () => { pinned = pinned === participantId ? null : participantId; applyLayout(); });
  t.append(video, initials, label, pin);
  $('#videos').append(t);
  tiles.set(participantId, t);
  return t;
}

// Network quality per tile, from what arrives from each participant: the
// share of its packets lost over the last few seconds (good under 2%,
// fair under 8%, else poor; nothing arriving while it sends: no signal).
const lastNet = new Map();
setInterval(async () => {
  if ($('#room-view').hidden || !sdk.hasMedia) return;
  const stats = await sdk.mediaStats();
  for (const [pid, t] of tiles) {
    if (pid === me.participantId) continue;
    const s = stats[pid];
    if (!s) continue;
    const was = lastNet.get(pid) || { packetsReceived: 0, packetsLost: 0 };
    lastNet.set(pid, s);
    const got = s.packetsReceived - was.packetsReceived;
    const lost = s.packetsLost - was.packetsLost;
    const a = lastAttendees.find((x) => x.participantId === pid);
    const sending = a && (a.isMicOn || a.isCameraOn);
    let q = 'good';
    if (got + lost === 0) q = sending ? 'no signal' : t.dataset.quality || 'good';
    else if (lost / (got + lost) >= 0.08) q = 'poor';
    else if (lost / (got + lost) >= 0.02) q = 'fair';
    t.dataset.quality = q;
    const net = t.querySelector('.net');
    net.className = `net ${q.replace(' ', '-')}`;
    net.setAttribute('aria-label', `Network: ${q}`);
    net.title = `Network: ${q}`;
  }
}, 3000);

// Layout: gallery, or speaker view (the active speaker large); a pinned
// tile is large in either.
let layout = 'gallery';
let pinned = null;
function applyLayout() {
  if (pinned !== null && !tiles.has(pinned)) pinned = null;
  const others = [...tiles.keys()].filter((p) => p !== me.participantId);
  const featured = pinned ?? (layout === 'speaker' ? (tiles.has(speaker) ? speaker : (others[0] ?? null)) : null);
  $('#videos').classList.toggle('featured-mode', featured !== null);
  for (const [pid, t] of tiles) {
    t.classList.toggle('featured', pid === featured);
    const pin = t.querySelector('.pin');
    pin.setAttribute('aria-pressed', String(pid === pinned));
    pin.textContent = pid === pinned ? 'Unpin' : 'Pin';
  }
  $('#layout').textContent = layout === 'speaker' ? 'Gallery view' : 'Speaker view';
  $('#layout').setAttribute('aria-pressed', String(layout === 'speaker'));
}
$('#layout').addEventListener('click', () => { layout = layout === 'speaker' ? 'gallery' : 'speaker'; applyLayout(); });

function renderTiles(attendees) {
  const present = new Set(attendees.map((a) => a.participantId));
  for (const [pid, t] of tiles) if (!present.has(pid)) { t.remove(); tiles.delete(pid); }
  for (const a of attendees) {
    const t = tile(a.participantId);
    t.querySelector('.who').textContent = a.nickName + (a.participantId === me.participantId ? ' (you)' : '');
    t.querySelector('.state').textContent = `${a.isMicOn ? '' : '· muted'}${a.handRaised ? ' · hand raised' : ''}`;
    t.classList.toggle('hand', a.handRaised);
    t.querySelector('.initials').textContent = (a.nickName || '?').trim().slice(0, 1).toUpperCase();
    t.querySelector('.pin').setAttribute('aria-label', `Pin ${a.nickName}`);
    const video = t.querySelector('video');
    const hasVideo = a.isCameraOn && mediaType !== 0 && video.srcObject && video.srcObject.getVideoTracks().length > 0;
    t.classList.toggle('no-video', !hasVideo);
    t.classList.toggle('speaking', a.participantId === speaker);
  }
  applyLayout();
}

let lastAttendees = [];
let mediaStarting = false;

function maybeStartMedia() {
  const admitted = me.role !== null && me.role !== ConfRole.HWM_CONF_ROLE_WAITING;
  if (!admitted) {
    if (sdk.hasMedia) sdk.stopMedia();
    for (const t of tiles.values()) t.remove();
    tiles.clear();
    return;
  }
  if (sdk.hasMedia || mediaStarting || mediaType === null) return;
  mediaStarting = true;
  sdk.startMedia({ audio: true, video: mediaType !== 0, ...devices }, (ret, reason) => {
    mediaStarting = false;
    // Out of the meeting meanwhile (left, removed): nothing to tell.
    if (ret === SDKERR.UISDK_NOT_IN_CONF_OR_CALL) return undefined;
    if (ret) return fail(ret, reason);
    const self = tile(me.participantId);
    self.querySelector('video').srcObject = sdk.localStream;
    renderTiles(lastAttendees);
    return undefined;
  });
}

// Screen sharing: each shared screen large above the people's tiles (one
// at a time unless the hosts allow several; then side by side).
let sharers = [];
let multiShare = false;
const screens = new Map(); // participantId -> the stream its screen comes on
function screenTile(pid) {
  const t = document.createElement('div');
  t.className = 'tile screen';
  t.dataset.testid = 'screen-tile';
  t.dataset.pid = pid;
  const video = document.createElement('video');
  video.autoplay = true; video.playsInline = true; video.muted = true;
  const label = document.createElement('div');
  label.className = 'label';
  label.append(document.createElement('span'));
  const stop = document.createElement('button');
  stop.type = 'button';
  stop.className = 'host-only stop-their-share';
  stop.dataset.testid = 'stop-their-share';
  stop.textContent = 'Stop their sharing';
  stop.addEventListener('click', () => sdk.stopShare(pid, report));
  t.append(video, label, stop);
  return t;
}
function showScreen() {
  const box = $('#screens');
  const shown = sharers.filter((pid) => (pid === me.participantId ? sdk.localScreen : screens.get(pid)));
  const old = new Map([...box.children].map((t) => [Number(t.dataset.pid), t]));
  const tilesNow = shown.map((pid) => {
    const t = old.get(pid) ?? screenTile(pid);
    const mine = pid === me.participantId;
    const stream = mine ? sdk.localScreen : screens.get(pid);
    const video = t.querySelector('video');
    if (video.srcObject !== stream) video.srcObject = stream;
    const who = mine ? 'Your screen' : `${nameOf(pid)}'s screen`;
    t.querySelector('.label span').textContent = who;
    t.setAttribute('aria-label', who);
    const stop = t.querySelector('button');
    stop.hidden = mine;
    stop.setAttribute('aria-label', `Stop ${nameOf(pid)}'s sharing`);
    return t;
  });
  box.replaceChildren(...tilesNow);
  box.hidden = tilesNow.length === 0;
  box.classList.toggle('several', tilesNow.length > 1);
  const mine = sharers.includes(me.participantId);
  say('#share', mine ? 'Stop sharing' : 'Share screen');
  $('#share').classList.toggle('on', mine);
  $('#multi-share').textContent = multiShare ? 'One sharer at a time' : 'Allow several sharers';
}
sdk.onShareStateChanged = ({ sharers: now }) => { sharers = now; showScreen(); };
sdk.onMultiShareChanged = ({ isAllowed }) => {
  multiShare = isAllowed;
  notice(isAllowed ? 'Several people may share their screens at once.' : 'One person may share a screen at a time.');
  showScreen();
};
$('#share').addEventListener('click', () => {
  if (sharers.includes(me.participantId)) sdk.stopShareScreen(report);
  else sdk.shareScreen((ret, reason) => { if (ret) fail(ret, reason); showScreen(); });
});
$('#multi-share').addEventListener('click', () => sdk.allowMultiShare(!multiShare, report));

sdk.onRemoteTrack = ({ participantId, track, stream, screen }) => {
  if (screen) {
    screens.set(participantId, stream);
    showScreen();
    return;
  }
  const t = tile(participantId);
  const video = t.querySelector('video');
  if (video.srcObject !== stream) video.srcObject = stream;
  track.addEventListener('unmute', () => renderTiles(lastAttendees));
  renderTiles(lastAttendees);
};
sdk.onMediaClosed = () => {
  for (const [pid, t] of tiles) if (pid !== me.participantId) t.querySelector('video').srcObject = null;
  // Still admitted (the connection failed): open it again.
  setTimeout(maybeStartMedia, 1000);
};
// The media connection failed without the meeting saying so (its node
// died before it could hand that over): closed here and opened again.
sdk.onMediaStateChanged = ({ state }) => {
  if (state !== 'failed' || !sdk.hasMedia) return;
  sdk.stopMedia();
  sdk.onMediaClosed();
};
sdk.onActiveSpeakerChanged = ({ participantId }) => {
  speaker = participantId;
  for (const [pid, t] of tiles) t.classList.toggle('speaking', pid === speaker);
  applyLayout();
};

sdk.onConfInfoNotify = (info) => {
  lastConfId = info.confId;
  mediaType = info.mediaType;
  // An audio meeting has no cameras: no camera button.
  $('#camera').hidden = mediaType === 0;
  $('#room-subject').textContent = info.subject;
  setRole(info.selfConfRole);
  locked = info.isLocked;
  waitingRoomOpen = info.isWaitingRoomOpen;
  $('#lock').textContent = locked ? 'Unlock' : 'Lock';
  $('#waiting-room').textContent = waitingRoomOpen ? 'Close waiting room' : 'Open waiting room';
  recordAllowed = !!info.allowRecord;
  recordState(info.recordState || 'off');
  $('#share').hidden = mediaType === 0;
  sharers = info.sharers ?? (info.sharing == null ? [] : [info.sharing]);
  multiShare = !!info.multiShare;
  showScreen();
};
// Cloud recording: everyone sees when the meeting is recorded; hosts start,
// pause and stop it where the meeting allows recording.
let recordAllowed = false;
let recording = 'off';
function recordState(state) {
  recording = state;
  const ind = $('#rec-indicator');
  ind.hidden = state === 'off';
  ind.classList.toggle('paused', state === 'paused');
  $('#rec-text').textContent = state === 'paused' ? 'Recording paused' : 'Recording';
  $('#record').hidden = !recordAllowed;
  $('#record').textContent = state === 'off' ? 'Record' : 'Stop recording';
  $('#record-pause').hidden = !recordAllowed || state === 'off';
  $('#record-pause').textContent = state === 'paused' ? 'Resume recording' : 'Pause recording';
}
sdk.onRecordStateChanged = ({ state }) => {
  recordState(state);
  notice(state === 'recording' ? 'This meeting is being recorded.' : state === 'paused' ? 'Recording paused.' : 'Recording stopped.');
};
sdk.onSelfRoleChanged = ({ role }) => setRole(role);
// Chat: to everyone or privately to one participant.
let chatAllowed = true;
const nameOf = (pid) => (lastAttendees.find((a) => a.participantId === pid) || {}).nickName || `participant ${pid}`;
function showChat(m) {
  $('#chat-empty')?.remove();
  const li = document.createElement('li');
  const time = new Date(m.at * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const who = m.from === me.participantId ? 'You' : m.fromName;
  let head = `${time} ${who}`;
  if (m.to !== undefined && m.to !== null) {
    li.className = 'private';
    head += m.from === me.participantId ? ` (privately to ${nameOf(m.to)})` : ' (privately)';
  }
  li.textContent = `${head}: ${m.text}`;
  $('#chat-log').append(li);
  li.scrollIntoView({ block: 'nearest' });
}
function chatTargets(attendees) {
  const select = $('[data-testid=chat-to]');
  const chosen = select.value;
  const options = [new Option('Everyone', '')];
  for (const a of attendees) if (a.participantId !== me.participantId) options.push(new Option(a.nickName, String(a.participantId)));
  select.replaceChildren(...options);
  select.value = options.some((o) => o.value === chosen) ? chosen : '';
}
function chatState() {
  const mayChat = chatAllowed || [ConfRole.HWM_CONF_ROLE_HOST, ConfRole.HWM_CONF_ROLE_COHOST].includes(me.role);
  for (const el of $('#chat-form').elements) el.disabled = !mayChat;
  $('[data-testid=chat-text]').placeholder = mayChat ? '' : 'The host turned chat off';
  $('#chat-toggle').textContent = chatAllowed ? 'Turn chat off' : 'Turn chat on';
}
sdk.onChatMessage = ({ message }) => showChat(message);
sdk.onChatHistory = ({ messages }) => messages.forEach(showChat);
sdk.onChatAllowedChanged = ({ isAllowed }) => { chatAllowed = isAllowed; chatState(); };
$('#chat-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const to = f.get('to') ? Number(f.get('to')) : undefined;
  sdk.sendChatMessage(String(f.get('text') || ''), to, (ret, reason) => {
    if (ret) return fail(ret, reason, ev.target);
    cleared(ev.target);
    $('[data-testid=chat-text]').value = '';
  });
});
$('#chat-toggle').addEventListener('click', () => sdk.allowChat(!chatAllowed, report));

sdk.onAttendeeListChanged = ({ attendees }) => {
  renderList($('#attendees'), attendees, false);
  chatTargets(attendees);
  lastAttendees = me.role === ConfRole.HWM_CONF_ROLE_WAITING ? [] : attendees;
  // What the meeting says about my microphone and camera is what I send.
  const self = attendees.find((a) => a.participantId === me.participantId);
  if (self) { sdk.setMicEnabled(self.isMicOn); sdk.setCameraEnabled(self.isCameraOn); }
  renderTiles(lastAttendees);
};
// Hosts hear who starts waiting: an alert with Admit (and a short tone).
let knownWaiting = new Set();
function chime() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    gain.gain.value = 0.05;
    osc.connect(gain).connect(ctx.destination);
    osc.frequency.value = 880;
    osc.start();
    osc.stop(ctx.currentTime + 0.15);
    osc.onended = () => ctx.close();
  } catch { /* no audio output: the alert is enough */ }
}
sdk.onWaitingListChanged = ({ attendees }) => {
  renderList($('#waiting-list'), attendees, true);
  const now = new Set(attendees.map((a) => a.participantId));
  const arrived = attendees.filter((a) => !knownWaiting.has(a.participantId));
  knownWaiting = now;
  const alert = $('#waiting-alert');
  if (attendees.length === 0) { alert.hidden = true; return; }
  if (arrived.length === 0) return;
  const newest = arrived[arrived.length - 1];
  $('#waiting-alert-text').textContent = attendees.length === 1
    ? `${newest.nickName} is waiting to join.`
    : `${newest.nickName} and ${attendees.length - 1} more are waiting to join.`;
  $('#waiting-alert-admit').textContent = attendees.length === 1 ? 'Admit' : 'Admit all';
  $('#waiting-alert-admit').onclick = () => {
    if (attendees.length === 1) sdk.allowWaitingAttendeeEnter(newest.participantId, report);
    else sdk.allowAllWaitingAttendeeEnter(report);
  };
  alert.hidden = false;
  chime();
};
sdk.onWaitingRoomStateChanged = ({ isOpen }) => {
  waitingRoomOpen = isOpen;
  $('#waiting-room').textContent = isOpen ? 'Close waiting room' : 'Open waiting room';
};
sdk.onMeetingInfoChanged = (e) => {
  locked = e.isLocked;
  $('#lock').textContent = locked ? 'Unlock' : 'Lock';
};
sdk.onConfEndingSoon = ({ endTimeStamp }) => notice(`The meeting ends at ${new Date(endTimeStamp * 1000).toLocaleTimeString()}.`);
sdk.onConnectionStateChanged = ({ state }) => notice(state === 'reconnecting' ? 'Connection lost: reconnecting…' : '');
// How a meeting ended for me, said as a person would.
const ENDED_TITLES = {
  [SDKERR.SDK_CONFCTRL_CONF_END_LEAVE_CONF]: 'You left the meeting',
  [SDKERR.SDK_CONFCTRL_CONF_END_CHAIR_HANGUP]: 'You were removed from the meeting',
};
sdk.onConfEnded = ({ reason, reasonText }) => {
  forgetMeeting();
  if (leftByBack) {
    // Left with Back: the page already went where Back leads.
    leftByBack = false;
    me.role = null;
    maybeStartMedia();
    return;
  }
  // Out of the meeting: nothing may reopen media or show its errors now.
  me.role = null;
  maybeStartMedia();
  offerMinutes();
  const title = ENDED_TITLES[reason] || 'The meeting is over';
  $('#ended-title').textContent = title;
  // The server's reason, unless it only says the title again.
  $('[data-testid=ended-reason]').textContent = reasonText.toLowerCase() === title.toLowerCase() ? '' : reasonText;
  notice('');
  show('ended-view');
};

function toggleMic() { me.selfMute = me.micOn; sdk.muteAttendee(me.participantId, me.micOn, report); }
function toggleCamera() { if (mediaType !== 0) sdk.setCamera(!me.cameraOn, report); }
$('#mic').addEventListener('click', toggleMic);
$('#camera').addEventListener('click', toggleCamera);
$('#hand').addEventListener('click', () => { me.selfHand = me.hand; sdk.raiseHand(!me.hand, report); });
// Keyboard: M the microphone, V the camera (as Jitsi), while in a meeting
// and not typing.
document.addEventListener('keydown', (ev) => {
  if ($('#room-view').hidden || ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
  if (document.body.classList.contains('is-waiting')) return;
  if (ev.target.closest('input, textarea, select, [contenteditable]')) return;
  if (ev.key === 'm' || ev.key === 'M') { ev.preventDefault(); toggleMic(); }
  if (ev.key === 'v' || ev.key === 'V') { ev.preventDefault(); toggleCamera(); }
});
$('#lock').addEventListener('click', () => sdk.lockConf(!locked, report));
// The host menu closes once an action in it was chosen.
$('#host-menu .menu').addEventListener('click', (ev) => { if (ev.target.closest('button')) $('#host-menu').open = false; });
$('#record').addEventListener('click', () => sdk.operateCloudRecord(recording === 'off' ? 'start' : 'stop', report));
$('#record-pause').addEventListener('click', () => sdk.operateCloudRecord(recording === 'paused' ? 'resume' : 'pause', report));
$('#mute-all').addEventListener('click', () => sdk.muteAllAttendee(true, true, report));
$('#waiting-room').addEventListener('click', () => sdk.openWaitingRoom(!waitingRoomOpen, report));
$('#admit-all').addEventListener('click', () => sdk.allowAllWaitingAttendeeEnter(report));
$('#end').addEventListener('click', () => sdk.endConf(report));
$('#leave').addEventListener('click', () => {
  // Out at once: no media is reopened while the server says goodbye.
  me.role = null;
  sdk.leaveConf();
});

// Minutes: a meeting created with minutes on has a page of them
// (/minutes/<confUUID>) for its organiser and hosts once it is held.
let lastConfId = null;
function offerMinutes() {
  const a = $('#minutes-link');
  a.hidden = true;
  if (!sdk.accessToken || !lastConfId) return;
  sdk.getConfDetail(lastConfId, (ret, _r, info) => {
    if (ret || !info || !info.confUUID) return;
    sdk.getMinutes(info.confUUID, (ret2) => {
      if (ret2) return;
      a.href = `/minutes/${encodeURIComponent(info.confUUID)}`;
      a.hidden = false;
    });
  });
}
const when = (ms) => (ms ? `${new Date(ms).toLocaleDateString([], { dateStyle: 'medium' })}, ${clock(ms)}` : '');
const clock = (ms) => (ms ? new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '—');
const secs = (s) => (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`);
function item(parent, text, cls) {
  const li = document.createElement('li');
  li.textContent = text;
  if (cls) li.className = cls;
  parent.append(li);
  return li;
}
function showMinutes(uuid) {
  show('minutes-view');
  if (!sdk.accessToken) {
    show('login-view');
    notice('Log in to read these minutes.');
    return;
  }
  sdk.getMinutes(uuid, (ret, reason, m) => {
    if (ret) { $('#minutes-subject').textContent = 'Minutes'; fail(ret, reason, $('#minutes-view')); return; }
    document.title = `Minutes: ${m.subject}`;
    $('#minutes-subject').textContent = `Minutes: ${m.subject}`;
    $('#minutes-when').textContent = `Meeting ${m.confID}, scheduled by ${m.schedulerName}; ${m.heldFrom ? `held ${when(m.heldFrom)}${m.heldUntil ? ` to ${clock(m.heldUntil)}` : ''}` : 'nobody came'}.`;
    $('#minutes-partial').hidden = m.complete;
    const body = $('[data-testid=minutes-attendance] tbody');
    body.replaceChildren();
    for (const a of m.attendance) {
      const tr = document.createElement('tr');
      for (const [i, v] of [a.name, a.role, a.clientType, clock(a.joinTime), clock(a.leftTime), secs(a.spokeSeconds)].entries()) {
        const td = document.createElement('td');
        td.textContent = v;
        if (i === 2) td.className = 'client';
        tr.append(td);
      }
      body.append(tr);
    }
    const sp = $('#minutes-speaking');
    sp.replaceChildren();
    if (!m.speaking.length) item(sp, 'Nobody was heard.', 'muted');
    for (const s of m.speaking) {
      const li = document.createElement('li');
      const name = Object.assign(document.createElement('span'), { textContent: s.name });
      const bar = Object.assign(document.createElement('span'), { className: 'bar' });
      bar.style.width = `${s.share}%`;
      bar.setAttribute('aria-hidden', 'true');
      const t = Object.assign(document.createElement('span'), { textContent: `${secs(s.seconds)} (${s.share}%)` });
      li.append(name, bar, t);
      sp.append(li);
    }
    const ctl = $('#minutes-control');
    ctl.replaceChildren();
    if (!m.controlLog.length) item(ctl, 'No control actions.', 'muted');
    for (const c of m.controlLog) {
      const what = `${clock(c.time)} ${c.operator}: ${c.action}${c.object ? ` → ${c.object}` : ''}${c.detail ? ` (${c.detail})` : ''}${c.result ? ` refused, code ${c.result}` : ''}`;
      item(ctl, what);
    }
    const chat = $('#minutes-chat');
    chat.replaceChildren();
    if (!m.chat.length) item(chat, 'No messages.', 'muted');
    for (const c of m.chat) item(chat, `${clock(c.time)} ${c.from}${c.to ? ` (privately to ${c.to})` : ''}: ${c.text}`, c.to ? 'private' : '');
    const rec = $('#minutes-recordings');
    rec.replaceChildren();
    if (!m.recordings.length) item(rec, 'Not recorded.', 'muted');
    for (const r of m.recordings) {
      const files = r.files.map((f) => `${f.fileType} ${secs(f.durationSeconds)}, ${(f.bytes / 1e6).toFixed(1)} MB`).join('; ');
      item(rec, `Part ${r.part}: ${clock(r.beginTime)}–${clock(r.endTime)}, ${r.state}${files ? ` — ${files}` : ''}${r.error ? ` (${r.error})` : ''}`);
    }
  });
}

// Where the page was opened decides the first view.
session();
const linkData = document.getElementById('join-link-data');
const meetingPath = location.pathname.match(/^\/m\/([^/]+)$/);
const minutesPath = location.pathname.match(/^\/minutes\/([^/]+)$/);
if (minutesPath) {
  showMinutes(decodeURIComponent(minutesPath[1]));
} else if (meetingPath) {
  const confId = decodeURIComponent(meetingPath[1]);
  const saved = JSON.parse(sessionStorage.getItem(MEETING_KEY) || 'null');
  if (saved && saved.confId === confId) {
    notice('Rejoining the meeting…');
    sdk.resumeConf(saved, (ret, reason, result) => {
      if (!ret) return joined(0, '', result);
      forgetMeeting();
      joinFormFor(confId, 'Your place in the meeting has gone: join again.');
    });
  } else {
    joinFormFor(confId);
  }
} else if (linkData) {
  const link = JSON.parse(linkData.textContent);
  prejoin({
    title: `Join “${link.subject}”`,
    video: link.mediaType !== 0,
    join: (s, form) => sdk.joinConfByRandom({ confId: link.confId, random: link.random, ...s }, enter(form)),
  });
} else if (location.hash === '#join' || sdk.accessToken) {
  show('home-view');
  if (!sdk.accessToken) $('#create-form').hidden = true;
} else {
  show('login-view');
}
document.querySelector('[data-testid=guest-join]').addEventListener('click', () => { show('home-view'); $('#create-form').hidden = !sdk.accessToken; });

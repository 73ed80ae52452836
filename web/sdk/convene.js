// convene JS SDK: the HUAWEI CLOUD Meeting client SDK's calls, against a
// convene server. Plain ES module, no build step. Every call takes the
// product's callback `(ret, reason, result)`; ret 0 is SDKERR_SUCCESS.
//
//   import { ConveneSDK, MediaType } from '/sdk/convene.js';
//   const sdk = new ConveneSDK();
//   sdk.loginByAccount({ account, password }, (ret, reason) => {
//     sdk.createConf({ subject: 'Weekly', mediaType: MediaType.HWM_MEDIA_TYPE_VIDEO,
//                      needPassword: true, numOfAttendee: 0, attendees: [] },
//       (ret, reason, createConfResult) => console.log(createConfResult.confId));
//   });

/** Seed table 3. */
export const MediaType = Object.freeze({ HWM_MEDIA_TYPE_AUDIO: 0, HWM_MEDIA_TYPE_VIDEO: 1 });
/** Seed table 4. */
export const ConfAllowJoinUserType = Object.freeze({
  CONF_ALLOW_JOIN_ANYONE: 0, CONF_ALLOW_JOIN_LOGINED_USER: 1, CONF_ALLOW_JOIN_IN_COMPANY_USER: 2, CONF_ALLOW_JOIN_INVITED_USER: 3,
});
/** Seed table 5. */
export const VmrConfIdType = Object.freeze({ HWM_VMR_CONF_ID_TYPE_FIXED: 0, HWM_VMR_CONF_ID_TYPE_RANDOM: 1 });
/** Seed table 7. */
export const ConfRole = Object.freeze({
  HWM_CONF_ROLE_ATTENDEE: 0, HWM_CONF_ROLE_HOST: 1, HWM_CONF_ROLE_AUDIENCE: 2, HWM_CONF_ROLE_COHOST: 3, HWM_CONF_ROLE_WAITING: 4,
});
/** Seed table 8. */
export const AttendeeType = Object.freeze({
  ATTENDEE_TYPE_NORMAL: 0, ATTENDEE_TYPE_TELEPRESENCE: 1, ATTENDEE_TYPE_TERMINAL: 2, ATTENDEE_TYPE_OUTSIDE: 3,
  ATTENDEE_TYPE_CUSTOMNUMBER: 4, ATTENDEE_TYPE_MOBILE: 5, ATTENDEE_TYPE_ANONYMOUS: 6, ATTENDEE_TYPE_TELEPHONE: 7,
  ATTENDEE_TYPE_BOARD: 8, ATTENDEE_TYPE_IDEAHUB: 9, ATTENDEE_TYPE_HWVISION: 10, ATTENDEE_TYPE_WELINKC: 11,
});
/** Seed table 9. */
export const ConfResType = Object.freeze({ HWM_CONF_RESTYPE_DEFAULT: 0, HWM_CONF_RESTYPE_SHARE_VMR: 3 });
/** Seed table 10. */
export const SummaryState = Object.freeze({ SUMMARY_STATE_CLOSE: 0, SUMMARY_STATE_OPEN: 1 });
/** Seed table 11. */
export const AutoMuteType = Object.freeze({ AUTO_MUTE_TYPE_DEFAULT: 0, AUTO_MUTE_TYPE_MUTE: 1, AUTO_MUTE_TYPE_UNMUTE: 2 });

/** SDKERR numbers this module itself answers with (the server sends the rest). */
export const SDKERR = Object.freeze({
  SDKERR_SUCCESS: 0, SDKERR_UNKOWN: -1, UISDK_UNLOGIN_ERROR: 430200001, UISDK_PASSWORD_OR_ACCOUNT_EMPTY: 430200005,
  UISDK_HTTP_SERVER_ERROR: 430500001, UISDK_NO_NETWORK_ERROR: 430500003, UISDK_NOT_IN_CONF_OR_CALL: 430400008,
  UISDK_ALREADY_EXIST_CONF_OR_CALL: 430400009, SDK_COMMON_FAIL: 411000001, CMS_CONF_MEDIA_TYPES_ILLEGAL: 111071018,
});

const REST_TYPES = ['normal', 'telepresence', 'terminal', 'outside', 'customnumber', 'mobile', 'anonymous',
  'telephone', 'board', 'ideahub', 'hwvision', 'welinkc'];

/**
 * @typedef {Object} AttendeeBaseInfo seed table 6
 * @property {string} nickName
 * @property {string} [number]
 * @property {string} [thirdUserId]
 * @property {string} [accountId]
 * @property {string} [email]
 * @property {string} [sms]
 * @property {boolean} [isAutoInvite]
 * @property {boolean} [isMute]
 * @property {number} [role]
 * @property {number} [type]
 * @property {string} [userUuid]
 */
/**
 * @typedef {Object} CreateConfInfo seed table 2
 * @property {string} subject
 * @property {number} mediaType
 * @property {boolean} needPassword
 * @property {boolean} [isAutoRecord]
 * @property {boolean} [allowRecord]
 * @property {number} [confAllowJoinUser]
 * @property {string} [vmrId]
 * @property {number} [vmrConfIdType]
 * @property {string} [guestPwd]
 * @property {boolean} [isOpenWaitingRoom]
 * @property {number} [duration]
 * @property {boolean} [isMicOn]
 * @property {boolean} [isCameraOn]
 * @property {number} [concurrentParticipants]
 * @property {number} numOfAttendee
 * @property {AttendeeBaseInfo[]} attendees
 * @property {string} [customInfo]
 * @property {number} [confResType]
 * @property {number} [defaultSummaryState]
 * @property {number} [autoMuteMode]
 * @property {number} [hardTerminalAutoMuteMode]
 */
/**
 * @typedef {Object} CreateConfResult seed table 13
 * @property {string} confId
 * @property {string} vmrConfId
 * @property {string} hostPwd
 * @property {string} guestPwd
 * @property {number} mediaType
 * @property {string} guestJoinUri
 * @property {number} selfConfRole
 * @property {string} subject
 * @property {number} startTime
 * @property {number} endTime
 * @property {number} startTimeStamp
 * @property {number} endTimeStamp
 * @property {string} schedulerName
 * @property {string} customInfo
 */
/** @typedef {(ret: number, reason: string, result?: any) => void} Callback */

const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
const flag = (b) => (b === undefined || b === null ? undefined : b ? 1 : 0);
const muteFlag = (m) => (m === AutoMuteType.AUTO_MUTE_TYPE_MUTE ? true : m === AutoMuteType.AUTO_MUTE_TYPE_UNMUTE ? false : undefined);

/** The REST create body for a CreateConfInfo (spec §3.1; SDK-only fields as extras). */
export function toRestSchedule(c) {
  const vmrId = c.vmrId ? c.vmrId : undefined;
  const fixed = c.vmrConfIdType === VmrConfIdType.HWM_VMR_CONF_ID_TYPE_FIXED;
  return defined({
    subject: c.subject,
    mediaTypes: c.mediaType === MediaType.HWM_MEDIA_TYPE_AUDIO ? 'Voice' : 'HDVideo',
    length: c.duration,
    attendees: (c.attendees || []).map((a) => defined({
      name: a.nickName, phone: a.number || undefined, thirdUserId: a.thirdUserId || undefined,
      accountId: a.accountId, email: a.email, sms: a.sms, isAutoInvite: flag(a.isAutoInvite), isMute: flag(a.isMute),
      role: a.role, type: a.type === undefined ? undefined : REST_TYPES[a.type], userUUID: a.userUuid,
    })),
    isAutoRecord: flag(c.isAutoRecord),
    recordType: c.allowRecord === undefined ? undefined : c.allowRecord ? 2 : 0,
    confConfigInfo: defined({
      isAutoMute: muteFlag(c.autoMuteMode),
      isHardTerminalAutoMute: muteFlag(c.hardTerminalAutoMuteMode),
      isGuestFreePwd: !c.needPassword,
      callInRestriction: c.confAllowJoinUser === undefined || c.confAllowJoinUser === 1 ? undefined : c.confAllowJoinUser,
      guestPwd: c.guestPwd || undefined,
      vmrIDType: c.vmrConfIdType,
      enableWaitingRoom: c.isOpenWaitingRoom,
      isHostCameraOn: c.isCameraOn,
    }),
    vmrFlag: fixed || vmrId ? 1 : 0,
    vmrID: vmrId,
    concurrentParticipants: c.concurrentParticipants,
    confResType: c.confResType,
    customInfo: c.customInfo,
    defaultSummaryState: c.defaultSummaryState,
    isMicOn: c.isMicOn,
    confAllowJoinUser: c.confAllowJoinUser,
    numOfAttendee: c.numOfAttendee,
  });
}

/** The seed's CreateConfResult from the REST ConferenceInfo. */
export function toCreateConfResult(ci) {
  const pw = (role) => ((ci.passwordEntry || []).find((p) => p.conferenceRole === role) || {}).password || '';
  return {
    confId: ci.conferenceID, vmrConfId: ci.vmrConferenceID || '', hostPwd: pw('chair'), guestPwd: pw('general'),
    mediaType: ci.mediaType, guestJoinUri: ci.guestJoinUri, selfConfRole: ci.selfConfRole, subject: ci.subject,
    startTime: ci.startTimeStamp, endTime: ci.endTimeStamp, startTimeStamp: ci.startTimeStamp,
    endTimeStamp: ci.endTimeStamp, schedulerName: ci.scheduserName, customInfo: ci.customInfo || '',
  };
}

function codeOf(errorCode) {
  const n = Number(String(errorCode || '').split('.').pop());
  return Number.isFinite(n) ? n : SDKERR.SDKERR_UNKOWN;
}

/** Calls an assignable notification if the page set one. */
/** A list after an `onAttendeesChanged`: `refresh` entries replace or join, `remove`d IDs go. */
function applyChange(list, refresh, remove) {
  const gone = new Set(remove);
  const fresh = new Map(refresh.map((a) => [a.participantId, a]));
  const out = (list || []).filter((a) => !gone.has(a.participantId) && !fresh.has(a.participantId));
  for (const a of refresh) out.push(a);
  return out.sort((a, b) => a.participantId - b.participantId);
}

const notify = (f, ...args) => { if (typeof f === 'function') f(...args); };

/** How long a dropped meeting connection is retried (the server keeps the place 30 s). */
const RESUME_FOR_MS = 25000;

export class ConveneSDK {
  /** @param {{baseUrl?: string}} [opts] */
  constructor(opts = {}) {
    this.baseUrl = (opts.baseUrl || globalThis.location?.origin || '').replace(/\/$/, '');
    this.accessToken = null;
    this.user = null;
    this._ws = null;
    this._pending = new Map();
    this._nextReq = 1;
    this.participantId = null;
    this.selfRole = null;
    // Notifications: assign functions to these (spec §1 names).
    this._attendees = []; this._waiting = [];
    this.onConfStateChanged = null; this.onConfInfoNotify = null; this.onAttendeeListChanged = null;
    this.onWaitingListChanged = null; this.onWaitingRoomStateChanged = null; this.onMeetingInfoChanged = null;
    this.onSelfRoleChanged = null; this.onConfEndingSoon = null; this.onConfEnded = null;
    this.onActiveSpeakerChanged = null;
    // Media notifications.
    this.onRemoteTrack = null; this.onMediaClosed = null; this.onMediaStateChanged = null;
    // The meeting connection dropped and is being resumed ({state: 'reconnecting'}),
    // or is back ({state: 'connected'}). If it cannot be resumed in time,
    // onConfEnded comes with UISDK_NO_NETWORK_ERROR.
    this.onConnectionStateChanged = null;
    this._resume = null;
    this._lastSeq = 0;
    // Control calls made while the connection is being resumed: sent once
    // it is back (as the Rust SDK does), failed if it cannot be resumed.
    this._reconnecting = false;
    this._queued = [];
    this._over = true;
    this.iceServers = [];
    this.localStream = null;
    this._pc = null;
    this._signal = Promise.resolve();
    this._trackOwner = new Map();
  }

  async _rest(method, path, { body, headers = {}, query } = {}) {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, v);
    const h = { 'Content-Type': 'application/json', ...headers };
    if (this.accessToken) h['X-Access-Token'] = this.accessToken;
    let resp;
    try {
      resp = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      return [SDKERR.UISDK_NO_NETWORK_ERROR, String(e), null];
    }
    const data = await resp.json().catch(() => null);
    if (!resp.ok) {
      return data && data.error_code ? [codeOf(data.error_code), data.error_msg, null] : [SDKERR.UISDK_HTTP_SERVER_ERROR, `HTTP ${resp.status}`, null];
    }
    return [0, '', data];
  }

  _done(cb, ret, reason, result) {
    if (typeof cb === 'function') cb(ret, reason || '', result);
  }

  /** loginByAccount({account, password}, cb) -> {userUuid, account, thirdAccount} */
  async loginByAccount(info, cb) {
    if (!info || !info.account || !info.password) return this._done(cb, SDKERR.UISDK_PASSWORD_OR_ACCOUNT_EMPTY, 'account and password are required');
    const basic = btoa(unescape(encodeURIComponent(`${info.account}:${info.password}`)));
    const [ret, reason, data] = await this._rest('POST', '/v1/usg/acs/auth/account', {
      body: { account: info.account, clientType: 72 }, headers: { Authorization: `Basic ${basic}` },
    });
    if (ret) return this._done(cb, ret, reason);
    this.accessToken = data.accessToken;
    this.user = data.user;
    this._done(cb, 0, '', { userUuid: data.user.userUUID, account: data.user.userId, thirdAccount: data.user.thirdAccount });
  }

  /** loginByAppId({appId, corpId, thirdUserId, userName, signature, nonce, expireTime, ...}, cb) */
  async loginByAppId(info, cb) {
    const [ret, reason, data] = await this._rest('POST', '/v2/usg/acs/auth/appauth', {
      body: { appId: info.appId, userId: info.thirdUserId, corpId: info.corpId, expireTime: info.expireTime, nonce: info.nonce,
        clientType: 72, userName: info.userName, userEmail: info.userEmail, userPhone: info.userPhone, deptCode: info.deptCode },
      headers: { Authorization: `HMAC-SHA256 signature=${info.signature},access=${btoa(info.appId)}` },
    });
    if (ret) return this._done(cb, ret, reason);
    this.accessToken = data.accessToken;
    this.user = data.user;
    this._done(cb, 0, '', { userUuid: data.user.userUUID, account: data.user.userId, thirdAccount: data.user.thirdAccount });
  }

  /**
   * createConf(createConfInfo, onCreateConfResult): the seed's call.
   * @param {CreateConfInfo} createConfInfo
   * @param {(ret: number, reason: string, createConfResult: CreateConfResult) => void} [onCreateConfResult]
   */
  async createConf(createConfInfo, onCreateConfResult) {
    if (!this.accessToken) return this._done(onCreateConfResult, SDKERR.UISDK_UNLOGIN_ERROR, 'not logged in');
    const [ret, reason, data] = await this._rest('POST', '/v1/mmc/management/conferences', { body: toRestSchedule(createConfInfo) });
    if (ret) return this._done(onCreateConfResult, ret, reason);
    this._done(onCreateConfResult, 0, '', toCreateConfResult(data[0]));
  }

  _join(msg, cb) {
    if (this._ws || !this._over) return this._done(cb, SDKERR.UISDK_ALREADY_EXIST_CONF_OR_CALL, 'already in a meeting');
    this._over = false;
    this._resume = null;
    this._lastSeq = 0;
    this._connect({ type: 'join', accessToken: this.accessToken || undefined, ...msg }, (ret, reason, joined) => {
      if (ret) this._over = true;
      this._done(cb, ret, reason, joined);
    });
  }

  /**
   * One WebSocket to the meeting: `hello` is the join or the resume; `cb`
   * hears how it was answered. When a welcomed socket drops without the
   * meeting being over for us (left, removed, ended), the place is resumed
   * within the server's grace period while the media connection goes on.
   */
  _connect(hello, cb) {
    const url = this.baseUrl.replace(/^http/, 'ws') + '/v1/convene/ws';
    const ws = new WebSocket(url);
    let welcomed = false;
    let answered = false;
    const answer = (...args) => { if (!answered) { answered = true; cb(...args); } };
    ws.onopen = () => ws.send(JSON.stringify(hello));
    ws.onmessage = (m) => {
      const data = JSON.parse(m.data);
      if (data.type === 'error') { answer(data.ret, data.reason); return; }
      if (data.type === 'joined' || data.type === 'resumed') {
        welcomed = true; this._ws = ws; this.participantId = data.participantId; this.selfRole = data.role;
        this.iceServers = data.iceServers || [];
        if (data.type === 'joined') this._resume = { confId: hello.confId, participantId: data.participantId, resumeToken: data.resumeToken };
        answer(0, '', { participantId: data.participantId, role: data.role });
        return;
      }
      if (data.type === 'result') {
        const p = this._pending.get(data.reqId);
        if (p) { this._pending.delete(data.reqId); p(data.ret, data.reason); }
        return;
      }
      if (data.type === 'event') {
        // A resume replays what was missed; never twice.
        if (data.seq <= this._lastSeq) return;
        this._lastSeq = data.seq;
        this._dispatch(data.event);
      }
      if (data.type === 'mediaAnswer' || data.type === 'mediaOffer' || data.type === 'mediaError' || data.type === 'mediaClosed') {
        this._signal = this._signal.then(() => this._onMediaSignal(data)).catch((e) => this._mediaFailed(String(e)));
      }
    };
    ws.onclose = () => {
      if (!welcomed) { answer(SDKERR.UISDK_NO_NETWORK_ERROR, 'the connection closed'); return; }
      if (this._ws === ws) this._ws = null;
      // Over: not in the meeting any more. Dropped: whether the server got
      // them is unknown, and the caller may try again once reconnected.
      for (const p of this._pending.values()) {
        if (this._over) p(SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in the meeting');
        else p(SDKERR.UISDK_NO_NETWORK_ERROR, 'the connection to the meeting dropped');
      }
      this._pending.clear();
      if (this._over || !this._resume) { this.stopMedia(); return; }
      this._reconnect();
    };
  }

  /** Resume the dropped connection, retrying for as long as the server keeps the place. */
  _reconnect() {
    this._reconnecting = true;
    notify(this.onConnectionStateChanged, { state: 'reconnecting' });
    const giveUpAt = Date.now() + RESUME_FOR_MS;
    const attempt = (delay) => setTimeout(() => {
      if (this._over) { this._endReconnect(SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in the meeting'); return; }
      const r = this._resume;
      this._connect({ type: 'resume', confId: r.confId, participantId: r.participantId, resumeToken: r.resumeToken, lastSeq: this._lastSeq }, (ret) => {
        if (this._over) {
          // Left while this attempt was under way: leave on the resumed connection too.
          if (!ret && this._ws) this._ws.send(JSON.stringify({ type: 'leave' }));
          this._endReconnect(SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in the meeting');
          return;
        }
        if (!ret) {
          this._endReconnect();
          notify(this.onConnectionStateChanged, { state: 'connected' });
          return;
        }
        if (ret === SDKERR.UISDK_NO_NETWORK_ERROR && Date.now() < giveUpAt) { attempt(Math.min(delay * 2 || 250, 2000)); return; }
        // Refused (the place is gone) or out of time.
        this._endReconnect(SDKERR.UISDK_NO_NETWORK_ERROR, 'the connection to the meeting was lost');
        this._over = true;
        this.stopMedia();
        notify(this.onConfEnded, { reason: SDKERR.UISDK_NO_NETWORK_ERROR, reasonText: 'the connection to the meeting was lost' });
      });
    }, delay);
    attempt(0);
  }

  /** The resume is over: send the calls queued meanwhile, or fail them with `ret`. */
  _endReconnect(ret = 0, reason = '') {
    this._reconnecting = false;
    const queued = this._queued;
    this._queued = [];
    for (const q of queued) {
      if (ret) this._done(q.cb, ret, reason);
      else this._control(q.action, q.cb);
    }
  }

  _dispatch(e) {
    const call = notify;
    switch (e.name) {
      case 'onConfStateChanged': return call(this.onConfStateChanged, { state: e.state });
      case 'onConfInfoNotify': this.selfRole = e.info.selfConfRole; return call(this.onConfInfoNotify, e.info);
      case 'onAttendeeListChanged':
        this._attendees = e.attendees;
        return call(this.onAttendeeListChanged, { attendees: e.attendees.slice() });
      case 'onWaitingListChanged':
        this._waiting = e.attendees;
        return call(this.onWaitingListChanged, { attendees: e.attendees.slice() });
      case 'onAttendeesChanged': {
        // The server sends whole lists once, then what changed; the
        // callbacks get the whole list each time, in order of arrival.
        const list = applyChange(e.waiting ? this._waiting : this._attendees, e.refresh, e.remove);
        if (e.waiting) { this._waiting = list; return call(this.onWaitingListChanged, { attendees: list.slice() }); }
        this._attendees = list;
        return call(this.onAttendeeListChanged, { attendees: list.slice() });
      }
      case 'onWaitingRoomStateChanged': return call(this.onWaitingRoomStateChanged, { isOpen: e.isOpen });
      case 'onMeetingInfoChanged': return call(this.onMeetingInfoChanged, e);
      case 'onSelfRoleChanged': this.selfRole = e.role; return call(this.onSelfRoleChanged, { role: e.role });
      case 'onConfEndingSoon': return call(this.onConfEndingSoon, { endTimeStamp: e.endTimeStamp });
      case 'onConfEnded': this._over = true; this.stopMedia(); return call(this.onConfEnded, { reason: e.reason, reasonText: e.reasonText });
      case 'onActiveSpeakerChanged': return call(this.onActiveSpeakerChanged, { participantId: e.participantId ?? null });
      default: return undefined;
    }
  }

  /** joinConfById({confId, password, nickName, isMicOn, isCameraOn}, cb) -> {participantId, role} */
  joinConfById(info, cb) {
    this._join({ confId: info.confId, password: info.password || '', nickName: info.nickName || '', isMicOn: !!info.isMicOn, isCameraOn: !!info.isCameraOn }, cb);
  }

  /** joinConfByRandom({confId, random, nickName, isMicOn, isCameraOn}, cb): a guest link, no password. */
  joinConfByRandom(info, cb) {
    this._join({ confId: info.confId, random: info.random, nickName: info.nickName || '', isMicOn: !!info.isMicOn, isCameraOn: !!info.isCameraOn }, cb);
  }

  _control(action, cb) {
    if (!this._ws && this._reconnecting && !this._over) { this._queued.push({ action, cb }); return undefined; }
    if (!this._ws) return this._done(cb, SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in a meeting');
    const reqId = this._nextReq++;
    this._pending.set(reqId, (ret, reason) => this._done(cb, ret, reason));
    this._ws.send(JSON.stringify({ type: 'control', reqId, ...action }));
  }

  muteAttendee(participantId, isMute, cb) { this._control({ action: 'muteAttendee', participantId, isMute }, cb); }
  muteAllAttendee(isMute, allowUnmute, cb) { this._control({ action: 'muteAllAttendee', isMute, allowUnmute }, cb); }
  setCamera(isOn, cb) { this._control({ action: 'setCamera', isOn }, cb); }
  raiseHand(isRaised, cb) { this._control({ action: 'raiseHand', isRaised }, cb); }
  setCohostRight(participantId, isSet, cb) { this._control({ action: 'setCohostRight', participantId, isSet }, cb); }
  grantHostRole(participantId, cb) { this._control({ action: 'grantHostRole', participantId }, cb); }
  requestHostRole(hostPwd, cb) { this._control({ action: 'requestHostRole', hostPwd }, cb); }
  lockConf(isLock, cb) { this._control({ action: 'lockConf', isLock }, cb); }
  hangupAttendee(participantId, cb) { this._control({ action: 'hangupAttendee', participantId }, cb); }
  allowWaitingAttendeeEnter(participantId, cb) { this._control({ action: 'allowWaitingAttendeeEnter', participantId }, cb); }
  allowAllWaitingAttendeeEnter(cb) { this._control({ action: 'allowAllWaitingAttendeeEnter' }, cb); }
  moveToWaitingRoom(participantId, cb) { this._control({ action: 'moveToWaitingRoom', participantId }, cb); }
  openWaitingRoom(isOpen, cb) { this._control({ action: 'openWaitingRoom', isOpen }, cb); }
  extendConf(minutes, cb) { this._control({ action: 'extendConf', minutes }, cb); }
  endConf(cb) { this._control({ action: 'endConf' }, cb); }
  // ---- Media: one RTCPeerConnection to the server's SFU, negotiated over
  // the meeting's WebSocket. We offer our own tracks once; after that the
  // server offers (others' tracks added or stopped) and we answer.

  /**
   * startMedia({audio, video}, cb): capture the microphone and camera and
   * open the media connection. Only admitted participants may; an AUDIO
   * meeting refuses video (CMS_CONF_MEDIA_TYPES_ILLEGAL).
   * Remote media arrives through `onRemoteTrack({participantId, track, stream})`.
   */
  async startMedia({ audio = true, video = true } = {}, cb) {
    if (!this._ws) return this._done(cb, SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in a meeting');
    this.stopMedia();
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio, video: video ? { width: 640, height: 360 } : false });
    } catch (e) {
      return this._done(cb, SDKERR.SDK_COMMON_FAIL, `no camera or microphone: ${e.message}`);
    }
    const pc = new RTCPeerConnection({ iceServers: this.iceServers || [] });
    this._pc = pc;
    this.localStream = stream;
    this._trackOwner = new Map();
    for (const t of stream.getTracks()) {
      if (t.kind === 'audio') t.enabled = this._micEnabled ?? true;
      if (t.kind === 'video') t.enabled = this._cameraEnabled ?? true;
      // Video goes out in two simulcast layers; the server forwards each
      // subscriber the one its downlink carries.
      const sendEncodings = t.kind === 'video'
        ? [{ rid: 'l', scaleResolutionDownBy: 2, maxBitrate: 200000 }, { rid: 'h', maxBitrate: 1200000 }]
        : undefined;
      pc.addTransceiver(t, { direction: 'sendonly', streams: [stream], sendEncodings });
    }
    pc.ontrack = (ev) => {
      const stream = ev.streams[0];
      const participantId = Number(String(stream?.id || '').replace(/^p/, ''));
      this._trackOwner.set(ev.track.id, participantId);
      if (typeof this.onRemoteTrack === 'function') this.onRemoteTrack({ participantId, track: ev.track, stream });
    };
    pc.onconnectionstatechange = () => {
      if (typeof this.onMediaStateChanged === 'function') this.onMediaStateChanged({ state: pc.connectionState });
    };
    await pc.setLocalDescription(await pc.createOffer());
    // The server learns our candidates from the offer: wait for them.
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const t = setTimeout(resolve, 2000);
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(); } });
    });
    if (this._pc !== pc || !this._ws) return this._done(cb, SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in a meeting');
    this._mediaCb = cb;
    this._ws.send(JSON.stringify({ type: 'mediaOffer', sdp: pc.localDescription.sdp }));
    return undefined;
  }

  async _onMediaSignal(data) {
    const pc = this._pc;
    if (data.type === 'mediaError') {
      const cb = this._mediaCb; this._mediaCb = null;
      this.stopMedia();
      this._done(cb, data.ret, data.reason);
      return;
    }
    if (data.type === 'mediaClosed') {
      this.stopMedia();
      if (typeof this.onMediaClosed === 'function') this.onMediaClosed({ reason: data.reason });
      return;
    }
    if (!pc) return;
    if (data.type === 'mediaAnswer') {
      await pc.setRemoteDescription({ type: 'answer', sdp: data.sdp });
      const cb = this._mediaCb; this._mediaCb = null;
      this._done(cb, 0, '');
    } else if (data.type === 'mediaOffer') {
      await pc.setRemoteDescription({ type: 'offer', sdp: data.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      if (this._ws && this._pc === pc) this._ws.send(JSON.stringify({ type: 'mediaAnswer', sdp: pc.localDescription.sdp }));
    }
  }

  _mediaFailed(reason) {
    const cb = this._mediaCb; this._mediaCb = null;
    this.stopMedia();
    if (cb) this._done(cb, SDKERR.SDK_COMMON_FAIL, reason);
  }

  /** stopMedia(): close the media connection and release camera and microphone. */
  stopMedia() {
    if (this._pc) {
      try { this._pc.close(); } catch (_) { /* already closed */ }
      this._pc = null;
      if (this._ws && this._ws.readyState === WebSocket.OPEN) this._ws.send(JSON.stringify({ type: 'mediaClose' }));
    }
    if (this.localStream) { for (const t of this.localStream.getTracks()) t.stop(); this.localStream = null; }
  }

  /** Whether the media connection is open (or opening). */
  get hasMedia() { return !!this._pc; }

  /** setMicEnabled(on): stop or resume sending microphone audio locally (use muteAttendee to tell the meeting). */
  setMicEnabled(on) {
    this._micEnabled = on;
    for (const t of this.localStream?.getAudioTracks() || []) t.enabled = on;
  }

  /** setCameraEnabled(on): stop or resume sending camera video locally (use setCamera to tell the meeting). */
  setCameraEnabled(on) {
    this._cameraEnabled = on;
    for (const t of this.localStream?.getVideoTracks() || []) t.enabled = on;
  }

  /**
   * mediaStats() -> {participantId: {audioPacketsReceived, videoFramesDecoded, frameWidth, frameHeight}}
   * from the connection's inbound RTP statistics.
   */
  async mediaStats() {
    const out = {};
    if (!this._pc) return out;
    const report = await this._pc.getStats();
    report.forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      const pid = this._trackOwner.get(r.trackIdentifier);
      if (pid === undefined) return;
      const s = out[pid] || (out[pid] = { audioPacketsReceived: 0, videoFramesDecoded: 0, frameWidth: 0, frameHeight: 0 });
      if (r.kind === 'audio') s.audioPacketsReceived += r.packetsReceived || 0;
      if (r.kind === 'video') {
        s.videoFramesDecoded += r.framesDecoded || 0;
        s.frameWidth = Math.max(s.frameWidth, r.frameWidth || 0);
        s.frameHeight = Math.max(s.frameHeight, r.frameHeight || 0);
      }
    });
    return out;
  }

  /** sendStats() -> [{kind, rid, frameWidth, bytesSent}]: what this page sends, per simulcast layer. */
  async sendStats() {
    if (!this._pc) return [];
    const out = [];
    (await this._pc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp') out.push({ kind: r.kind, rid: r.rid || null, frameWidth: r.frameWidth || 0, bytesSent: r.bytesSent || 0 });
    });
    return out;
  }

  /** leaveConf(cb): the meeting goes on without you. */
  leaveConf(cb) {
    if (!this._ws && this._reconnecting && !this._over) {
      // Left during a resume: no more attempts (one under way leaves once back).
      this._over = true;
      this.stopMedia();
      this._endReconnect(SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in the meeting');
      return this._done(cb, 0, '');
    }
    if (!this._ws) return this._done(cb, SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in a meeting');
    this._over = true;
    this.stopMedia();
    this._ws.send(JSON.stringify({ type: 'leave' }));
    this._done(cb, 0, '');
  }
}

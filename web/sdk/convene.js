// convene JS SDK: the HUAWEI CLOUD Meeting client SDK's calls, against a
// convene server. Plain ES modules, no build step. Every call takes the
// product's callback `(ret, reason, result)`; ret 0 is SDKERR_SUCCESS.
//
//   import { ConveneSDK, MediaType } from '/sdk/convene.js';
//   const sdk = new ConveneSDK();
//   sdk.loginByAccount({ account, password }, (ret, reason) => {
//     sdk.createConf({ subject: 'Weekly', mediaType: MediaType.HWM_MEDIA_TYPE_VIDEO,
//                      needPassword: true, numOfAttendee: 0, attendees: [] },
//       (ret, reason, createConfResult) => console.log(createConfResult.confId));
//   });
//
// The modules: types.js (the seed's enums, SDKERR), mapping.js (CreateConfInfo
// -> REST), rest.js (REST calls), session.js (the meeting connection and its
// state), media.js (the WebRTC connection). This file puts them together.

import { SDKERR } from './types.js';
import { toRestSchedule, toRestBooking, toRestCycleBooking, toCreateConfResult } from './mapping.js';
import { RestClient } from './rest.js';
import { MeetingSession } from './session.js';
import { MediaConnection } from './media.js';
import { CallChannel } from './calls.js';

export * from './types.js';
export { toRestSchedule, toRestBooking, toRestCycleBooking, toCreateConfResult } from './mapping.js';

/** A list after an `onAttendeesChanged`: `refresh` entries replace or join, `remove`d IDs go. */
function applyChange(list, refresh, remove) {
  const gone = new Set(remove);
  const fresh = new Map(refresh.map((a) => [a.participantId, a]));
  const out = (list || []).filter((a) => !gone.has(a.participantId) && !fresh.has(a.participantId));
  for (const a of refresh) out.push(a);
  return out.sort((a, b) => a.participantId - b.participantId);
}

/** Calls an assignable notification if the page set one. */
const notify = (f, ...args) => { if (typeof f === 'function') f(...args); };

export class ConveneSDK {
  /** @param {{baseUrl?: string}} [opts] */
  constructor(opts = {}) {
    const baseUrl = (opts.baseUrl || globalThis.location?.origin || '').replace(/\/$/, '');
    this.rest = new RestClient(baseUrl);
    this.user = null;
    this.participantId = null;
    this.selfRole = null;
    this.iceServers = [];
    this._attendees = []; this._waiting = [];
    // Notifications: assign functions to these (spec §1 names).
    this.onConfStateChanged = null; this.onConfInfoNotify = null; this.onAttendeeListChanged = null;
    this.onWaitingListChanged = null; this.onWaitingRoomStateChanged = null; this.onMeetingInfoChanged = null;
    this.onSelfRoleChanged = null; this.onConfEndingSoon = null; this.onConfEnded = null;
    this.onActiveSpeakerChanged = null;
    // Chat: each message ({message: {id, from, fromName, to?, text, at}}),
    // the recent history on admission ({messages}), and whether participants
    // may chat ({isAllowed}).
    this.onChatMessage = null; this.onChatHistory = null; this.onChatAllowedChanged = null;
    // Screen sharing: who shares now ({participantId: the latest, null:
    // nobody; sharers: everyone sharing, in order}), and whether several
    // may share at once ({isAllowed}).
    this.onShareStateChanged = null; this.onMultiShareChanged = null;
    // Cloud recording: {state: 'off' | 'recording' | 'paused'} when it
    // changes (its state on arrival is onConfInfoNotify's recordState).
    this.onRecordStateChanged = null;
    // Hosts: how an invitation into the meeting goes ({nickName, number, state}).
    this.onCallStateChanged = null;
    // Calls to the logged-in account (after listenCalls()): {callId, confId,
    // subject, inviter, mediaType, expiresAt}; then {callId, reason}.
    this.onIncomingCall = null; this.onCallEnded = null;
    // Media notifications.
    this.onRemoteTrack = null; this.onMediaClosed = null; this.onMediaStateChanged = null;
    // The meeting connection dropped and is being resumed ({state: 'reconnecting'}),
    // or is back ({state: 'connected'}). If it cannot be resumed in time,
    // onConfEnded comes with UISDK_NO_NETWORK_ERROR.
    this.onConnectionStateChanged = null;

    this.session = new MeetingSession(baseUrl.replace(/^http/, 'ws') + '/v1/convene/ws', {
      welcomed: (d) => { this.participantId = d.participantId; this.selfRole = d.role; this.iceServers = d.iceServers || []; },
      event: (e) => this._dispatch(e),
      media: (m) => this.media.onSignal(m),
      connection: (state) => notify(this.onConnectionStateChanged, { state }),
      closed: () => this.media.stop(),
      lost: () => notify(this.onConfEnded, { reason: SDKERR.UISDK_NO_NETWORK_ERROR, reasonText: 'the connection to the meeting was lost' }),
    });
    this.calls = new CallChannel(baseUrl.replace(/^http/, 'ws') + '/v1/convene/calls', {
      token: () => this.rest.accessToken,
      incoming: (c) => notify(this.onIncomingCall, c),
      ended: (e) => notify(this.onCallEnded, e),
    });
    this.media = new MediaConnection({ send: (msg) => this.session.send(msg) }, {
      remoteTrack: (t) => notify(this.onRemoteTrack, t),
      stateChanged: (s) => notify(this.onMediaStateChanged, s),
      closed: (c) => notify(this.onMediaClosed, c),
    });
  }

  /** The login's token (null before one); a page may keep it and set it back. */
  get accessToken() { return this.rest.accessToken; }
  set accessToken(t) { this.rest.accessToken = t; }

  _done(cb, ret, reason, result) {
    if (typeof cb === 'function') cb(ret, reason || '', result);
  }

  _loggedIn(data, cb) {
    this.rest.accessToken = data.accessToken;
    this.user = data.user;
    this._done(cb, 0, '', { userUuid: data.user.userUUID, account: data.user.userId, thirdAccount: data.user.thirdAccount });
  }

  /** loginByAccount({account, password}, cb) -> {userUuid, account, thirdAccount} */
  async loginByAccount(info, cb) {
    if (!info || !info.account || !info.password) return this._done(cb, SDKERR.UISDK_PASSWORD_OR_ACCOUNT_EMPTY, 'account and password are required');
    const basic = btoa(unescape(encodeURIComponent(`${info.account}:${info.password}`)));
    const [ret, reason, data] = await this.rest.call('POST', '/v1/usg/acs/auth/account', {
      body: { account: info.account, clientType: 72 }, headers: { Authorization: `Basic ${basic}` },
    });
    if (ret) return this._done(cb, ret, reason);
    return this._loggedIn(data, cb);
  }

  /** loginByAppId({appId, corpId, thirdUserId, userName, signature, nonce, expireTime, ...}, cb) */
  async loginByAppId(info, cb) {
    const [ret, reason, data] = await this.rest.call('POST', '/v2/usg/acs/auth/appauth', {
      body: { appId: info.appId, userId: info.thirdUserId, corpId: info.corpId, expireTime: info.expireTime, nonce: info.nonce,
        clientType: 72, userName: info.userName, userEmail: info.userEmail, userPhone: info.userPhone, deptCode: info.deptCode },
      headers: { Authorization: `HMAC-SHA256 signature=${info.signature},access=${btoa(info.appId)}` },
    });
    if (ret) return this._done(cb, ret, reason);
    return this._loggedIn(data, cb);
  }

  /**
   * createConf(createConfInfo, onCreateConfResult): the seed's call.
   * @param {import('./types.js').CreateConfInfo} createConfInfo
   * @param {(ret: number, reason: string, createConfResult: import('./types.js').CreateConfResult) => void} [onCreateConfResult]
   */
  async createConf(createConfInfo, onCreateConfResult) {
    if (!this.rest.accessToken) return this._done(onCreateConfResult, SDKERR.UISDK_UNLOGIN_ERROR, 'not logged in');
    const [ret, reason, data] = await this.rest.call('POST', '/v1/mmc/management/conferences', { body: toRestSchedule(createConfInfo) });
    if (ret) return this._done(onCreateConfResult, ret, reason);
    return this._done(onCreateConfResult, 0, '', toCreateConfResult(data[0]));
  }

  /**
   * bookConf({startTime (UTC seconds), duration (minutes), timeZoneId?, confCommonParam: CreateConfInfo}, cb)
   * -> CreateConfResult: a meeting booked for later; hosts can start it 30 minutes before.
   */
  async bookConf(param, cb) {
    if (!this.rest.accessToken) return this._done(cb, SDKERR.UISDK_UNLOGIN_ERROR, 'not logged in');
    const [ret, reason, data] = await this.rest.call('POST', '/v1/mmc/management/conferences', { body: toRestBooking(param) });
    if (ret) return this._done(cb, ret, reason);
    return this._done(cb, 0, '', toCreateConfResult(data[0]));
  }

  /**
   * bookCycleConf({...bookConf's param, cycleParam: {startDate, endDate, cycle, interval?, point?, preRemindDays?}}, cb)
   * -> CreateConfResult of the first occurrence: a recurring series, every
   * occurrence at startTime's time of day in timeZoneId's zone, sharing the
   * meeting ID, passwords and links.
   */
  async bookCycleConf(param, cb) {
    if (!this.rest.accessToken) return this._done(cb, SDKERR.UISDK_UNLOGIN_ERROR, 'not logged in');
    const [ret, reason, data] = await this.rest.call('POST', '/v1/mmc/management/cycleconferences', { body: toRestCycleBooking(param) });
    if (ret) return this._done(cb, ret, reason);
    return this._done(cb, 0, '', toCreateConfResult(data[0]));
  }

  /** getTimeZones(cb) -> [{timeZoneID, zone (IANA), label}]: the codes bookConf's timeZoneId takes. */
  async getTimeZones(cb) {
    const [ret, reason, data] = await this.rest.call('GET', '/v1/convene/timezones');
    return this._done(cb, ret, reason, data || undefined);
  }

  /** modifyConf(confId, bookConf's param, cb) -> CreateConfResult: edits a booked meeting before it starts. */
  async modifyConf(confId, param, cb) {
    if (!this.rest.accessToken) return this._done(cb, SDKERR.UISDK_UNLOGIN_ERROR, 'not logged in');
    const [ret, reason, data] = await this.rest.call('PUT', '/v1/mmc/management/conferences', {
      body: toRestBooking(param), query: { conferenceID: confId },
    });
    if (ret) return this._done(cb, ret, reason);
    return this._done(cb, 0, '', toCreateConfResult(data[0]));
  }

  /** cancelConf(confId, cb): cancels a booked meeting, or ends a started one. */
  async cancelConf(confId, cb) {
    if (!this.rest.accessToken) return this._done(cb, SDKERR.UISDK_UNLOGIN_ERROR, 'not logged in');
    const [ret, reason] = await this.rest.call('DELETE', '/v1/mmc/management/conferences', { query: { conferenceID: confId, type: 1 } });
    return this._done(cb, ret, reason);
  }

  /** getConfList({offset, limit, sortType?, queryConfMode?}, cb) -> {count, data: ConferenceInfo[]}: meetings not over yet. */
  async getConfList(q, cb) {
    if (!this.rest.accessToken) return this._done(cb, SDKERR.UISDK_UNLOGIN_ERROR, 'not logged in');
    const query = Object.fromEntries(Object.entries(q || {}).filter(([, v]) => v !== undefined && v !== null));
    const [ret, reason, data] = await this.rest.call('GET', '/v1/mmc/management/conferences', { query });
    return this._done(cb, ret, reason, data || undefined);
  }

  /** getConfDetail(confId, cb) -> ConferenceInfo. */
  async getConfDetail(confId, cb) {
    if (!this.rest.accessToken) return this._done(cb, SDKERR.UISDK_UNLOGIN_ERROR, 'not logged in');
    const [ret, reason, data] = await this.rest.call('GET', '/v1/mmc/management/conferences/confDetail', { query: { conferenceID: confId } });
    return this._done(cb, ret, reason, data ? data.conferenceData : undefined);
  }

  /** logout(cb): the access token stops working; the SDK forgets it. */
  async logout(cb) {
    if (!this.rest.accessToken) return this._done(cb, 0, '');
    const [ret, reason] = await this.rest.call('DELETE', '/v1/usg/acs/token');
    this.calls.stop();
    this.rest.accessToken = null;
    this.user = null;
    return this._done(cb, ret, reason);
  }

  /**
   * getHistoryList({startDate, endDate (ms), offset?, limit?}, cb) -> {count, data: ConferenceInfo[]}:
   * meetings held, newest first; `isHasRecordFile` says which have a recording.
   */
  async getHistoryList(q, cb) {
    if (!this.rest.accessToken) return this._done(cb, SDKERR.UISDK_UNLOGIN_ERROR, 'not logged in');
    const query = Object.fromEntries(Object.entries(q || {}).filter(([, v]) => v !== undefined && v !== null));
    const [ret, reason, data] = await this.rest.call('GET', '/v1/mmc/management/conferences/history', { query });
    return this._done(cb, ret, reason, data || undefined);
  }

  /**
   * getRecordingUrls(confUUID, cb) -> [{fileType, url, token, participantName?}]: single-use
   * download links (one hour) of a meeting's recording: `Hd` the composed meeting, `Track` each
   * participant's own. Fetch `url` with `Authorization: token`, or open `url + '?token=' + token`.
   */
  async getRecordingUrls(confUUID, cb) {
    if (!this.rest.accessToken) return this._done(cb, SDKERR.UISDK_UNLOGIN_ERROR, 'not logged in');
    const [ret, reason, data] = await this.rest.call('GET', '/v1/mmc/management/record/downloadurls', { query: { confUUID } });
    return this._done(cb, ret, reason, data ? (data.recordUrls[0] || { urls: [] }).urls : undefined);
  }

  /**
   * getMinutes(confUUID, cb) -> the minutes of a meeting created with
   * defaultSummaryState on ({subject, attendance, speaking, controlLog, chat,
   * recordings...}); for its organiser, hosts and the enterprise's admins.
   */
  async getMinutes(confUUID, cb) {
    if (!this.rest.accessToken) return this._done(cb, SDKERR.UISDK_UNLOGIN_ERROR, 'not logged in');
    const [ret, reason, data] = await this.rest.call('GET', '/v1/convene/minutes', { query: { confUUID } });
    return this._done(cb, ret, reason, data || undefined);
  }

  /** joinConfById({confId, password, nickName, isMicOn, isCameraOn}, cb) -> {participantId, role} */
  joinConfById(info, cb) {
    this._join({ confId: info.confId, password: info.password || '' }, info, cb);
  }

  /** joinConfByRandom({confId, random, nickName, isMicOn, isCameraOn}, cb): a guest link, no password. */
  joinConfByRandom(info, cb) {
    this._join({ confId: info.confId, random: info.random }, info, cb);
  }

  /** The place to take back after a reload ({confId, participantId, resumeToken}) while in a meeting, else null. */
  get resumeInfo() { return this.session.resume ? { ...this.session.resume } : null; }

  /**
   * resumeConf({confId, participantId, resumeToken}, cb) -> {participantId, role}:
   * after a page reload, the same participant again (within the 30 s the
   * server keeps the place); the old page's media connection is closed so
   * that startMedia opens a new one.
   */
  resumeConf(saved, cb) {
    this.session.resumeFrom(saved, (ret, reason, result) => {
      if (!ret) this.session.send({ type: 'mediaClose' });
      this._done(cb, ret, reason, result);
    });
  }

  _join(credential, info, cb) {
    const hello = { type: 'join', accessToken: this.rest.accessToken || undefined, ...credential,
      nickName: info.nickName || '', isMicOn: !!info.isMicOn, isCameraOn: !!info.isCameraOn };
    this.session.join(hello, (ret, reason, joined) => this._done(cb, ret, reason, joined));
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
      case 'onConfEnded': this.session.ended(); return call(this.onConfEnded, { reason: e.reason, reasonText: e.reasonText });
      case 'onActiveSpeakerChanged': return call(this.onActiveSpeakerChanged, { participantId: e.participantId ?? null });
      case 'onChatMessage': return call(this.onChatMessage, { message: e.message });
      case 'onChatHistory': return call(this.onChatHistory, { messages: e.messages });
      case 'onChatAllowedChanged': return call(this.onChatAllowedChanged, { isAllowed: e.isAllowed });
      case 'onRecordStateChanged': return call(this.onRecordStateChanged, { state: e.state });
      case 'onShareStateChanged': {
        // Older servers send only the latest sharer.
        const sharers = e.sharers ?? (e.participantId == null ? [] : [e.participantId]);
        // We are not among the sharers (a host stopped ours, or took
        // several sharers back): our screen goes.
        if (!sharers.includes(this.participantId) && this.media.screenTrack && !this._sharePending) this.media.setScreen(null);
        return call(this.onShareStateChanged, { participantId: e.participantId ?? null, sharers });
      }
      case 'onMultiShareChanged': return call(this.onMultiShareChanged, { isAllowed: e.isAllowed });
      case 'onCallStateChanged': return call(this.onCallStateChanged, { nickName: e.nickName, number: e.number, state: e.state });
      default: return undefined;
    }
  }

  _control(action, cb) {
    this.session.control(action, (ret, reason) => this._done(cb, ret, reason));
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
  renameAttendee(participantId, newName, cb) { this._control({ action: 'renameAttendee', participantId, newName }, cb); }
  setHandsState(participantId, isRaised, cb) { this._control({ action: 'setHandsState', participantId, isRaised }, cb); }
  releaseHostRole(participantId, cb) { this._control({ action: 'releaseHostRole', participantId }, cb); }
  allowGuestUnmute(isAllowed, cb) { this._control({ action: 'allowGuestUnmute', isAllowed }, cb); }
  /** sendChatMessage(text, to?, cb): to everyone, or privately to participant `to`. */
  sendChatMessage(text, to, cb) { this._control({ action: 'sendChatMessage', text, to: to ?? undefined }, cb); }
  /** allowChat(isAllowed, cb): hosts let participants chat, or not. */
  allowChat(isAllowed, cb) { this._control({ action: 'allowChat', isAllowed }, cb); }
  /** allowMultiShare(isAllowed, cb): hosts let several people share screens at once (up to four), or one. */
  allowMultiShare(isAllowed, cb) { this._control({ action: 'allowMultiShare', isAllowed }, cb); }
  /**
   * shareScreen(cb): asks the browser for a screen (call it from a click),
   * puts it on the media connection and asks the meeting to let it through
   * (one sharer at a time unless the hosts allow several; refused with the
   * reason, and the screen dropped).
   * The browser's own "Stop sharing" stops it too. Others get it through
   * onRemoteTrack with `screen: true`.
   */
  async shareScreen(cb) {
    if (!this.media.screenSender) return this._done(cb, SDKERR.CMS_CONF_MEDIA_TYPES_ILLEGAL, 'no screen sharing without a video connection');
    let display;
    try {
      display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (e) {
      return this._done(cb, SDKERR.SDK_COMMON_FAIL, `no screen to share: ${e.message}`);
    }
    const track = display.getVideoTracks()[0];
    track.addEventListener('ended', () => { if (this.media.screenTrack === track) this.stopShareScreen(); });
    await this.media.setScreen(track);
    this.localScreen = display;
    this._sharePending = true;
    return this._control({ action: 'setShare', isOn: true }, (ret, reason) => {
      this._sharePending = false;
      if (ret && this.media.screenTrack === track) this.media.setScreen(null);
      this._done(cb, ret, reason);
    });
  }
  /** stopShareScreen(cb): stops sharing one's screen. */
  stopShareScreen(cb) {
    this.media.setScreen(null);
    this.localScreen = null;
    this._control({ action: 'setShare', isOn: false }, cb);
  }
  /** stopShare(participantId, cb): a host or co-host stops someone's sharing. */
  stopShare(participantId, cb) { this._control({ action: 'setShare', participantId, isOn: false }, cb); }

  /**
   * operateCloudRecord(op, cb): 'start' | 'stop' | 'pause' | 'resume' the
   * meeting's cloud recording (hosts and co-hosts; a meeting created without
   * allowRecord answers CMS_RECORD_START_EXCEPTION).
   */
  operateCloudRecord(op, cb) { this._control({ action: 'operateCloudRecord', op }, cb); }
  /** addAttendee([{nickName, number, accountId?, userUuid?}], cb): invite into the meeting; their logged-in clients ring. */
  addAttendee(attendees, cb) { this._control({ action: 'addAttendee', attendees }, cb); }

  /** listenCalls(): ring this page for calls to the logged-in account (onIncomingCall, onCallEnded). */
  listenCalls() { this.calls.start(); }
  stopListeningCalls() { this.calls.stop(); }
  /** declineCall(callId): every device of the account stops ringing. */
  declineCall(callId) { this.calls.decline(callId); }
  /** acceptCall(call, {nickName, isMicOn, isCameraOn}, cb): joins the call's meeting as the logged-in account. */
  acceptCall(call, info, cb) {
    this._join({ confId: call.confId, password: '' }, info || {}, cb);
  }

  /** leaveConf(cb): the meeting goes on without you. */
  leaveConf(cb) {
    const [ret, reason] = this.session.leave();
    this._done(cb, ret, reason);
  }

  /**
   * startMedia({audio, video, audioDeviceId?, videoDeviceId?}, cb): capture the microphone and
   * camera (the chosen ones: `deviceId`s from `navigator.mediaDevices.enumerateDevices()`) and
   * open the media connection. Only admitted participants may; an AUDIO
   * meeting refuses video (CMS_CONF_MEDIA_TYPES_ILLEGAL).
   * Remote media arrives through `onRemoteTrack({participantId, track, stream})`.
   */
  async startMedia({ audio = true, video = true, audioDeviceId, videoDeviceId } = {}, cb) {
    if (!this.session.socket) return this._done(cb, SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in a meeting');
    return this.media.start({ audio, video, audioDeviceId, videoDeviceId }, this.iceServers, (ret, reason) => this._done(cb, ret, reason));
  }

  /** stopMedia(): close the media connection and release camera and microphone. */
  stopMedia() { this.media.stop(); }

  /** Whether the media connection is open (or opening). */
  get hasMedia() { return !!this.media.pc; }

  /** The camera and microphone stream while media is on. */
  get localStream() { return this.media.localStream; }

  /** setMicEnabled(on): stop or resume sending microphone audio locally (use muteAttendee to tell the meeting). */
  setMicEnabled(on) { this.media.setMicEnabled(on); }

  /** setCameraEnabled(on): stop or resume sending camera video locally (use setCamera to tell the meeting). */
  setCameraEnabled(on) { this.media.setCameraEnabled(on); }

  /** mediaStats() -> {participantId: {audioPacketsReceived, videoFramesDecoded, frameWidth, frameHeight, packetsReceived, packetsLost}} */
  mediaStats() { return this.media.receiveStats(); }

  /** sendStats() -> [{kind, rid, frameWidth, bytesSent}]: what this page sends, per simulcast layer. */
  sendStats() { return this.media.sendStats(); }
}

// The meeting half of the SDK: the WebSocket to one meeting, in one explicit
// state, resumed within the server's grace period when it drops.

import { SDKERR } from './types.js';

/** How long a dropped meeting connection is retried (the server keeps the place 30 s). */
const RESUME_FOR_MS = 25000;

const MEDIA_SIGNALS = new Set(['mediaAnswer', 'mediaOffer', 'mediaError', 'mediaClosed']);

/**
 * The connection to a meeting. `state.name` is one of:
 *
 *   idle          not in a meeting: the start, and after a failed join, a lost
 *                 connection or an end the server closed
 *   joining       {ws}         the join is sent, not answered yet
 *   connected     {ws}         in the meeting
 *   reconnecting  {queued, attempt}
 *                              the socket dropped without us leaving: the place
 *                              is being resumed; control calls wait in `queued`
 *   ending        {ws}         left, or the meeting ended for us; the server
 *                              answers what is pending and closes the socket
 *
 * `hooks`: welcomed(data) on a join or resume; event(e) for each meeting event
 * (once, in order, across resumes); media(msg) for media signalling;
 * connection('reconnecting' | 'connected'); closed() when the connection is
 * over (media goes); lost() when a resume failed (after closed()).
 */
export class MeetingSession {
  constructor(wsUrl, hooks) {
    this.wsUrl = wsUrl;
    this.hooks = hooks;
    this.state = { name: 'idle' };
    this.resume = null;
    this.lastSeq = 0;
    this.pending = new Map();
    this.nextReq = 1;
  }

  /** The open socket of a meeting we are in (for media signalling), or null. */
  get socket() {
    return this.state.name === 'connected' ? this.state.ws : null;
  }

  /** join(hello, cb): `hello` is the join message; cb(ret, reason, {participantId, role}). */
  join(hello, cb) {
    if (this.state.name !== 'idle') return cb(SDKERR.UISDK_ALREADY_EXIST_CONF_OR_CALL, 'already in a meeting');
    this.resume = null;
    this.lastSeq = 0;
    const ws = this._open(hello, (ret, reason, data) => {
      if (this.state.ws !== ws) return;
      if (ret) { this.state = { name: 'idle' }; cb(ret, reason); return; }
      this.resume = { confId: hello.confId, participantId: data.participantId, resumeToken: data.resumeToken };
      this.state = { name: 'connected', ws };
      this.hooks.welcomed(data);
      cb(0, '', { participantId: data.participantId, role: data.role });
    });
    this.state = { name: 'joining', ws };
    return undefined;
  }

  /**
   * resumeFrom({confId, participantId, resumeToken}, cb): takes a place back
   * after the page was reloaded (the server keeps it 30 s); the server sends
   * a fresh view (or what was missed). cb(ret, reason, {participantId, role}).
   */
  resumeFrom(saved, cb) {
    if (this.state.name !== 'idle') return cb(SDKERR.UISDK_ALREADY_EXIST_CONF_OR_CALL, 'already in a meeting');
    this.resume = { confId: saved.confId, participantId: saved.participantId, resumeToken: saved.resumeToken };
    this.lastSeq = 0;
    const hello = { type: 'resume', ...this.resume, lastSeq: 0 };
    const ws = this._open(hello, (ret, reason, data) => {
      if (this.state.ws !== ws) return;
      if (ret) { this.state = { name: 'idle' }; this.resume = null; cb(ret, reason); return; }
      this.state = { name: 'connected', ws };
      this.hooks.welcomed(data);
      cb(0, '', { participantId: data.participantId, role: data.role });
    });
    this.state = { name: 'joining', ws };
    return undefined;
  }

  /** control(action, cb): one host or self control; waits while the connection is resumed. */
  control(action, cb) {
    const s = this.state;
    if (s.name === 'reconnecting') { s.queued.push({ action, cb }); return; }
    if (s.name !== 'connected') { cb(SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in a meeting'); return; }
    const reqId = this.nextReq++;
    this.pending.set(reqId, cb);
    s.ws.send(JSON.stringify({ type: 'control', reqId, ...action }));
  }

  /** Sends a media signalling message if we are in the meeting; says whether it went. */
  send(msg) {
    const ws = this.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  /** leave(): the meeting goes on without us. Returns [ret, reason]. */
  leave() {
    const s = this.state;
    if (s.name === 'reconnecting') {
      // No more attempts; one under way leaves once it is back.
      this.state = { name: 'idle' };
      this._fail(s.queued, SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in the meeting');
      this.hooks.closed();
      return [0, ''];
    }
    if (s.name === 'ending') return [0, ''];
    if (s.name !== 'connected') return [SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in a meeting'];
    this.hooks.closed();
    s.ws.send(JSON.stringify({ type: 'leave' }));
    this.state = { name: 'ending', ws: s.ws };
    return [0, ''];
  }

  /** The meeting ended for us (an onConfEnded event): the server closes the socket next. */
  ended() {
    if (this.state.name === 'connected') this.state = { name: 'ending', ws: this.state.ws };
    this.hooks.closed();
  }

  /**
   * Opens one socket and sends `hello` (a join or a resume); `answer` hears
   * once how it was answered. After the welcome, its messages count only
   * while it is the state's socket.
   */
  _open(hello, answer) {
    const ws = new WebSocket(this.wsUrl);
    let welcomed = false;
    let answered = false;
    const once = (...args) => { if (!answered) { answered = true; answer(...args); } };
    ws.onopen = () => ws.send(JSON.stringify(hello));
    ws.onmessage = (m) => {
      const data = JSON.parse(m.data);
      if (!welcomed) {
        if (data.type === 'error') once(data.ret, data.reason);
        if (data.type === 'joined' || data.type === 'resumed') {
          welcomed = true;
          once(0, '', data);
        }
        return;
      }
      if (this.state.ws !== ws) return;
      if (data.type === 'result') {
        const cb = this.pending.get(data.reqId);
        if (cb) { this.pending.delete(data.reqId); cb(data.ret, data.reason || ''); }
      } else if (data.type === 'event') {
        // A resume replays what was missed; never twice.
        if (data.seq <= this.lastSeq) return;
        this.lastSeq = data.seq;
        this.hooks.event(data.event);
      } else if (MEDIA_SIGNALS.has(data.type)) {
        this.hooks.media(data);
      }
    };
    ws.onclose = () => {
      if (!welcomed) { once(SDKERR.UISDK_NO_NETWORK_ERROR, 'the connection closed'); return; }
      if (this.state.ws === ws) this._dropped();
    };
    return ws;
  }

  /** The state's socket closed. */
  _dropped() {
    const over = this.state.name === 'ending';
    // Over: not in the meeting any more. Dropped: whether the server got the
    // pending calls is unknown; the caller may try again once reconnected.
    const [ret, reason] = over
      ? [SDKERR.UISDK_NOT_IN_CONF_OR_CALL, 'not in the meeting']
      : [SDKERR.UISDK_NO_NETWORK_ERROR, 'the connection to the meeting dropped'];
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const cb of pending) cb(ret, reason);
    if (over || !this.resume) {
      this.state = { name: 'idle' };
      this.hooks.closed();
      return;
    }
    this._reconnect();
  }

  /** Resume the dropped connection, retrying for as long as the server keeps the place. */
  _reconnect() {
    const state = { name: 'reconnecting', queued: [], attempt: null };
    this.state = state;
    this.hooks.connection('reconnecting');
    const giveUpAt = Date.now() + RESUME_FOR_MS;
    const attempt = (delay) => setTimeout(() => {
      if (this.state !== state) return; // left meanwhile
      const r = this.resume;
      const hello = { type: 'resume', confId: r.confId, participantId: r.participantId, resumeToken: r.resumeToken, lastSeq: this.lastSeq };
      const ws = this._open(hello, (ret, _reason, data) => {
        if (this.state !== state) {
          // Left while this attempt was under way: leave on the resumed connection too.
          if (!ret) ws.send(JSON.stringify({ type: 'leave' }));
          return;
        }
        if (!ret) {
          this.state = { name: 'connected', ws };
          this.hooks.welcomed(data);
          for (const q of state.queued) this.control(q.action, q.cb);
          this.hooks.connection('connected');
          return;
        }
        // No network, or the meeting moving to another node ("try again"): retry.
        const transient = ret === SDKERR.UISDK_NO_NETWORK_ERROR || ret === SDKERR.SDK_COMMON_FAIL;
        if (transient && Date.now() < giveUpAt) { attempt(Math.min(delay * 2 || 250, 2000)); return; }
        // Refused (the place is gone) or out of time.
        this.state = { name: 'idle' };
        this._fail(state.queued, SDKERR.UISDK_NO_NETWORK_ERROR, 'the connection to the meeting was lost');
        this.hooks.closed();
        this.hooks.lost();
      });
      state.attempt = ws;
    }, delay);
    attempt(0);
  }

  _fail(queued, ret, reason) {
    for (const q of queued) q.cb(ret, reason);
  }
}

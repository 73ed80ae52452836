// Incoming calls: a logged-in page listens on /v1/convene/calls for
// invitations into running meetings (a host's addAttendee, the REST
// invite_participant, a meeting's isAutoInvite invitees when it starts).
// The channel reconnects by itself while listening (calls still ringing
// come again on reconnect).

export class CallChannel {
  /**
   * @param {string} url the channel's ws(s):// URL
   * @param {{token: () => string|null, incoming: (call: object) => void, ended: (e: {callId: string, reason: string}) => void, error?: (e: {ret: number, reason: string}) => void}} hooks
   */
  constructor(url, hooks) {
    this.url = url;
    this.hooks = hooks;
    this.ws = null;
    this.listening = false;
    this.retry = 1000;
  }

  start() {
    if (this.listening) return;
    this.listening = true;
    this._open();
  }

  stop() {
    this.listening = false;
    if (this.ws) this.ws.close();
    this.ws = null;
  }

  /** Turns a call down: every device of the account stops ringing. */
  decline(callId) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify({ type: 'decline', callId }));
  }

  _open() {
    const token = this.hooks.token();
    if (!this.listening || !token) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'listen', accessToken: token }));
    ws.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (msg.type === 'listening') this.retry = 1000;
      else if (msg.type === 'incomingCall') this.hooks.incoming(msg);
      else if (msg.type === 'callEnded') this.hooks.ended({ callId: msg.callId, reason: msg.reason });
      else if (msg.type === 'error') {
        if (this.hooks.error) this.hooks.error({ ret: msg.ret, reason: msg.reason });
        // A refused login (an expired token: a 2xxxxxxxx account error) is
        // not retried; a refused decline (the call ended meanwhile) is harmless.
        if (String(msg.ret).length === 9 && String(msg.ret).startsWith('2')) this.listening = false;
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!this.listening) return;
      setTimeout(() => this._open(), this.retry);
      this.retry = Math.min(this.retry * 2, 30000);
    };
  }
}

// The JS SDK's meeting connection (web/sdk/session.js) against a scripted
// server: its states across join, drop, resume, leave and a lost place.
// Run by crates/convene-server/tests/js_sdk.rs.
import { strictEqual, deepStrictEqual } from 'node:assert/strict';

const sockets = [];
class FakeSocket {
  static OPEN = 1;
  constructor(url) { this.url = url; this.sent = []; this.readyState = 1; sockets.push(this); setTimeout(() => this.onopen?.(), 0); }
  send(text) { this.sent.push(JSON.parse(text)); }
  close() { this.readyState = 3; setTimeout(() => this.onclose?.(), 0); }
  serverSays(msg) { this.onmessage({ data: JSON.stringify(msg) }); }
}
globalThis.WebSocket = FakeSocket;
const { MeetingSession } = await import('../sdk/session.js');
const { SDKERR } = await import('../sdk/types.js');

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
const until = async (what, f) => { for (let i = 0; i < 200; i++) { if (f()) return; await tick(); } throw new Error(`never: ${what}`); };

function session() {
  const seen = { events: [], connection: [], closed: 0, lost: 0 };
  const s = new MeetingSession('ws://test/v1/convene/ws', {
    welcomed: () => {}, event: (e) => seen.events.push(e.name), media: () => {},
    connection: (c) => seen.connection.push(c), closed: () => { seen.closed += 1; }, lost: () => { seen.lost += 1; },
  });
  return [s, seen];
}

async function joined() {
  const [s, seen] = session();
  let answer;
  s.join({ type: 'join', confId: '900' }, (...a) => { answer = a; });
  strictEqual(s.state.name, 'joining');
  const ws = sockets.at(-1);
  await until('hello sent', () => ws.sent.length === 1);
  ws.serverSays({ type: 'joined', participantId: 7, role: 0, resumeToken: 'r' });
  deepStrictEqual(answer, [0, '', { participantId: 7, role: 0 }]);
  strictEqual(s.state.name, 'connected');
  return [s, seen, ws];
}

const tests = {
  async 'a refused join is idle again'() {
    const [s] = session();
    let answer;
    s.join({ type: 'join', confId: '900' }, (...a) => { answer = a; });
    s.join({ type: 'join', confId: '900' }, (...a) => { strictEqual(a[0], SDKERR.UISDK_ALREADY_EXIST_CONF_OR_CALL); });
    await tick();
    sockets.at(-1).serverSays({ type: 'error', ret: 111070005, reason: 'no' });
    deepStrictEqual(answer, [111070005, 'no']);
    strictEqual(s.state.name, 'idle');
  },
  async 'events once each, across a resume; calls made meanwhile go out once back'() {
    const [s, seen, ws] = await joined();
    ws.serverSays({ type: 'event', seq: 1, event: { name: 'a' } });
    ws.close();
    await until('reconnecting', () => s.state.name === 'reconnecting');
    let queued;
    s.control({ action: 'raiseHand', isRaised: true }, (...a) => { queued = a; });
    await until('resume sent', () => sockets.at(-1) !== ws && sockets.at(-1).sent.length === 1);
    const again = sockets.at(-1);
    deepStrictEqual(again.sent[0], { type: 'resume', confId: '900', participantId: 7, resumeToken: 'r', lastSeq: 1 });
    again.serverSays({ type: 'resumed', participantId: 7, role: 0 });
    strictEqual(s.state.name, 'connected');
    again.serverSays({ type: 'event', seq: 1, event: { name: 'a' } });
    again.serverSays({ type: 'event', seq: 2, event: { name: 'b' } });
    deepStrictEqual(seen.events, ['a', 'b']);
    deepStrictEqual(seen.connection, ['reconnecting', 'connected']);
    strictEqual(again.sent[1].action, 'raiseHand');
    again.serverSays({ type: 'result', reqId: again.sent[1].reqId, ret: 0 });
    deepStrictEqual(queued, [0, '']);
  },
  async 'leaving while reconnecting fails what waited and stops trying'() {
    const [s, seen, ws] = await joined();
    ws.close();
    await until('reconnecting', () => s.state.name === 'reconnecting');
    let queued;
    s.control({ action: 'setCamera', isOn: true }, (...a) => { queued = a; });
    deepStrictEqual(s.leave(), [0, '']);
    strictEqual(s.state.name, 'idle');
    strictEqual(queued[0], SDKERR.UISDK_NOT_IN_CONF_OR_CALL);
    strictEqual(seen.closed, 1);
    // An attempt that was under way leaves on its connection once it is back.
    const attempt = sockets.at(-1);
    if (attempt !== ws) {
      await until('resume sent', () => attempt.sent.length === 1);
      attempt.serverSays({ type: 'resumed', participantId: 7, role: 0 });
      strictEqual(attempt.sent.at(-1).type, 'leave');
      strictEqual(s.state.name, 'idle');
    }
  },
  async 'a place the server no longer keeps is lost'() {
    const [s, seen, ws] = await joined();
    ws.close();
    await until('resume sent', () => sockets.at(-1) !== ws && sockets.at(-1).sent.length === 1);
    sockets.at(-1).serverSays({ type: 'error', ret: 111070005, reason: 'gone' });
    strictEqual(s.state.name, 'idle');
    strictEqual(seen.lost, 1);
  },
  async 'after leaving, pending answers still arrive; the close ends it'() {
    const [s, , ws] = await joined();
    let answer;
    s.control({ action: 'endConf' }, (...a) => { answer = a; });
    deepStrictEqual(s.leave(), [0, '']);
    strictEqual(s.state.name, 'ending');
    strictEqual(ws.sent.at(-1).type, 'leave');
    s.control({ action: 'lockConf', isLock: true }, (...a) => strictEqual(a[0], SDKERR.UISDK_NOT_IN_CONF_OR_CALL));
    ws.close();
    await until('idle', () => s.state.name === 'idle');
    strictEqual(answer[0], SDKERR.UISDK_NOT_IN_CONF_OR_CALL);
    deepStrictEqual(s.leave()[0], SDKERR.UISDK_NOT_IN_CONF_OR_CALL);
  },
};

let failed = 0;
for (const [name, t] of Object.entries(tests)) {
  try { await t(); console.log(`ok ${name}`); } catch (e) { failed += 1; console.log(`FAIL ${name}\n${e.stack}`); }
}
process.exit(failed ? 1 : 0);

// Browser end to end: a host creates a meeting through the form, a guest
// opens the guest link and waits, the host admits them, each page decodes
// the other's video and receives its audio through the SFU, the host mutes
// the guest and stops receiving the guest's audio, the guest's meeting
// connection drops and is resumed, then the host ends the meeting, and the
// guest's page shows it ended.
// Usage: node e2e.mjs BASE_URL ACCOUNT PASSWORD ARTIFACT_DIR
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [base, account, password, artifacts, callee] = process.argv.slice(2);
mkdirSync(artifacts, { recursive: true });
const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection'];
const launch = (viewport) => chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'convene-')), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args, viewport,
});
const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
// Accessibility: axe-core (npm) in the page; no serious or critical violation.
const axePath = fileURLToPath(new URL('./node_modules/axe-core/axe.min.js', import.meta.url));
const axeSeen = [];
async function accessible(page, name) {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  axeSeen.push(name);
  if (found.length) throw new Error(`accessibility of ${name}:\n  ${found.join('\n  ')}`);
}
const step = (what) => console.log(`step: ${what}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stats = (page) => page.evaluate(() => window.convene.sdk.mediaStats());
const pidOf = (page) => page.evaluate(() => window.convene.sdk.participantId);
async function until(what, check, ms = 20000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await check();
    if (last === true) return;
    await sleep(250);
  }
  throw new Error(`timed out: ${what} (${JSON.stringify(last)})`);
}
const of = (s, pid) => s[pid] || { audioPacketsReceived: 0, videoFramesDecoded: 0, frameWidth: 0, frameHeight: 0 };

const hostCtx = await launch({ width: 1100, height: 800 });
const guestCtx = await launch({ width: 390, height: 844 }); // a phone
try {
  const host = await hostCtx.newPage();
  host.setDefaultTimeout(15000);
  const errors = [];
  host.on('pageerror', (e) => errors.push(String(e)));
  // Every page file loads (no 404 for a missing icon or module).
  host.on('response', (r) => { const p = new URL(r.url()).pathname; if (r.status() >= 400 && !p.startsWith('/v1/') && p !== '/no-such-page') errors.push(`${r.status()} ${r.url()}`); });

  step('host logs in');
  await host.goto(base + '/');
  // The page's first load (a benchmark figure, kept in the log): what came
  // over the wire for the document, scripts and styles, and when it was
  // interactive.
  const load = await host.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource').filter((r) => !r.name.includes('/v1/'));
    const bytes = nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0);
    return { bytes, files: res.length + 1, interactiveMs: Math.round(nav.domInteractive), completeMs: Math.round(nav.loadEventEnd) };
  });
  console.log(`  first load: ${(load.bytes / 1024).toFixed(1)} KB transferred in ${load.files} files, interactive at ${load.interactiveMs} ms, loaded at ${load.completeMs} ms`);
  if (load.bytes > 150 * 1024) throw new Error(`the first load is ${load.bytes} bytes (budget 150 KB)`);
  await shot(host, '01-login');
  await accessible(host, 'the login page');
  await host.fill('#login-form [name=account]', account);
  await host.fill('#login-form [name=password]', password);
  await host.click('#login-form button[type=submit]');
  await host.waitForSelector('#create-form', { state: 'visible' });

  step('host creates a meeting with the waiting room on');
  await host.fill('#create-form [name=subject]', 'Browser meeting');
  await host.check('#create-form [name=isOpenWaitingRoom]');
  await host.check('#create-form [name=allowRecord]');
  await host.fill('#create-form [name=guestPwd]', '246810');
  // The browser's own checks and a bare invitee name are said next to the form.
  await host.fill('#create-form [name=duration]', '5');
  await host.click('[data-testid=create]');
  await host.waitForFunction(() => (document.querySelector('#create-form .form-error')?.textContent || '').includes('Duration'));
  await host.fill('#create-form [name=duration]', '30');
  await host.fill('#create-form [name=attendees]', 'Bob');
  await host.click('[data-testid=create]');
  await host.waitForFunction(() => (document.querySelector('#create-form .form-error')?.textContent || '').includes('after a comma'));
  await host.fill('#create-form [name=attendees]', '');
  await shot(host, '02-create-form');
  await accessible(host, 'the home page');
  await host.click('[data-testid=create]');
  await host.waitForSelector('#created-view', { state: 'visible' });
  const confId = await host.textContent('[data-testid=conf-id]');
  const guestPwd = await host.textContent('[data-testid=guest-pwd]');
  const link = await host.getAttribute('[data-testid=guest-link]', 'href');
  if (!/^\d{9}$/.test(confId) || guestPwd !== '246810' || !link.includes(`/j/${confId}/`)) {
    throw new Error(`unexpected result: ${confId} ${guestPwd} ${link}`);
  }
  await shot(host, '03-created');

  step('host starts the meeting (pre-join: preview and devices)');
  await host.click('[data-testid=start]');
  await host.waitForSelector('#prejoin-view', { state: 'visible' });
  await host.waitForFunction(() => document.querySelector('[data-testid=preview]').videoWidth > 0);
  await shot(host, '03b-prejoin');
  await accessible(host, 'the pre-join page');
  await host.click('[data-testid=prejoin-join]');
  await host.waitForSelector('#room-view', { state: 'visible' });
  await host.waitForFunction(() => document.querySelector('[data-testid=my-role]').textContent === 'Host');

  step('guest opens the guest link and waits');
  const guest = await guestCtx.newPage();
  guest.setDefaultTimeout(15000);
  guest.on('pageerror', (e) => errors.push(String(e)));
  await guest.goto(link);
  await guest.waitForSelector('#prejoin-view', { state: 'visible' });
  // Pre-join: one's own preview, the devices to choose, the microphone's level.
  await guest.waitForFunction(() => document.querySelector('[data-testid=preview]').videoWidth > 0);
  await guest.waitForFunction(() => document.querySelector('[data-testid=camera-select]').options.length > 0
    && document.querySelector('[data-testid=mic-select]').options.length > 0);
  await guest.fill('[data-testid=prejoin-name]', 'Guest G');
  await shot(guest, '04-join-link-phone');
  await guest.click('[data-testid=prejoin-join]');
  await guest.waitForSelector('[data-testid=waiting]', { state: 'visible' });
  await shot(guest, '05-waiting-phone');
  await accessible(guest, 'the waiting room (phone)');
  if ((await guest.locator('[data-testid=attendees] li').count()) !== 0) throw new Error('a waiting guest sees the attendee list');
  if (await guest.locator('[data-testid=mic]').isVisible()) throw new Error('a waiting guest has meeting buttons');
  if (!(await guest.textContent('#room-subject')).includes('Browser meeting')) throw new Error('a waiting guest does not see the meeting\'s title');

  step('host is alerted and admits the guest');
  await host.waitForSelector('[data-testid=waiting-alert]', { state: 'visible' });
  const alertText = await host.textContent('[data-testid=waiting-alert]');
  if (!alertText.includes('Guest G is waiting')) throw new Error(`the waiting alert says: ${alertText}`);
  await host.waitForSelector('[data-testid=waiting-list] li:has-text("Guest G")');
  if (await host.locator('[data-testid=admit-all]').isDisabled()) throw new Error('"Admit all" is off while a guest waits');
  await shot(host, '06-host-waiting-list');
  await host.click('[data-testid=waiting-list] li:has-text("Guest G") [data-testid=admit]');
  await guest.waitForSelector('[data-testid=waiting]', { state: 'hidden' });
  await guest.waitForFunction(() => document.querySelectorAll('[data-testid=attendees] li').length === 2);
  await host.waitForFunction(() => document.querySelectorAll('[data-testid=attendees] li').length === 2);
  await host.waitForSelector('[data-testid=waiting-list] li:has-text("No one is waiting")');
  await host.waitForSelector('[data-testid=waiting-alert]', { state: 'hidden' });
  if (!(await host.locator('[data-testid=admit-all]').isDisabled())) throw new Error('"Admit all" is on with no one waiting');

  step('each page decodes the other one\'s video and receives its audio');
  const hostPid = await pidOf(host);
  const guestPid = await pidOf(guest);
  const flowing = (page, from) => async () => {
    const s = of(await stats(page), from);
    return (s.videoFramesDecoded > 15 && s.frameWidth > 0 && s.audioPacketsReceived > 25) || s;
  };
  await until('host receives the guest', flowing(host, guestPid));
  await until('guest receives the host', flowing(guest, hostPid));
  const rising = async (page, from) => {
    const a = of(await stats(page), from);
    await sleep(1000);
    const b = of(await stats(page), from);
    if (!(b.videoFramesDecoded > a.videoFramesDecoded + 5 && b.audioPacketsReceived > a.audioPacketsReceived + 20)) {
      throw new Error(`media is not flowing: ${JSON.stringify([a, b])}`);
    }
    console.log(`  ${from}: ${b.frameWidth}x${b.frameHeight}, +${b.videoFramesDecoded - a.videoFramesDecoded} frames/s, +${b.audioPacketsReceived - a.audioPacketsReceived} audio packets/s`);
  };
  await rising(host, guestPid);
  await rising(guest, hostPid);
  // Each remote tile says how its network is (loopback: good).
  await host.waitForFunction((pid) => document.querySelector(`[data-testid=tile][data-participant="${pid}"]`)?.dataset.quality === 'good', guestPid, { timeout: 10000 });
  const layers = (await host.evaluate(() => window.convene.sdk.sendStats())).filter((l) => l.kind === 'video' && l.bytesSent > 0);
  if (layers.length !== 2) throw new Error(`expected two simulcast layers sent: ${JSON.stringify(layers)}`);
  console.log(`  host sends simulcast: ${layers.map((l) => `${l.rid} ${l.frameWidth}px`).join(', ')}`);
  await shot(host, '07-host-video');
  await shot(guest, '08-guest-video-phone');

  step('host mutes the guest; the guest\'s audio stops reaching the host');
  await host.click('[data-testid=attendees] li:has-text("Guest G") [data-testid=mute]');
  await guest.waitForSelector('[data-testid=attendees] li:has-text("Guest G (you)") .tag:text-is("muted")');
  await guest.waitForFunction(() => document.querySelector('[data-testid=notice]').textContent.includes('The host muted you'));
  // Make the guest's page keep sending audio, as a misbehaving client would:
  // the SFU must drop it anyway.
  await guest.evaluate(() => { for (const t of window.convene.sdk.localStream.getAudioTracks()) t.enabled = true; });
  await sleep(500);
  const m1 = of(await stats(host), guestPid);
  await sleep(1500);
  const m2 = of(await stats(host), guestPid);
  if (m2.audioPacketsReceived - m1.audioPacketsReceived > 1) {
    throw new Error(`muted audio still arrives: ${m1.audioPacketsReceived} -> ${m2.audioPacketsReceived}`);
  }
  if (!(m2.videoFramesDecoded > m1.videoFramesDecoded + 10)) throw new Error('the guest\'s video stopped with the mute');
  await shot(guest, '09-in-meeting-muted-phone');
  await shot(host, '10-host-room');
  await accessible(host, 'the meeting (host)');
  await accessible(guest, 'the meeting (guest, phone)');

  step('the guest\'s meeting connection drops and is resumed; media and controls go on');
  const before = of(await stats(guest), hostPid);
  await guest.evaluate(() => {
    const sdk = window.convene.sdk;
    window.connectionStates = [];
    const prev = sdk.onConnectionStateChanged;
    sdk.onConnectionStateChanged = (e) => {
      window.connectionStates.push(e.state);
      // A control call made while the connection is down goes out once it is back.
      if (e.state === 'reconnecting') {
        window.queuedCall = new Promise((r) => sdk.setCamera(true, (ret, reason) => r([ret, reason])));
      }
      if (prev) prev(e);
    };
    sdk.session.state.ws.close(); // as a network failure would: no leave
  });
  await guest.waitForFunction(() => window.connectionStates.includes('connected'));
  const states = await guest.evaluate(() => window.connectionStates);
  if (states.join() !== 'reconnecting,connected') throw new Error(`connection states: ${states}`);
  const queued = await guest.evaluate(() => window.queuedCall);
  if (queued[0] !== 0) throw new Error(`a control made while reconnecting failed: ${queued}`);
  const hand = await guest.evaluate(() => new Promise((r) => window.convene.sdk.raiseHand(true, (ret, reason) => r([ret, reason]))));
  if (hand[0] !== 0) throw new Error(`a control after the resume failed: ${hand}`);
  await host.waitForFunction(() => document.querySelectorAll('[data-testid=attendees] li').length === 2);
  await until('the guest still receives the host after the resume', async () => {
    const s = of(await stats(guest), hostPid);
    return (s.videoFramesDecoded > before.videoFramesDecoded + 15 && s.audioPacketsReceived > before.audioPacketsReceived + 25) || s;
  });
  if ((await guest.locator('#ended-view').isVisible())) throw new Error('the guest was dropped from the meeting');

  step('chat both ways, then privately');
  await host.fill('[data-testid=chat-text]', 'Hello from the host');
  await host.click('[data-testid=chat-send]');
  await guest.waitForFunction(() => document.querySelector('[data-testid=chat-log]').textContent.includes('Hello from the host'));
  await guest.fill('[data-testid=chat-text]', 'Hi host');
  await guest.click('[data-testid=chat-send]');
  await host.waitForFunction(() => document.querySelector('[data-testid=chat-log]').textContent.includes('Hi host'));
  await host.selectOption('[data-testid=chat-to]', String(await pidOf(guest)));
  await host.fill('[data-testid=chat-text]', 'Only for you');
  await host.click('[data-testid=chat-send]');
  await guest.waitForFunction(() => [...document.querySelectorAll('[data-testid=chat-log] li.private')].some((li) => li.textContent.includes('Only for you')));
  await host.waitForFunction(() => document.querySelector('[data-testid=chat-log]').textContent.includes('(privately to'));
  await shot(guest, '11b-chat-phone');

  step('the host records: both pages show it, then pause and stop');
  if (await guest.locator('[data-testid=record]').isVisible()) throw new Error('a guest sees the record button');
  if (await guest.locator('[data-testid=more]').isVisible()) throw new Error('a guest sees the host menu');
  await host.click('[data-testid=more]');
  await host.click('[data-testid=record]');
  await guest.waitForSelector('[data-testid=rec-indicator]', { state: 'visible' });
  await host.waitForFunction(() => document.querySelector('[data-testid=record]').textContent === 'Stop recording');
  await shot(host, '11d-recording');
  await host.click('[data-testid=more]');
  await host.click('[data-testid=record-pause]');
  await guest.waitForFunction(() => document.querySelector('[data-testid=rec-indicator]').textContent.includes('paused'));
  await shot(guest, '11e-recording-paused-phone');
  await host.click('[data-testid=more]');
  await host.click('[data-testid=record]');
  await guest.waitForSelector('[data-testid=rec-indicator]', { state: 'hidden' });

  step('layout: speaker view features one tile; a pinned tile stays large; gallery again');
  await host.click('[data-testid=layout]');
  await host.waitForFunction(() => document.querySelectorAll('#videos .tile.featured').length === 1);
  await host.click(`[data-testid=tile][data-participant="${hostPid}"] [data-testid=pin]`, { force: true });
  await host.waitForSelector(`[data-testid=tile][data-participant="${hostPid}"].featured`);
  await shot(host, '11i-pinned');
  await host.click(`[data-testid=tile][data-participant="${hostPid}"] [data-testid=pin]`, { force: true });
  await host.click('[data-testid=layout]');
  await host.waitForFunction(() => document.querySelectorAll('#videos .tile.featured').length === 0);

  step('keyboard: V turns the camera off and on, M the microphone');
  await host.locator('body').press('v');
  await host.waitForSelector('[data-testid=attendees] li:has-text("Web Host (you)") .tag:text-is("camera off")');
  await host.locator('body').press('v');
  await host.waitForSelector('[data-testid=attendees] li:has-text("Web Host (you)") .tag:text-is("camera on")');
  await host.locator('body').press('m');
  await host.waitForSelector('[data-testid=attendees] li:has-text("Web Host (you)") .tag:text-is("muted")');
  if ((await host.textContent('[data-testid=notice]')).includes('The host muted you')) throw new Error('one\'s own mute is told as the host\'s');
  await host.locator('body').press('m');
  await host.waitForSelector('[data-testid=attendees] li:has-text("Web Host (you)") .tag:text-is("mic on")');

  step('the host shares a screen: the guest sees it large; one sharer at a time; stopped');
  await host.click('[data-testid=share]');
  await host.waitForFunction(() => document.querySelector('[data-testid=share]').textContent === 'Stop sharing');
  await guest.waitForSelector('[data-testid=screen-tile]', { state: 'visible' });
  await guest.waitForFunction(() => document.querySelector('[data-testid=screen-tile] video').videoWidth >= 640, null, { timeout: 20000 });
  const screenSize = await guest.evaluate(() => { const v = document.querySelector('[data-testid=screen-tile] video'); return `${v.videoWidth}x${v.videoHeight}`; });
  console.log(`  the guest decodes the host's screen at ${screenSize}`);
  await shot(guest, '11f-screen-phone');
  await guest.screenshot({ path: join(artifacts, '11h-phone-viewport.png') });
  await shot(host, '11g-sharing');
  await guest.click('[data-testid=share]');
  await guest.waitForFunction(() => (document.querySelector('[data-testid=room-error]').textContent || '').includes('is sharing'));
  if (!(await guest.locator('[data-testid=screen-tile]').isVisible())) throw new Error('a refused share hid the host\'s screen');
  step('the host allows several sharers: both screens side by side; taken back, the latest keeps sharing');
  await host.click('[data-testid=more]');
  await host.getByRole('button', { name: 'Allow several sharers' }).click();
  await guest.waitForFunction(() => document.querySelector('[data-testid=notice]').textContent.includes('Several people may share'));
  await guest.click('[data-testid=share]');
  await guest.waitForFunction(() => document.querySelector('[data-testid=share]').textContent === 'Stop sharing');
  // Chromium's fake screen is the sharing window's size (the guest's is a phone's).
  await host.waitForFunction(() => document.querySelectorAll('[data-testid=screen-tile]').length === 2
    && [...document.querySelectorAll('[data-testid=screen-tile] video')].every((v) => v.videoWidth >= 300), null, { timeout: 20000 });
  await shot(host, '11i-two-screens');
  await host.click('[data-testid=more]');
  await host.getByRole('button', { name: 'One sharer at a time' }).click();
  await host.waitForFunction(() => document.querySelector('[data-testid=share]').textContent === 'Share screen');
  await host.waitForFunction(() => document.querySelectorAll('[data-testid=screen-tile]').length === 1);
  await host.getByRole('button', { name: /^Stop .*'s sharing$/ }).click();
  await guest.waitForSelector('[data-testid=screen-tile]', { state: 'hidden' });
  await guest.waitForFunction(() => document.querySelector('[data-testid=share]').textContent === 'Share screen');

  step('the guest reloads its page: the same participant, no duplicate, chat history kept');
  const pidBefore = await pidOf(guest);
  if (!guest.url().includes('/m/')) throw new Error(`the meeting has no address of its own: ${guest.url()}`);
  await guest.reload();
  await guest.waitForSelector('#room-view', { state: 'visible' });
  const pidAfter = await pidOf(guest);
  if (pidAfter !== pidBefore) throw new Error(`a reload made a new participant: ${pidBefore} -> ${pidAfter}`);
  await host.waitForFunction(() => document.querySelectorAll('[data-testid=attendees] li').length === 2);
  await until('the reloaded guest receives the host again', flowing(guest, hostPid));
  await guest.waitForFunction(() => document.querySelector('[data-testid=chat-log]').textContent.includes('Hello from the host'));
  await shot(guest, '11c-after-reload-phone');


  step('host invites a logged-in account: its page rings and joins');
  const callerCtx = await launch({ width: 1000, height: 700 });
  try {
    const other = await callerCtx.newPage();
    other.on('pageerror', (e) => errors.push(`callee: ${e.message}`));
    await other.goto(base);
    await other.fill('#login-form [name=account]', callee);
    await other.fill('#login-form [name=password]', password);
    await other.click('#login-form button[type=submit]');
    await other.waitForSelector('#home-view', { state: 'visible' });
    // Wrong input first: a wrong password is said under the join form, in words.
    const confId = decodeURIComponent(new URL(host.url()).pathname.split('/').pop());
    await other.getByLabel('Meeting ID or link').fill('my meeting');
    await other.click('#join-form button[type=submit]');
    await other.waitForFunction(() => document.querySelector('#join-form > .form-error')?.textContent.includes('digits'));
    // Written in groups, as people do.
    await other.getByLabel('Meeting ID or link').fill(confId.replace(/^(...)(...)/, '$1 $2 '));
    await other.fill('#join-form [name=password]', '000000');
    await other.click('#join-form button[type=submit]');
    await other.waitForSelector('#prejoin-view', { state: 'visible' });
    await other.click('[data-testid=prejoin-join]');
    await other.waitForSelector('#prejoin-form [data-testid=form-error]', { state: 'visible' });
    const said = await other.textContent('#prejoin-form [data-testid=form-error]');
    if (!said.includes('password is not right')) throw new Error(`a wrong password says: ${said}`);
    await shot(other, '12a-wrong-password');
    await other.click('[data-testid=prejoin-cancel]');
    await other.waitForSelector('#home-view', { state: 'visible' });
    // Wrong input first: an account that does not exist is refused, said.
    await host.fill('[data-testid=invite-account]', 'no-such-account');
    await host.click('[data-testid=invite]');
    await host.waitForFunction(() => document.querySelector('[data-testid=invite-form] [data-testid=form-error]')?.textContent.includes('no account here'));
    await host.fill('[data-testid=invite-account]', callee);
    await host.click('[data-testid=invite]');
    await other.waitForSelector('[data-testid=incoming-call]', { state: 'visible' });
    const text = await other.textContent('#call-text');
    if (!text.includes('Web Host')) throw new Error(`the call does not say who invites: ${text}`);
    await host.waitForFunction(() => document.querySelector('[data-testid=call-states]').textContent.includes('ringing'));
    await shot(other, '12-incoming-call');
    await other.click('[data-testid=accept-call]');
    await other.waitForSelector('#room-view', { state: 'visible' });
    await host.waitForFunction(() => document.querySelectorAll('[data-testid=attendees] li').length === 3);
    await host.waitForFunction(() => document.querySelector('[data-testid=call-states]').textContent.includes('Web Callee: answered'));
    if (await host.locator('[data-testid=invite-form] [data-testid=form-error]').isVisible()) throw new Error('the refused invite\'s error stayed after a good one');
    await shot(host, '13-host-after-invite');

    step('the invitee leaves: told so, with no error');
    await other.click('[data-testid=leave]');
    await other.waitForSelector('#ended-view', { state: 'visible' });
    const title = await other.textContent('[data-testid=ended-title]');
    if (title !== 'You left the meeting') throw new Error(`leaving says: ${title}`);
    await sleep(1500); // past the media retry a closed connection would make
    if (await other.locator('[data-testid=notice]').isVisible()) {
      throw new Error(`leaving showed an error: ${await other.textContent('[data-testid=notice]')}`);
    }
    await host.waitForFunction(() => document.querySelectorAll('[data-testid=attendees] li').length === 2);
    await shot(other, '14-left');

    step('a second tab is logged in too; it joins by ID; Back leaves, Forward offers to join again');
    const tab2 = await callerCtx.newPage();
    tab2.on('pageerror', (e) => errors.push(`tab 2: ${e.message}`));
    await tab2.goto(base);
    await tab2.waitForSelector('[data-testid=my-meetings]', { state: 'visible' });
    await tab2.fill('#join-form [name=confId]', confId);
    await tab2.click('#join-form button[type=submit]');
    await tab2.waitForSelector('#prejoin-view', { state: 'visible' });
    await tab2.click('[data-testid=prejoin-join]');
    await tab2.waitForSelector('#room-view', { state: 'visible' });
    // The waiting room is on: admitted from the host's alert.
    await tab2.waitForSelector('[data-testid=waiting]', { state: 'visible' });
    await host.click('[data-testid=waiting-alert-admit]');
    await host.waitForFunction(() => document.querySelectorAll('[data-testid=attendees] li').length === 3);
    if (!tab2.url().endsWith(`/m/${confId}`)) throw new Error(`the meeting's address is ${tab2.url()}`);
    await tab2.goBack();
    await tab2.waitForSelector('#home-view', { state: 'visible' });
    await host.waitForFunction(() => document.querySelectorAll('[data-testid=attendees] li').length === 2);
    await tab2.goForward();
    await tab2.waitForSelector('#home-view', { state: 'visible' });
    const offered = await tab2.inputValue('#join-form [name=confId]');
    if (offered !== confId) throw new Error(`Forward offers to join ${offered}`);
    await sleep(500);
    if ((await host.evaluate(() => document.querySelectorAll('[data-testid=attendees] li').length)) !== 2) {
      throw new Error('Forward rejoined by itself');
    }

    step('host ends the meeting');
    if (!(await host.locator('[data-testid=end]').isVisible())) await host.click('[data-testid=more]');
    await host.click('[data-testid=end]');
  } finally {
    await callerCtx.close();
  }
  await guest.waitForSelector('#ended-view', { state: 'visible' });
  const reason = await guest.textContent('[data-testid=ended-reason]');
  if (!reason.includes('ended')) throw new Error(`unexpected end reason: ${reason}`);
  await host.waitForSelector('#ended-view', { state: 'visible' });
  await shot(guest, '11-ended-phone');
  await accessible(guest, 'the ended page');

  step('home: the meeting is in the host\'s history with its recording; a booked one is upcoming; log out');
  await host.click('[data-testid=ended-home]');
  await host.waitForSelector('[data-testid=my-meetings]', { state: 'visible' });
  await host.waitForSelector('[data-testid=held-meeting]:has-text("Browser meeting")');
  await until('the recording is composed and offered', async () => {
    await host.click('header .home-link');
    await host.waitForSelector('[data-testid=held-meeting]:has-text("Browser meeting")');
    return (await host.locator('[data-testid=held-meeting]:has-text("Browser meeting") [data-testid=download-recording]').count()) === 1;
  }, 60000);
  await host.fill('#create-form [name=subject]', 'Planning next week');
  const later = new Date(Date.now() + 3 * 86400 * 1000);
  const local = new Date(later.getTime() - later.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  await host.fill('[data-testid=start-at]', local);
  await host.click('[data-testid=create]');
  await host.waitForSelector('#created-view', { state: 'visible' });
  if (!(await host.textContent('[data-testid=start]')).startsWith('Starts ')) throw new Error('a booked meeting offers to start as if now');
  await host.click('[data-testid=created-home]');
  await host.waitForSelector('[data-testid=upcoming-meeting]:has-text("Planning next week")');
  // A weekly series in another time zone: wrong input first (no end, no day).
  await host.fill('#create-form [name=subject]', 'Weekly sync');
  const day = new Date(Date.now() + 2 * 86400 * 1000).toISOString().slice(0, 10);
  const lastDay = new Date(Date.now() + 16 * 86400 * 1000).toISOString().slice(0, 10);
  await host.fill('[data-testid=start-at]', `${day}T09:00`);
  await host.getByLabel('Time zone').selectOption({ label: '(GMT+09:00) Osaka, Sapporo, Tokyo' });
  await host.getByLabel('Repeats').selectOption('Week');
  await host.click('[data-testid=create]');
  await host.waitForFunction(() => document.querySelector('#create-form > .form-error')?.textContent.includes('Until'));
  await host.getByLabel('Until').fill(lastDay);
  await host.click('#repeat-weekdays input:checked');
  await host.click('[data-testid=create]');
  await host.waitForFunction(() => document.querySelector('#create-form > .form-error')?.textContent.includes('at least one day'));
  await host.getByRole('checkbox', { name: 'Mon' }).check();
  await host.getByRole('checkbox', { name: 'Thu' }).check();
  await shot(host, '14b-weekly-form');
  await host.click('[data-testid=create]');
  await host.waitForSelector('#created-view', { state: 'visible' });
  await host.click('[data-testid=created-home]');
  await host.waitForSelector('[data-testid=upcoming-meeting]:has-text("Weekly sync")');
  const series = await host.evaluate(() => new Promise((resolve) => window.convene.sdk.getConfList({ limit: 50 }, (ret, reason, page) => resolve(
    (page?.data || []).filter((c) => c.subject === 'Weekly sync').map((c) => new Date(c.startTimeStamp * 1000).toISOString())))));
  // 09:00 in Tokyo is 00:00 UTC; Mondays and Thursdays over two weeks.
  if (series.length < 3 || series.some((t) => !t.endsWith('T00:00:00.000Z'))) throw new Error(`the weekly series: ${series}`);
  console.log(`  a weekly series at 09:00 Tokyo time: ${series.length} occurrences, e.g. ${series[0]}`);
  await shot(host, '15-home');
  await accessible(host, 'the home page with lists');
  await host.click('[data-testid=logout]');
  await host.waitForSelector('#login-view', { state: 'visible' });
  const gone = await host.evaluate(async () => (await fetch('/v1/mmc/management/conferences', { headers: { 'X-Access-Token': window.convene.sdk.accessToken || 'none' } })).status);
  if (gone !== 401) throw new Error(`after logout the meeting list answers ${gone}`);

  step('an unknown address: a page saying so, in the app\'s look; an unknown API path: JSON');
  const nf = await host.goto(base + '/no-such-page');
  if (nf.status() !== 404 || !(await host.textContent('h1')).includes('Page not found')) throw new Error('no styled 404 page');
  await shot(host, '16-not-found');
  await accessible(host, 'the not-found page');
  console.log(`  accessible (axe-core, no serious or critical): ${axeSeen.join(', ')}`);
  const api = await host.evaluate(async () => { const r = await fetch('/v1/convene/nothing'); return [r.status, (await r.json()).error_code]; });
  if (api[0] !== 404 || !String(api[1]).includes('111070005')) throw new Error(`an unknown API path answers ${api}`);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  console.log('ALL OK');
} finally {
  await hostCtx.close();
  await guestCtx.close();
}

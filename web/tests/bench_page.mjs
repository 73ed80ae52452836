// `convene bench page`'s browser side (a benchmark, not a test): one
// headless Chromium page joins a meeting by its guest link, as a person
// would (pre-join, name, Join), waits until every other participant's video
// plays, then measures for SECONDS: frames decoded per second per remote
// participant (WebRTC stats), tiles on screen and playing, the browser's
// CPU (every process under this script, from /proc) and the page's main
// thread (CDP TaskDuration). Prints one JSON line last.
// Usage: node bench_page.mjs GUEST_LINK SECONDS WIDTHxHEIGHT EXPECTED_PEERS
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [link, seconds, window, expected] = process.argv.slice(2);
const [width, height] = window.split('x').map(Number);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error(...a);

// CPU seconds of every process descending from this one (the browser's).
const TICKS = 100;
function browserCpu() {
  const parent = new Map();
  const cpu = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(f[1]));
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / TICKS);
    } catch { /* gone */ }
  }
  let sum = 0;
  for (const [pid, s] of cpu) {
    for (let p = parent.get(pid); p; p = parent.get(p)) {
      if (p === process.pid) { sum += s; break; }
    }
  }
  return sum;
}

const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'convene-bench-')), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width, height },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--allow-loopback-in-peer-connection'],
});
try {
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  await page.goto(link);
  const firstLoadKb = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource').filter((r) => !r.name.includes('/v1/'));
    return (nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0)) / 1024;
  });
  await page.waitForSelector('#prejoin-view', { state: 'visible' });
  await page.locator('#prejoin-view').getByLabel('Your name').fill('Bench Viewer');
  await page.getByRole('button', { name: 'Join now' }).click();
  await page.waitForSelector('#room-view', { state: 'visible' });
  const stats = () => page.evaluate(() => window.convene.sdk.mediaStats());
  const tilesNow = () => page.evaluate(() => {
    const vids = [...document.querySelectorAll('#videos .tile video')];
    const shown = vids.filter((v) => v.getBoundingClientRect().width > 0);
    return { visible: shown.length, playing: shown.filter((v) => v.videoWidth > 0 && !v.paused).length };
  });
  // Every other participant's video plays before the clock starts.
  const until = Date.now() + 60000;
  for (;;) {
    const s = await stats();
    const decoding = Object.values(s).filter((x) => x.videoFramesDecoded > 30).length;
    if (decoding >= Number(expected)) break;
    if (Date.now() > until) await page.screenshot({ path: join(tmpdir(), 'bench-page-failed.png') });
    if (Date.now() > until) {
      const why = await page.evaluate(async () => {
        const pc = window.convene.sdk.media.pc;
        if (!pc) return 'no media connection';
        const inbound = [];
        (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp') inbound.push(`${r.kind} ${r.trackIdentifier} ${r.packetsReceived} ${r.framesDecoded}`); });
        const count = (sdp, re) => (sdp.match(re) || []).length;
        const r = pc.remoteDescription?.sdp || '';
        const l = pc.localDescription?.sdp || '';
        return `${pc.connectionState} ${pc.signalingState}, ${pc.getTransceivers().length} transceivers (${pc.getTransceivers().map((t) => t.currentDirection).join(',')}), remote ${pc.remoteDescription?.type} m=${count(r, /^m=/gm)} sendonly=${count(r, /a=sendonly/g)}, local ${pc.localDescription?.type} m=${count(l, /^m=/gm)} recvonly=${count(l, /a=recvonly/g)} inactive=${count(l, /a=inactive/g)}; inbound: ${inbound.join('; ')}\n${r.split('m=').slice(0, 5).join('m=')}`;
      });
      throw new Error(`only ${decoding} of ${expected} videos decode (${why}): ${JSON.stringify(s)}`);
    }
    await sleep(500);
  }
  await sleep(2000);
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  const task = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
  const s0 = await stats();
  const c0 = browserCpu();
  const m0 = await task();
  const t0 = Date.now();
  await sleep(Number(seconds) * 1000);
  const s1 = await stats();
  const c1 = browserCpu();
  const m1 = await task();
  const secs = (Date.now() - t0) / 1000;
  const tiles = Object.entries(s1).map(([pid, x]) => ({
    participantId: Number(pid),
    fps: (x.videoFramesDecoded - (s0[pid]?.videoFramesDecoded ?? 0)) / secs,
    width: x.frameWidth,
    height: x.frameHeight,
  }));
  const shown = await tilesNow();
  console.log(JSON.stringify({
    seconds: secs,
    tiles,
    visibleTiles: shown.visible,
    playingTiles: shown.playing,
    browserCpuPercent: 100 * (c1 - c0) / secs,
    mainThreadPercent: 100 * (m1 - m0) / secs,
    firstLoadKb,
  }));
} finally {
  await ctx.close();
}

// Two browser participants (fake camera and microphone) join a meeting by
// its guest link and stay SECONDS while it is recorded, each checking that
// it receives the other's media; then they leave. The recording itself is
// checked by the caller (issue 20's official-client test).
// Usage: node record_meeting.mjs GUEST_LINK SECONDS ARTIFACT_DIR [AUDIO_WAV]
// (AUDIO_WAV: what the fake microphones play; Chromium's own is a short
// beep a second, too brief to count as speech)
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [link, seconds, artifacts, wav] = process.argv.slice(2);
mkdirSync(artifacts, { recursive: true });
const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection'];
if (wav) args.push(`--use-file-for-fake-audio-capture=${wav}`);
const launch = () => chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'convene-')), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args, viewport: { width: 900, height: 700 },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stats = (page) => page.evaluate(() => window.convene.sdk.mediaStats());

const contexts = [];
const errors = [];
try {
  const pages = [];
  for (const name of ['Rita Recorded', 'Sam Recorded']) {
    const ctx = await launch();
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(link);
    await page.waitForSelector('#prejoin-view', { state: 'visible' });
    await page.fill('[data-testid=prejoin-name]', name);
    await page.click('[data-testid=prejoin-join]');
    await page.waitForSelector('#room-view', { state: 'visible' });
    await page.waitForSelector('[data-testid=rec-indicator]', { state: 'visible' });
    pages.push(page);
  }
  // Media flows both ways before the clock starts.
  const end = Date.now() + 20000;
  for (;;) {
    const all = await Promise.all(pages.map(stats));
    const ok = all.every((s) => Object.values(s).some((x) => x.videoFramesDecoded > 10 && x.audioPacketsReceived > 20));
    if (ok) break;
    if (Date.now() > end) throw new Error(`media does not flow: ${JSON.stringify(all)}`);
    await sleep(250);
  }
  console.log('media flowing; recording for', seconds, 's');
  await sleep(Number(seconds) * 1000);
  await pages[0].screenshot({ path: join(artifacts, 'recorded-meeting.png') });
  for (const p of pages) await p.evaluate(() => window.convene.sdk.leaveConf());
  await sleep(500);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  console.log('ALL OK');
} catch (e) {
  console.log(`FAILED: ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  for (const c of contexts) await c.close();
}

// Two browser participants (fake camera and microphone) join a meeting by
// its guest link and stay SECONDS while it is recorded, each checking that
// it receives the other's media; then they leave. The recording itself is
// checked by the caller (issue 20's official-client test).
// Usage: node record_meeting.mjs GUEST_LINK SECONDS ARTIFACT_DIR [AUDIO_WAV]
// (AUDIO_WAV: what the fake microphones play; Chromium's own is a short
// beep a second, too brief to count as speech)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { flowing, joinByLink, launch, script, sleep, stats } from './pages.mjs';

const [link, seconds, artifacts, wav] = process.argv.slice(2);
mkdirSync(artifacts, { recursive: true });

await script(async ({ contexts, errors }) => {
  const pages = [];
  for (const name of ['Rita Recorded', 'Sam Recorded']) {
    const ctx = await launch(wav);
    contexts.push(ctx);
    const page = await joinByLink(ctx, link, name, errors);
    await page.waitForSelector('[data-testid=rec-indicator]', { state: 'visible' });
    pages.push(page);
  }
  // Media flows both ways before the clock starts.
  const end = Date.now() + 20000;
  for (;;) {
    const all = await Promise.all(pages.map(stats));
    if (all.every(flowing)) break;
    if (Date.now() > end) throw new Error(`media does not flow: ${JSON.stringify(all)}`);
    await sleep(250);
  }
  console.log('media flowing; recording for', seconds, 's');
  await sleep(Number(seconds) * 1000);
  await pages[0].screenshot({ path: join(artifacts, 'recorded-meeting.png') });
  for (const p of pages) await p.evaluate(() => window.convene.sdk.leaveConf());
  await sleep(500);
});

// Two browser participants (fake camera and microphone) join a meeting by
// its guest link through a balancer in front of several nodes, and see each
// other. Then the caller kills the node running the meeting and says so by
// creating SIGNAL_FILE: each page must stay in the meeting, see its media
// close and come back (the web client opens it again on the node that took
// the meeting over), and receive the other's video and audio again.
// Usage: node failover_meeting.mjs GUEST_LINK ARTIFACT_DIR SIGNAL_FILE
// Prints "MEDIA FLOWING" once both receive each other, "ALL OK" at the end.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { flowing, joinByLink, launch, script, sleep, stats } from './pages.mjs';

const [link, artifacts, signal] = process.argv.slice(2);
mkdirSync(artifacts, { recursive: true });
const frames = (s) => Object.values(s).reduce((n, x) => n + x.videoFramesDecoded, 0);

await script(async ({ contexts, errors }) => {
  const pages = [];
  for (const name of ['Fay Failover', 'Gil Failover']) {
    const ctx = await launch();
    contexts.push(ctx);
    pages.push(await joinByLink(ctx, link, name, errors));
  }
  let end = Date.now() + 30000;
  for (;;) {
    const all = await Promise.all(pages.map(stats));
    if (all.every(flowing)) break;
    if (Date.now() > end) throw new Error(`media does not flow: ${JSON.stringify(all)}`);
    await sleep(250);
  }
  console.log('MEDIA FLOWING');
  end = Date.now() + 60000;
  while (!existsSync(signal)) {
    if (Date.now() > end) throw new Error('the node was never killed');
    await sleep(50);
  }
  const killed = Date.now();
  // Each page: its media closes (the counters start again from nothing on
  // a new connection), then flows again.
  const before = await Promise.all(pages.map(stats));
  const reset = pages.map(() => false);
  const back = pages.map(() => null);
  end = Date.now() + 40000;
  while (back.some((b) => b === null)) {
    const all = await Promise.all(pages.map(stats));
    all.forEach((s, i) => {
      if (frames(s) < frames(before[i]) || Object.keys(s).length === 0) reset[i] = true;
      if (reset[i] && back[i] === null && flowing(s)) back[i] = Date.now() - killed;
    });
    if (Date.now() > end) {
      throw new Error(`media did not come back: reset ${JSON.stringify(reset)}, now ${JSON.stringify(all)}`);
    }
    await sleep(100);
  }
  for (const p of pages) {
    if (!(await p.isVisible('#room-view'))) throw new Error('a page left the meeting');
  }
  console.log(`media back after the kill, ms: ${back.join(', ')}`);
  await pages[0].screenshot({ path: join(artifacts, 'after-failover.png') });
});

// What the browser scripts share: a headless Chromium (the machine's, with
// fake camera and microphone) and a guest's join by link.
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection'];

/** A new browser profile; `wav`: what its fake microphone plays. */
export const launch = (wav) => chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'convene-')), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: wav ? [...ARGS, `--use-file-for-fake-audio-capture=${wav}`] : ARGS,
  viewport: { width: 900, height: 700 },
});

/** Joins by `link` as `name` through the pre-join page; page errors go to `errors`. */
export async function joinByLink(ctx, link, name, errors) {
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(link);
  await page.waitForSelector('#prejoin-view', { state: 'visible' });
  await page.fill('[data-testid=prejoin-name]', name);
  await page.click('[data-testid=prejoin-join]');
  await page.waitForSelector('#room-view', { state: 'visible' });
  return page;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** What a page receives, per participant (the SDK's mediaStats). */
export const stats = (page) => page.evaluate(() => window.convene.sdk.mediaStats());

/** Whether a page receives someone's video and audio. */
export const flowing = (s) => Object.values(s).some((x) => x.videoFramesDecoded > 10 && x.audioPacketsReceived > 20);

/**
 * Runs a script's body with its browsers and page errors: prints "ALL OK"
 * when it ends without page errors, else "FAILED: ..." with exit code 1;
 * the browsers close either way.
 */
export async function script(body) {
  const contexts = [];
  const errors = [];
  try {
    await body({ contexts, errors });
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    console.log('ALL OK');
  } catch (e) {
    console.log(`FAILED: ${e.stack || e}`);
    process.exitCode = 1;
  } finally {
    for (const c of contexts) await c.close();
  }
}

// A held meeting's minutes page, as its organiser sees it: log in, open
// /minutes/<confUUID>, check every part shows what the meeting recorded,
// and keep screenshots at desktop and phone width.
// Usage: node minutes_page.mjs BASE_URL ACCOUNT PASSWORD CONF_UUID ARTIFACT_DIR
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { script } from './pages.mjs';

const [base, account, password, uuid, artifacts] = process.argv.slice(2);
mkdirSync(artifacts, { recursive: true });
const args = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
await script(async ({ contexts, errors }) => {
  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'convene-')), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args, viewport: { width: 1100, height: 800 },
  });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => errors.push(String(e)));
  // Not logged in: asked to.
  await page.goto(`${base}/minutes/${uuid}`);
  await page.waitForSelector('#login-view', { state: 'visible' });
  await page.fill('#login-form [name=account]', account);
  await page.fill('#login-form [name=password]', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#home-view', { state: 'visible' });
  await page.goto(`${base}/minutes/${uuid}`);
  await page.waitForSelector('#minutes-view', { state: 'visible' });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=minutes-attendance] tbody tr').length >= 2);
  const text = await page.textContent('#minutes-view');
  for (const want of ['Rita Recorded', 'Sam Recorded', 'Part 1', 'ready', 'Hd ']) {
    if (!text.includes(want)) throw new Error(`the minutes page lacks ${want}: ${text}`);
  }
  if ((await page.locator('#minutes-speaking li').count()) < 1) throw new Error('no speaking time');
  await page.screenshot({ path: join(artifacts, 'minutes.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(artifacts, 'minutes-phone.png'), fullPage: true });
  // A wrong UUID: said in words.
  await page.goto(`${base}/minutes/not-a-meeting`);
  await page.waitForSelector('#minutes-view [role=alert]');
});

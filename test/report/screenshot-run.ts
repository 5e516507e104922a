/**
 * docs/report.png from a run's report, as a person sees it: the page opened offline in headless
 * Debian chromium (every request but the file itself refused), the top of the page down to the
 * per-ticker table.
 *
 *   npm run demo    # prints "report: reports/<run-id>/index.html"
 *   node --import tsx test/report/screenshot-run.ts reports/<run-id>/index.html [docs/report.png]
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { ensureChromium, LAUNCH_ARGS } from './browser.js';

declare const document: any, window: any;

const [file, out = new URL('../../docs/report.png', import.meta.url).pathname] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --import tsx test/report/screenshot-run.ts reports/<run-id>/index.html [out.png]');
  process.exit(2);
}
const chromium = ensureChromium();
if (!chromium.path) {
  console.error(chromium.reason);
  process.exit(1);
}
const url = pathToFileURL(resolve(file)).href;
const browser = await puppeteer.launch({ executablePath: chromium.path, args: LAUNCH_ARGS });
try {
  const page = await browser.newPage();
  await page.setRequestInterception(true);
  page.on('request', (r) => (r.url() === url ? r.continue() : r.abort()));
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(url, { waitUntil: 'load' });
  const height = await page.evaluate(() => document.querySelector('section#tickers').getBoundingClientRect().top + window.scrollY);
  await page.screenshot({ path: out as `${string}.png`, clip: { x: 0, y: 0, width: 1200, height: Math.min(2400, Math.ceil(height)) }, captureBeyondViewport: true });
  console.log(`${out}: ${(statSync(out).size / 1024).toFixed(0)} KB`);
} finally {
  await browser.close();
}

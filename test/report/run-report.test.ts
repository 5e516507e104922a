/**
 * A real run's report in the browser: a small synthetic pipeline (fetch → indicators → samples →
 * train → backtest) writes reports/<run-id>/index.html at its end; opened offline in headless
 * chromium it loads nothing but itself, logs no error, and every chart section (equity, drawdowns,
 * usefulness by regime, training curves) holds one SVG with drawn marks; the metrics table has the
 * A/B/C strategies, the classic rule and buy-and-hold, and the verdict is the run's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/spec/index.js';
import { runPipeline, type RunOutcome } from '../../src/run.js';
import { openLocalStore } from '../../src/cache/store.js';
import { ensureChromium, LAUNCH_ARGS } from './browser.js';

declare const document: any;

const chromium = ensureChromium();
if (!chromium.path) console.warn(`[run report test] skipped: ${chromium.reason}`);

const SPEC = `name: run-report
seed: 5
universe: {tickers: [AAPL, MSFT, NVDA]}
data: {provider: synthetic, seed: 7, end: 2026-10-30}
params: {days: 10, sample_interval: 10, warmup: 120, horizon: 15, epochs: 2, min_samples: 100}
steps:
  bars: {kind: fetch}
  indicators: {kind: indicators, inputs: [bars]}
  samples: {kind: sample, inputs: [indicators, bars]}
  train: {kind: train, inputs: [samples], params: {preset: small, batch_size: 128, test_fraction: 0.35}}
  backtest: {kind: backtest, inputs: [train, bars, indicators], params: {bootstrap_samples: 300}}
`;

describe.skipIf(!chromium.path)("a run's report in headless chromium", () => {
  let dir: string;
  let outcome: RunOutcome;
  let verdict: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'run-report-'));
    outcome = await runPipeline(parseSpec(SPEC, join(dir, 'spec.yaml')), { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), reportsDir: join(dir, 'reports') });
    const store = openLocalStore(join(dir, 'cache'));
    try {
      const key = (await store.runs.get(outcome.runId))!.nodes!.find((n) => n.step === 'backtest')!.key!;
      verdict = ((await store.artifacts.lookup(key))!.meta.comparison as { verdict: string }).verdict;
    } finally {
      store.close();
    }
    browser = await puppeteer.launch({ executablePath: chromium.path, headless: true, args: LAUNCH_ARGS, timeout: 60_000 });
    page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900 });
    await page.setOfflineMode(true);
    url = pathToFileURL(outcome.report!).href;
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      requests.push(r.url());
      if (r.url() === url) void r.continue();
      else void r.abort('blockedbyclient');
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('was written at the end of the run, and opens offline with no request but itself and no errors', async () => {
    expect(outcome.status).toBe('ok');
    expect(outcome.report).toBe(join(dir, 'reports', outcome.runId, 'index.html'));
    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);
  });

  it('draws every chart section and shows the strategies and the verdict', async () => {
    const seen = await page.evaluate(() => {
      const out: Record<string, { svgs: number; marks: number; missing: boolean }> = {};
      for (const id of ['equity', 'drawdown', 'usefulness', 'training']) {
        const s = document.querySelector(`section#${id}`);
        const svgs = s ? s.querySelectorAll('svg') : [];
        let marks = 0;
        for (const el of s ? s.querySelectorAll('svg path, svg rect, svg line') : []) {
          const b = el.getBoundingClientRect();
          if (b.width > 0 || b.height > 0) marks++;
        }
        out[id] = { svgs: svgs.length, marks, missing: !!s?.querySelector('.na') };
      }
      return out;
    });
    for (const [id, s] of Object.entries(seen)) {
      expect(s.svgs, id).toBe(1);
      expect(s.marks, id).toBeGreaterThan(10);
      expect(s.missing, id).toBe(false);
    }
    const headers = await page.evaluate(() => Array.from(document.querySelectorAll('table.metrics thead th'), (th: any) => th.textContent.trim()));
    expect(headers).toEqual(['Metric', 'model A', 'avwap B', 'rsi-reversion', 'model-all C', 'buy-and-hold baseline']);
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain(verdict);
  });
});

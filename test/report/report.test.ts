/**
 * The report seen as a person sees it: built from a real runVectorizedBacktest result, opened in
 * headless Debian chromium (puppeteer-core) offline with every request intercepted, screenshotted,
 * and checked: one non-blank SVG per chart section, text labels drawn, no console errors, no
 * request but the file itself, and no HTML injection from tickers, names or the spec.
 *
 * docs/report.png is the demo run's report, taken by test/report/screenshot-run.ts.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, type ReportInput } from '../../src/report/index.js';
import { ensureChromium, LAUNCH_ARGS } from './browser.js';
import { backtestReportInput } from './fixture.js';

// Browser globals inside page.evaluate callbacks (module-scoped: the project's lib stays without DOM).
declare const document: any, window: any, Image: any;
type Element = any;
type HTMLElement = any;

const chromium = ensureChromium();
if (!chromium.path) console.warn(`[report test] skipped: ${chromium.reason}`);
else if (chromium.installSeconds > 0) console.warn(`[report test] installed chromium in ${chromium.installSeconds.toFixed(1)} s`);

const CHART_SECTIONS = ['equity', 'drawdown', 'usefulness', 'training'];

interface Opened {
  page: Page;
  url: string;
  requests: string[];
  blocked: string[];
  consoleErrors: string[];
  dialogs: string[];
}

describe.skipIf(!chromium.path)('report in headless chromium', () => {
  let browser: Browser;
  let dir: string;
  let input: ReportInput;
  let main: Opened;

  async function open(path: string): Promise<Opened> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 900, deviceScaleFactor: 1 });
    await page.setOfflineMode(true);
    const url = pathToFileURL(path).href;
    const o: Opened = { page, url, requests: [], blocked: [], consoleErrors: [], dialogs: [] };
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      o.requests.push(req.url());
      if (req.url() === url) void req.continue();
      else {
        o.blocked.push(req.url());
        void req.abort('blockedbyclient');
      }
    });
    page.on('console', (m) => {
      if (m.type() === 'error') o.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => o.consoleErrors.push(String(e)));
    page.on('dialog', (d) => {
      o.dialogs.push(d.message());
      void d.dismiss();
    });
    const res = await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    expect(res?.ok() ?? true).toBe(true);
    return o;
  }

  /** Share of pixels with a saturated colour, and distinct colours, in a PNG (decoded by the browser). */
  async function pixelStats(png: string): Promise<{ colored: number; distinct: number; nonWhite: number }> {
    const p = await browser.newPage();
    try {
      return await p.evaluate(async (b64: string) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const ctx = c.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        let colored = 0;
        let nonWhite = 0;
        const seen = new Set<number>();
        for (let i = 0; i < d.length; i += 4) {
          const [r, g, bl] = [d[i], d[i + 1], d[i + 2]];
          if (Math.max(r, g, bl) - Math.min(r, g, bl) > 40) colored++;
          if (r < 245 || g < 245 || bl < 245) nonWhite++;
          seen.add((r << 16) | (g << 8) | bl);
        }
        const n = d.length / 4;
        return { colored: colored / n, nonWhite: nonWhite / n, distinct: seen.size };
      }, png);
    } finally {
      await p.close();
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'report-test-'));
    input = await backtestReportInput();
    const t0 = performance.now();
    browser = await puppeteer.launch({ executablePath: chromium.path, headless: true, args: LAUNCH_ARGS, timeout: 60_000 });
    const path = await buildReport(input, join(dir, 'main'));
    main = await open(path);
    console.warn(`[report test] chromium launch + report open: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens offline with no request but the file itself and no console errors', () => {
    expect(main.requests).toEqual([main.url]);
    expect(main.blocked).toEqual([]);
    expect(main.consoleErrors).toEqual([]);
    expect(main.dialogs).toEqual([]);
  });

  it('has every section, each chart section with exactly one SVG whose marks and labels drew', async () => {
    const info = await main.page.evaluate((charts: string[]) => {
      const box = (e: Element) => {
        const r = e.getBoundingClientRect();
        return { w: r.width, h: r.height };
      };
      const sections = [...document.querySelectorAll('section')].map((s) => ({ id: s.id, available: s.dataset.available }));
      const perChart = charts.map((id) => {
        const sec = document.querySelector(`section#${id}`)!;
        const svgs = [...sec.querySelectorAll('svg')];
        const svg = svgs[0];
        const marks = svg ? [...svg.querySelectorAll('g.role-mark path, g.role-mark rect, g.role-mark line, g.role-mark text')] : [];
        const drawn = marks.filter((m) => {
          const b = box(m);
          return b.w > 0 && b.h > 0;
        });
        const texts = svg ? [...svg.querySelectorAll('text')].filter((t) => (t.textContent ?? '').trim() !== '' && box(t).w > 0) : [];
        return { id, svgs: svgs.length, svgBox: svg ? box(svg) : { w: 0, h: 0 }, marks: marks.length, drawn: drawn.length, texts: texts.length };
      });
      return { sections, perChart, title: document.title };
    }, CHART_SECTIONS);
    expect(info.sections.map((s) => s.id)).toEqual(['metrics', 'equity', 'drawdown', 'tickers', 'usefulness', 'training', 'run']);
    expect(info.sections.every((s) => s.available === 'yes')).toBe(true);
    expect(info.title).toBe('mlx-intraday report — report-test');
    for (const c of info.perChart) {
      expect(c.svgs, c.id).toBe(1);
      expect(c.svgBox.w, c.id).toBeGreaterThan(200);
      expect(c.svgBox.h, c.id).toBeGreaterThan(100);
      expect(c.drawn, c.id).toBeGreaterThan(0);
      expect(c.texts, `${c.id} text labels`).toBeGreaterThan(3);
    }
    // One line per strategy in the equity chart; 4 regimes × 6+ indicators of cells in the heatmap.
    expect(info.perChart[0].drawn).toBeGreaterThanOrEqual(3);
    expect(info.perChart[2].marks).toBeGreaterThanOrEqual(4 * 6);
    // Sections other than the charts hold no SVG.
    const stray = await main.page.$$eval('section:not([data-chart]) svg', (x) => x.length);
    expect(stray).toBe(0);
  });

  it('draws something in every plot area (screenshot pixels, not just markup)', async () => {
    for (const id of CHART_SECTIONS) {
      const marks = await main.page.$(`section#${id} svg g.role-mark`);
      const svg = await main.page.$(`section#${id} svg`);
      expect(marks, id).not.toBeNull();
      // The plot area: the frame the marks sit in (vega's root group of the view).
      const plot = await main.page.evaluate((sid: string) => {
        const ms = [...document.querySelectorAll(`section#${sid} svg g.role-mark`)];
        let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        for (const m of ms) {
          const r = m.getBoundingClientRect();
          if (r.width === 0 && r.height === 0) continue;
          x0 = Math.min(x0, r.left); y0 = Math.min(y0, r.top); x1 = Math.max(x1, r.right); y1 = Math.max(y1, r.bottom);
        }
        return { x: x0 + window.scrollX, y: y0 + window.scrollY, width: x1 - x0, height: y1 - y0 };
      }, id);
      expect(plot.width, id).toBeGreaterThan(50);
      expect(plot.height, id).toBeGreaterThan(20);
      const png = (await main.page.screenshot({ clip: plot, encoding: 'base64', captureBeyondViewport: true })) as string;
      const s = await pixelStats(png);
      expect(s.colored, `${id}: coloured share of the plot area`).toBeGreaterThan(0.002);
      expect(s.distinct, id).toBeGreaterThan(4);
      const whole = (await svg!.screenshot({ encoding: 'base64' })) as string;
      expect((await pixelStats(whole)).nonWhite, `${id}: whole chart`).toBeGreaterThan(0.01);
    }
  });

  it('takes a full-page screenshot', async () => {
    const shot = join(dir, 'report.png');
    await main.page.screenshot({ path: shot as `${string}.png`, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
  });

  it('shows names, tickers and spec text as text: HTML injection does not work', async () => {
    const evil = `<img src=x onerror="alert(1)"><script>alert(2)</script></pre><b id="inj">x</b>"'&`;
    const bad: ReportInput = {
      ...input,
      runId: 'inj-test',
      title: `title ${evil}`,
      specText: `# comment ${evil}\nname: x`,
      params: { [`key ${evil}`]: evil },
      dataFingerprint: { [evil]: evil },
      gitCommit: evil,
      symbols: input.symbols!.map((s, i) => (i === 0 ? evil : s)),
      notes: [evil],
      strategies: input.strategies!.map((s, k) => ({
        ...s,
        name: k === 0 ? `avwap ${evil}` : s.name,
        role: k === 1 ? evil : s.role,
        perTicker: s.perTicker!.map((t, i) => (i === 0 ? { ...t, ticker: evil } : t)),
      })),
      comparison: { ...input.comparison!, a: evil, verdict: `${evil} beats B` },
      usefulness: { ...input.usefulness!, regimes: input.usefulness!.regimes.map((r, i) => (i === 0 ? evil : r)), indicators: input.usefulness!.indicators.map((x, i) => (i === 0 ? evil : x)), measure: evil, note: evil },
      training: [{ ...input.training![0], name: evil, note: evil }],
      sessions: input.sessions!.map((s, i) => (i === 0 ? { ...s, date: `2026-10-12'] || alert(3) || ['` } : s)),
    };
    const path = await buildReport(bad, join(dir, 'inj'));
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('<img');
    expect(text).not.toContain('<script');
    expect(text).not.toContain('<b id="inj">');
    const o = await open(path);
    try {
      const dom = await o.page.evaluate(() => ({
        imgs: document.querySelectorAll('img').length,
        scripts: document.querySelectorAll('script').length,
        inj: document.querySelectorAll('#inj').length,
        handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
        body: document.body.innerText,
        svgText: [...document.querySelectorAll('svg text')].map((t) => t.textContent).join('\n'),
      }));
      expect(dom).toMatchObject({ imgs: 0, scripts: 0, inj: 0, handlers: 0 });
      // The payload is visible as text where it was put (a table cell, the spec, a chart legend).
      expect(dom.body).toContain('<script>alert(2)</script>');
      expect(dom.body).toContain(`# comment <img src=x onerror="alert(1)">`);
      expect(dom.svgText).toContain('<img src=x');
      expect(o.dialogs).toEqual([]);
      expect(o.consoleErrors).toEqual([]);
      expect(o.requests).toEqual([o.url]);
    } finally {
      await o.page.close();
    }
  });

  it('renders "not available in this run" for every section whose data are missing', async () => {
    const path = await buildReport({ runId: 'empty-run' }, join(dir, 'empty'));
    const o = await open(path);
    try {
      const info = await o.page.evaluate(() =>
        [...document.querySelectorAll('section')].map((s) => ({ id: s.id, available: s.dataset.available, svgs: s.querySelectorAll('svg').length, na: s.querySelector('p.na')?.textContent ?? '' })),
      );
      expect(info.map((s) => s.id)).toEqual(['metrics', 'equity', 'drawdown', 'tickers', 'usefulness', 'training', 'run']);
      for (const s of info.filter((x) => x.id !== 'run')) {
        expect(s.available, s.id).toBe('no');
        expect(s.svgs, s.id).toBe(0);
        expect(s.na, s.id).toMatch(/not available in this run/);
      }
      expect(o.consoleErrors).toEqual([]);
      expect(o.requests).toEqual([o.url]);
    } finally {
      await o.page.close();
    }
  });
});

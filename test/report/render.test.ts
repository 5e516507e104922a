/** The report renderer without a browser: downsampling, JSON round-trip, atomic writes, escaping. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport, chooseStep, defaultReportDir, downsampleEquity, escapeHtml, renderReportHtml } from '../../src/report/index.js';
import { backtestReportInput } from './fixture.js';

describe('report renderer', () => {
  it('downsamples per step, keeps each session close and the worst drawdown inside a step', () => {
    const sessions = [{ start: 0, bars: 10 }, { start: 10, bars: 4 }];
    const eq = [1.01, 1.02, 0.9, 1.0, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09, 1.1, 1.0, 1.2];
    const c = downsampleEquity(eq, sessions, { stepMinutes: 5 });
    expect(c.day).toEqual([0, 0, 0, 1]);
    expect(c.minute).toEqual([0, 5, 10, 4]);
    expect(c.equity).toEqual([1, 1.03, 1.08, 1.2]);
    expect(c.drawdown[1]).toBeCloseTo(1 - 0.9 / 1.02, 12); // the dip at minute 3 survives
    expect(c.drawdown[3]).toBeCloseTo(1 - 1.0 / 1.1, 12);
    expect(chooseStep([{ start: 0, bars: 390 }], 1000)).toBe(1);
    expect(chooseStep(Array.from({ length: 30 }, (_, d) => ({ start: 390 * d, bars: 390 })), 1500)).toBe(15);
  });

  it('renders the same HTML from the input and its JSON round-trip, and writes atomically', async () => {
    const input = await backtestReportInput();
    expect(JSON.parse(JSON.stringify(input))).toEqual(input);
    const a = await renderReportHtml(input);
    const b = await renderReportHtml(JSON.parse(JSON.stringify(input)));
    expect(b).toBe(a);
    expect((a.match(/<svg/g) ?? []).length).toBe(4);
    expect(a).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/)/); // no script, no URL but SVG namespaces
    const dir = mkdtempSync(join(tmpdir(), 'report-render-'));
    try {
      const path = await buildReport(input, dir);
      expect(path).toBe(join(dir, 'index.html'));
      await buildReport(input, dir); // overwrite
      expect(readdirSync(dir)).toEqual(['index.html']);
      expect(readFileSync(path, 'utf8')).toBe(a);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the default folder reports/<run-id> and refuses run ids that are not one folder name', () => {
    expect(defaultReportDir('r-1', '/x')).toBe('/x/reports/r-1');
    for (const bad of ['../up', 'a/b', '', '.hidden']) expect(() => defaultReportDir(bad)).toThrow(/cannot name a folder/);
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

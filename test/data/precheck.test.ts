import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sessionsEnding } from '../../src/data/calendar.js';
import { emptyPanel } from '../../src/data/panel.js';
import {
  assertPrecheck,
  formatPrecheckTable,
  formulaEstimate,
  runPrecheck,
  samplePoints,
  samplePointsPerTicker,
  sampleRows,
  suggestFixes,
  insufficientMessage,
} from '../../src/data/precheck.js';
import { DataError } from '../../src/data/provider.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';

const curated: string[] = JSON.parse(readFileSync(new URL('../../pipelines/tickers/curated.json', import.meta.url), 'utf8'));

describe('sample points', () => {
  it('takes rows r ≥ warmup every interval whose label stays in the session', () => {
    const sessions = sessionsEnding('2024-07-05', 3); // 07-02 (390), 07-03 (210), 07-05 (390)
    const p = emptyPanel(['A', 'B'], sessions);
    const rows = sampleRows(p, { warmup: 120, interval: 15, horizon: 15 });
    for (const r of rows) {
      expect((r - 120) % 15).toBe(0);
      expect(p.sessionOfRow[r + 15]).toBe(p.sessionOfRow[r]);
    }
    // Session 0: rows 120..360 (r + 15 must stay ≤ 389) → 17 rows.
    expect(Array.from(rows).filter((r) => r < 390)).toHaveLength(17);
    // Half day rows 390..599: r = 390 + 15k with r + 15 ≤ 599 → 390..570 → 13 rows.
    expect(Array.from(rows).filter((r) => r >= 390 && r < 600)).toHaveLength(13);
    p.mask.fill(1);
    p.mask[rows[0] * 2 + 1] = 0; // B missing at the first sample row
    const pts = samplePoints(p, { warmup: 120, interval: 15, horizon: 15 });
    expect(pts.count).toBe(rows.length * 2 - 1);
    expect(Array.from(samplePointsPerTicker(p, { warmup: 120, interval: 15, horizon: 15 }))).toEqual([rows.length, rows.length - 1]);
    expect(pts.rows[0]).toBe(rows[0]);
    expect(pts.cols[0]).toBe(0);
    expect(pts.rows[1]).toBe(rows[1]);
  });

  it('formula matches the guide example: 20 days, 30 tickers, interval 15 ≈ 15,000', () => {
    expect(formulaEstimate(20, 15, 120, 30)).toBe(512 * 30);
  });
});

describe('runPrecheck', () => {
  const provider = new SyntheticProvider(7);

  it('reports coverage per ticker/day and passes when samples suffice', async () => {
    const sessions = sessionsEnding('2026-10-30', 5);
    const progress: number[] = [];
    const report = await runPrecheck(provider, {
      tickers: curated,
      sessions,
      sampleInterval: 15,
      warmup: 120,
      horizon: 15,
      minSamples: 1000,
      batchSize: 10,
      onProgress: (d) => progress.push(d),
    });
    expect(progress).toEqual([0, 10, 20, 30, 32]);
    expect(report.ok).toBe(true);
    expect(report.tickers).toHaveLength(32);
    expect(report.tickers[0].days).toHaveLength(5);
    expect(report.estimate.formula).toBe(122 * 32);
    expect(report.estimate.real).toBeLessThan(report.estimate.formula);
    expect(report.estimate.real).toBeGreaterThan(0.85 * report.estimate.formula);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const table = formatPrecheckTable(report);
    expect(table).toContain('AAPL');
    expect(table).toContain('Samples: formula (5 × 390 − 120) ÷ 15 × 32 = 3,904');
    expect(() => assertPrecheck(report)).not.toThrow();
  });

  it('fails with the fixed message and suggestions that reach the requirement', async () => {
    const sessions = sessionsEnding('2026-10-30', 5);
    const report = await runPrecheck(provider, {
      tickers: curated,
      sessions,
      sampleInterval: 15,
      warmup: 120,
      horizon: 15,
      minSamples: 5000,
    });
    expect(report.ok).toBe(false);
    const s = report.suggestions!;
    const cov = report.estimate.real / report.estimate.formula;
    expect(s.days.estimate * cov).toBeGreaterThanOrEqual(5000);
    expect(formulaEstimate(s.days.days - 1, 15, 120, 32) * cov).toBeLessThan(5000);
    expect(s.interval.estimate * cov).toBeGreaterThanOrEqual(5000);
    expect(formulaEstimate(5, s.interval.interval + 1, 120, 32) * cov).toBeLessThan(5000);
    expect(s.tickers!.estimate).toBe(formulaEstimate(5, 15, 120, 655));
    const real = report.estimate.real.toLocaleString('en-US');
    expect(report.error).toBe(
      `Insufficient samples for training: ${real} estimated, 5,000 required. Try --days ${s.days.days} (≈ ${s.days.estimate.toLocaleString('en-US')}), ` +
        `--sample-interval ${s.interval.interval} (≈ ${s.interval.estimate.toLocaleString('en-US')}), or more tickers (--tickers-file …/all.json ≈ 79,910)`,
    );
    expect(() => assertPrecheck(report)).toThrow(DataError);
    expect(formatPrecheckTable(report)).toContain('FAIL: Insufficient samples');
  });

  it('formats the message exactly like the guide example', () => {
    const msg = insufficientMessage(2140, 5000, {
      days: { days: 30, estimate: 3300 },
      interval: { interval: 10, estimate: 3200 },
      tickers: { file: 'pipelines/tickers/all.json', count: 655, estimate: 44000 },
    });
    expect(msg).toBe(
      'Insufficient samples for training: 2,140 estimated, 5,000 required. Try --days 30 (≈ 3,300), --sample-interval 10 (≈ 3,200), or more tickers (--tickers-file …/all.json ≈ 44,000)',
    );
  });

  it('suggestFixes picks the smallest change that reaches the requirement', () => {
    const s = suggestFixes({ days: 5, interval: 15, warmup: 120, tickers: 10, minSamples: 2000, coverage: 1 });
    expect(formulaEstimate(s.days.days, 15, 120, 10)).toBeGreaterThanOrEqual(2000);
    expect(formulaEstimate(s.days.days - 1, 15, 120, 10)).toBeLessThan(2000);
    expect(formulaEstimate(5, s.interval.interval, 120, 10)).toBeGreaterThanOrEqual(2000);
    expect(formulaEstimate(5, s.interval.interval + 1, 120, 10)).toBeLessThan(2000);
  });

  it('accepts a batch function instead of a provider, and flags anomalies', async () => {
    const sessions = sessionsEnding('2026-10-30', 2);
    const report = await runPrecheck(
      async (tickers) => {
        const p = await provider.fetch({ tickers, sessions: sessions.map((s) => ({ ...s })) });
        p.close[400 * p.N] = p.close[399 * p.N] * 1.5; // a 50 % one-minute jump
        p.low[401 * p.N] = -1;
        return p;
      },
      { tickers: ['AAA', 'BBB'], sessions, sampleInterval: 15, warmup: 120, horizon: 15, minSamples: 0 },
    );
    expect(report.tickers[0].jumps).toBeGreaterThanOrEqual(1);
    expect(report.tickers[0].badPrices).toBe(1);
    expect(report.warnings.some((w) => w.startsWith('AAA: ') && w.includes('above 10%'))).toBe(true);
  });

  it('rejects empty inputs with DataError', async () => {
    await expect(
      runPrecheck(provider, { tickers: [], sessions: sessionsEnding('2026-10-30', 1), sampleInterval: 15, warmup: 0, horizon: 1, minSamples: 0 }),
    ).rejects.toThrow(DataError);
  });
});

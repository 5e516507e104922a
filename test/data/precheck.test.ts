import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createProvider, type DataConfig } from '../../src/data/index.js';
import { loadSpec, parseSpec } from '../../src/spec/index.js';
import type { Spec } from '../../src/spec/types.js';
import { precheckOfSpec } from '../../src/cli/precheck.js';
import { UsageError } from '../../src/util/errors.js';
import { sessionsEnding } from '../../src/data/calendar.js';
import { emptyPanel } from '../../src/data/panel.js';
import {
  assertPrecheck,
  checkCoverage,
  DEFAULT_THRESHOLDS,
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
    const rows = sampleRows(p, { warmup: 120, sample_interval: 15, horizon: 15 });
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
    const pts = samplePoints(p, { warmup: 120, sample_interval: 15, horizon: 15 });
    expect(pts.count).toBe(rows.length * 2 - 1);
    expect(Array.from(samplePointsPerTicker(p, { warmup: 120, sample_interval: 15, horizon: 15 }))).toEqual([rows.length, rows.length - 1]);
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

// Thin and misaligned data: the real-bar sample (read in place, never copied), see its README.
const REAL = fileURLToPath(new URL('../../../shared/data/real-1min', import.meta.url));
const haveReal = existsSync(join(REAL, 'AAPL.csv')) && existsSync(join(REAL, 'sparse', 'DBB.csv'));

function folderSpec(path: string, tickers: string[], days: number, extra = '', set: string[] = []) {
  return parseSpec(
    `name: coverage
universe: {tickers: [${tickers.join(', ')}]}
data: {provider: folder, folder: {path: ${JSON.stringify(path)}}${extra}}
params: {days: ${days}, sample_interval: 15, min_samples: 0}
steps:
  precheck: {kind: precheck}
`,
    '/tmp/coverage.yaml',
    { set },
  );
}

/** The precheck step's report for a spec, as `mlx-intraday precheck` computes it. */
async function stepReport(spec: Spec, warnings: string[] = []) {
  const env = { modelsDir: '', provider: (() => { const p = createProvider(spec.data as DataConfig, { baseDir: spec.dir, env: {} }); return () => p; })() };
  return precheckOfSpec(spec, env, { warn: (m) => warnings.push(m) });
}

describe('coverage thresholds', () => {
  it('defaults are the schema defaults of the precheck step', () => {
    const spec = parseSpec('name: d\nuniverse: {tickers: [AAA]}\nsteps:\n  pc: {kind: precheck}\n', '/tmp/d.yaml');
    const p = spec.steps[0].params;
    expect({ maxMissingShare: p.max_missing_share, minDaysShare: p.min_days_share, maxAbsentDays: p.max_absent_days }).toEqual(DEFAULT_THRESHOLDS);
  });

  it('keeps the shipped demos passing with the defaults', async () => {
    for (const file of ['quickstart.yaml', 'curated.yaml']) {
      const spec = loadSpec(fileURLToPath(new URL(`../../pipelines/${file}`, import.meta.url)));
      const report = await stepReport(spec);
      expect(report.coverage.violations, file).toEqual([]);
      expect(report.ok, `${file}: ${report.error}`).toBe(true);
      expect(report.coverage.end.source).toBe(file === 'quickstart.yaml' ? 'data.end' : 'default for synthetic data; set data.end to choose');
    }
  });

  it('rejects out-of-range thresholds in the spec', () => {
    expect(() => folderSpec(REAL, ['AAPL'], 5, '', ['precheck.max_missing_share=1.5'])).toThrow(UsageError);
    expect(() => folderSpec(REAL, ['AAPL'], 5, '', ['precheck.max_absent_days=-1'])).toThrow(UsageError);
  });

  it('counts days no ticker has once, for the universe, and not against each ticker', () => {
    const sessions = sessionsEnding('2026-03-13', 4);
    const report = checkCoverage(
      ['A', 'B'].map((ticker) => ({
        ticker,
        expected: 0, bars: 0, missingPct: 0, zeroVolumePct: 0, jumps: 0, badPrices: 0, emptyDays: 0, samples: 0, formulaSamples: 0,
        days: sessions.map((s, i) => ({ date: s.date, expected: 390, bars: i < 2 ? 0 : 390, missingPct: 0, zeroVolumePct: 0, maxAbsReturn: 0, jumps: 0, badPrices: 0 })),
      })),
      sessions,
    );
    expect(report.absentDays).toEqual(['2026-03-10', '2026-03-11']);
    expect(report.violations.map((v) => v.rule)).toEqual(['max_absent_days']);
    expect(report.violations[0].message).toContain('Fix: --days 2');
  });
});

describe.skipIf(!haveReal)('coverage thresholds on real bars (shared/data/real-1min)', () => {
  it('fails a ticker with 38% of minutes missing (BA ends 5 sessions early), naming it and the days', async () => {
    const warnings: string[] = [];
    const report = await stepReport(folderSpec(REAL, ['AAPL', 'MSFT', 'BA', 'SPY', 'QQQ'], 13), warnings);
    expect(report.ok).toBe(false);
    const v = report.coverage.violations;
    expect(v.map((x) => x.ticker)).toEqual(['BA']);
    expect(v[0].dates).toEqual(['2026-03-24', '2026-03-25', '2026-03-26', '2026-03-27', '2026-03-30']);
    expect(report.error).toContain('BA: 38.5% of minutes missing (at most 20%); bars on 8 of 13 days (at least 90%)');
    expect(report.error).toContain('no bars after 2026-03-23 (5 sessions: 2026-03-24 … 2026-03-30)');
    expect(report.error).toContain('drop BA from the universe (/tmp/coverage.yaml)');
    expect(report.error).toContain('data.end: 2026-03-23');
    expect(report.error).toContain('allow it with --set precheck.max_missing_share=0.39 --set precheck.min_days_share=0.61');
    expect(() => assertPrecheck(report)).toThrow(DataError);
  });

  it('reports the default end date and which tickers are padded on which days', async () => {
    const warnings: string[] = [];
    const report = await stepReport(folderSpec(REAL, ['AAPL', 'MSFT', 'BA', 'SPY', 'QQQ'], 13), warnings);
    expect(report.coverage.end).toEqual({ date: '2026-03-30', source: 'default: the newest bar in the folder; set data.end to choose' });
    expect(report.coverage.padding).toEqual([
      { ticker: 'AAPL', first: '2026-03-12', last: '2026-03-27', before: [], after: ['2026-03-30'] },
      { ticker: 'MSFT', first: '2026-03-12', last: '2026-03-27', before: [], after: ['2026-03-30'] },
      { ticker: 'BA', first: '2026-03-12', last: '2026-03-23', before: [], after: ['2026-03-24', '2026-03-25', '2026-03-26', '2026-03-27', '2026-03-30'] },
    ]);
    expect(report.coverage.alignedEnd).toBe('2026-03-23');
    const table = formatPrecheckTable(report);
    expect(table).toContain('End date 2026-03-30 (default: the newest bar in the folder; set data.end to choose)');
    expect(table).toContain('Padded: AAPL, MSFT end 2026-03-27: last close carried over 2026-03-30');
    expect(table).toContain('Padded: BA end 2026-03-23: last close carried over 5 sessions: 2026-03-24 … 2026-03-30');
    expect(table).toContain('For a panel without padding at the end set data.end: 2026-03-23');
    expect(warnings).toContain('Padded: AAPL, MSFT end 2026-03-27: last close carried over 2026-03-30');
    // One padded day of 13 is within the defaults: the 19 tickers without BA pass, padding still reported.
    const without = await stepReport(folderSpec(REAL, ['AAPL', 'MSFT', 'SPY', 'QQQ'], 13));
    expect(without.ok).toBe(true);
    expect(without.coverage.padding.map((p) => p.ticker)).toEqual(['AAPL', 'MSFT']);
  });

  it('fails thin tickers (DBB 84% of minutes missing), naming each', async () => {
    const report = await stepReport(folderSpec(join(REAL, 'sparse'), ['DBB', 'FXY', 'INDA'], 40));
    expect(report.ok).toBe(false);
    expect(report.coverage.violations.map((x) => [x.ticker, x.rule])).toEqual([
      ['DBB', 'max_missing_share'],
      ['FXY', 'max_missing_share'],
      ['INDA', 'max_missing_share'],
    ]);
    expect(report.error).toMatch(/^Coverage too thin for training: 3 problem\(s\)\./);
    expect(report.error).toContain('DBB: 83.6% of minutes missing (at most 20%). Fix: drop DBB from the universe');
    expect(report.error).toContain('FXY: 42.2% of minutes missing');
    // INDA's file ends 2025-06-23, 10 sessions before the others.
    expect(report.error).toMatch(/INDA: 25\.2% of minutes missing .*no bars after 2025-06-23 .*data\.end: 2025-06-23/);
  });

  it('fails --days beyond what the files hold, naming the days and the --days that fits', async () => {
    const report = await stepReport(folderSpec(REAL, ['AAPL', 'SPY', 'QQQ'], 13, '', []));
    expect(report.ok).toBe(true);
    const far = await stepReport(loadFolderSpecWithDays(20));
    expect(far.ok).toBe(false);
    expect(far.coverage.absentDays).toHaveLength(7);
    const [v] = far.coverage.violations;
    expect(v.rule).toBe('max_absent_days');
    expect(v.message).toContain('20 days requested (2026-03-03 … 2026-03-30, the default end)');
    expect(v.message).toContain('no ticker has bars on 7 of them: 2026-03-03 … 2026-03-11 (the data start 2026-03-12)');
    expect(v.message).toContain('Fix: --days 13');
    // The 7 absent days are not held against each ticker as well.
    expect(far.coverage.violations).toHaveLength(1);
  });

  it('fails a data.end after the data end, suggesting the last day with bars', async () => {
    const report = await stepReport(folderSpec(REAL, ['SPY', 'QQQ'], 10, ', end: 2026-04-02'));
    expect(report.coverage.end).toEqual({ date: '2026-04-02', source: 'data.end' });
    expect(report.error).toContain('10 days requested (2026-03-20 … 2026-04-02, data.end), but no ticker has bars on 3 of them: 2026-03-31 … 2026-04-02 (the data end 2026-03-30)');
    expect(report.error).toContain('Fix: data.end: 2026-03-30');
  });

  it('thresholds are overridable in the spec and with --set', async () => {
    const sparse = join(REAL, 'sparse');
    const loose = await stepReport(folderSpec(sparse, ['FXY', 'INDA'], 40, '', ['precheck.max_missing_share=0.5', 'precheck.min_days_share=0.7']));
    expect(loose.coverage.thresholds).toEqual({ maxMissingShare: 0.5, minDaysShare: 0.7, maxAbsentDays: 0 });
    expect(loose.ok, loose.error).toBe(true);
    expect(loose.params.maxMissingShare).toBe(0.5);
    // In the spec's step params; a stricter days share fails INDA (30 of 40 days) only.
    const text = `name: coverage
universe: {tickers: [FXY, INDA]}
data: {provider: folder, folder: {path: ${JSON.stringify(sparse)}}}
params: {days: 40, min_samples: 0}
steps:
  gate: {kind: precheck, params: {max_missing_share: 0.5, min_days_share: 0.8}}
`;
    const strict = await stepReport(parseSpec(text, '/tmp/coverage.yaml'));
    expect(strict.coverage.violations.map((x) => [x.ticker, x.rule])).toEqual([['INDA', 'min_days_share']]);
    expect(strict.error).toContain('INDA: bars on 30 of 40 days (at least 80%)');
    expect(strict.error).toContain('--set gate.min_days_share=0.75');
    // Days beyond the data, allowed explicitly: a warning instead of an error.
    const warnings: string[] = [];
    const allowed = await stepReport(loadFolderSpecWithDays(20, ['precheck.max_absent_days=7']), warnings);
    expect(allowed.ok, allowed.error).toBe(true);
    expect(warnings).toContain('no ticker has bars on 7 sessions: 2026-03-03 … 2026-03-11 (allowed by max_absent_days 7)');
  });

  it('keeps the sample check, after the coverage problems', async () => {
    const report = await stepReport(folderSpec(REAL, ['BA'], 13, '', ['params.min_samples=100000']));
    const lines = report.error!.split('\n');
    expect(lines[0]).toContain('Coverage too thin');
    expect(lines.at(-1)).toMatch(/^Insufficient samples for training: /);
  });
});

/** A folder spec with `--days N` given as a flag, as the CLI does. */
function loadFolderSpecWithDays(days: number, set: string[] = []) {
  return parseSpec(
    `name: coverage
universe: {tickers: [AAPL, SPY, QQQ]}
data: {provider: folder, folder: {path: ${JSON.stringify(REAL)}}}
params: {days: 13, min_samples: 0}
steps:
  precheck: {kind: precheck}
`,
    '/tmp/coverage.yaml',
    { set, flags: { days } },
  );
}

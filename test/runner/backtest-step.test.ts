/**
 * The backtest step through a real (small, synthetic) pipeline run: the bar-level backtester on
 * the test period only, strategies A/B/C/buy-and-hold in the run record with the bootstrap
 * verdict, the report written at the end and rebuilt by `mlx-intraday report <run-id>`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpec } from '../../src/spec/index.js';
import { runPipeline, type RunOutcome } from '../../src/run.js';
import { openLocalStore } from '../../src/cache/store.js';
import type { RunRecord } from '../../src/cache/runs.js';
import type { RunEvent } from '../../src/dag/events.js';
import { summaryLines } from '../../src/cli/render.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { sessionsEnding } from '../../src/data/calendar.js';
import { runCli } from './cli.js';
import { backtestKind } from '../../src/steps/backtest.js';
import { UsageError } from '../../src/util/errors.js';
import { tempDir } from './helpers.js';

const TICKERS = ['AAPL', 'MSFT', 'NVDA', 'AMD'];
const END = '2026-10-30';
const DAYS = 12;
const STRATEGIES = ['model', 'avwap', 'rsi-reversion', 'model-all', 'buy-and-hold'];
const SPEC = `name: bt-step
seed: 3
batch_size: 2
universe: {tickers: [${TICKERS.join(', ')}]}
data: {provider: synthetic, seed: 7, end: ${END}}
params: {days: ${DAYS}, sample_interval: 10, warmup: 120, horizon: 15, epochs: 2, min_samples: 100}
steps:
  bars: {kind: fetch}
  indicators: {kind: indicators, inputs: [bars]}
  samples: {kind: sample, inputs: [indicators, bars]}
  train: {kind: train, inputs: [samples], params: {preset: small, batch_size: 128, test_fraction: 0.35}}
  backtest:
    kind: backtest
    inputs: [train, bars, indicators]
    params: {strategies: [${STRATEGIES.join(', ')}], compare: [model, avwap], bootstrap_samples: 500}
`;

const dir = tempDir('mlxi-bt-step-');
const cacheDir = join(dir, 'cache');
const reportsDir = join(dir, 'reports');
let outcome: RunOutcome;
let record: RunRecord;
let runEnd: Extract<RunEvent, { type: 'run-end' }> | undefined;
let btMeta: Record<string, any>;
let trainMeta: Record<string, any>;
let btTensors: Record<string, { data: ArrayLike<number>; shape: number[] }>;
const savedEnv = process.env.MLX_INTRADAY_REPORTS;

beforeAll(async () => {
  process.env.MLX_INTRADAY_REPORTS = reportsDir;
  const spec = parseSpec(SPEC, join(dir, 'spec.yaml'));
  outcome = await runPipeline(spec, {
    cacheDir,
    modelsDir: join(dir, 'models'),
    report: (e) => {
      if (e.type === 'run-end') runEnd = e;
    },
  });
  const store = openLocalStore(cacheDir);
  try {
    record = (await store.runs.get(outcome.runId))!;
    const key = (step: string) => record.nodes!.find((n) => n.step === step)!.key!;
    const bt = (await store.artifacts.load(key('backtest')))!;
    btMeta = bt.record.meta;
    btTensors = bt.tensors;
    trainMeta = (await store.artifacts.lookup(key('train')))!.meta;
  } finally {
    store.close();
  }
}, 300_000);

afterAll(() => {
  if (savedEnv === undefined) delete process.env.MLX_INTRADAY_REPORTS;
  else process.env.MLX_INTRADAY_REPORTS = savedEnv;
  rmSync(dir, { recursive: true, force: true });
});

describe('backtest step in a pipeline run', () => {
  it('runs, and the run record holds metrics of A, B, C, the classic rule and buy-and-hold, with the CI and its verdict', async () => {
    expect(outcome.status).toBe('ok');
    const m = record.metrics!.backtest;
    for (const s of STRATEGIES) {
      for (const k of ['sharpe', 'total_return', 'annualized_return', 'max_drawdown', 'trades', 'turnover', 'exposure', 'costs']) expect(Number.isFinite(m[`${k}[${s}]`]), `${k}[${s}]`).toBe(true);
    }
    expect(m['trades[model]']).toBeGreaterThan(0);
    const ab = (f: string) => m[`ab[model vs avwap] ${f}`];
    expect(ab('difference')).toBeCloseTo(m['sharpe[model]'] - m['sharpe[avwap]'], 10);
    expect(ab('lower')).toBeLessThanOrEqual(ab('upper'));
    expect(ab('confidence')).toBe(0.95);
    expect(ab('samples')).toBe(500);
    expect(ab('verdict')).toBe(ab('lower') > 0 ? 1 : ab('upper') < 0 ? -1 : 0);
    // The plain-words verdict sits in the node's meta (the cache entry the record's key names).
    const c = btMeta.comparison;
    expect([c.a, c.b]).toEqual(['model', 'avwap']);
    expect(c.verdict).toBe(c.lower > 0 ? 'model beats avwap at 95%' : c.upper < 0 ? 'avwap beats model at 95%' : 'no significant difference at 95%');
    expect(c.days).toBe(m.test_sessions);
  });

  it('has per-ticker metrics of every strategy, over both ticker batches', async () => {
    const strategies = btMeta.backtest.strategies as { name: string; role?: string; perTicker: { ticker: string; metrics: Record<string, number | null> }[] }[];
    expect(strategies.map((s) => s.name)).toEqual(STRATEGIES);
    expect(strategies.map((s) => s.role)).toEqual(['A', 'B', undefined, 'C', 'baseline']);
    for (const s of strategies) expect(s.perTicker.map((r) => r.ticker)).toEqual(TICKERS);
    // The portfolio's trades are its sleeves' trades.
    for (const s of strategies) {
      const sum = s.perTicker.reduce((a, r) => a + (r.metrics.trades as number), 0);
      expect(record.metrics!.backtest[`trades[${s.name}]`]).toBe(sum);
    }
  });

  it('trades the test period only: from the first test sample time of the train split, after training, validation and the embargo', async () => {
    const split = trainMeta.split as { trainEnd: number; valEnd: number };
    expect(split.trainEnd).toBeLessThan(split.valEnd);
    expect(btMeta.testStart).toBe(split.valEnd);
    expect(record.metrics!.backtest.test_start).toBe(split.valEnd);
    const all = sessionsEnding(END, DAYS);
    const dateOf = (ms: number) => all.find((s) => ms >= s.openMs && ms < s.openMs + s.bars * 60_000)!.date;
    const testDates = all.map((s) => s.date).filter((d) => d >= dateOf(split.valEnd));
    expect((btMeta.backtest.sessions as { date: string }[]).map((s) => s.date)).toEqual(testDates);
    // No position before the first test bar: every equity curve is exactly 1 up to its close.
    const time = btTensors.time.data as Float64Array;
    const [K, T] = btTensors.equity.shape;
    expect(K).toBe(STRATEGIES.length);
    const rf = time.findIndex((t) => t >= split.valEnd);
    expect(rf).toBeGreaterThanOrEqual(0);
    for (let k = 0; k < K; k++) for (let t = 0; t <= rf; t++) expect(btTensors.equity.data[k * T + t]).toBe(1);
  });

  it('buy-and-hold equals the hold computed by hand from the bars: first fill at the open after the first test bar, out at the last close, after costs', async () => {
    const split = trainMeta.split as { valEnd: number };
    const panel = await new SyntheticProvider(7).fetch({ tickers: TICKERS, sessions: sessionsEnding(END, DAYS) });
    const rate = (0.5 + 1) / 1e4; // default commission + slippage, per side
    const rf = Array.from(panel.time).findIndex((t) => t >= split.valEnd);
    let sum = 0;
    for (let n = 0; n < TICKERS.length; n++) {
      let t = rf + 1;
      while (panel.mask[t * panel.N + n] !== 1) t++;
      const growth = panel.close[(panel.T - 1) * panel.N + n] / panel.open[t * panel.N + n];
      sum += growth * (1 - rate) - rate;
    }
    expect(record.metrics!.backtest['total_return[buy-and-hold]']).toBeCloseTo(sum / TICKERS.length - 1, 9);
  });

  it('strategy A reads only the indicators selected per regime on validation (the train metrics\' usefulness)', async () => {
    const tops = trainMeta.trainMetrics.evaluation.usefulness as { regime: string; indicators: { name: string }[] }[];
    expect(btMeta.selection).toEqual(Object.fromEntries(tops.map((t) => [t.regime, t.indicators.map((x) => x.name)])));
    expect(btMeta.decisionMinutes).toBe(15);
    // Gates by regime over the test period's decision bars, for the report's heatmap.
    expect(btMeta.usefulness.indicators).toHaveLength(111);
    expect(btMeta.usefulness.rows.reduce((a: number, b: number) => a + b, 0)).toBe(btMeta.decisions);
  });

  it('writes the report at the end of the run, and the summary prints the A/B table, the verdict and its path', async () => {
    expect(outcome.report).toBe(join(reportsDir, outcome.runId, 'index.html'));
    const html = readFileSync(outcome.report!, 'utf8');
    expect(html).toContain(btMeta.comparison.verdict);
    for (const s of STRATEGIES) expect(html).toContain(`>${s}<`);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    // Every section has its data: equity, drawdowns, the gates heatmap and the training curves are drawn.
    expect(html).not.toContain('not available in this run');
    expect(html.match(/<svg[\s>]/g)?.length).toBeGreaterThanOrEqual(4);
    expect(html).toContain("Mean gate over the test period's decision bars");
    const lines = summaryLines(runEnd!).join('\n');
    expect(lines).toMatch(/backtest on the test period \(from .* UTC, \d+ sessions?, 4 tickers/);
    for (const row of ['A model', 'B avwap', '  rsi-reversion', 'C model-all', '  buy-and-hold']) expect(lines).toContain(row);
    expect(lines).toContain(`Sharpe(model) − Sharpe(avwap) = `);
    expect(lines).toContain(btMeta.comparison.verdict);
    expect(lines).toContain(`report: ${outcome.report}`);
    // The backtest's many metrics stay out of the one-line-per-node part.
    expect(lines).not.toMatch(/^ {2}backtest: /m);
  });

  it('`mlx-intraday report <run-id>` rebuilds the report from the run record and the cache; an unknown id exits 2', async () => {
    rmSync(outcome.report!);
    const r = await runCli(['--cache-dir', cacheDir, 'report', outcome.runId.slice(0, 17)], { cwd: dir, env: { MLX_INTRADAY_REPORTS: reportsDir } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`report: reports/${outcome.runId}/index.html`);
    expect(existsSync(outcome.report!)).toBe(true);
    expect(readFileSync(outcome.report!, 'utf8')).toContain(btMeta.comparison.verdict);
    const bad = await runCli(['--cache-dir', cacheDir, 'report', 'no-such-run'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no run "no-such-run"');
    expect(bad.stderr).toContain('mlx-intraday runs ls');
  });

  it('a comparison of strategies that do not run is a usage error before any work', async () => {
    const params = (strategies: string[], compare: string[]) => ({ modelsDir: dir, params: { strategies, compare } as any });
    expect(() => backtestKind.preflight!(params(['avwap', 'buy-and-hold'], ['model', 'avwap']))).toThrow(UsageError);
    expect(() => backtestKind.preflight!(params(['avwap', 'buy-and-hold'], ['model', 'avwap']))).toThrow(/backtest.compare names model, which is not among backtest.strategies \(avwap, buy-and-hold\)/);
    expect(() => backtestKind.preflight!(params(['avwap', 'model'], ['avwap', 'avwap']))).toThrow(/twice/);
    expect(() => backtestKind.preflight!(params(['avwap', 'model'], ['model', 'avwap']))).not.toThrow();
  });
});

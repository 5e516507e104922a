/**
 * backtest: the bar-level backtester (src/backtest, runVectorizedBacktest) on the test period
 * only — from the first test sample time of the train step's split (after the training data, the
 * validation data and the embargo between them), so nothing the model was fitted or selected on
 * is traded. Strategies are named in the spec: A `model` (the model's prediction with only the
 * indicators it selects for the bar's regime), B `avwap` (the traditional AVWAP rule), classic
 * rules (`rsi-reversion`, `ema-cross`), C `model-all` (every indicator) and `buy-and-hold`; the
 * block bootstrap compares the pair in `compare` (default A − B). Bars and indicators are read
 * from their cached steps one ticker batch at a time, so memory is bounded by the batch; the
 * bars before the test period warm up the indicators, the market context and the regimes.
 */
import { barModelFrom, selectionFromMetrics } from '../backtest/model-bars.js';
import { indicatorPlanes } from '../backtest/indicator-planes.js';
import { BUILTIN_STRATEGIES, type BuiltinStrategyName } from '../backtest/strategies.js';
import { runVectorizedBacktest, type BacktestBatch, type VectorizedBacktestResult } from '../backtest/vectorized.js';
import { reportFromBacktest } from '../report/from-backtest.js';
import { tensor } from '../tensor/tensor.js';
import { INDICATORS_VERSION } from '../indicators/index.js';
import { REGIME_VERSION } from '../model/regime.js';
import { CONTEXT_VERSION } from '../model/context.js';
import { collect } from '../util/memory.js';
import { UsageError } from '../util/errors.js';
import { defineKind, inputIn, inputsIn, type InputArtifact } from './kind.js';
import { panelFromTensors } from './panel-artifact.js';

export interface BacktestParams {
  strategies: BuiltinStrategyName[];
  compare: [BuiltinStrategyName, BuiltinStrategyName];
  threshold: number;
  decision_minutes?: number;
  commission_bps: number;
  slippage_bps: number;
  range_slippage: number;
  volume_slippage_bps: number;
  direction: 'long-only' | 'long-short';
  max_weight: number;
  flat_at_close: boolean;
  bootstrap_samples: number;
  block_days?: number;
  confidence: number;
}

/** The A/B/C roles the summary and the report show. */
export const BACKTEST_ROLES: Readonly<Record<string, string>> = Object.freeze({ model: 'A', avwap: 'B', 'model-all': 'C', 'buy-and-hold': 'baseline' });

const STRATEGY_NAME = { enum: [...BUILTIN_STRATEGIES] };

const PARAMS_SCHEMA = {
  strategies: {
    type: 'array',
    items: STRATEGY_NAME,
    minItems: 1,
    uniqueItems: true,
    default: ['model', 'avwap', 'rsi-reversion', 'model-all', 'buy-and-hold'],
    description:
      'Strategies to simulate on the test period: model (A: the model with the indicators it selects per regime), avwap (B: the traditional AVWAP rule), rsi-reversion, ema-cross, model-all (C: every indicator), buy-and-hold.',
  },
  compare: {
    type: 'array',
    items: STRATEGY_NAME,
    minItems: 2,
    maxItems: 2,
    default: ['model', 'avwap'],
    description: 'The two strategies whose Sharpe difference (first − second) gets a day-block bootstrap confidence interval and a verdict.',
  },
  threshold: { type: 'number', minimum: 0, default: 0, description: 'Model strategies: long above +threshold, short below −threshold (predicted log return), flat between.' },
  decision_minutes: {
    type: 'integer',
    minimum: 1,
    maximum: 390,
    description: "Model strategies: minutes between decisions within a session (each is held until the next). Default: the model's label horizon.",
  },
  commission_bps: { type: 'number', minimum: 0, maximum: 1000, default: 0.5, description: 'Commission per side, basis points of the traded notional.' },
  slippage_bps: { type: 'number', minimum: 0, maximum: 1000, default: 1, description: 'Fixed slippage per side, basis points of the traded notional.' },
  range_slippage: { type: 'number', minimum: 0, maximum: 10, default: 0, description: "Extra slippage as this fraction of the last completed bar's range (high − low) / close." },
  volume_slippage_bps: { type: 'number', minimum: 0, maximum: 10000, default: 0, description: "Extra slippage in basis points at 100% of the last completed bar's volume, linear in the order's share of it." },
  direction: { enum: ['long-only', 'long-short'], default: 'long-short', description: 'long-only clips short targets to flat.' },
  max_weight: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1, description: 'Largest weight of one ticker in the portfolio (each ticker trades an equal 1/N sleeve, capped at this).' },
  flat_at_close: { type: 'boolean', default: true, description: 'Exit every position at the session close (buy-and-hold holds overnight regardless).' },
  bootstrap_samples: { type: 'integer', minimum: 100, maximum: 100000, default: 2000, description: 'Resamples of the day-block bootstrap.' },
  block_days: { type: 'number', minimum: 1, description: 'Mean block length of the stationary day-block bootstrap. Default: the cube root of the test sessions, rounded.' },
  confidence: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: 0.95, description: 'Two-sided level of the confidence interval.' },
};

/** Metric keys of one strategy in the node's metrics: `sharpe[model]`, `total_return[avwap]`… */
export const STRATEGY_METRICS = [
  ['totalReturn', 'total_return'],
  ['annualizedReturn', 'annualized_return'],
  ['sharpe', 'sharpe'],
  ['sortino', 'sortino'],
  ['maxDrawdown', 'max_drawdown'],
  ['maxDrawdownBars', 'max_drawdown_bars'],
  ['hitRate', 'hit_rate'],
  ['avgTrade', 'avg_trade'],
  ['trades', 'trades'],
  ['tradesPerDay', 'trades_per_day'],
  ['turnover', 'turnover'],
  ['exposure', 'exposure'],
  ['costs', 'costs'],
] as const;

/**
 * The node's headline numbers: per strategy, then the comparison as `ab[A vs B] <field>`
 * (verdict +1 = A beats B, −1 = B beats A, 0 = no significant difference; absent with too few days).
 */
export function backtestMetrics(r: VectorizedBacktestResult, testStart: number = r.time[0]): Record<string, number> {
  // test_start: when trading starts (epoch ms), the first test sample time.
  const m: Record<string, number> = { test_sessions: r.sessions.length, tickers: r.symbols.length, test_start: testStart };
  for (const s of r.strategies) for (const [from, to] of STRATEGY_METRICS) m[`${to}[${s.name}]`] = s.overall[from];
  const c = r.comparison;
  if (c) {
    const at = `ab[${c.a} vs ${c.b}]`;
    m[`${at} difference`] = c.difference;
    m[`${at} lower`] = c.lower;
    m[`${at} upper`] = c.upper;
    m[`${at} confidence`] = c.confidence;
    m[`${at} days`] = c.days;
    m[`${at} samples`] = c.samples;
    if (c.lower <= c.upper) m[`${at} verdict`] = c.lower > 0 ? 1 : c.upper < 0 ? -1 : 0;
  }
  // Undefined values (a hit rate without trades, a CI from too few days) are left out: the
  // cache keeps metrics as JSON, where NaN would come back as null.
  for (const [k, v] of Object.entries(m)) if (!Number.isFinite(v)) delete m[k];
  return m;
}

/** Bars and cached indicators of each batch, read one batch at a time. */
async function* batchesOf(bars: InputArtifact[], indicators: InputArtifact[]): AsyncGenerator<BacktestBatch> {
  for (let b = 0; b < bars.length; b++) {
    const panel = panelFromTensors(await bars[b].tensors(), bars[b].meta as any);
    let planes;
    const ind = indicators[b];
    if (ind) {
      const meta = ind.meta as { names: string[]; tickers: string[]; T: number; N: number; F: number };
      if (meta.tickers.join(',') !== panel.tickers.join(',')) throw new Error(`backtest: indicator batch ${b} holds ${meta.tickers.join(',')}, its bars ${panel.tickers.join(',')}`);
      const values = (await ind.tensors()).values.data as Float32Array;
      planes = indicatorPlanes({ values, names: meta.names, T: meta.T, N: meta.N, F: meta.F });
    }
    yield { panel, indicators: planes };
    await collect();
  }
}

export const backtestKind = defineKind<BacktestParams>({
  name: 'backtest',
  description: 'The bar-level backtest on the test period: the model (A, selected indicators), the AVWAP rule (B), classic rules, the model with every indicator (C) and buy-and-hold, with a bootstrap CI on A − B.',
  // 4: the model reads context columns too.
  // 5: the bar-level backtester (runVectorizedBacktest) on the test period, strategies by name.
  // 6: test_start is when trading starts (the first test sample time).
  version: 6,
  cardinality: 'whole-universe',
  contentIdMode: 'key',
  sharedParams: [],
  paramsSchema: PARAMS_SCHEMA,
  inputs: [
    { role: 'model', kind: 'train', required: true },
    { role: 'bars', kind: 'fetch', required: true },
    { role: 'indicators', kind: 'indicators' },
  ],
  // The bootstrap's resampling seed.
  uses: ['seed'],
  // It computes indicators its inputs lack, and the model's market context and regimes, itself.
  libraryVersions: { indicators: INDICATORS_VERSION, regime: REGIME_VERSION, context: CONTEXT_VERSION },
  // A comparison of strategies that do not run fails before any work, not after training.
  preflight: ({ params }) => {
    const missing = params.compare.filter((c) => !params.strategies.includes(c));
    if (missing.length > 0) {
      throw UsageError.one(
        `backtest.compare names ${missing.join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not among backtest.strategies (${params.strategies.join(', ')})`,
        `add ${missing.join(', ')} to backtest.strategies, or compare two of them`,
      );
    }
    if (params.compare[0] === params.compare[1]) throw UsageError.one(`backtest.compare names ${params.compare[0]} twice`, 'compare two different strategies, e.g. compare: [model, avwap]');
  },
  async run(ctx) {
    const p = ctx.params;
    const model = inputIn(ctx.inputs, 'model');
    const bars = inputsIn(ctx.inputs, 'bars');
    const indicators = inputsIn(ctx.inputs, 'indicators');
    if (indicators.length > 0 && indicators.length !== bars.length) throw new Error(`backtest: ${bars.length} batches of bars but ${indicators.length} of indicators; give both from the same batches`);
    // JSON turns an open-ended split (+Infinity) into null: both mean "no test samples".
    const split = model.meta.split as { trainEnd: number; valEnd: number | null } | undefined;
    const testStart = split?.valEnd;
    if (typeof testStart !== 'number' || !Number.isFinite(testStart)) throw new Error('the model was trained without a test split, so there is nothing out of sample to backtest; set train.test_fraction > 0');
    const needsModel = p.strategies.some((s) => s === 'model' || s === 'model-all');
    const trained = needsModel
      ? barModelFrom(
          { weights: await model.tensors(), config: model.meta.config, scaler: model.meta.scaler, metrics: model.meta.trainMetrics },
          { from: testStart, every: p.decision_minutes, signal: ctx.signal },
        )
      : undefined;
    const symbols = bars.flatMap((b) => b.meta.tickers as string[]);
    let done = 0;
    const batches = (async function* () {
      for await (const b of batchesOf(bars, indicators)) {
        yield b;
        ctx.progress(++done / bars.length, `batch ${done}/${bars.length}`);
      }
    })();
    const result = await runVectorizedBacktest({
      symbols,
      batches,
      batchSize: Math.max(...bars.map((b) => (b.meta.tickers as string[]).length)),
      tradeFrom: testStart,
      strategy: p.strategies.map((name) => (name === 'model' || name === 'model-all' ? { name, params: { threshold: p.threshold } } : name)),
      model: trained,
      costs: { commissionBps: p.commission_bps, slippageBps: p.slippage_bps, rangeSlippage: p.range_slippage, volumeSlippageBps: p.volume_slippage_bps },
      sizing: { direction: p.direction, maxWeight: p.max_weight },
      flatAtClose: p.flat_at_close,
      compare: { a: p.compare[0], b: p.compare[1], samples: p.bootstrap_samples, blockDays: p.block_days, confidence: p.confidence, seed: ctx.seed },
      signal: ctx.signal,
    });
    const c = result.comparison!;
    const first = result.sessions[0];
    const lastS = result.sessions[result.sessions.length - 1];
    ctx.info(
      `test period ${first.date} … ${lastS.date} (${result.sessions.length} sessions, ${symbols.length} tickers): ` +
        `Sharpe ${c.a} ${c.sharpeA.toFixed(2)} vs ${c.b} ${c.sharpeB.toFixed(2)}, difference ${c.difference.toFixed(2)} ` +
        `[${c.lower.toFixed(2)}, ${c.upper.toFixed(2)}] — ${c.verdict}`,
    );
    if (result.sessions.length < 20) ctx.warn(`the test period spans only ${result.sessions.length} session${result.sessions.length === 1 ? '' : 's'}; Sharpe ratios and their confidence interval from so few days are noise (use more days)`);
    const K = result.strategies.length;
    const T = result.time.length;
    const D = result.sessions.length;
    const equity = new Float64Array(K * T);
    const dayReturn = new Float64Array(K * D);
    result.strategies.forEach((s, k) => {
      equity.set(s.equity, k * T);
      dayReturn.set(s.dayReturn, k * D);
    });
    const selection = trained?.selection ?? selectionFromMetrics(model.meta.trainMetrics);
    return {
      tensors: {
        time: tensor(Float64Array.from(result.time), [T]),
        equity: tensor(equity, [K, T]),
        day_return: tensor(dayReturn, [K, D]),
      },
      meta: {
        strategies: result.strategies.map((s) => s.name),
        roles: BACKTEST_ROLES,
        // The train node read (its meta holds the training curves the report shows).
        modelKey: model.key,
        modelStep: model.step,
        testStart,
        trainEnd: split?.trainEnd,
        // The per-strategy metrics (overall and per ticker), curves, sessions, settings and the comparison.
        backtest: reportFromBacktest(result, { roles: { ...BACKTEST_ROLES } }),
        comparison: c,
        selection,
        decisionMinutes: trained?.every,
        decisions: trained?.decisions,
        // Mean gates by regime over the test period's decision bars (the report's heatmap).
        usefulness: trained?.usefulness(),
        indicators: result.indicators,
        dataFingerprint: Object.fromEntries(bars.map((b, i) => [`batch ${i + 1}`, b.contentId])),
      },
      metrics: backtestMetrics(result, testStart),
    };
  },
});

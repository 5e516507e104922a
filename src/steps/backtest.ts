/**
 * backtest: the trained model's signal against the traditional AVWAP rule (and buy & hold),
 * on the test split only — samples after the validation cut, which training never saw.
 */
import { runBacktest } from '../backtest/index.js';
import { predict } from '../model/index.js';
import { modelInputs } from '../model/inputs.js';
import { tensor } from '../tensor/tensor.js';
import { defineKind, inputIn, inputsIn } from './kind.js';
import { gatherSamples } from './samples-input.js';

function pick<T extends Float32Array | Float64Array | Int32Array>(src: T, idx: Int32Array, width = 1): T {
  const out = new (src.constructor as any)(idx.length * width) as T;
  for (let i = 0; i < idx.length; i++) out.set(src.subarray(idx[i] * width, (idx[i] + 1) * width), i * width);
  return out;
}

/**
 * Sample indices of the test split. With a holding period, keeps only sample times at least
 * that far apart (the first of each session, then every horizon): a position is closed before
 * the next opens, so periods do not overlap and the Sharpe ratio is not inflated by counting
 * the same minutes several times.
 */
export function testRows(time: Float64Array, testStart: number, holdMinutes: number): Int32Array {
  const times = [...new Set(Array.from(time).filter((t) => t >= testStart))].sort((a, b) => a - b);
  const kept = new Set<number>();
  let last = -Infinity;
  for (const t of times) {
    if (t >= last + holdMinutes * 60_000) {
      kept.add(t);
      last = t;
    }
  }
  const rows: number[] = [];
  for (let i = 0; i < time.length; i++) if (kept.has(time[i])) rows.push(i);
  return Int32Array.from(rows);
}

export interface BacktestParams {
  threshold: number;
  cost_bps: number;
  baseline_rule: 'avwap-trend' | 'avwap-reversion';
  overlapping: boolean;
}

export const backtestKind = defineKind<BacktestParams>({
  name: 'backtest',
  description: 'The trained model against the traditional AVWAP rule and buy-and-hold, on the test split only.',
  // 4: the model reads context columns too.
  version: 4,
  cardinality: 'whole-universe',
  contentIdMode: 'key',
  sharedParams: [],
  paramsSchema: {
  "threshold": {
    "type": "number",
    "minimum": 0,
    "default": 0,
    "description": "Trade only when |predicted return| exceeds this."
  },
  "cost_bps": {
    "type": "number",
    "minimum": 0,
    "maximum": 1000,
    "default": 1,
    "description": "Cost per side in basis points."
  },
  "baseline_rule": {
    "enum": [
      "avwap-trend",
      "avwap-reversion"
    ],
    "default": "avwap-trend",
    "description": "The traditional rule the model is compared with."
  },
  "overlapping": {
    "type": "boolean",
    "default": false,
    "description": "Trade at every sample time even when holding periods (the label horizon) overlap. Off by default: overlapping periods count the same minutes several times and inflate the Sharpe ratio."
  }
  },
  inputs: [
    { role: 'model', kind: 'train', required: true },
    { role: 'samples', kind: 'sample', required: true },
  ],
  async run(ctx) {
    const model = inputIn(ctx.inputs, 'model');
    const set = await gatherSamples(inputsIn(ctx.inputs, 'samples'));
    // JSON turns an open-ended split (+Infinity) into null: both mean "no test samples".
    const testStart = model.meta.split?.valEnd;
    if (typeof testStart !== 'number' || !Number.isFinite(testStart)) throw new Error('the model was trained without a test split, so there is nothing out of sample to backtest; set train.test_fraction > 0');
    const idx = testRows(set.time, testStart, ctx.params.overlapping ? 0 : set.horizonMinutes);
    if (idx.length === 0) throw new Error('the test split holds no samples; use more days or a larger test_fraction');
    const trained = { weights: await model.tensors(), config: model.meta.config, scaler: model.meta.scaler };
    // Indicators, then the context columns the model was trained with.
    const X = pick(modelInputs(set, trained.config.contextF), idx, trained.config.F);
    const pred = await predict(trained, X, idx.length, { signal: ctx.signal });
    const result = runBacktest(
      {
        time: pick(set.time, idx),
        ticker: pick(set.ticker, idx),
        forwardReturn: pick(set.y, idx),
        modelSignal: pred,
        baselineSignal: pick(set.baseline, idx),
        horizonMinutes: set.horizonMinutes,
      },
      { threshold: ctx.params.threshold, costBps: ctx.params.cost_bps, baselineRule: ctx.params.baseline_rule },
    );
    const m = result.model;
    const b = result.baseline;
    return {
      tensors: {
        equity_time: tensor(result.equity.time, [result.equity.time.length]),
        equity_model: tensor(result.equity.model, [result.equity.model.length]),
        equity_baseline: tensor(result.equity.baseline, [result.equity.baseline.length]),
      },
      meta: { model: result.model, baseline: result.baseline, buyHold: result.buyHold, testSamples: idx.length, testStart, annualization: result.annualization, overlap: result.overlap },
      metrics: {
        model_sharpe: m.sharpe,
        model_return: m.totalReturn,
        baseline_sharpe: b.sharpe,
        baseline_return: b.totalReturn,
        buy_hold_return: result.buyHold.totalReturn,
        test_samples: idx.length,
        // Annualized figures from a handful of sessions are noise; the summary says so.
        test_sessions: new Set(Array.from(idx, (i) => Math.floor(set.time[i] / 86_400_000))).size,
      },
    };
  },
});

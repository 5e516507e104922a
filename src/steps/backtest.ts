/**
 * backtest: the trained model's signal against the traditional AVWAP rule (and buy & hold),
 * on the test split only — samples after the validation cut, which training never saw.
 */
import { runBacktest } from '../backtest/index.js';
import { predict } from '../model/index.js';
import { tensor } from '../tensor/tensor.js';
import { inputOfKind, inputsOfKind, type StepKind } from './kind.js';
import { gatherSamples } from './samples-input.js';

function pick<T extends Float32Array | Float64Array | Int32Array>(src: T, idx: Int32Array, width = 1): T {
  const out = new (src.constructor as any)(idx.length * width) as T;
  for (let i = 0; i < idx.length; i++) out.set(src.subarray(idx[i] * width, (idx[i] + 1) * width), i * width);
  return out;
}

export const backtestKind: StepKind = {
  name: 'backtest',
  version: 1,
  perBatch: false,
  contentIdMode: 'key',
  sharedParams: [],
  inputs: { required: ['train', 'sample'] },
  async run(ctx) {
    const model = inputOfKind(ctx.inputs, 'train');
    const set = await gatherSamples(inputsOfKind(ctx.inputs, 'sample'));
    // JSON turns an open-ended split (+Infinity) into null: both mean "no test samples".
    const testStart = model.meta.split?.valEnd;
    if (typeof testStart !== 'number' || !Number.isFinite(testStart)) throw new Error('the model was trained without a test split, so there is nothing out of sample to backtest; set train.test_fraction > 0');
    const rows: number[] = [];
    for (let i = 0; i < set.S; i++) if (set.time[i] >= testStart) rows.push(i);
    const idx = Int32Array.from(rows);
    if (idx.length === 0) throw new Error('the test split holds no samples; use more days or a larger test_fraction');
    const X = pick(set.X, idx, set.F);
    const trained = { weights: await model.tensors(), config: model.meta.config, scaler: model.meta.scaler };
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
      meta: { model: result.model, baseline: result.baseline, buyHold: result.buyHold, testSamples: idx.length, testStart },
      metrics: {
        model_sharpe: m.sharpe,
        model_return: m.totalReturn,
        baseline_sharpe: b.sharpe,
        baseline_return: b.totalReturn,
        buy_hold_return: result.buyHold.totalReturn,
        test_samples: idx.length,
      },
    };
  },
};

import { describe, expect, it } from 'vitest';
import { trainModel, TRAIN_DEFAULTS } from '../../src/model/train.js';
import { predict } from '../../src/model/predict.js';
import { modelInputs } from '../../src/model/inputs.js';
import { CONTEXT_SIZE } from '../../src/model/context.js';
import { pearson } from '../../src/model/metrics.js';
import { Rng } from '../../src/model/rng.js';
import { synthSet } from './helpers.js';

describe('volatility-scaled targets', () => {
  it('learn y/σ̂ and predict in return units: predict() reproduces the test IC', async () => {
    const set = synthSet({ tickers: 8, times: 240, F: 6, nanShare: 0 });
    const rng = new Rng(8);
    set.regime = new Uint8Array(set.S);
    set.context = new Float32Array(set.S * CONTEXT_SIZE);
    for (let i = 0; i < set.S; i++) {
      const sd = 0.0005 * (1 + (set.ticker[i] % 4)); // ret_std differs by ticker
      set.context[i * CONTEXT_SIZE + 1] = sd;
      set.y[i] = sd * Math.sqrt(15) * (set.X[i * set.F] + rng.normal());
    }
    const r = await trainModel(set, { ...TRAIN_DEFAULTS, model: 'mlp', epochs: 4, target: 'vol-scaled' });
    expect(r.config.targetScale).toMatchObject({ column: set.F + 1, horizon: 15 });
    const test = [...Array(set.S).keys()].filter((i) => set.time[i] >= r.split.valEnd);
    const X = modelInputs(set, r.config.contextF);
    const W = r.config.F;
    const Xt = new Float32Array(test.length * W);
    test.forEach((i, k) => Xt.set(X.subarray(i * W, (i + 1) * W), k * W));
    const pred = await predict(r, Xt, test.length);
    const y = test.map((i) => set.y[i]);
    expect(pearson(pred, y)).toBeCloseTo(r.metrics.evaluation!.model.ic, 4);
    // In return units: predictions scale with each row's σ̂.
    const big = test.filter((i) => set.ticker[i] % 4 === 3).map((i) => Math.abs(pred[test.indexOf(i)]));
    const small = test.filter((i) => set.ticker[i] % 4 === 0).map((i) => Math.abs(pred[test.indexOf(i)]));
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(big) / mean(small)).toBeGreaterThan(2.5);
    expect(r.metrics.evaluation!.model.ic).toBeGreaterThan(0.4);
  });

  it('is off by default', async () => {
    const set = synthSet({ tickers: 4, times: 120, F: 4 });
    const r = await trainModel(set, { ...TRAIN_DEFAULTS, model: 'mlp', epochs: 1 });
    expect(r.config.targetScale).toBeUndefined();
  });
});

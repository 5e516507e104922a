import { describe, expect, it } from 'vitest';
import { trainModel } from '../../src/model/train.js';
import { predict } from '../../src/model/predict.js';
import { splitByTime } from '../../src/model/split.js';
import type { TrainParams } from '../../src/model/types.js';
import { rssMB } from '../../src/util/memory.js';
import { synthSet } from './helpers.js';

const base: TrainParams = {
  model: 'mlp',
  preset: 'small',
  epochs: 6,
  batchSize: 128,
  learningRate: 3e-3,
  seed: 1,
  valFraction: 0.15,
  testFraction: 0.2,
};

/** Loss of always predicting 0 in standardized units (= predicting the train mean). */
function zeroLoss(set: ReturnType<typeof synthSet>, idx: Int32Array, yMean: number, yStd: number): number {
  let s = 0;
  for (const i of idx) s += ((set.y[i] - yMean) / yStd) ** 2;
  return s / idx.length;
}

describe('trainModel', () => {
  const set = synthSet({ tickers: 20, times: 300, F: 10 });

  for (const model of ['mlp', 'indicator-transformer'] as const) {
    it(`${model}: learns y = f(x0, x1) + noise (val loss well below predicting zero, test corr > 0.5)`, async () => {
      const epochs: number[] = [];
      const r = await trainModel(set, { ...base, model, epochs: model === 'mlp' ? 6 : 8 }, { onEpoch: (e) => epochs.push(e.epoch) });
      expect(epochs).toEqual(r.history.map((h) => h.epoch));
      const sp = splitByTime(set);
      const z = zeroLoss(set, sp.val, r.scaler.yMean, r.scaler.yStd);
      expect(z).toBeGreaterThan(0.8);
      expect(r.metrics.bestValLoss).toBeLessThan(0.5 * z);
      expect(r.metrics.testCorr).toBeGreaterThan(0.5);
      expect(r.metrics.directionalAccuracy).toBeGreaterThan(0.6);
      expect(r.split.counts.train).toBe(sp.train.length);
      expect(r.config.featureNames).toEqual(set.featureNames);
      // Best-val weights are the ones returned.
      expect(r.metrics.bestValLoss).toBe(Math.min(...r.history.map((h) => h.valLoss)));
      // predict() in original units reproduces the test correlation.
      const preds = await predict(r, set.X, set.S);
      expect(preds.length).toBe(set.S);
      const te = Array.from(sp.test);
      const p = te.map((i) => preds[i]);
      const y = te.map((i) => set.y[i]);
      const mp = p.reduce((a, b) => a + b) / p.length;
      const my = y.reduce((a, b) => a + b) / y.length;
      let sab = 0, saa = 0, sbb = 0;
      for (let i = 0; i < p.length; i++) {
        sab += (p[i] - mp) * (y[i] - my);
        saa += (p[i] - mp) ** 2;
        sbb += (y[i] - my) ** 2;
      }
      expect(sab / Math.sqrt(saa * sbb)).toBeCloseTo(r.metrics.testCorr, 3);
      // Predictions are in return units (~0.002 scale), not standardized.
      expect(Math.sqrt(saa / p.length)).toBeLessThan(0.01);
    });
  }

  it('fits the scaler on the train split only (changing test-split X leaves it unchanged)', async () => {
    const small = synthSet({ tickers: 5, times: 120, F: 6 });
    const sp = splitByTime(small);
    const p = { ...base, epochs: 1 };
    const a = await trainModel(small, p);
    const X2 = Float32Array.from(small.X);
    for (const i of [...sp.test, ...sp.val]) for (let f = 0; f < small.F; f++) X2[i * small.F + f] = 1e4 + f;
    const b = await trainModel({ ...small, X: X2 }, p);
    expect(b.scaler).toEqual(a.scaler);
    // ...and the train rows' scaling does depend on the train rows.
    const X3 = Float32Array.from(small.X);
    X3[sp.train[0] * small.F + 3] = 1e4;
    const c = await trainModel({ ...small, X: X3 }, p);
    expect(c.scaler.mean[3]).not.toBe(a.scaler.mean[3]);
  });

  it('is deterministic: same seed → identical weights and history; another seed differs', async () => {
    const small = synthSet({ tickers: 5, times: 120, F: 6 });
    const p: TrainParams = { ...base, model: 'indicator-transformer', epochs: 2, batchSize: 64 };
    const a = await trainModel(small, p);
    const b = await trainModel(small, p);
    const c = await trainModel(small, { ...p, seed: 2 });
    expect(Object.keys(b.weights)).toEqual(Object.keys(a.weights));
    for (const k of Object.keys(a.weights)) {
      expect(Buffer.from(b.weights[k].data.buffer)).toEqual(Buffer.from(a.weights[k].data.buffer));
    }
    const strip = (h: typeof a.history) => h.map(({ seconds: _s, ...rest }) => rest);
    expect(strip(b.history)).toEqual(strip(a.history));
    expect(b.metrics).toEqual(a.metrics);
    expect(Buffer.from(c.weights['head.weight'].data.buffer)).not.toEqual(Buffer.from(a.weights['head.weight'].data.buffer));
  });

  it('stops with a clear error naming the epoch when the loss becomes NaN', async () => {
    const small = synthSet({ tickers: 5, times: 120, F: 6 });
    await expect(trainModel(small, { ...base, epochs: 3, learningRate: 1e30, gradClip: 0 })).rejects.toThrow(
      /loss became (NaN|Infinity|-Infinity) at epoch 1, step \d+\/\d+ .*most extreme values/s,
    );
  });

  it('stops promptly with an AbortError when the signal fires', async () => {
    const small = synthSet({ tickers: 10, times: 200, F: 6 });
    const ac = new AbortController();
    let steps = 0;
    let stepsAfterAbort = 0;
    const run = trainModel(small, { ...base, epochs: 50, batchSize: 16 }, {
      signal: ac.signal,
      onStep: (s) => {
        steps++;
        if (ac.signal.aborted) stepsAfterAbort++;
        if (s.epoch === 1 && s.step === 5) ac.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps).toBe(5);
    expect(stepsAfterAbort).toBe(0);
    // An already-aborted signal never starts.
    await expect(trainModel(small, base, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('keeps memory flat across 300 transformer steps at 111 features (RSS growth < 150 MB)', async () => {
    const wide = synthSet({ tickers: 20, times: 300, F: 111, nanShare: 0 });
    // ≈ 3,900 train rows / batch 26 = 150 steps per epoch × 2 epochs = 300 steps. Without the
    // periodic collect() RSS grows by ~500 MB within the first epoch here; with it, ~15 MB.
    const rss: number[] = [];
    let steps = 0;
    const r = await trainModel(wide, { ...base, model: 'indicator-transformer', epochs: 2, batchSize: 26 }, {
      onStep: () => {
        steps++;
        if (steps % 20 === 0) rss.push(rssMB());
      },
    });
    expect(steps).toBeGreaterThanOrEqual(290);
    expect(r.history.length).toBe(2);
    const warm = rss[0];
    const peakAfter = Math.max(...rss.slice(1));
    expect(peakAfter - warm).toBeLessThan(150);
  });
});

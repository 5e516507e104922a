import { describe, expect, it } from 'vitest';
import { baseRate, oneSignShare, pearson, predictionMetrics, rankIC, ranks } from '../../src/model/metrics.js';
import { fitRidge, ridgePredict } from '../../src/model/ridge.js';
import { trainModel, TRAIN_DEFAULTS } from '../../src/model/train.js';
import { evaluationMetrics } from '../../src/model/evaluate.js';
import { Rng } from '../../src/model/rng.js';
import { synthSet } from './helpers.js';

describe('prediction metrics', () => {
  it('rank IC is Pearson on ranks (ties averaged), invariant to monotone transforms', () => {
    expect(Array.from(ranks([3, 1, 3, 2]))).toEqual([3.5, 1, 3.5, 2]);
    const x = [0.1, -2, 3, 0.5, 7, -1];
    const y = x.map((v) => Math.exp(v));
    expect(rankIC(x, y)).toBeCloseTo(1, 12);
    expect(pearson(x, y)).toBeLessThan(0.95);
    expect(rankIC(x, y.map((v) => -v))).toBeCloseTo(-1, 12);
  });

  it('base rate is the majority sign share; one-sign share flags constant-sign predictions', () => {
    expect(baseRate([1, -1, -2, -3, 0])).toEqual({ rate: 0.75, sign: -1 });
    expect(oneSignShare([0.1, 0.2, 0.3, -0.1])).toBe(0.75);
    const m = predictionMetrics([-1, -1, -1, -1], [1, -1, -2, -3]);
    expect(m.oneSignShare).toBe(1);
    expect(m.directionalAccuracy).toBe(baseRate([1, -1, -2, -3]).rate);
  });

  it('per-regime IC uses only that regime’s rows, NaN below the minimum count', () => {
    const rng = new Rng(3);
    const n = 400;
    const y = Array.from({ length: n }, () => rng.normal());
    const regime = Array.from({ length: n }, (_, i) => (i < 200 ? 0 : i < 398 ? 2 : 1));
    // Informative in regime 0, sign-flipped in regime 2.
    const pred = y.map((v, i) => (regime[i] === 0 ? v : -v) + 0.5 * rng.normal());
    const m = predictionMetrics(pred, y, regime);
    expect(m.byRegime['trend-calm'].ic).toBeGreaterThan(0.8);
    expect(m.byRegime['range-calm'].ic).toBeLessThan(-0.8);
    expect(m.byRegime['trend-volatile']).toEqual({ n: 2, ic: NaN, rankIc: NaN });
    expect(m.byRegime['range-volatile'].n).toBe(0);
  });
});

describe('ridge baseline', () => {
  const toRows = (X: Float32Array, F: number, rows: number[]) => {
    const out = new Float32Array(rows.length * F);
    rows.forEach((r, i) => out.set(X.subarray(r * F, (r + 1) * F), i * F));
    return out;
  };

  it('is the closed-form solution: Xᵀ(y − Xβ − b) = λβ on centered data', () => {
    const set = synthSet({ tickers: 4, times: 100, F: 5, nanShare: 0 });
    const n = set.S;
    const rows = Array.from({ length: n }, (_, i) => i);
    const X = toRows(set.X, set.F, rows);
    const m = fitRidge(X, set.y, X, set.y, set.F, [0.1]);
    const pred = ridgePredict(m, X, n, set.F);
    for (let f = 0; f < set.F; f++) {
      let g = 0;
      for (let r = 0; r < n; r++) g += X[r * set.F + f] * (set.y[r] - pred[r]);
      expect(g).toBeCloseTo(0.1 * n * m.beta[f], 5);
    }
  });

  it('learns a linear signal with a small penalty, and picks a large one for shuffled labels', () => {
    const set = synthSet({ tickers: 10, times: 300, F: 8, nanShare: 0 });
    const F = set.F;
    const train = Array.from({ length: 2000 }, (_, i) => i);
    const val = Array.from({ length: 1000 }, (_, i) => 2000 + i);
    const [Xtr, Xva] = [toRows(set.X, F, train), toRows(set.X, F, val)];
    // x2 is in raw units (100 + 5·z): standardize like the scaler would.
    for (const X of [Xtr, Xva]) for (let r = 0; r < X.length / F; r++) X[r * F + 2] = (X[r * F + 2] - 100) / 5;
    const ytr = Float32Array.from(train, (i) => set.y[i]);
    const yva = Float32Array.from(val, (i) => set.y[i]);
    const good = fitRidge(Xtr, ytr, Xva, yva, F);
    expect(pearson(ridgePredict(good, Xva, val.length, F), yva)).toBeGreaterThan(0.7);
    expect(good.alpha).toBeLessThanOrEqual(0.01);
    const rng = new Rng(9);
    const shuffled = ytr.slice();
    rng.shuffle(shuffled);
    const bad = fitRidge(Xtr, shuffled, Xva, yva, F);
    expect(bad.alpha).toBeGreaterThanOrEqual(1);
  });
});

describe('trainModel evaluation', () => {
  it('scores model, ridge and oracle on the same test rows, beside the base rate and by regime', async () => {
    const set = synthSet({ tickers: 8, times: 240, F: 6, nanShare: 0 });
    const rng = new Rng(5);
    // Regimes: a per-time label; oracle: the noiseless signal (the best any model can do).
    set.regime = Uint8Array.from({ length: set.S }, (_, i) => Math.floor(set.time[i] / 3_600_000) % 4);
    set.oracle = Float32Array.from({ length: set.S }, (_, i) => 0.002 * (set.X[i * set.F] - 0.5 * set.X[i * set.F + 1]));
    set.hiddenRegime = Uint8Array.from(set.regime, (r) => (r === 3 ? 2 : r === 1 ? 2 : r === 0 ? 1 : 0));
    for (let i = 0; i < set.S && i < 50; i++) set.hiddenRegime[i] = rng.next() < 0.5 ? 0 : 1;
    const r = await trainModel(set, { ...TRAIN_DEFAULTS, model: 'mlp', epochs: 3 });
    const ev = r.metrics.evaluation!;
    expect(ev.n).toBe(r.split.counts.test);
    expect(ev.model.ic).toBeCloseTo(r.metrics.testCorr, 10);
    expect(ev.ridge.ic).toBeGreaterThan(0.7);
    expect(ev.oracle!.ic).toBeGreaterThan(ev.ridge.ic - 0.01); // the true function; ridge may match it on a finite test set
    expect(ev.oracle!.ic).toBeGreaterThan(0.8);
    expect(Object.keys(ev.model.byRegime)).toEqual(['trend-calm', 'trend-volatile', 'range-calm', 'range-volatile']);
    expect(Object.values(ev.model.byRegime).reduce((a, b) => a + b.n, 0)).toBe(ev.n);
    expect(ev.regimeAgreement!.accuracy).toBeGreaterThan(0.9);
    const flat = evaluationMetrics(ev);
    expect(flat.ic).toBe(ev.model.ic);
    expect(flat.ridge_ic).toBe(ev.ridge.ic);
    expect(flat.oracle_ic).toBe(ev.oracle!.ic);
    expect(flat['n[trend-calm]']).toBe(ev.model.byRegime['trend-calm'].n);
    expect(flat.base_rate).toBeGreaterThanOrEqual(0.5);
  });

  it('has no oracle or agreement when the samples carry none', async () => {
    const set = synthSet({ tickers: 6, times: 200, F: 4 });
    const r = await trainModel(set, { ...TRAIN_DEFAULTS, model: 'mlp', epochs: 1 });
    expect(r.metrics.evaluation!.oracle).toBeUndefined();
    expect(r.metrics.evaluation!.regimeAgreement).toBeUndefined();
    expect(r.metrics.evaluation!.model.byRegime).toEqual({});
  });
});

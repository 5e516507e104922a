import { describe, expect, it } from 'vitest';
import { splitByTime } from '../../src/model/split.js';
import { applyScaler, fitScaler } from '../../src/model/scaler.js';
import { Rng } from '../../src/model/rng.js';
import { synthSet } from './helpers.js';

function shuffled(set: ReturnType<typeof synthSet>, seed: number) {
  // Rows in a random order: the split must not depend on row order.
  const order = new Rng(seed).shuffle(Int32Array.from({ length: set.S }, (_, i) => i));
  const time = new Float64Array(set.S);
  const y = new Float32Array(set.S);
  order.forEach((src, dst) => {
    time[dst] = set.time[src];
    y[dst] = set.y[src];
  });
  return { ...set, time, y };
}

describe('splitByTime', () => {
  const set = shuffled(synthSet({ tickers: 5, times: 200, horizonMinutes: 30 }), 3);

  it('keeps every train time < every val time < every test time, with the embargo', () => {
    const sp = splitByTime(set, { valFraction: 0.15, testFraction: 0.2 });
    const t = (idx: Int32Array) => Array.from(idx, (i) => set.time[i]);
    const tr = t(sp.train);
    const va = t(sp.val);
    const te = t(sp.test);
    expect(tr.length).toBeGreaterThan(0);
    expect(va.length).toBeGreaterThan(0);
    expect(te.length).toBeGreaterThan(0);
    expect(Math.max(...tr)).toBeLessThan(Math.min(...va));
    expect(Math.max(...va)).toBeLessThan(Math.min(...te));
    expect(Math.min(...va)).toBe(sp.trainEnd);
    expect(Math.min(...te)).toBe(sp.valEnd);
    const h = 30 * 60_000;
    // Label windows [t, t + horizon] end strictly before the next split's first time.
    for (const x of tr) expect(x + h).toBeLessThan(sp.trainEnd);
    for (const x of va) expect(x + h).toBeLessThan(sp.valEnd);
    // Samples every 15 min with a 30 min horizon: the last two train and val times are embargoed.
    expect(sp.counts.embargoed).toBe(2 * 2 * 5);
    expect(sp.counts.train + sp.counts.val + sp.counts.test + sp.counts.embargoed).toBe(set.S);
    // Splits are on distinct times: all rows of a time land in the same split.
    const where = new Map<number, string>();
    for (const [name, idx] of [['train', sp.train], ['val', sp.val], ['test', sp.test]] as const) {
      for (const i of idx) {
        const prev = where.get(set.time[i]);
        expect(prev === undefined || prev === name).toBe(true);
        where.set(set.time[i], name);
      }
    }
    // 200 distinct times: test 40, val 30, train 130.
    expect(new Set(te).size).toBe(40);
  });

  it('embargoMinutes 0 keeps every sample, and a longer embargo drops more', () => {
    const none = splitByTime(set, { embargoMinutes: 0 });
    expect(none.counts.embargoed).toBe(0);
    const long = splitByTime(set, { embargoMinutes: 120 });
    for (const i of long.train) expect(set.time[i] + 120 * 60_000).toBeLessThan(long.trainEnd);
    expect(long.counts.embargoed).toBeGreaterThan(splitByTime(set).counts.embargoed);
  });

  it('drops samples whose label is not finite', () => {
    const y = Float32Array.from(set.y);
    y[0] = Number.NaN;
    y[1] = Number.POSITIVE_INFINITY;
    const sp = splitByTime({ ...set, y });
    const all = [...sp.train, ...sp.val, ...sp.test];
    expect(all).not.toContain(0);
    expect(all).not.toContain(1);
    expect(sp.counts.droppedNonFiniteY).toBe(2);
  });

  it('rejects fractions that leave no train split', () => {
    expect(() => splitByTime(set, { valFraction: 0.5, testFraction: 0.5 })).toThrow(/sum < 1/);
  });
});

describe('scaler', () => {
  it('is NaN-aware, maps NaN to 0 and clips to ±10', () => {
    const F = 2;
    const X = new Float32Array([1, Number.NaN, 3, 10, 5, 20, 1000, Number.NaN]);
    const rows = Int32Array.from([0, 1, 2]);
    const sc = fitScaler(X, F, rows);
    expect(sc.mean[0]).toBeCloseTo(3, 6);
    expect(sc.mean[1]).toBeCloseTo(15, 6);
    expect(sc.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 6);
    expect(sc.std[1]).toBeCloseTo(5, 6);
    const Z = applyScaler(X, F, sc);
    expect(Z[1]).toBe(0); // NaN → 0
    expect(Z[6]).toBe(10); // (1000 − 3)/1.63 clipped
    expect(Z[7]).toBe(0);
    expect(Z[2]).toBeCloseTo(0, 6);
  });

  it('uses only the rows it is given (changing other rows leaves it unchanged)', () => {
    const set = synthSet({ tickers: 4, times: 100 });
    const sp = splitByTime(set);
    const a = fitScaler(set.X, set.F, sp.train, set.y);
    const X2 = Float32Array.from(set.X);
    const y2 = Float32Array.from(set.y);
    for (const i of [...sp.val, ...sp.test]) {
      for (let f = 0; f < set.F; f++) X2[i * set.F + f] = 1e6;
      y2[i] = 5;
    }
    const b = fitScaler(X2, set.F, sp.train, y2);
    expect(b).toEqual(a);
  });
});

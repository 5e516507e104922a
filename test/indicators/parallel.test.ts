import { afterAll, describe, expect, it } from 'vitest';
import { selectTickers } from '../../src/data/panel.js';
import {
  computeIndicators,
  computeIndicatorsParallel,
  INDICATOR_NAMES,
  shutdownIndicatorWorkers,
} from '../../src/indicators/index.js';
import { synthPanel } from './fixtures.js';

/** Bitwise equality of two float32 arrays (NaN payloads included), reporting the first mismatch. */
function sameBits(a: Float32Array, b: Float32Array): string {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return `first difference at ${i}: ${a[i]} vs ${b[i]}`;
  return 'same';
}

describe('indicator engine: ticker slices and worker threads', () => {
  afterAll(() => shutdownIndicatorWorkers());

  it('nOffset/nTotal: slices written into one buffer equal the one-call cube', () => {
    const p = synthPanel({ N: 7, days: 2, seed: 11, halfDays: [1] });
    const ref = computeIndicators(p);
    const out = new Float32Array(ref.values.length).fill(-1);
    for (const [a, b] of [[0, 3], [3, 4], [4, 7]]) {
      const idx = Array.from({ length: b - a }, (_, i) => a + i);
      const r = computeIndicators(selectTickers(p, idx), { out, nOffset: a, nTotal: 7 });
      expect(r.values).toBe(out);
      expect(r.N).toBe(7);
    }
    expect(sameBits(out, ref.values)).toBe('same');
    expect(() => computeIndicators(selectTickers(p, [0]), { nOffset: 1, nTotal: 7 })).toThrow(/need opts.out/);
    expect(() => computeIndicators(selectTickers(p, [0, 1]), { out, nOffset: 6, nTotal: 7 })).toThrow(/do not fit/);
  });

  it('computeIndicatorsParallel (worker threads from the TypeScript sources) is bit-identical to computeIndicators', async () => {
    const p = synthPanel({ N: 9, days: 3, seed: 3, halfDays: [2] });
    const ref = computeIndicators(p);
    for (const threads of [2, 3]) {
      const r = await computeIndicatorsParallel(p, { threads, minCellsPerThread: 1 });
      expect(r.names).toEqual([...INDICATOR_NAMES]);
      expect([r.T, r.N, r.F]).toEqual([ref.T, ref.N, ref.F]);
      expect(r.values.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(sameBits(r.values, ref.values)).toBe('same');
    }
    // a selection, into a caller's plain buffer (filled through a shared scratch) and a shared one
    const names = ['RSI_14', 'AVWAP_SESSION_U2', 'DIST_HOD_ATR', 'EMA_9'];
    const sel = computeIndicators(p, { names });
    const plain = new Float32Array(sel.values.length);
    const r1 = await computeIndicatorsParallel(p, { names, out: plain, threads: 2, minCellsPerThread: 1 });
    expect(r1.values).toBe(plain);
    expect(sameBits(plain, sel.values)).toBe('same');
    const shared = new Float32Array(new SharedArrayBuffer(sel.values.length * 4));
    const r2 = await computeIndicatorsParallel(p, { names, out: shared, threads: 2, minCellsPerThread: 1 });
    expect(r2.values).toBe(shared);
    expect(sameBits(shared, sel.values)).toBe('same');
  });

  it('countNaN: nanCount equals a count over the output (sync and parallel)', async () => {
    const p = synthPanel({ N: 6, days: 2, seed: 8 });
    const ref = computeIndicators(p);
    expect(ref.nanCount).toBeUndefined();
    let nan = 0;
    for (const x of ref.values) if (x !== x) nan++;
    expect(nan).toBeGreaterThan(0);
    expect(computeIndicators(p, { countNaN: true }).nanCount).toBe(nan);
    expect((await computeIndicatorsParallel(p, { countNaN: true, threads: 2, minCellsPerThread: 1 })).nanCount).toBe(nan);
    expect((await computeIndicatorsParallel(p, { countNaN: true, threads: 1 })).nanCount).toBe(nan);
  });

  it('small panels and threads: 1 compute synchronously; errors reject', async () => {
    const p = synthPanel({ N: 2, days: 1 });
    const r = await computeIndicatorsParallel(p);
    expect(r.values.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(sameBits(r.values, computeIndicators(p).values)).toBe('same');
    await expect(computeIndicatorsParallel(p, { names: ['NOPE'] })).rejects.toThrow(/Unknown indicator name/);
    await expect(computeIndicatorsParallel(p, { threads: 2, minCellsPerThread: 1, out: new Float32Array(3) })).rejects.toThrow(/expected T\*N\*F/);
  });
});

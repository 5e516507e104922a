import { describe, expect, it } from 'vitest';
import { AVWAP_SESSION_PLANES, computeAvwapSession, computeIndicators } from '../../src/indicators/index.js';
import { synthPanel } from './fixtures.js';

describe('computeAvwapSession (planar session AVWAP + σ + bands)', () => {
  it('is bit-identical to the same names in the [T, N, F] cube (half day, missing minutes, flat bars)', () => {
    const p = synthPanel({ N: 5, days: 4, seed: 21, halfDays: [2] });
    const names = [...AVWAP_SESSION_PLANES];
    const cube = computeIndicators(p, { names });
    const planes = computeAvwapSession(p);
    const F = names.length;
    names.forEach((name, f) => {
      const a = new Uint32Array(planes[name].buffer);
      const col = new Float32Array(p.T * p.N);
      for (let i = 0; i < col.length; i++) col[i] = cube.values[i * F + f];
      expect(Array.from(a)).toEqual(Array.from(new Uint32Array(col.buffer)));
    });
    // into caller-owned planes
    const again = computeAvwapSession(p, planes);
    expect(again).toBe(planes);
    expect(() => computeAvwapSession(p, { ...planes, AVWAP_SESSION_SD: new Float32Array(3) })).toThrow(/out.AVWAP_SESSION_SD/);
  });
});

/**
 * [T, N] planes of an indicator result ([T, N, F] interleaved), extracted once per name, so
 * strategies read one contiguous array per indicator.
 */
import type { IndicatorResult } from '../indicators/types.js';

export interface IndicatorPlanes {
  readonly names: readonly string[];
  readonly T: number;
  readonly N: number;
  has(name: string): boolean;
  /** The [T, N] plane of `name` (NaN where undefined). Throws for a name that was not computed. */
  get(name: string): Float32Array;
}

export function indicatorPlanes(result: IndicatorResult): IndicatorPlanes {
  const { values, names, T, N, F } = result;
  const index = new Map(names.map((n, f) => [n, f]));
  const cache = new Map<string, Float32Array>();
  return {
    names,
    T,
    N,
    has: (name) => index.has(name),
    get(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      const f = index.get(name);
      if (f === undefined) throw new Error(`backtest: indicator ${name} was not computed (have: ${names.join(', ') || 'none'})`);
      const plane = new Float32Array(T * N);
      for (let i = 0, j = f; i < plane.length; i++, j += F) plane[i] = values[j];
      cache.set(name, plane);
      return plane;
    },
  };
}

/** Planes built directly from named [T, N] arrays (tests, precomputed inputs). */
export function planesFrom(T: number, N: number, planes: Record<string, Float32Array>): IndicatorPlanes {
  for (const [k, v] of Object.entries(planes)) if (v.length !== T * N) throw new Error(`backtest: plane ${k} has ${v.length} values, expected ${T * N}`);
  return {
    names: Object.keys(planes),
    T,
    N,
    has: (name) => name in planes,
    get(name) {
      const p = planes[name];
      if (!p) throw new Error(`backtest: indicator ${name} was not given`);
      return p;
    },
  };
}

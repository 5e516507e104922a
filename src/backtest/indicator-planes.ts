/**
 * [T, N] planes of an indicator result ([T, N, F] interleaved), extracted once per name, so
 * strategies read one contiguous array per indicator. `gather` reads chosen cells of many
 * indicators at once without extracting whole planes (the model reads ~111 indicators at a few
 * decision bars).
 */
import type { IndicatorResult } from '../indicators/types.js';

export interface IndicatorPlanes {
  readonly names: readonly string[];
  readonly T: number;
  readonly N: number;
  has(name: string): boolean;
  /** The [T, N] plane of `name` (NaN where undefined). Throws for a name that was not computed. */
  get(name: string): Float32Array;
  /**
   * Values of `names` at the flat cells `cells` (t·N + n), row-major [cells.length, names.length].
   * Throws for a name that was not computed.
   */
  gather(names: readonly string[], cells: Int32Array): Float32Array;
}

function missing(name: string, names: readonly string[]): Error {
  return new Error(`backtest: indicator ${name} was not computed (have: ${names.join(', ') || 'none'})`);
}

export function indicatorPlanes(result: IndicatorResult): IndicatorPlanes {
  const { values, names, T, N, F } = result;
  if (values.length !== T * N * F) throw new Error(`backtest: indicator values hold ${values.length} numbers, expected T·N·F = ${T}·${N}·${F}`);
  const index = new Map(names.map((n, f) => [n, f]));
  const cache = new Map<string, Float32Array>();
  const at = (name: string) => {
    const f = index.get(name);
    if (f === undefined) throw missing(name, names);
    return f;
  };
  return {
    names,
    T,
    N,
    has: (name) => index.has(name),
    get(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      const f = at(name);
      const plane = new Float32Array(T * N);
      for (let i = 0, j = f; i < plane.length; i++, j += F) plane[i] = values[j];
      cache.set(name, plane);
      return plane;
    },
    gather(want, cells) {
      const fs = want.map(at);
      const K = fs.length;
      const out = new Float32Array(cells.length * K);
      for (let r = 0; r < cells.length; r++) {
        const base = cells[r] * F;
        for (let k = 0; k < K; k++) out[r * K + k] = values[base + fs[k]];
      }
      return out;
    },
  };
}

/** Planes built directly from named [T, N] arrays (tests, precomputed inputs). */
export function planesFrom(T: number, N: number, planes: Record<string, Float32Array>): IndicatorPlanes {
  for (const [k, v] of Object.entries(planes)) if (v.length !== T * N) throw new Error(`backtest: plane ${k} has ${v.length} values, expected ${T * N}`);
  const names = Object.keys(planes);
  const get = (name: string) => {
    const p = planes[name];
    if (!p) throw new Error(`backtest: indicator ${name} was not given`);
    return p;
  };
  return {
    names,
    T,
    N,
    has: (name) => name in planes,
    get,
    gather(want, cells) {
      const ps = want.map(get);
      const K = ps.length;
      const out = new Float32Array(cells.length * K);
      for (let r = 0; r < cells.length; r++) for (let k = 0; k < K; k++) out[r * K + k] = ps[k][cells[r]];
      return out;
    },
  };
}

/** The first set's planes, then names only the second has (e.g. a cached cube plus a few computed). */
export function mergePlanes(a: IndicatorPlanes, b: IndicatorPlanes): IndicatorPlanes {
  if (a.T !== b.T || a.N !== b.N) throw new Error(`backtest: indicator planes of different shapes ([${a.T}, ${a.N}] and [${b.T}, ${b.N}])`);
  const from = (name: string) => (a.has(name) ? a : b);
  return {
    names: [...a.names, ...b.names.filter((n) => !a.has(n))],
    T: a.T,
    N: a.N,
    has: (name) => a.has(name) || b.has(name),
    get: (name) => from(name).get(name),
    gather(want, cells) {
      if (want.every((n) => a.has(n))) return a.gather(want, cells);
      if (want.every((n) => !a.has(n))) return b.gather(want, cells);
      const K = want.length;
      const out = new Float32Array(cells.length * K);
      want.forEach((n, k) => {
        const col = from(n).gather([n], cells);
        for (let r = 0; r < cells.length; r++) out[r * K + k] = col[r];
      });
      return out;
    },
  };
}

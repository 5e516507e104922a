/** Random panels and targets for the bar-level backtester tests and the benchmark. */
import { emptyPanel, type Panel, type SessionInfo } from '../../src/data/panel.js';
import { Rng } from '../../src/data/random.js';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2024, 0, 2, 14, 30);

export function sessionsOf(bars: number[]): SessionInfo[] {
  return bars.map((b, d) => ({ date: new Date(T0 + d * DAY_MS).toISOString().slice(0, 10), openMs: T0 + d * DAY_MS, bars: b, start: 0 }));
}

/**
 * A random-walk panel: overnight gaps, fat-ish minute returns, random ranges and volumes (some
 * zero), and missing bars (mask 0, price carried forward, volume 0) at `maskRate`.
 */
export function randomPanel(seed: number, N: number, sessionBars: number[], maskRate = 0.1): Panel {
  const rng = new Rng(seed);
  const p = emptyPanel(
    Array.from({ length: N }, (_, n) => `T${n}`),
    sessionsOf(sessionBars),
  );
  const last = Array.from({ length: N }, () => 20 + 100 * rng.next());
  for (const s of p.sessions) {
    for (let t = s.start; t < s.start + s.bars; t++) {
      for (let n = 0; n < N; n++) {
        const i = t * p.N + n;
        const prev = last[n];
        if (rng.next() < maskRate) {
          p.open[i] = p.high[i] = p.low[i] = p.close[i] = prev;
          p.volume[i] = 0;
          p.mask[i] = 0;
          continue;
        }
        const gap = t === s.start ? 0.01 * rng.normal() : 0.0005 * rng.normal();
        const o = prev * Math.exp(gap);
        const c = o * Math.exp(0.002 * rng.normal());
        p.open[i] = o;
        p.close[i] = c;
        p.high[i] = Math.max(o, c) * (1 + 0.001 * rng.next());
        p.low[i] = Math.min(o, c) * (1 - 0.001 * rng.next());
        p.volume[i] = rng.next() < 0.05 ? 0 : Math.round(50 + 5000 * rng.next());
        p.mask[i] = 1;
        last[n] = p.close[i]; // float32-rounded, as the next bar sees it
      }
    }
  }
  return p;
}

/**
 * Random targets that persist for a few bars (so there are holds, resizes, flips and exits):
 * `discrete` draws from {−1, 0, 1}; otherwise also fractions, out-of-range values and NaN.
 */
export function randomTargets(seed: number, T: number, N: number, discrete = false, meanRun = 4): Float32Array {
  const rng = new Rng(seed ^ 0x5bd1e995);
  const out = new Float32Array(T * N);
  for (let n = 0; n < N; n++) {
    let v = 0;
    for (let t = 0; t < T; t++) {
      if (t === 0 || rng.next() < 1 / meanRun) {
        const u = rng.next();
        if (discrete) v = u < 0.35 ? -1 : u < 0.65 ? 0 : 1;
        else v = u < 0.05 ? NaN : u < 0.1 ? 2 * (rng.next() - 0.5) * 3 : u < 0.4 ? 0 : u < 0.7 ? (rng.next() < 0.5 ? -1 : 1) : 2 * rng.next() - 1;
      }
      out[t * N + n] = v;
    }
  }
  return out;
}

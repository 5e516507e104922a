/**
 * The market context: 10 values per (minute, ticker) from bars ≤ t, the reference model's
 * context token (docs/model.md, "Market context"). Windows count rows (minutes on the session
 * grid); returns are the observed one-minute log returns (returns.ts).
 */
import type { Panel } from '../data/panel.js';
import { minuteReturns, prefixSums, type BarsView } from './returns.js';

export const CONTEXT_NAMES = [
  'ret_mean', // mean 1-minute log return over the window
  'ret_std', // its standard deviation
  'ret_skew', // skewness
  'ret_kurt', // excess kurtosis
  'trend', // least-squares slope of log close over the window × window / (ret_std · √window): a t-like trend strength
  'volume_level', // ln(1 + mean volume per row over the window)
  'volume_ratio', // mean volume of the last `recent` rows / mean over the window
  'range', // (max high − min low) of observed bars in the window / close
  'up_share', // share of returns > 0
  'momentum', // ln(close_t / close_{t − momentum})
] as const;

export interface ContextDefinition {
  window: number;
  recent: number;
  momentum: number;
  /** Fewer valid returns than this in the window → the return moments are NaN. */
  minReturns: number;
}

export const CONTEXT_DEFINITION: Readonly<ContextDefinition> = Object.freeze({ window: 60, recent: 10, momentum: 15, minReturns: 10 });
export const CONTEXT_VERSION = 1;
export const CONTEXT_SIZE = CONTEXT_NAMES.length;

export type ContextBars = BarsView & Pick<Panel, 'high' | 'low' | 'volume'>;

/** [T, N, 10] float32, layout ((t·N) + n)·10 + k; NaN where a value is not defined yet. */
export function computeContext(p: ContextBars, def: ContextDefinition = CONTEXT_DEFINITION): Float32Array {
  const { T, N, close, high, low, volume, mask } = p;
  const L = def.window;
  const K = CONTEXT_SIZE;
  const { r, valid } = minuteReturns(p);
  const pow = (k: number) => r.map((x) => x ** k);
  const P1 = prefixSums(r, T, N);
  const P2 = prefixSums(pow(2), T, N);
  const P3 = prefixSums(pow(3), T, N);
  const P4 = prefixSums(pow(4), T, N);
  const Pc = prefixSums(valid, T, N);
  const Pup = prefixSums(r.map((x, i) => (valid[i] && x > 0 ? 1 : 0)), T, N);
  const Pv = prefixSums(volume, T, N);
  const out = new Float32Array(T * N * K);
  // Least-squares slope of y_k = ln close over k = 0..m−1: Σ (k − k̄)(y_k − ȳ) / Σ (k − k̄)².
  const logc = new Float64Array(T * N);
  for (let i = 0; i < logc.length; i++) logc[i] = close[i] > 0 ? Math.log(close[i]) : NaN;
  for (let t = 0; t < T; t++) {
    const lo = Math.max(0, t + 1 - L);
    const m = t + 1 - lo;
    const loR = Math.max(0, t + 1 - def.recent);
    for (let n = 0; n < N; n++) {
      const hiI = (t + 1) * N + n;
      const loI = lo * N + n;
      const o = (t * N + n) * K;
      const c = Pc[hiI] - Pc[loI];
      if (c >= def.minReturns) {
        const e1 = (P1[hiI] - P1[loI]) / c;
        const e2 = (P2[hiI] - P2[loI]) / c;
        const e3 = (P3[hiI] - P3[loI]) / c;
        const e4 = (P4[hiI] - P4[loI]) / c;
        const m2 = Math.max(0, e2 - e1 * e1);
        const m3 = e3 - 3 * e1 * e2 + 2 * e1 ** 3;
        const m4 = e4 - 4 * e1 * e3 + 6 * e1 * e1 * e2 - 3 * e1 ** 4;
        const sd = Math.sqrt(m2);
        out[o] = e1;
        out[o + 1] = sd;
        out[o + 2] = m2 > 0 ? m3 / m2 ** 1.5 : NaN;
        out[o + 3] = m2 > 0 ? m4 / (m2 * m2) - 3 : NaN;
        let sxy = 0;
        let sxx = 0;
        const kBar = (m - 1) / 2;
        let yBar = 0;
        for (let k = lo; k <= t; k++) yBar += logc[k * N + n];
        yBar /= m;
        for (let k = lo; k <= t; k++) {
          const dx = k - lo - kBar;
          sxy += dx * (logc[k * N + n] - yBar);
          sxx += dx * dx;
        }
        out[o + 4] = sd > 0 && sxx > 0 ? ((sxy / sxx) * m) / (sd * Math.sqrt(m)) : NaN;
        out[o + 8] = (Pup[hiI] - Pup[loI]) / c;
      } else {
        for (const k of [0, 1, 2, 3, 4, 8]) out[o + k] = NaN;
      }
      const vMean = (Pv[hiI] - Pv[loI]) / m;
      const vRecent = (Pv[hiI] - Pv[loR * N + n]) / (t + 1 - loR);
      out[o + 5] = Math.log1p(vMean);
      out[o + 6] = vMean > 0 ? vRecent / vMean : NaN;
      let hMax = -Infinity;
      let lMin = Infinity;
      for (let k = lo; k <= t; k++) {
        const i = k * N + n;
        if (!mask[i]) continue;
        if (high[i] > hMax) hMax = high[i];
        if (low[i] < lMin) lMin = low[i];
      }
      out[o + 7] = hMax >= lMin && close[t * N + n] > 0 ? (hMax - lMin) / close[t * N + n] : NaN;
      out[o + 9] = t >= def.momentum ? logc[t * N + n] - logc[(t - def.momentum) * N + n] : NaN;
    }
  }
  return out;
}

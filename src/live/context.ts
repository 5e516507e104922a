/**
 * The market context (src/model/context.ts) and the regime (src/model/regime.ts), one row at a
 * time, equal to the batch functions on the same rows.
 *
 * Both batch functions are differences of column prefix sums taken from the panel's first row.
 * The live twin keeps the same float64 running sums (added in the same order) and a ring of
 * their last window + 1 values, so every `P[hi] − P[lo]` is the very same subtraction:
 * - context: Σr, Σr², Σr³, Σr⁴, Σvalid, Σup, Σvolume over 60 rows (the slope and the range are
 *   short loops over a 60-row ring of ln close, high, low and mask, as in the batch code);
 * - regime: Σr², Σvalid, Σ(30-minute return)², Σvalid30 over 390 rows, plus the running totals
 *   for the long-run volatility.
 * Memory per ticker: about 4 × 391 + 11 × 61 float64 slots (≈ 18 KB).
 */
import { CONTEXT_DEFINITION, CONTEXT_SIZE, type ContextDefinition } from '../model/context.js';
import { REGIME_DEFINITION, regimeId, type RegimeDefinition } from '../model/regime.js';
import { CLOSE_DEPTH, type Row } from './row.js';

/** A ring of `depth` rows × N lanes of float64. */
class Ring {
  readonly buf: Float64Array;
  constructor(
    readonly depth: number,
    readonly N: number,
  ) {
    this.buf = new Float64Array(depth * N);
  }
  /** The slot of lane n for index k (k ≥ 0). */
  at(k: number, n: number): number {
    return (k % this.depth) * this.N + n;
  }
}

export interface LiveContext {
  /** [N, 10] float32: the context of each ticker at the last row (the batch layout of one row). */
  readonly context: Float32Array;
  /** [N] regime index (REGIME_NAMES) at the last row. */
  readonly regime: Uint8Array;
  readonly varianceRatio: Float32Array;
  readonly volRatio: Float32Array;
  /** Advances one row (called for every row: history, filled and live). */
  step(r: Row, observed: Uint8Array): void;
}

export function createLiveContext(N: number, cdef: ContextDefinition = CONTEXT_DEFINITION, rdef: RegimeDefinition = REGIME_DEFINITION): LiveContext {
  const L = cdef.window;
  const W = rdef.window;
  const q = rdef.varianceRatioLag;
  if (q >= CLOSE_DEPTH) throw new Error(`live context: the variance-ratio lag ${q} must be below the close ring depth ${CLOSE_DEPTH}`);
  if (cdef.recent > L) throw new Error('live context: recent must not exceed window');
  const K = CONTEXT_SIZE;
  // context prefix rings (index k = prefix over rows < k; slot 0 starts at 0)
  const P1 = new Ring(L + 1, N), P2 = new Ring(L + 1, N), P3 = new Ring(L + 1, N), P4 = new Ring(L + 1, N);
  const Pc = new Ring(L + 1, N), Pup = new Ring(L + 1, N), Pv = new Ring(L + 1, N);
  const s1 = new Float64Array(N), s2 = new Float64Array(N), s3 = new Float64Array(N), s4 = new Float64Array(N);
  const sc = new Float64Array(N), sup = new Float64Array(N), sv = new Float64Array(N);
  // per-row rings for the loops
  const LD = Math.max(L, cdef.momentum + 1);
  const logc = new Ring(LD, N), hi = new Ring(L, N), lo = new Ring(L, N), mk = new Ring(L, N);
  // regime prefix rings
  const R2 = new Ring(W + 1, N), RC = new Ring(W + 1, N), D2 = new Ring(W + 1, N), DC = new Ring(W + 1, N);
  const r2s = new Float64Array(N), rcs = new Float64Array(N), d2s = new Float64Array(N), dcs = new Float64Array(N);

  const context = new Float32Array(N * K).fill(NaN);
  const regime = new Uint8Array(N);
  const varianceRatio = new Float32Array(N).fill(NaN);
  const volRatio = new Float32Array(N).fill(NaN);

  const step = (row: Row, observed: Uint8Array) => {
    const t = row.t;
    const { c, pc, h, l, v } = row;
    const k1 = t + 1;
    const cq = t >= q ? row.cAgo(q) : undefined;
    // d2 needs rows t − q and t in one session with t − q not its first minute (contiguous grid)
    const d2ok = cq !== undefined && row.m - q >= 1;
    const loC = Math.max(0, t + 1 - L);
    const m = t + 1 - loC;
    const loR = Math.max(0, t + 1 - cdef.recent);
    const loW = Math.max(0, t + 1 - W);
    const kBar = (m - 1) / 2;
    for (let n = 0; n < N; n++) {
      // --- the one-minute return (returns.ts) ---
      let r = 0, valid = 0;
      if (t >= 1 && row.m !== 0) {
        const c0 = pc[n], c1 = c[n];
        if (observed[n] && c0 > 0 && c1 > 0) {
          r = Math.log(c1 / c0);
          valid = 1;
        }
      }
      // --- context sums ---
      s1[n] = s1[n] + r;
      s2[n] = s2[n] + r ** 2;
      s3[n] = s3[n] + r ** 3;
      s4[n] = s4[n] + r ** 4;
      sc[n] = sc[n] + valid;
      sup[n] = sup[n] + (valid && r > 0 ? 1 : 0);
      sv[n] = sv[n] + v[n];
      const j = P1.at(k1, n);
      P1.buf[j] = s1[n]; P2.buf[j] = s2[n]; P3.buf[j] = s3[n]; P4.buf[j] = s4[n];
      Pc.buf[j] = sc[n]; Pup.buf[j] = sup[n]; Pv.buf[j] = sv[n];
      logc.buf[logc.at(t, n)] = c[n] > 0 ? Math.log(c[n]) : NaN;
      const jr = hi.at(t, n);
      hi.buf[jr] = h[n]; lo.buf[jr] = l[n]; mk.buf[jr] = observed[n];
      // --- context at row t (context.ts, operation for operation) ---
      const jl = P1.at(loC, n);
      const o = n * K;
      const cnt = sc[n] - Pc.buf[jl];
      if (cnt >= cdef.minReturns) {
        const e1 = (s1[n] - P1.buf[jl]) / cnt;
        const e2 = (s2[n] - P2.buf[jl]) / cnt;
        const e3 = (s3[n] - P3.buf[jl]) / cnt;
        const e4 = (s4[n] - P4.buf[jl]) / cnt;
        const m2 = Math.max(0, e2 - e1 * e1);
        const m3 = e3 - 3 * e1 * e2 + 2 * e1 ** 3;
        const m4 = e4 - 4 * e1 * e3 + 6 * e1 * e1 * e2 - 3 * e1 ** 4;
        const sd = Math.sqrt(m2);
        context[o] = e1;
        context[o + 1] = sd;
        context[o + 2] = m2 > 0 ? m3 / m2 ** 1.5 : NaN;
        context[o + 3] = m2 > 0 ? m4 / (m2 * m2) - 3 : NaN;
        let sxy = 0, sxx = 0, yBar = 0;
        for (let k = loC; k <= t; k++) yBar += logc.buf[logc.at(k, n)];
        yBar /= m;
        for (let k = loC; k <= t; k++) {
          const dx = k - loC - kBar;
          sxy += dx * (logc.buf[logc.at(k, n)] - yBar);
          sxx += dx * dx;
        }
        context[o + 4] = sd > 0 && sxx > 0 ? ((sxy / sxx) * m) / (sd * Math.sqrt(m)) : NaN;
        context[o + 8] = (sup[n] - Pup.buf[jl]) / cnt;
      } else {
        context[o] = NaN; context[o + 1] = NaN; context[o + 2] = NaN; context[o + 3] = NaN; context[o + 4] = NaN; context[o + 8] = NaN;
      }
      const vMean = (sv[n] - Pv.buf[jl]) / m;
      const vRecent = (sv[n] - Pv.buf[Pv.at(loR, n)]) / (t + 1 - loR);
      context[o + 5] = Math.log1p(vMean);
      context[o + 6] = vMean > 0 ? vRecent / vMean : NaN;
      let hMax = -Infinity, lMin = Infinity;
      for (let k = loC; k <= t; k++) {
        const i = hi.at(k, n);
        if (!mk.buf[i]) continue;
        if (hi.buf[i] > hMax) hMax = hi.buf[i];
        if (lo.buf[i] < lMin) lMin = lo.buf[i];
      }
      context[o + 7] = hMax >= lMin && c[n] > 0 ? (hMax - lMin) / c[n] : NaN;
      context[o + 9] = t >= cdef.momentum ? logc.buf[logc.at(t, n)] - logc.buf[logc.at(t - cdef.momentum, n)] : NaN;

      // --- regime sums (regime.ts) ---
      let d2 = 0, dv = 0;
      if (d2ok && observed[n]) {
        const c0 = cq![n];
        if (c0 > 0 && c[n] > 0) {
          const d = Math.log(c[n] / c0);
          d2 = d * d;
          dv = 1;
        }
      }
      r2s[n] = r2s[n] + r * r;
      rcs[n] = rcs[n] + valid;
      d2s[n] = d2s[n] + d2;
      dcs[n] = dcs[n] + dv;
      const jw = R2.at(k1, n);
      R2.buf[jw] = r2s[n]; RC.buf[jw] = rcs[n]; D2.buf[jw] = d2s[n]; DC.buf[jw] = dcs[n];
      const jlo = R2.at(loW, n);
      const cr = rcs[n] - RC.buf[jlo];
      const v1 = cr > 0 ? (r2s[n] - R2.buf[jlo]) / cr : NaN;
      const cqn = dcs[n] - DC.buf[jlo];
      const vr = cqn >= 2 * q && v1 > 0 ? (d2s[n] - D2.buf[jlo]) / cqn / (q * v1) : NaN;
      const cAll = rcs[n];
      const vAll = cAll > 0 ? r2s[n] / cAll : NaN;
      const vol = vAll > 0 ? Math.sqrt(v1 / vAll) : NaN;
      varianceRatio[n] = vr;
      volRatio[n] = vol;
      regime[n] = regimeId(vr > rdef.trendThreshold, vol > rdef.volThreshold);
    }
  };
  return { context, regime, varianceRatio, volRatio, step };
}

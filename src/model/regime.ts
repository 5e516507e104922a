/**
 * Market regimes from observable bars only: trend strength × volatility level, at minute t from
 * bars ≤ t (docs/model.md, "Regimes").
 *
 * - Trend strength: the variance ratio VR(q) = mean(q-minute return²) / (q · mean(1-minute
 *   return²)) over the last `window` rows (Lo–MacKinlay). Momentum makes q-minute moves larger
 *   than q independent minutes (VR > 1), mean reversion smaller (VR < 1). Trending when
 *   VR > trendThreshold.
 * - Volatility level: realized 1-minute volatility over the last `window` rows divided by the
 *   ticker's realized volatility over all rows ≤ t (its own normal, so a naturally wild ticker is
 *   not always "volatile"). Volatile when the ratio > volThreshold.
 *
 * Thresholds were chosen once on synthetic seed 7 (30 tickers × 20 days) and are fixed; the test
 * measures agreement with the generator's hidden regime on other seeds and tickers.
 */
import { minuteReturns, prefixSums, type BarsView } from './returns.js';

export const REGIME_NAMES = ['trend-calm', 'trend-volatile', 'range-calm', 'range-volatile'] as const;
export type RegimeName = (typeof REGIME_NAMES)[number];

export interface RegimeDefinition {
  /** Rows in the rolling window (390 = one full session, so the intraday U shape averages out). */
  window: number;
  /** q of the variance ratio, minutes. */
  varianceRatioLag: number;
  trendThreshold: number;
  volThreshold: number;
}

export const REGIME_DEFINITION: Readonly<RegimeDefinition> = Object.freeze({ window: 390, varianceRatioLag: 30, trendThreshold: 0.75, volThreshold: 1.15 });

/** Bump when the definition or its code changes (it is part of the sample step's version). */
export const REGIME_VERSION = 1;

export interface RegimeResult {
  /** [T, N] index into REGIME_NAMES. */
  regime: Uint8Array;
  /** [T, N] variance ratio (NaN when the window holds too few q-minute returns). */
  varianceRatio: Float32Array;
  /** [T, N] recent / long-run volatility (NaN before the first return). */
  volRatio: Float32Array;
}

export function regimeId(trending: boolean, volatile: boolean): number {
  return (trending ? 0 : 2) + (volatile ? 1 : 0);
}

export function computeRegimes(p: BarsView, def: RegimeDefinition = REGIME_DEFINITION): RegimeResult {
  const { T, N, close, mask, minuteOfSession, sessionOfRow } = p;
  const W = def.window;
  const q = def.varianceRatioLag;
  const { r, valid } = minuteReturns(p);
  const r2 = new Float64Array(T * N);
  for (let i = 0; i < r.length; i++) r2[i] = r[i] * r[i];
  // q-minute returns inside one session, ending at an observed bar.
  const d2 = new Float64Array(T * N);
  const dValid = new Uint8Array(T * N);
  for (let t = q; t < T; t++) {
    if (sessionOfRow[t - q] !== sessionOfRow[t] || minuteOfSession[t - q] === 0) continue;
    for (let n = 0; n < N; n++) {
      const i = t * N + n;
      const c0 = close[i - q * N];
      if (!mask[i] || !(c0 > 0) || !(close[i] > 0)) continue;
      const d = Math.log(close[i] / c0);
      d2[i] = d * d;
      dValid[i] = 1;
    }
  }
  const P_r2 = prefixSums(r2, T, N);
  const P_c = prefixSums(valid, T, N);
  const P_d2 = prefixSums(d2, T, N);
  const P_dc = prefixSums(dValid, T, N);

  const regime = new Uint8Array(T * N);
  const varianceRatio = new Float32Array(T * N);
  const volRatio = new Float32Array(T * N);
  for (let t = 0; t < T; t++) {
    const hi = (t + 1) * N;
    const lo = Math.max(0, t + 1 - W) * N;
    for (let n = 0; n < N; n++) {
      const c = P_c[hi + n] - P_c[lo + n];
      const v1 = c > 0 ? (P_r2[hi + n] - P_r2[lo + n]) / c : NaN;
      const cq = P_dc[hi + n] - P_dc[lo + n];
      // Fewer than 2q overlapping q-returns say little about the ratio.
      const vr = cq >= 2 * q && v1 > 0 ? (P_d2[hi + n] - P_d2[lo + n]) / cq / (q * v1) : NaN;
      const cAll = P_c[hi + n];
      const vAll = cAll > 0 ? P_r2[hi + n] / cAll : NaN;
      const vol = vAll > 0 ? Math.sqrt(v1 / vAll) : NaN;
      varianceRatio[t * N + n] = vr;
      volRatio[t * N + n] = vol;
      // Missing evidence counts as "range" and "calm".
      regime[t * N + n] = regimeId(vr > def.trendThreshold, vol > def.volThreshold);
    }
  }
  return { regime, varianceRatio, volRatio };
}

/**
 * The generator's hidden regime (synthetic data) seen through our four: trend_up/trend_down →
 * trend, range → range, high_vol → volatile. Used to score agreement.
 */
export type HiddenRegime = 'range' | 'trend' | 'high_vol';
export const HIDDEN_REGIME_NAMES: readonly HiddenRegime[] = ['range', 'trend', 'high_vol'];

export function hiddenOf(regime: number): HiddenRegime {
  const name = REGIME_NAMES[regime];
  return name.endsWith('volatile') ? 'high_vol' : name.startsWith('trend') ? 'trend' : 'range';
}

export interface Agreement {
  /** Share of samples where hiddenOf(ours) equals the hidden regime. */
  accuracy: number;
  /** Agreement expected by chance with the same marginals (Σ p_ours · p_hidden). */
  chance: number;
  /** The share of the most common hidden regime (what a constant guess scores). */
  majority: number;
  /** Cohen's kappa: (accuracy − chance) / (1 − chance). */
  kappa: number;
  n: number;
  /** confusion[hidden][ours] counts over HIDDEN_REGIME_NAMES × REGIME_NAMES. */
  confusion: number[][];
}

/** `hidden[i]` indexes HIDDEN_REGIME_NAMES; values outside it (e.g. 255: unknown) are skipped. */
export function regimeAgreement(ours: ArrayLike<number>, hidden: ArrayLike<number>): Agreement {
  const H = HIDDEN_REGIME_NAMES.length;
  const confusion = HIDDEN_REGIME_NAMES.map(() => REGIME_NAMES.map(() => 0));
  let n = 0;
  for (let i = 0; i < ours.length; i++) {
    if (!(hidden[i] < H)) continue;
    confusion[hidden[i]][ours[i]]++;
    n++;
  }
  const pH = new Array(H).fill(0);
  const pO = new Array(H).fill(0);
  let hit = 0;
  for (let h = 0; h < H; h++) {
    for (let o = 0; o < REGIME_NAMES.length; o++) {
      const k = confusion[h][o];
      const mapped = HIDDEN_REGIME_NAMES.indexOf(hiddenOf(o));
      pH[h] += k;
      pO[mapped] += k;
      if (mapped === h) hit += k;
    }
  }
  const accuracy = n ? hit / n : NaN;
  const chance = n ? pH.reduce((s, x, h) => s + (x / n) * (pO[h] / n), 0) : NaN;
  return { accuracy, chance, majority: n ? Math.max(...pH) / n : NaN, kappa: (accuracy - chance) / (1 - chance), n, confusion };
}

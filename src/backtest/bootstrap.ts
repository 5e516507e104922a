/**
 * Paired block bootstrap over days for the Sharpe difference A − B. Days are resampled in blocks
 * (stationary: geometric block lengths with mean `blockDays`, wrapping around; moving: fixed
 * blocks of `blockDays`), the same days for A and B, so the CI keeps both the day-to-day
 * dependence and the A–B correlation. Percentile interval; seeded, deterministic.
 */
import { Rng } from '../data/random.js';
import { quantileSorted, sharpeRatio } from './stats.js';

export interface BootstrapOptions {
  /** Resamples. Default 2000. */
  samples?: number;
  /** Mean (stationary) or fixed (moving) block length in days. Default max(1, round(D^(1/3))). */
  blockDays?: number;
  /** Default 'stationary'. */
  method?: 'stationary' | 'moving';
  /** Two-sided confidence level. Default 0.95. */
  confidence?: number;
  /** Default 1. */
  seed?: number;
}

export interface SharpeComparison {
  a: string;
  b: string;
  sharpeA: number;
  sharpeB: number;
  /** sharpeA − sharpeB on the actual days. */
  difference: number;
  lower: number;
  upper: number;
  confidence: number;
  /** Share of resamples with a difference ≤ 0. */
  shareAtOrBelowZero: number;
  samples: number;
  blockDays: number;
  method: 'stationary' | 'moving';
  days: number;
  seed: number;
  /** "A beats B at 95%", "B beats A at 95%" or "no significant difference at 95%". */
  verdict: string;
}

/**
 * The plain-words verdict of a CI on A − B: "A beats B at 95%" when it lies above 0, "B beats A at
 * 95%" when below, else "no significant difference at 95%" (and a note when there is no CI).
 */
export function verdictText(a: string, b: string, lower: number, upper: number, confidence: number, days: number): string {
  const level = `${+(confidence * 100).toFixed(2)}%`;
  if (!(lower <= upper)) return `not enough days (${days}) for a confidence interval`;
  return lower > 0 ? `${a} beats ${b} at ${level}` : upper < 0 ? `${b} beats ${a} at ${level}` : `no significant difference at ${level}`;
}

/** Day indices of one resample of length D. */
export function resampleDays(D: number, blockDays: number, method: 'stationary' | 'moving', rng: Rng, out = new Int32Array(D)): Int32Array {
  if (method === 'stationary') {
    const pNew = 1 / blockDays;
    let at = rng.int(0, D - 1);
    for (let i = 0; i < D; i++) {
      if (i > 0) at = rng.next() < pNew ? rng.int(0, D - 1) : (at + 1) % D;
      out[i] = at;
    }
  } else {
    const L = Math.min(blockDays, D);
    for (let i = 0; i < D; ) {
      const s = rng.int(0, D - L);
      for (let j = 0; j < L && i < D; j++, i++) out[i] = s + j;
    }
  }
  return out;
}

export function bootstrapSharpeDifference(
  dailyA: ArrayLike<number>,
  dailyB: ArrayLike<number>,
  names: { a: string; b: string },
  opts: BootstrapOptions = {},
): SharpeComparison {
  const D = dailyA.length;
  if (dailyB.length !== D) throw new Error(`backtest: bootstrap needs the same days for A and B (${D} vs ${dailyB.length})`);
  const samples = opts.samples ?? 2000;
  const blockDays = opts.blockDays ?? Math.max(1, Math.round(Math.cbrt(D)));
  const method = opts.method ?? 'stationary';
  const confidence = opts.confidence ?? 0.95;
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(samples) || samples < 100) throw new Error(`backtest: bootstrap samples must be an integer ≥ 100, got ${samples}`);
  if (!(blockDays >= 1)) throw new Error(`backtest: bootstrap blockDays must be ≥ 1, got ${blockDays}`);
  if (!(confidence > 0 && confidence < 1)) throw new Error(`backtest: bootstrap confidence must be in (0, 1), got ${confidence}`);
  const sharpeA = sharpeRatio(dailyA);
  const sharpeB = sharpeRatio(dailyB);
  const base = { a: names.a, b: names.b, sharpeA, sharpeB, difference: sharpeA - sharpeB, confidence, samples, blockDays, method, days: D, seed };
  if (D < 3) return { ...base, lower: NaN, upper: NaN, shareAtOrBelowZero: NaN, verdict: verdictText(names.a, names.b, NaN, NaN, confidence, D) };

  const rng = new Rng(seed);
  const idx = new Int32Array(D);
  const ra = new Float64Array(D);
  const rb = new Float64Array(D);
  const diffs = new Float64Array(samples);
  let atOrBelow = 0;
  for (let s = 0; s < samples; s++) {
    resampleDays(D, blockDays, method, rng, idx);
    for (let i = 0; i < D; i++) {
      ra[i] = dailyA[idx[i]];
      rb[i] = dailyB[idx[i]];
    }
    const d = sharpeRatio(ra) - sharpeRatio(rb);
    diffs[s] = d;
    if (d <= 0) atOrBelow++;
  }
  diffs.sort();
  const lower = quantileSorted(diffs, (1 - confidence) / 2);
  const upper = quantileSorted(diffs, 1 - (1 - confidence) / 2);
  const verdict = verdictText(names.a, names.b, lower, upper, confidence, D);
  return { ...base, lower, upper, shareAtOrBelowZero: atOrBelow / samples, verdict };
}

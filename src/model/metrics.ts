/**
 * Prediction metrics on one split, the same for the model, its baselines and the oracle, so
 * every figure can stand beside the others (docs/model.md, "Metrics").
 */
import { REGIME_NAMES } from './regime.js';

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n < 2) return Number.NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa <= 0 || sbb <= 0) return Number.NaN;
  return sab / Math.sqrt(saa * sbb);
}

/** Ranks 1..n, ties get their average rank. */
export function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((i, j) => x[i] - x[j]);
  const out = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && x[idx[j + 1]] === x[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[idx[k]] = r;
    i = j + 1;
  }
  return out;
}

/** Spearman rank correlation. */
export function rankIC(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/** Share of samples with y ≠ 0 where sign(pred) = sign(y). */
export function directionalAccuracy(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let hit = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 0 || !Number.isFinite(y[i])) continue;
    n++;
    if (Math.sign(pred[i]) === Math.sign(y[i])) hit++;
  }
  return n > 0 ? hit / n : Number.NaN;
}

/** The share of the majority sign among y ≠ 0: what always guessing that sign scores. */
export function baseRate(y: ArrayLike<number>): { rate: number; sign: 1 | -1 } {
  let up = 0;
  let down = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] > 0) up++;
    else if (y[i] < 0) down++;
  }
  const n = up + down;
  return { rate: n > 0 ? Math.max(up, down) / n : Number.NaN, sign: up >= down ? 1 : -1 };
}

/** The share of predictions on the more common side of zero (1 = all the same sign). */
export function oneSignShare(pred: ArrayLike<number>): number {
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] > 0) pos++;
    else if (pred[i] < 0) neg++;
  }
  return pred.length > 0 ? Math.max(pos, neg) / pred.length : Number.NaN;
}

/** At or above this share of one sign, directional accuracy says nothing beyond the base rate. */
export const ONE_SIGN_WARNING = 0.95;

/** Fewer samples than this in a regime → its IC is NaN (too noisy to print). */
export const MIN_REGIME_SAMPLES = 30;

export interface PredictionMetrics {
  n: number;
  ic: number;
  rankIc: number;
  directionalAccuracy: number;
  oneSignShare: number;
  /** By regime name: samples and IC / rank IC within that regime. */
  byRegime: Record<string, { n: number; ic: number; rankIc: number }>;
}

/** Metrics of `pred` against `y`; `regime` (ids into REGIME_NAMES) adds the per-regime rows. */
export function predictionMetrics(pred: ArrayLike<number>, y: ArrayLike<number>, regime?: ArrayLike<number>): PredictionMetrics {
  const byRegime: PredictionMetrics['byRegime'] = {};
  if (regime) {
    REGIME_NAMES.forEach((name, r) => {
      const p: number[] = [];
      const t: number[] = [];
      for (let i = 0; i < y.length; i++) {
        if (regime[i] === r) {
          p.push(pred[i]);
          t.push(y[i]);
        }
      }
      const enough = p.length >= MIN_REGIME_SAMPLES;
      byRegime[name] = { n: p.length, ic: enough ? pearson(p, t) : Number.NaN, rankIc: enough ? rankIC(p, t) : Number.NaN };
    });
  }
  return { n: y.length, ic: pearson(pred, y), rankIc: rankIC(pred, y), directionalAccuracy: directionalAccuracy(pred, y), oneSignShare: oneSignShare(pred), byRegime };
}

/**
 * NaN-aware feature scaler, fitted on the rows of the train split only. Non-finite inputs
 * (NaN: indicator undefined; ±Inf) are ignored when fitting and become 0 after scaling; scaled
 * values are clipped to ±clip.
 */
import type { Scaler } from './types.js';

export const DEFAULT_CLIP = 10;

/** Fits per-feature mean/std over `rows` of X [S, F], and the target's mean/std over the same rows. */
export function fitScaler(X: Float32Array, F: number, rows: Int32Array, y?: Float32Array, clip = DEFAULT_CLIP): Scaler {
  const sum = new Float64Array(F);
  const cnt = new Float64Array(F);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r] * F;
    for (let f = 0; f < F; f++) {
      const v = X[base + f];
      if (Number.isFinite(v)) {
        sum[f] += v;
        cnt[f] += 1;
      }
    }
  }
  const mean = new Float64Array(F);
  for (let f = 0; f < F; f++) mean[f] = cnt[f] > 0 ? sum[f] / cnt[f] : 0;
  const ss = new Float64Array(F);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r] * F;
    for (let f = 0; f < F; f++) {
      const v = X[base + f];
      if (Number.isFinite(v)) {
        const d = v - mean[f];
        ss[f] += d * d;
      }
    }
  }
  const std = new Array<number>(F);
  for (let f = 0; f < F; f++) {
    const s = cnt[f] > 0 ? Math.sqrt(ss[f] / cnt[f]) : 0;
    std[f] = s > 1e-12 && Number.isFinite(s) ? s : 1;
  }
  let yMean = 0;
  let yStd = 1;
  if (y) {
    let s = 0;
    let n = 0;
    for (let r = 0; r < rows.length; r++) {
      const v = y[rows[r]];
      if (Number.isFinite(v)) {
        s += v;
        n++;
      }
    }
    yMean = n > 0 ? s / n : 0;
    let q = 0;
    for (let r = 0; r < rows.length; r++) {
      const v = y[rows[r]];
      if (Number.isFinite(v)) q += (v - yMean) * (v - yMean);
    }
    const sd = n > 0 ? Math.sqrt(q / n) : 0;
    yStd = sd > 1e-12 ? sd : 1;
  }
  return { mean: Array.from(mean), std, yMean, yStd, clip };
}

/**
 * Scales X rows (all S rows, or `rows` in that order) into a new contiguous Float32Array
 * [rows.length, F].
 */
export function applyScaler(X: Float32Array, F: number, scaler: Scaler, rows?: Int32Array | null, S?: number): Float32Array {
  const n = rows ? rows.length : (S ?? Math.floor(X.length / F));
  const out = new Float32Array(n * F);
  const mean = scaler.mean;
  const inv = scaler.std.map((s) => 1 / s);
  const clip = scaler.clip;
  for (let r = 0; r < n; r++) {
    const src = (rows ? rows[r] : r) * F;
    const dst = r * F;
    for (let f = 0; f < F; f++) {
      const v = X[src + f];
      let z = (v - mean[f]) * inv[f];
      if (!Number.isFinite(z)) z = 0;
      else if (z > clip) z = clip;
      else if (z < -clip) z = -clip;
      out[dst + f] = z;
    }
  }
  return out;
}

/** Standardized targets (y - yMean) / yStd for `rows`. */
export function scaleTargets(y: Float32Array, scaler: Scaler, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length);
  for (let r = 0; r < rows.length; r++) out[r] = (y[rows[r]] - scaler.yMean) / scaler.yStd;
  return out;
}

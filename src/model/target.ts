/**
 * Volatility-scaled targets: the model learns y / (σ̂_t · √horizon), where σ̂_t is the
 * `ret_std` context value at the sample bar (bars ≤ t), and predictions are scaled back by the
 * same factor. Raw returns are dominated by volatile tickers and regimes, where the synthetic
 * data hold no signal; scaled, every sample weighs alike. Metrics stay in raw return units.
 */
import { CONTEXT_NAMES } from './context.js';
import type { ModelConfig } from './types.js';

export interface TargetScale {
  /** Input column holding σ̂ (raw, before the scaler). */
  column: number;
  horizon: number;
  /** σ̂ used where the column is not finite and positive: the train split's median. */
  fallback: number;
}

const RET_STD = CONTEXT_NAMES.indexOf('ret_std');

/** The target scale for a model with context columns (undefined without them). */
export function targetScaleFor(X: Float32Array, F: number, contextF: number, trainRows: Int32Array, horizon: number): TargetScale | undefined {
  if (contextF === 0) return undefined;
  const column = F - contextF + RET_STD;
  const vals: number[] = [];
  for (const r of trainRows) {
    const v = X[r * F + column];
    if (Number.isFinite(v) && v > 0) vals.push(v);
  }
  vals.sort((a, b) => a - b);
  const fallback = vals.length ? vals[Math.floor(vals.length / 2)] : 1e-3;
  return { column, horizon, fallback };
}

/** Per-row factor σ̂·√h for the n rows of X [n, F] (raw inputs). */
export function targetUnits(ts: TargetScale, X: Float32Array, F: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const v = X[r * F + ts.column];
    out[r] = (Number.isFinite(v) && v > 0 ? v : ts.fallback) * Math.sqrt(ts.horizon);
  }
  return out;
}

export function configTargetScale(config: ModelConfig): TargetScale | undefined {
  return config.targetScale;
}

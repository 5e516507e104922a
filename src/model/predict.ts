/** Inference with a trained model: predictions in return units, and indicator importance. */
import { collect } from '../util/memory.js';
import { f32ToMx, fromMxF32, toMxMany } from '../tensor/mlx-bridge.js';
import { applyScaler } from './scaler.js';
import { checkWeights, evalBatchSize, forward, indicatorCount, type Params } from './nets.js';
import type { TrainedModel } from './types.js';
import { targetUnits } from './target.js';

function paramsOf(model: TrainedModel): Params {
  checkWeights(model.config, model.weights);
  return toMxMany(model.weights);
}

function checkX(model: TrainedModel, X: Float32Array, S: number): void {
  const F = model.config.F;
  if (!(Number.isInteger(S) && S >= 0)) throw new RangeError(`predict: S must be an integer ≥ 0 (got ${S})`);
  if (X.length !== S * F) {
    throw new RangeError(`predict: X has ${X.length} values, expected S×F = ${S}×${F} (the model was trained on ${F} features)`);
  }
}

/**
 * Predicted forward log return for each of the S rows of X [S, F] (raw, unscaled features in
 * the model's featureNames order; NaN allowed). Runs in batches of 2048 rows, collecting
 * between batches, so memory is bounded by the batch.
 */
export async function predict(model: TrainedModel, X: Float32Array, S: number, opts: { signal?: AbortSignal } = {}): Promise<Float32Array> {
  checkX(model, X, S);
  const F = model.config.F;
  const { yMean, yStd } = model.scaler;
  const p = paramsOf(model);
  const out = new Float32Array(S);
  const batch = evalBatchSize(model.config);
  const rows = new Int32Array(batch);
  for (let start = 0, b = 0; start < S; start += batch, b++) {
    if (opts.signal?.aborted) {
      const e = new Error('prediction aborted');
      e.name = 'AbortError';
      throw e;
    }
    const end = Math.min(S, start + batch);
    const n = end - start;
    for (let i = 0; i < n; i++) rows[i] = start + i;
    const xs = applyScaler(X, F, model.scaler, rows.subarray(0, n));
    const { pred } = forward(p, model.config, f32ToMx(xs, [n, F]));
    const z = fromMxF32(pred);
    // Vol-scaled targets: back to returns with σ̂ of each row (raw input column).
    const units = model.config.targetScale ? targetUnits(model.config.targetScale, X.subarray(start * F, end * F), F, n) : null;
    for (let i = 0; i < n; i++) out[start + i] = (z[i] * yStd + yMean) * (units ? units[i] : 1);
    if (b % 2 === 1) await collect();
  }
  await collect();
  return out;
}

/**
 * The gates [S, F_indicators] of the indicator transformer for the S rows of X (raw inputs with
 * the model's columns, context included): each indicator's usefulness in [0, 1] in that row's
 * market context. Learned from data: nothing is hand-set.
 */
export async function gateScores(model: TrainedModel, X: Float32Array, S: number): Promise<Float32Array> {
  if (model.config.kind !== 'indicator-transformer') {
    throw new Error(`indicator usefulness needs an indicator-transformer model (got ${model.config.kind}): an MLP has no gates`);
  }
  checkX(model, X, S);
  const F = model.config.F;
  const Fi = indicatorCount(model.config);
  const p = paramsOf(model);
  const out = new Float32Array(S * Fi);
  const batch = evalBatchSize(model.config);
  const rows = new Int32Array(batch);
  for (let start = 0, b = 0; start < S; start += batch, b++) {
    const n = Math.min(S, start + batch) - start;
    for (let i = 0; i < n; i++) rows[i] = start + i;
    const xs = applyScaler(X, F, model.scaler, rows.subarray(0, n));
    out.set(fromMxF32(forward(p, model.config, f32ToMx(xs, [n, F])).gates!), start * Fi);
    if (b % 2 === 1) await collect();
  }
  await collect();
  return out;
}

/**
 * Per-indicator importance [F_indicators]: the mean gate over the S rows of X, renormalized to
 * sum to 1. An untrained model gives near-uniform values.
 */
export async function indicatorImportance(model: TrainedModel, X: Float32Array, S: number): Promise<Float32Array> {
  if (S === 0) throw new RangeError('indicatorImportance: no rows');
  const g = await gateScores(model, X, S);
  const Fi = indicatorCount(model.config);
  const acc = new Float64Array(Fi);
  for (let i = 0; i < S; i++) for (let j = 0; j < Fi; j++) acc[j] += g[i * Fi + j];
  const total = acc.reduce((a, b) => a + b, 0);
  return Float32Array.from(acc, (v) => (total > 0 ? v / total : 1 / Fi));
}

/** Importance as (name, value) pairs, most important first. */
export function rankIndicators(featureNames: string[], importance: Float32Array): { name: string; importance: number }[] {
  return featureNames
    .map((name, i) => ({ name, importance: importance[i] }))
    .sort((a, b) => b.importance - a.importance || a.name.localeCompare(b.name));
}

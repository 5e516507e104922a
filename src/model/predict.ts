/** Inference with a trained model: predictions in return units, and indicator importance. */
import { core as mx } from '@frost-beta/mlx';
import { collect } from '../util/memory.js';
import { f32ToMx, fromMxF32, toMxMany } from '../tensor/mlx-bridge.js';
import { applyScaler } from './scaler.js';
import { checkWeights, evalBatchSize, forward, type Params } from './nets.js';
import type { TrainedModel } from './types.js';

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
    for (let i = 0; i < n; i++) out[start + i] = z[i] * yStd + yMean;
    if (b % 2 === 1) await collect();
  }
  await collect();
  return out;
}

/**
 * Per-indicator importance [F] for the indicator transformer: the CLS token's attention over
 * the indicator tokens in the last layer, averaged over heads and over the S rows of X, and
 * renormalized to sum to 1 over indicators (the CLS token's attention to itself is left out).
 * It is learned from the data: an untrained model gives near-uniform values.
 */
export async function indicatorImportance(model: TrainedModel, X: Float32Array, S: number): Promise<Float32Array> {
  if (model.config.kind !== 'indicator-transformer') {
    throw new Error(`indicatorImportance needs an indicator-transformer model (got ${model.config.kind})`);
  }
  checkX(model, X, S);
  if (S === 0) throw new RangeError('indicatorImportance: no rows');
  const F = model.config.F;
  const p = paramsOf(model);
  const acc = new Float64Array(F + 1);
  const batch = evalBatchSize(model.config);
  const rows = new Int32Array(batch);
  for (let start = 0, b = 0; start < S; start += batch, b++) {
    const end = Math.min(S, start + batch);
    const n = end - start;
    for (let i = 0; i < n; i++) rows[i] = start + i;
    const xs = applyScaler(X, F, model.scaler, rows.subarray(0, n));
    const { clsAttention } = forward(p, model.config, f32ToMx(xs, [n, F]), true);
    // [n, H, T] → sum over rows and heads → [T]
    const summed = fromMxF32(mx.sum(clsAttention!, [0, 1]));
    for (let j = 0; j <= F; j++) acc[j] += summed[j];
    if (b % 2 === 1) await collect();
  }
  let total = 0;
  for (let j = 1; j <= F; j++) total += acc[j];
  const out = new Float32Array(F);
  for (let j = 0; j < F; j++) out[j] = total > 0 ? acc[j + 1] / total : 1 / F;
  await collect();
  return out;
}

/** Importance as (name, value) pairs, most important first. */
export function rankIndicators(featureNames: string[], importance: Float32Array): { name: string; importance: number }[] {
  return featureNames
    .map((name, i) => ({ name, importance: importance[i] }))
    .sort((a, b) => b.importance - a.importance || a.name.localeCompare(b.name));
}

/**
 * The model's gates for a few rows at a time, for the live path: the same computation as
 * src/model/predict.ts gateScores (scaler, then the network's forward pass, read back as
 * float32), without its per-call costs that a per-bar caller cannot afford: the weights are
 * turned into MLX arrays once (not on every call), and the forced GC that frees MLX's native
 * memory runs every `collectEvery` calls instead of after each one.
 */
import type { LoadedModel } from '../model/select.js';
import { applyScaler } from '../model/scaler.js';
import { checkWeights, evalBatchSize, forward, indicatorCount } from '../model/nets.js';
import { f32ToMx, fromMxF32, toMxMany } from '../tensor/mlx-bridge.js';
import { collect } from '../util/memory.js';

export interface GateScorer {
  /** Gates [S, F_indicators] for the S rows of X [S, F] (raw model inputs). */
  score(X: Float32Array, S: number): Promise<Float32Array>;
}

export function createGateScorer(model: LoadedModel, collectEvery = 64): GateScorer {
  checkWeights(model.config, model.weights);
  const p = toMxMany(model.weights);
  const F = model.config.F;
  const Fi = indicatorCount(model.config);
  const batch = evalBatchSize(model.config);
  let calls = 0;
  return {
    async score(X, S) {
      if (X.length !== S * F) throw new RangeError(`live gates: X has ${X.length} values, expected ${S}×${F}`);
      const out = new Float32Array(S * Fi);
      const rows = new Int32Array(Math.min(batch, S));
      for (let start = 0; start < S; start += batch) {
        const n = Math.min(S, start + batch) - start;
        for (let i = 0; i < n; i++) rows[i] = start + i;
        const xs = applyScaler(X, F, model.scaler, rows.subarray(0, n));
        out.set(fromMxF32(forward(p, model.config, f32ToMx(xs, [n, F])).gates!), start * Fi);
        calls++;
      }
      if (calls >= collectEvery) {
        calls = 0;
        await collect();
      }
      return out;
    },
  };
}

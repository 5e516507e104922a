/** Batched inference inside MLX (training's validation/test passes and `predict`). */
import { core as mx } from '@frost-beta/mlx';
import { collect } from '../util/memory.js';
import { fromMxF32 } from '../tensor/mlx-bridge.js';
import { evalBatchSize, forward, type Params } from './nets.js';
import { checkAbort } from './abort.js';
import type { ModelConfig } from './types.js';

/**
 * Standardized predictions for the n rows of an MLX matrix Xmx [n, F], in batches, memory
 * bounded (collects between batches).
 */
export async function predictRows(params: Params, config: ModelConfig, Xmx: mx.array, n: number, signal?: AbortSignal): Promise<Float32Array> {
  const out = new Float32Array(n);
  const batch = evalBatchSize(config);
  for (let start = 0, b = 0; start < n; start += batch, b++) {
    checkAbort(signal);
    const end = Math.min(n, start + batch);
    const xb = Xmx.index(mx.Slice(start, end));
    const { pred } = forward(params, config, xb);
    out.set(fromMxF32(pred), start);
    if (b % 4 === 3) await collect();
  }
  return out;
}


/** Batched inference inside MLX (training's validation/test passes and `predict`). */
import { core as mx } from '@frost-beta/mlx';
import { collect } from '../util/memory.js';
import { f32ToMx, fromMxF32 } from '../tensor/mlx-bridge.js';
import { evalBatchSize, forward, indicatorCount, type Params } from './nets.js';
import { checkAbort } from './abort.js';
import type { ModelConfig } from './types.js';

/**
 * Standardized predictions for the n rows of an MLX matrix Xmx [n, F], in batches, memory
 * bounded (collects between batches).
 */
export async function predictRows(params: Params, config: ModelConfig, Xmx: mx.array, n: number, signal?: AbortSignal, gateMask?: Float32Array): Promise<Float32Array> {
  return (await inferRows(params, config, Xmx, n, 'pred', signal, gateMask)).out;
}

/** The transformer's gates [n, F_indicators] for the n rows of Xmx. */
export async function gateRows(params: Params, config: ModelConfig, Xmx: mx.array, n: number, signal?: AbortSignal): Promise<Float32Array> {
  return (await inferRows(params, config, Xmx, n, 'gates', signal)).out;
}

async function inferRows(params: Params, config: ModelConfig, Xmx: mx.array, n: number, what: 'pred' | 'gates', signal?: AbortSignal, gateMask?: Float32Array): Promise<{ out: Float32Array }> {
  const Fi = indicatorCount(config);
  const width = what === 'pred' ? 1 : Fi;
  const out = new Float32Array(n * width);
  const batch = evalBatchSize(config);
  for (let start = 0, b = 0; start < n; start += batch, b++) {
    checkAbort(signal);
    const end = Math.min(n, start + batch);
    const xb = Xmx.index(mx.Slice(start, end));
    const mask = gateMask ? f32ToMx(gateMask.subarray(start * Fi, end * Fi), [end - start, Fi]) : undefined;
    const r = forward(params, config, xb, false, mask);
    out.set(fromMxF32(what === 'pred' ? r.pred : r.gates!), start * width);
    if (b % 4 === 3) await collect();
  }
  return { out };
}


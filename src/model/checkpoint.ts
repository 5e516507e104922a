/**
 * Checkpoints: one `.safetensors` file holding the weights, with config, scaler and (when
 * present) history/split/metrics/params as JSON strings in `__metadata__`. Written
 * atomically: a temp file in the same directory is fsynced and renamed over the target; on
 * any failure the temp file is removed and an existing checkpoint at the path is untouched.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeSafetensors, encodeSafetensors } from '../tensor/safetensors.js';
import { checkWeights } from './nets.js';
import type { EpochStats, ModelConfig, Scaler, SplitInfo, TrainMetrics, TrainParams, TrainedModel } from './types.js';

export const CHECKPOINT_FORMAT = 'mlx-intraday/model';
// 2: the gated indicator transformer (context token, gates) and config.contextF.
export const CHECKPOINT_VERSION = '2';

export interface CheckpointModel extends TrainedModel {
  history?: EpochStats[];
  split?: SplitInfo;
  metrics?: TrainMetrics;
  params?: TrainParams;
}

/** JSON that keeps non-finite numbers (NaN, ±Infinity) instead of turning them into null. */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? { $num: String(x) } : x));
}
function fromJson<T>(s: string): T {
  return JSON.parse(s, (_k, x) => (x && typeof x === 'object' && typeof x.$num === 'string' && Object.keys(x).length === 1 ? Number(x.$num) : x)) as T;
}

/** Serializes a model to safetensors bytes (what the cache can store too). */
export function encodeCheckpoint(model: CheckpointModel): Buffer {
  checkWeights(model.config, model.weights);
  const meta: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: toJson(model.config),
    scaler: toJson(model.scaler),
  };
  if (model.history) meta.history = toJson(model.history);
  if (model.split) meta.split = toJson(model.split);
  if (model.metrics) meta.metrics = toJson(model.metrics);
  if (model.params) meta.params = toJson(model.params);
  return encodeSafetensors(model.weights, meta);
}

export function decodeCheckpoint(bytes: Uint8Array, where = 'checkpoint'): CheckpointModel {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new Error(`${where}: not an mlx-intraday model checkpoint (metadata format = ${JSON.stringify(metadata.format)})`);
  }
  if (metadata.version !== CHECKPOINT_VERSION) {
    throw new Error(`${where}: checkpoint version ${metadata.version} is not supported (expected ${CHECKPOINT_VERSION})`);
  }
  const config = fromJson<ModelConfig>(metadata.config);
  const scaler = fromJson<Scaler>(metadata.scaler);
  checkWeights(config, tensors);
  const out: CheckpointModel = { weights: tensors, config, scaler };
  if (metadata.history) out.history = fromJson<EpochStats[]>(metadata.history);
  if (metadata.split) out.split = fromJson<SplitInfo>(metadata.split);
  if (metadata.metrics) out.metrics = fromJson<TrainMetrics>(metadata.metrics);
  if (metadata.params) out.params = fromJson<TrainParams>(metadata.params);
  return out;
}

/** Writes bytes to `path` atomically (same-dir temp file, fsync, rename). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx');
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already failing
      }
    }
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Saves a trained model (weights + config/scaler/history metadata) as one .safetensors file. */
export function saveCheckpoint(path: string, model: CheckpointModel): void {
  writeFileAtomic(path, encodeCheckpoint(model));
}

export function loadCheckpoint(path: string): CheckpointModel {
  return decodeCheckpoint(readFileSync(path), path);
}

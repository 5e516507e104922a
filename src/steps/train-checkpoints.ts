/**
 * The train step's files beside the cache: one checkpoint per train key (sweep points never
 * overwrite each other), the published best checkpoint and the pipeline's latest, each with
 * its JSON sidecar, written atomically; and the check that the models folder is writable.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { saveCheckpoint, type CheckpointModel } from '../model/index.js';
import { DEFAULT_CHECKPOINT_NAME, PACKAGE_VERSION, writeSidecar, type SidecarProvenance } from '../model/sidecar.js';
import { UsageError } from '../util/errors.js';
import type { InputArtifact, StepContext } from './kind.js';
import type { TrainStepParams } from './train.js';

export interface CheckpointPaths {
  /** One file per train key: sweep points never overwrite each other's. */
  keyed: string;
  /** The published checkpoint (train.checkpoint; default models/indicator_transformer_mlx_best.safetensors). */
  published: string;
  /** The pipeline's latest model, `models/<pipeline>.safetensors`. */
  latest: string;
}

export function checkpointPaths(ctx: Pick<StepContext, 'env' | 'pipeline'> & { params?: Partial<TrainStepParams> }, key: string): CheckpointPaths {
  const dir = ctx.env.modelsDir;
  const name = ctx.params?.checkpoint ?? DEFAULT_CHECKPOINT_NAME;
  return {
    keyed: join(dir, `${ctx.pipeline.name}-${key.slice(0, 12)}.safetensors`),
    published: isAbsolute(name) ? name : resolve(dir, name),
    latest: join(dir, `${ctx.pipeline.name}.safetensors`),
  };
}
export const sidecarOf = (p: string) => p.replace(/\.safetensors$/i, '') + '.json';
export function provenance(ctx: Pick<StepContext, 'env' | 'key'>, meta: Record<string, any>): SidecarProvenance {
  return { dataFingerprint: meta.dataFingerprint, samples: meta.samples, tickers: meta.tickers, specHash: ctx.env.specHash, packageVersion: PACKAGE_VERSION, weightsSha256: meta.weightsHash, key: ctx.key };
}

export function modelOfMeta(m: Record<string, any>): Omit<CheckpointModel, 'weights'> & { weights: {} } {
  return { weights: {}, config: m.config, scaler: m.scaler, history: m.history, split: m.split, metrics: m.trainMetrics, params: m.params };
}

/** sha256 over the weights (names in sorted order, then their bytes): same spec + data + seed → same hash. */
export function hashWeights(weights: Record<string, { data: ArrayBufferView }>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(weights).sort()) {
    const d = weights[name].data;
    h.update(name);
    h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return h.digest('hex');
}

export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Copies the keyed checkpoint to the published and the pipeline's latest path, each atomically, with its sidecar. */
export function publish(paths: CheckpointPaths, model: Omit<CheckpointModel, 'weights'>, prov: SidecarProvenance): void {
  for (const target of new Set([paths.published, paths.latest])) {
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.tmp`;
    copyFileSync(paths.keyed, tmp);
    renameSync(tmp, target);
    writeSidecar(target, model as CheckpointModel, prov);
  }
}

/** Writes the keyed checkpoint from a cached train artifact (on a hit when the file is missing). */
export async function materializeCheckpoint(ctx: Pick<StepContext, 'env' | 'pipeline'>, artifact: InputArtifact): Promise<void> {
  const paths = checkpointPaths(ctx, artifact.key);
  mkdirSync(ctx.env.modelsDir, { recursive: true });
  const m = artifact.meta;
  const model = { ...modelOfMeta(m), weights: await artifact.tensors() };
  saveCheckpoint(paths.keyed, model);
  writeSidecar(paths.keyed, model, { dataFingerprint: m.dataFingerprint, samples: m.samples, tickers: m.tickers, specHash: ctx.env.specHash, packageVersion: PACKAGE_VERSION, weightsSha256: m.weightsHash, key: artifact.key });
}

/** A checkpoint folder that cannot be written fails before any work, not after training. */
export function checkWritable(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw UsageError.one(
      `models directory ${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'pass a writable folder with --models-dir DIR (or set MLX_INTRADAY_MODELS)',
      { file: dir },
    );
  }
}

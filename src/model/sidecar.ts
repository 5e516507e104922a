/**
 * The JSON sidecar beside a published checkpoint (`<name>.json` next to `<name>.safetensors`):
 * what a person or another program needs to know about the model without reading MLX weights —
 * indicator names in input order, the scaler, the regime and context definitions, the
 * hyper-parameters, metrics per epoch and on the test split, per-regime usefulness, the data
 * fingerprint, the spec hash and the package version. Written atomically (same-dir temp file,
 * fsync, rename), like the checkpoint.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../util/paths.js';
import { CONTEXT_DEFINITION, CONTEXT_NAMES, CONTEXT_VERSION } from './context.js';
import { REGIME_DEFINITION, REGIME_NAMES, REGIME_VERSION } from './regime.js';
import { writeFileAtomic, type CheckpointModel } from './checkpoint.js';
import type { SampleSet } from './types.js';

export const SIDECAR_FORMAT = 'mlx-intraday/model-sidecar';
export const SIDECAR_VERSION = 1;

/** This package's version (package.json), recorded in every sidecar. */
export const PACKAGE_VERSION: string = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

/** The guide's checkpoint name, with safetensors instead of npz. */
export const DEFAULT_CHECKPOINT_NAME = 'indicator_transformer_mlx_best.safetensors';

export interface SidecarProvenance {
  /** sha256 over the training samples (samplesFingerprint). */
  dataFingerprint?: string;
  samples?: number;
  tickers?: string[];
  /** sha256 of the spec text of the run that wrote the sidecar. */
  specHash?: string;
  packageVersion?: string;
  /** sha256 over the weights (names sorted, then bytes). */
  weightsSha256?: string;
  /** The train node's cache key. */
  key?: string;
}

export interface Sidecar {
  format: typeof SIDECAR_FORMAT;
  version: typeof SIDECAR_VERSION;
  /** The weights file this describes (its base name, in the same folder). */
  checkpoint: string;
  model: { kind: string; preset: string; sizes: unknown; horizonMinutes: number };
  /** The indicators the model reads, in input order (the gates are in this order). */
  indicators: string[];
  /** Every input column in order: the indicators, then the context columns. */
  inputs: string[];
  scaler: CheckpointModel['scaler'];
  regime: { version: number; names: readonly string[]; definition: unknown };
  context: { version: number; names: readonly string[]; definition: unknown; regimeOneHot: boolean };
  hyperParameters: unknown;
  bestEpoch?: number;
  bestValLoss?: number;
  epochs: CheckpointModel['history'];
  split?: CheckpointModel['split'];
  test?: {
    ic?: number;
    rankIc?: number;
    directionalAccuracy?: number;
    baseRate?: number;
    ridgeIc?: number;
    oracleIc?: number;
    ablation?: unknown;
  };
  usefulnessByRegime?: unknown;
  data: { fingerprint?: string; samples?: number; tickers?: string[] };
  specHash?: string;
  packageVersion?: string;
  weightsSha256?: string;
  key?: string;
}

/** `x/y/name.safetensors` → `x/y/name.json`. */
export function sidecarPath(checkpointPath: string): string {
  return checkpointPath.replace(/\.safetensors$/i, '') + '.json';
}

/** sha256 over a sample set's arrays and names: equal for equal training data. */
export function samplesFingerprint(set: Pick<SampleSet, 'X' | 'y' | 'time' | 'ticker' | 'tickers' | 'featureNames' | 'S' | 'F' | 'horizonMinutes'>): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ S: set.S, F: set.F, horizon: set.horizonMinutes, tickers: set.tickers, features: set.featureNames }));
  for (const a of [set.X, set.y, set.time, set.ticker]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

/** JSON numbers cannot be NaN: non-finite values become null in the sidecar. */
function finite(v: number | undefined): number | undefined {
  return v === undefined ? undefined : Number.isFinite(v) ? v : undefined;
}

export function buildSidecar(checkpointFile: string, model: CheckpointModel, prov: SidecarProvenance = {}): Sidecar {
  const c = model.config;
  const Fi = c.F - (c.contextF ?? 0);
  const ev = model.metrics?.evaluation;
  return {
    format: SIDECAR_FORMAT,
    version: SIDECAR_VERSION,
    checkpoint: checkpointFile,
    model: { kind: c.kind, preset: c.preset, sizes: c.transformer ?? c.mlp, horizonMinutes: c.horizonMinutes },
    indicators: c.featureNames.slice(0, Fi),
    inputs: [...c.featureNames],
    scaler: model.scaler,
    regime: { version: REGIME_VERSION, names: REGIME_NAMES, definition: REGIME_DEFINITION },
    context: { version: CONTEXT_VERSION, names: CONTEXT_NAMES, definition: CONTEXT_DEFINITION, regimeOneHot: (c.contextF ?? 0) > CONTEXT_NAMES.length },
    hyperParameters: model.params ?? null,
    bestEpoch: model.metrics?.bestEpoch,
    bestValLoss: finite(model.metrics?.bestValLoss),
    epochs: model.history ?? [],
    split: model.split,
    test: ev
      ? {
          ic: finite(ev.model.ic),
          rankIc: finite(ev.model.rankIc),
          directionalAccuracy: finite(ev.model.directionalAccuracy),
          baseRate: finite(ev.baseRate),
          ridgeIc: finite(ev.ridge.ic),
          oracleIc: finite(ev.oracle?.ic),
          ablation: ev.ablation,
        }
      : undefined,
    usefulnessByRegime: ev?.usefulness,
    data: { fingerprint: prov.dataFingerprint, samples: prov.samples, tickers: prov.tickers },
    specHash: prov.specHash,
    packageVersion: prov.packageVersion,
    weightsSha256: prov.weightsSha256,
    key: prov.key,
  };
}

/** Writes the sidecar of the checkpoint at `checkpointPath` (beside it), atomically. */
export function writeSidecar(checkpointPath: string, model: CheckpointModel, prov: SidecarProvenance = {}): string {
  const path = sidecarPath(checkpointPath);
  const file = checkpointPath.split(/[\\/]/).pop()!;
  const text = JSON.stringify(buildSidecar(file, model, prov), (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
  writeFileAtomic(path, Buffer.from(text, 'utf8'));
  return path;
}

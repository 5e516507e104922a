/** train: the indicator transformer (or MLP) on all batches' samples; checkpoint in models/. */
import { createHash } from 'node:crypto';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { DataError, UsageError } from '../util/errors.js';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { saveCheckpoint, trainModel, ONE_SIGN_WARNING, TRAIN_DEFAULTS, type CheckpointModel, type TrainParams } from '../model/index.js';
import { evaluationMetrics } from '../model/evaluate.js';
import { DEFAULT_CHECKPOINT_NAME, PACKAGE_VERSION, samplesFingerprint, writeSidecar, type SidecarProvenance } from '../model/sidecar.js';
import { formulaEstimate, insufficientMessage, suggestFixes } from '../data/precheck.js';
import { defineKind, inputsIn, type InputArtifact, type StepContext } from './kind.js';
import { gatherSamples } from './samples-input.js';
import { latestTrainState, saveTrainState, trainLineage } from './train-state.js';
import { checkpointPaths, checkWritable, hashWeights, materializeCheckpoint, modelOfMeta, provenance, publish, shown, sidecarOf, type CheckpointPaths } from './train-checkpoints.js';

export { checkpointPaths, hashWeights, materializeCheckpoint, type CheckpointPaths };

/** The train step's params as the spec writes them (snake_case, defaults from the schema). */
export interface TrainStepParams {
  epochs: number;
  model: TrainParams['model'];
  preset: TrainParams['preset'];
  batch_size: number;
  learning_rate: number;
  gate_penalty: number;
  target: TrainParams['target'];
  val_fraction: number;
  test_fraction: number;
  /** Where the best checkpoint is published (relative to the models folder unless absolute); a JSON sidecar goes beside it. */
  checkpoint: string;
  /** Shared params: the sample count the train step insists on, and what suggestions are computed from. */
  min_samples: number;
  days: number;
  sample_interval: number;
  warmup: number;
}

function trainParams(ctx: StepContext<TrainStepParams>): TrainParams {
  const p = ctx.params;
  return {
    model: p.model,
    preset: p.preset,
    epochs: p.epochs,
    batchSize: p.batch_size,
    learningRate: p.learning_rate,
    gatePenalty: p.gate_penalty,
    target: p.target,
    seed: ctx.seed,
    valFraction: p.val_fraction,
    testFraction: p.test_fraction,
  };
}

const PARAMS_SCHEMA = {
  "model": {
    "enum": [
      "indicator-transformer",
      "mlp"
    ],
    "default": TRAIN_DEFAULTS.model
  },
  "preset": {
    "enum": [
      "small",
      "reference"
    ],
    "default": TRAIN_DEFAULTS.preset,
    "description": "small: seconds per epoch on a CPU; reference: d_model 256, 8 heads, 6 layers, d_ff 1024."
  },
  "batch_size": {
    "type": "integer",
    "minimum": 1,
    "maximum": 65536,
    "default": TRAIN_DEFAULTS.batchSize
  },
  "learning_rate": {
    "type": "number",
    "exclusiveMinimum": 0,
    "maximum": 1,
    "default": TRAIN_DEFAULTS.learningRate
  },
  "gate_penalty": {
    "type": "number",
    "minimum": 0,
    "maximum": 10,
    "default": TRAIN_DEFAULTS.gatePenalty,
    "description": "indicator-transformer: weight of the L1 penalty on the indicator gates (higher: fewer indicators carry the signal)."
  },
  "target": {
    "enum": [
      "return",
      "vol-scaled"
    ],
    "default": TRAIN_DEFAULTS.target,
    "description": "What the model learns: the forward log return (default), or it divided by the recent volatility (ret_std of the market context) \u00d7 \u221ahorizon, scaled back for predictions."
  },
  "val_fraction": {
    "type": "number",
    "minimum": 0.01,
    "maximum": 0.5,
    "default": TRAIN_DEFAULTS.valFraction
  },
  "test_fraction": {
    "type": "number",
    "minimum": 0.01,
    "maximum": 0.5,
    "default": TRAIN_DEFAULTS.testFraction
  },
  "checkpoint": {
    "type": "string",
    "pattern": "\\.safetensors$",
    "minLength": 13,
    "default": DEFAULT_CHECKPOINT_NAME,
    "description": "Where the best checkpoint (lowest validation loss) is published, relative to the models folder unless absolute; a JSON sidecar (same name, .json) goes beside it. Each train key also keeps its own copy, <pipeline>-<key>.safetensors."
  }
  };

const TRAIN_KIND_VERSION = 8;

export const trainKind = defineKind<TrainStepParams>({
  name: 'train',
  description: 'The gated indicator transformer (or an MLP) on every batch\'s samples; checkpoint in the models folder.',
  // 2: the test-split evaluation (IC, rank IC, base rate, ridge, oracle, per regime).
  // 3: samples in canonical (time, ticker) order before training.
  // 4: the gated indicator transformer reading the market context and regime.
  // 5: min_samples checked on the rows that reach training; published checkpoint + sidecar.
  // 6: the gated linear path; factored last layer and fused attention (other float rounding).
  // 7: the token-free one-layer form (same function, other float rounding).
  // 8: val_ic (the best epoch's validation IC) in the metrics, for choosing sweep points.
  version: TRAIN_KIND_VERSION,
  cardinality: 'whole-universe',
  contentIdMode: 'key',
  sharedParams: ['epochs', 'min_samples', 'days', 'sample_interval', 'warmup'],
  paramsSchema: PARAMS_SCHEMA,
  inputs: [{ role: 'samples', kind: 'sample', required: true }],
  // The seed shapes initial weights and shuffling.
  uses: ['seed'],
  // One MLX training at a time: two would compete for the same cores and memory.
  resources: { mlx: 1 },
  preflight: ({ modelsDir }) => checkWritable(modelsDir),
  // A warm run still leaves the checkpoint in place, even if models/ was cleaned.
  async onHit(ctx, artifact) {
    const paths = checkpointPaths(ctx, ctx.key);
    if (!existsSync(paths.keyed)) await materializeCheckpoint(ctx, artifact);
    publish(paths, modelOfMeta(artifact.meta), provenance(ctx, artifact.meta));
  },
  async run(ctx) {
    const set = await gatherSamples(inputsIn(ctx.inputs, 'samples'));
    checkEnoughSamples(ctx.params, set);
    const params = trainParams(ctx);
    ctx.info(`training ${params.model} (${params.preset}) on ${set.S.toLocaleString('en-US')} samples × ${set.F} indicators, ${params.epochs} epochs`);
    // An epochs sweep costs its longest point: continue from the longest cached shorter training.
    const store = ctx.env.cache;
    const lineage = store ? trainLineage(ctx, TRAIN_KIND_VERSION) : undefined;
    const resume = store && lineage ? await latestTrainState(store, lineage, params.epochs) : undefined;
    if (resume) ctx.info(`continuing from the cached training state after ${resume.epoch} epochs (same samples, params and seed: the same bits as training from scratch)`);
    const result = await trainModel(set, params, {
      resume,
      keepState: lineage !== undefined,
      signal: ctx.signal,
      onWarning: (m) => ctx.warn(m),
      onEpoch: (e) => {
        ctx.progress(e.epoch / params.epochs, `epoch ${e.epoch}/${params.epochs}: train loss ${e.trainLoss.toFixed(4)}, val loss ${e.valLoss.toFixed(4)} (${e.seconds.toFixed(1)} s)`);
      },
    });
    if (store && lineage && result.state) await saveTrainState(store, lineage, result.state);
    const ev = result.metrics.evaluation;
    if (ev && ev.model.oneSignShare >= ONE_SIGN_WARNING) {
      ctx.warn(
        `the model predicts one sign for ${(100 * ev.model.oneSignShare).toFixed(1)}% of test samples, so its directional accuracy ` +
          `${ev.model.directionalAccuracy.toFixed(4)} mostly repeats the base rate ${ev.baseRate.toFixed(4)}; judge it by IC, not accuracy`,
      );
    }
    const paths = checkpointPaths(ctx, ctx.key);
    mkdirSync(ctx.env.modelsDir, { recursive: true });
    const weightsHash = hashWeights(result.weights);
    const meta = {
      config: result.config,
      scaler: result.scaler,
      history: result.history,
      split: result.split,
      trainMetrics: result.metrics,
      params,
      checkpoint: shown(paths.published),
      weightsHash,
      dataFingerprint: samplesFingerprint(set),
      samples: set.S,
      tickers: set.tickers,
      // The per-regime table of top indicators (mean gate on validation), for run records.
      usefulness: ev?.usefulness ?? null,
    };
    saveCheckpoint(paths.keyed, result);
    const prov = provenance(ctx, meta);
    writeSidecar(paths.keyed, result, prov);
    publish(paths, result, prov);
    ctx.info(`checkpoint: ${shown(paths.published)} + ${shown(sidecarOf(paths.published))} (best epoch ${result.metrics.bestEpoch} by validation loss; also ${shown(paths.keyed)}), weights sha256 ${weightsHash.slice(0, 16)}`);
    return {
      tensors: result.weights,
      meta,
      metrics: {
        samples: set.S,
        epochs: result.history.length,
        best_epoch: result.metrics.bestEpoch,
        best_val_loss: result.metrics.bestValLoss,
        val_ic: result.metrics.bestValIc ?? Number.NaN,
        test_loss: result.metrics.testLoss,
        test_corr: result.metrics.testCorr,
        directional_accuracy: result.metrics.directionalAccuracy,
        ...(ev ? evaluationMetrics(ev) : {}),
      },
    };
  },
});

/**
 * Fewer usable rows than min_samples (rows are dropped after the precheck's estimate: bars
 * without a forward return, masked bars) fails with the precheck's message and suggestions.
 */
export function checkEnoughSamples(p: Pick<TrainStepParams, 'min_samples' | 'days' | 'sample_interval' | 'warmup'>, set: { y: Float32Array; tickers: string[] }): void {
  let usable = 0;
  for (let i = 0; i < set.y.length; i++) if (Number.isFinite(set.y[i])) usable++;
  if (p.min_samples === undefined || usable >= p.min_samples) return;
  const formula = formulaEstimate(p.days, p.sample_interval, p.warmup, set.tickers.length);
  const suggestions = suggestFixes({ days: p.days, interval: p.sample_interval, warmup: p.warmup, tickers: set.tickers.length, minSamples: p.min_samples, coverage: formula > 0 ? usable / formula : 1 });
  throw new DataError(
    `train: ${insufficientMessage(usable, p.min_samples, suggestions)} (${set.y.length.toLocaleString('en-US')} samples reached the train step, ${(set.y.length - usable).toLocaleString('en-US')} without a forward return)`,
    `use one of the suggestions above, or lower params.min_samples (now ${p.min_samples}) if you accept a smaller training set`,
  );
}

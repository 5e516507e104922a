/**
 * Training: time split with embargo → scaler fit on train rows → AdamW on standardized
 * targets, deterministic for a seed, async with periodic `collect()` so memory stays flat,
 * abortable, best-val-loss weights kept, NaN loss is an error.
 */
import { core as mx } from '@frost-beta/mlx';
import { collect } from '../util/memory.js';
import { fromMxMany, toMxMany } from '../tensor/mlx-bridge.js';
import { splitByTime } from './split.js';
import { applyScaler, fitScaler, scaleTargets } from './scaler.js';
import { forward, indicatorCount, initWeights, makeConfig, NET_OPTIONS, type Params } from './nets.js';
import { predictRows } from './infer.js';
import { abortError, checkAbort } from './abort.js';
import { directionalAccuracy, pearson } from './metrics.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { canonicalize } from './order.js';
import { usefulnessAndAblation } from './ablation.js';
import { withContext } from './inputs.js';
import { targetScaleFor, targetUnits } from './target.js';
import { degenerateColumns, degenerateMessage, nanLossMessage } from './checks.js';
import { DataError } from '../util/errors.js';

export { abortError, pearson, directionalAccuracy };
import { Rng } from './rng.js';
import type { EpochStats, ModelConfig, SampleSet, TrainParams, TrainResult, TrainState } from './types.js';

export interface TrainOptions {
  signal?: AbortSignal;
  onEpoch?: (e: EpochStats) => void;
  /** Called after every optimizer step (for progress bars and memory probes). */
  onStep?: (s: { epoch: number; step: number; stepsPerEpoch: number; loss: number }) => void;
  /** Continue from this state (same data and params but fewer epochs): bit-identical to training from scratch. */
  resume?: TrainState;
  /** Return the final state in the result, so a longer training can continue from it. */
  keepState?: boolean;
  /** Problems that do not stop training (e.g. feature columns constant or all-NaN in the train split). */
  onWarning?: (message: string) => void;
}

/** The one place training defaults live: trainModel fills gaps from it, the train step's schema shows it. */
export const TRAIN_DEFAULTS = {
  model: 'indicator-transformer',
  preset: 'small',
  epochs: 10,
  batchSize: 256,
  learningRate: 1e-3,
  weightDecay: 0,
  seed: 42,
  valFraction: 0.15,
  testFraction: 0.2,
  gatePenalty: 0.01,
  target: 'return',
  // mx.compile on the loss-and-gradient step: off until measured faster (test/bench/model.bench.ts).
  compile: false,
} as const satisfies Partial<TrainParams>;

export const DEFAULT_GATE_PENALTY = TRAIN_DEFAULTS.gatePenalty;

/**
 * Bytes of MLX intermediates allowed to pile up between two collect()s. The schedule comes from
 * the step count and a size estimate of the step, never from wall time, so it (and everything
 * that could depend on it) is the same on an idle and on a loaded machine.
 */
const COLLECT_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * Rough count of float32 intermediates per training row in one forward pass (the backward pass
 * about doubles it), from the shapes in nets.ts: what decides how often a training collects.
 * Reference transformer at batch 32 → ~1.2 GB per step (collect every step); small preset at
 * batch 256 over 111 indicators → ~18 MB (every `collectEvery` steps).
 */
export function stepFloatsPerRow(config: ModelConfig): number {
  if (config.kind === 'indicator-transformer') {
    const { dModel: d, heads: H, layers: L, dFF } = config.transformer!;
    const Fi = indicatorCount(config);
    // One-layer token-free path: only [B, H, Fi] products and [B, d] / [B, dFF] vectors.
    if (L === 1 && NET_OPTIONS.factoredLastLayer && NET_OPTIONS.tokenFree) return 30 * H * Fi + 20 * (d + dFF);
    // Full layers: [B, Fi, d] / [B, Fi, dFF] activations and [B, H, Fi, Fi] attention.
    const full = Fi * (12 * d + 2 * dFF) + 3 * H * Fi * Fi;
    const last = NET_OPTIONS.factoredLastLayer ? Fi * (6 * d + 4 * H) + 20 * (d + dFF) : full;
    return (L - 1) * full + last;
  }
  const hidden = config.mlp?.hidden ?? [];
  return 4 * (config.F + hidden.reduce((a, b) => a + b, 0));
}

/** Steps between two collect()s: collectEvery, fewer when a step's estimated intermediates are large. */
export function stepsPerCollect(config: ModelConfig, batchRows: number, collectEvery: number): number {
  const bytesPerStep = 2 * 4 * batchRows * stepFloatsPerRow(config);
  return Math.max(1, Math.min(collectEvery, Math.floor(COLLECT_BUDGET_BYTES / bytesPerStep)));
}

export function validateSampleSet(set: SampleSet): void {
  const { S, F } = set;
  if (!(Number.isInteger(S) && S > 0)) throw new RangeError(`SampleSet: S must be a positive integer (got ${S})`);
  if (!(Number.isInteger(F) && F > 0)) throw new RangeError(`SampleSet: F must be a positive integer (got ${F})`);
  if (set.X.length !== S * F) throw new RangeError(`SampleSet: X has ${set.X.length} values, expected S×F = ${S}×${F} = ${S * F}`);
  if (set.y.length !== S) throw new RangeError(`SampleSet: y has ${set.y.length} values, expected S = ${S}`);
  if (set.time.length !== S) throw new RangeError(`SampleSet: time has ${set.time.length} values, expected S = ${S}`);
  if (set.ticker.length !== S) throw new RangeError(`SampleSet: ticker has ${set.ticker.length} values, expected S = ${S}`);
  if (set.featureNames.length !== F) throw new RangeError(`SampleSet: ${set.featureNames.length} feature names for F = ${F}`);
}

function validateParams(p: TrainParams): void {
  if (!(Number.isInteger(p.epochs) && p.epochs >= 1)) throw new RangeError(`train: epochs must be an integer ≥ 1 (got ${p.epochs})`);
  if (!(Number.isInteger(p.batchSize) && p.batchSize >= 1)) throw new RangeError(`train: batchSize must be an integer ≥ 1 (got ${p.batchSize})`);
  if (!(p.learningRate > 0 && Number.isFinite(p.learningRate))) throw new RangeError(`train: learningRate must be > 0 (got ${p.learningRate})`);
  if (!Number.isFinite(p.seed)) throw new RangeError(`train: seed must be a number (got ${p.seed})`);
}

/** Elementwise loss on standardized targets, as an MLX scalar (mean over the batch). */
function lossOf(kind: 'mse' | 'huber', pred: mx.array, y: mx.array): mx.array {
  const diff = mx.subtract(pred, y);
  if (kind === 'mse') return mx.mean(mx.square(diff));
  const a = mx.abs(diff);
  const quad = mx.minimum(a, 1);
  // huber(δ=1) = 0.5·q² + (|d| − q), q = min(|d|, 1)
  return mx.mean(mx.add(mx.multiply(0.5, mx.square(quad)), mx.subtract(a, quad)));
}

/** The same loss in JS over typed arrays (for val/test evaluation). */
export function lossJs(kind: 'mse' | 'huber', pred: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i] - y[i];
    if (kind === 'mse') s += d * d;
    else {
      const a = Math.abs(d);
      const q = Math.min(a, 1);
      s += 0.5 * q * q + (a - q);
    }
  }
  return pred.length > 0 ? s / pred.length : Number.NaN;
}

interface AdamState {
  m: Params;
  v: Params;
  t: number;
}

/**
 * AdamW with bias correction; decoupled weight decay on matrices (ndim ≥ 2) only.
 * `names` is the model's fixed parameter order (initWeights'): the clipping norm is a float32 sum
 * over the parameters, so its rounding depends on the order it adds them in, and the order of a
 * record's keys is not fixed (a state resumed from the store comes back in the store's order).
 */
function adamwStep(names: readonly string[], params: Params, grads: Params, st: AdamState, lr: number, wd: number, clip: number): Params {
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  st.t += 1;
  const lrT = (lr * Math.sqrt(1 - Math.pow(b2, st.t))) / (1 - Math.pow(b1, st.t));
  let scale: mx.array | null = null;
  if (clip > 0) {
    let sq: mx.array | null = null;
    for (const n of names) {
      const s = mx.sum(mx.square(grads[n]));
      sq = sq ? mx.add(sq, s) : s;
    }
    const norm = mx.sqrt(sq!);
    scale = mx.minimum(1, mx.divide(clip, mx.add(norm, 1e-6)));
  }
  const next: Params = {};
  for (const n of names) {
    let g = grads[n];
    if (scale) g = mx.multiply(g, scale);
    const m = mx.add(mx.multiply(b1, st.m[n]), mx.multiply(1 - b1, g));
    const v = mx.add(mx.multiply(b2, st.v[n]), mx.multiply(1 - b2, mx.square(g)));
    st.m[n] = m;
    st.v[n] = v;
    let p = params[n];
    if (wd > 0 && p.ndim >= 2) p = mx.multiply(p, 1 - lr * wd);
    next[n] = mx.subtract(p, mx.multiply(lrT, mx.divide(m, mx.add(mx.sqrt(v), eps))));
  }
  return next;
}

export async function trainModel(input: SampleSet, given: Partial<TrainParams> = {}, opts: TrainOptions = {}): Promise<TrainResult> {
  validateSampleSet(input);
  const params: TrainParams = { ...TRAIN_DEFAULTS, ...given };
  // Rows in (time, ticker) order: the result must not depend on how batches delivered them.
  // The model reads the indicators, then the market context and regime (when the set has them).
  const { set, contextF } = params.useContext === false ? { set: canonicalize(input), contextF: 0 } : withContext(canonicalize(input));
  validateParams(params);
  const { signal } = opts;
  checkAbort(signal);
  const lossKind = params.loss ?? 'mse';
  const wd = params.weightDecay ?? 0;
  const clip = params.gradClip ?? 1;
  const collectEvery = Math.max(1, params.collectEvery ?? 4);
  const F = set.F;

  // 1. Split by time (embargo = horizon unless given), never shuffled across time.
  const split = splitByTime(set, {
    valFraction: params.valFraction,
    testFraction: params.testFraction,
    embargoMinutes: params.embargoMinutes,
  });
  if (split.train.length === 0) throw new Error('train: the train split is empty after the embargo; use more days or a smaller embargo');
  if (split.val.length === 0) throw new Error('train: the validation split is empty; raise valFraction or use more days');

  // Columns without information in the train split are named (all of them: nothing to learn from).
  const degenerate = degenerateColumns(set.X, F, split.train, set.featureNames);
  const degenerateNote = degenerateMessage(degenerate);
  if (degenerate.allNaN.length + degenerate.constant.length === F) {
    throw new DataError(`train: every ${degenerateNote}`, 'use more days of bars, or check that the bars vary (a constant price gives constant indicators)');
  }
  if (degenerateNote) opts.onWarning?.(degenerateNote);

  // 2. Scaler on train rows only; scaled contiguous copies of each split.
  // The learned target: y, or y / (σ̂·√h) (σ̂ from bars ≤ t; its fallback from the train split).
  const targetScale = params.target === 'vol-scaled' ? targetScaleFor(set.X, F, contextF, split.train, set.horizonMinutes) : undefined;
  const units = targetScale ? targetUnits(targetScale, set.X, F, set.S) : null;
  const yLearn = units ? set.y.map((v, i) => v / units[i]) : set.y;
  const scaler = fitScaler(set.X, F, split.train, yLearn);
  const Xtr = applyScaler(set.X, F, scaler, split.train);
  const ytr = scaleTargets(yLearn, scaler, split.train);
  const Xva = applyScaler(set.X, F, scaler, split.val);
  const yva = scaleTargets(yLearn, scaler, split.val);
  const Xte = applyScaler(set.X, F, scaler, split.test);
  const yte = scaleTargets(yLearn, scaler, split.test);
  const unitOf = (row: number) => (units ? units[row] : 1);
  const nTr = split.train.length;
  const nVa = split.val.length;
  const nTe = split.test.length;

  // 3. Model, deterministic init, data into MLX through the safetensors bridge.
  mx.random.seed(params.seed);
  const config = { ...makeConfig(params.model, params.preset, set.featureNames, set.horizonMinutes, contextF), ...(targetScale ? { targetScale } : {}) };
  let p: Params = toMxMany(initWeights(config, params.seed));
  const data = toMxMany({
    Xtr: { dtype: 'F32', shape: [nTr, F], data: Xtr },
    ytr: { dtype: 'F32', shape: [nTr], data: ytr },
    Xva: { dtype: 'F32', shape: [nVa, F], data: Xva },
    ...(nTe > 0 ? { Xte: { dtype: 'F32', shape: [nTe, F], data: Xte } } : {}),
  });

  // An L1 penalty on the gates (they are ≥ 0): indicators that do not help are switched off.
  const gatePenalty = params.gatePenalty ?? DEFAULT_GATE_PENALTY;
  const lossFn = (pp: Params, xb: mx.array, yb: mx.array): mx.array => {
    const out = forward(pp, config, xb);
    const loss = lossOf(lossKind, out.pred, yb);
    return out.gates && gatePenalty > 0 ? mx.add(loss, mx.multiply(gatePenalty, mx.mean(out.gates))) : loss;
  };
  const valueAndGrad = mx.valueAndGrad(lossFn);
  // mx.compile over (batch, weights) → (loss, grads): one graph per batch shape (the last,
  // shorter batch compiles once more). Measured in test/bench/model.bench.ts.
  // The parameter order of this config (initWeights'), fixed before a resumed state replaces p:
  // every sum over parameters follows it, so a resume gives the bits of training from scratch.
  const names = Object.keys(p);
  const compiledStep = params.compile
    ? mx.compile((xb: mx.array, yb: mx.array, ...ws: mx.array[]) => {
        const pp: Params = {};
        names.forEach((n, i) => (pp[n] = ws[i]));
        const [l, g] = valueAndGrad(pp, xb, yb) as unknown as [mx.array, Params];
        return [l, ...names.map((n) => g[n])];
      })
    : null;
  const gradStep = (pp: Params, xb: mx.array, yb: mx.array): [mx.array, Params] => {
    if (!compiledStep) return valueAndGrad(pp, xb, yb) as unknown as [mx.array, Params];
    const out = compiledStep(xb, yb, ...names.map((n) => pp[n]));
    const g: Params = {};
    names.forEach((n, i) => (g[n] = out[i + 1]));
    return [out[0], g];
  };
  const st: AdamState = { m: {}, v: {}, t: 0 };
  for (const n of Object.keys(p)) {
    st.m[n] = mx.zerosLike(p[n]);
    st.v[n] = mx.zerosLike(p[n]);
  }

  const rng = new Rng(params.seed ^ 0x5bd1e995);
  const order = new Int32Array(nTr);
  const stepsPerEpoch = Math.ceil(nTr / params.batchSize);
  const history: EpochStats[] = [];
  let best: Params = p;
  let bestValLoss = Number.POSITIVE_INFINITY;
  let bestEpoch = 0;
  /** IC of the best epoch's validation predictions (in return units): what sweeps choose by. */
  let bestValIc = Number.NaN;
  const yValRet = Float32Array.from(split.val, (r) => set.y[r]);
  const valIcOf = (pred: Float32Array) => pearson(Float32Array.from(pred, (z, i) => (z * scaler.yStd + scaler.yMean) * unitOf(split.val[i])), yValRet);
  const collectPeriod = stepsPerCollect(config, params.batchSize, collectEvery);
  let stepCount = 0;
  let lastCollectStep = 0;
  const resume = opts.resume;
  if (resume) {
    if (!(resume.epoch >= 1 && resume.epoch <= params.epochs)) throw new RangeError(`train: cannot resume from epoch ${resume.epoch} for ${params.epochs} epochs`);
    const names = Object.keys(p).sort().join(',');
    if (Object.keys(resume.weights).sort().join(',') !== names) throw new RangeError('train: the state to resume from belongs to another model');
    p = toMxMany(resume.weights);
    st.m = toMxMany(resume.adamM);
    st.v = toMxMany(resume.adamV);
    st.t = resume.adamT;
    rng.setState(resume.rng);
    best = toMxMany(resume.best);
    bestValLoss = resume.bestValLoss;
    bestEpoch = resume.bestEpoch;
    bestValIc = resume.bestValIc ?? Number.NaN;
    history.push(...resume.history);
  }

  for (let epoch = (resume?.epoch ?? 0) + 1; epoch <= params.epochs; epoch++) {
    const t0 = performance.now();
    for (let i = 0; i < nTr; i++) order[i] = i;
    rng.shuffle(order); // shuffles train rows among themselves only
    let lossSum = 0;
    let lossN = 0;
    for (let s = 0; s < stepsPerEpoch; s++) {
      checkAbort(signal);
      const from = s * params.batchSize;
      const to = Math.min(nTr, from + params.batchSize);
      const idx = mx.array(Array.from(order.subarray(from, to)), mx.int32);
      const xb = mx.take(data.Xtr, idx, 0);
      const yb = mx.take(data.ytr, idx, 0);
      const [loss, grads] = gradStep(p, xb, yb);
      p = adamwStep(names, p, grads, st, params.learningRate, wd, clip);
      mx.eval(loss, ...Object.values(p), ...Object.values(st.m), ...Object.values(st.v));
      const lv = loss.item() as number;
      if (!Number.isFinite(lv)) {
        const rows = Array.from(order.subarray(from, to), (i) => split.train[i]);
        const { message, hint } = nanLossMessage({ loss: lv, epoch, step: s + 1, stepsPerEpoch, learningRate: params.learningRate, set, rows, scaler, yLearn });
        throw new DataError(message, hint);
      }
      lossSum += lv * (to - from);
      lossN += to - from;
      stepCount++;
      opts.onStep?.({ epoch, step: s + 1, stepsPerEpoch, loss: lv });
      // Collect every few steps, every step for large steps (large presets create hundreds of
      // MB of intermediates per step: reference size at batch 32 peaks at ~1.2 GB RSS collecting
      // every step, ~4.3 GB every 4 steps). Decided from step counts and sizes only, not time.
      if (stepCount - lastCollectStep >= collectPeriod) {
        await collect();
        lastCollectStep = stepCount;
      }
    }
    const valPred = await predictRows(p, config, data.Xva, nVa, signal);
    const valLoss = lossJs(lossKind, valPred, yva);
    if (!Number.isFinite(valLoss)) {
      throw new Error(
        `train: the validation loss became ${valLoss} at epoch ${epoch} (learningRate ${params.learningRate}). ` +
          'Lower the learning rate, or check the samples for extreme or broken values.',
      );
    }
    const stats: EpochStats = { epoch, trainLoss: lossSum / lossN, valLoss, seconds: (performance.now() - t0) / 1000 };
    history.push(stats);
    if (valLoss < bestValLoss) {
      bestValLoss = valLoss;
      best = p; // MLX arrays are immutable: keeping the record is a snapshot
      bestEpoch = epoch;
      bestValIc = valIcOf(valPred);
    }
    opts.onEpoch?.(stats);
    await collect();
  }

  // 4. Test metrics with the best weights, in the return's original units.
  let testLoss = Number.NaN;
  let testCorr = Number.NaN;
  let dirAcc = Number.NaN;
  let evaluation: Evaluation | undefined;
  if (nTe > 0) {
    const tp = await predictRows(best, config, data.Xte, nTe, signal);
    testLoss = lossJs(lossKind, tp, yte);
    const predRet = new Float32Array(nTe);
    const yRet = new Float32Array(nTe);
    for (let i = 0; i < nTe; i++) {
      predRet[i] = (tp[i] * scaler.yStd + scaler.yMean) * unitOf(split.test[i]);
      yRet[i] = set.y[split.test[i]];
    }
    testCorr = pearson(predRet, yRet);
    dirAcc = directionalAccuracy(predRet, yRet);
    evaluation = evaluate({ set, scaler, rows: split, scaled: { Xtr, ytr, Xva, yva, Xte }, modelPred: predRet, testUnits: Float32Array.from(split.test, unitOf) });
    if (config.kind === 'indicator-transformer') {
      const pickRegime = (rows: Int32Array) => (set.regime ? Uint8Array.from(rows, (r) => set.regime![r]) : undefined);
      const { byRegime, ablation } = await usefulnessAndAblation({
        params: best,
        config,
        Xva: data.Xva,
        nVa,
        regimeVa: pickRegime(split.val),
        Xte: data.Xte,
        nTe,
        regimeTe: pickRegime(split.test),
        yTe: yRet,
        toReturn: (z, i) => (z * scaler.yStd + scaler.yMean) * unitOf(split.test[i]),
        seed: params.seed,
        k: params.ablationK,
        signal,
      });
      evaluation.usefulness = byRegime;
      evaluation.ablation = ablation;
    }
  }
  const weights = fromMxMany(best);
  const state: TrainState | undefined = opts.keepState
    ? { epoch: params.epochs, weights: fromMxMany(p), adamM: fromMxMany(st.m), adamV: fromMxMany(st.v), adamT: st.t, rng: rng.getState(), best: weights, bestValLoss, bestEpoch, bestValIc, history: history.map((h) => ({ ...h })) }
    : undefined;
  await collect();

  return {
    weights,
    config,
    scaler,
    history,
    split: { trainEnd: split.trainEnd, valEnd: split.valEnd, counts: split.counts },
    metrics: { bestValLoss, bestEpoch, bestValIc, testLoss, testCorr, directionalAccuracy: dirAcc, ...(evaluation ? { evaluation } : {}) },
    params: { ...params },
    ...(state ? { state } : {}),
  };
}

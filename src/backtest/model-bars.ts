/**
 * A trained model as the backtester's BarModel: the bridge between src/model and the simulator
 * (the simulator and the strategies never import the model; this module does, through the model's
 * exported functions only).
 *
 * At each decision bar — every `every` minutes of a session (minute % every = 0, default the
 * model's horizon, so holding periods do not overlap) — the model reads that bar's indicators, the
 * market context and the regime (bars ≤ t only) and predicts the forward return; the prediction
 * is held until the next decision bar of the session. With `selection: 'selected'` (strategy A,
 * `model`) only the indicators selected for the bar's regime pass their gates (the others are
 * masked to 0, exactly as the ablation in src/model/ablation.ts does); with `'all'` (strategy C,
 * `model-all`) every indicator does. Both come from one pass over the inputs.
 */
import type { core as mx } from '@frost-beta/mlx';
import type { Panel } from '../data/panel.js';
import { computeContext, CONTEXT_SIZE } from '../model/context.js';
import { checkWeights, evalBatchSize, forward, indicatorCount } from '../model/nets.js';
import { computeRegimes, REGIME_NAMES } from '../model/regime.js';
import { applyScaler } from '../model/scaler.js';
import { targetUnits } from '../model/target.js';
import type { TrainedModel, TrainMetrics } from '../model/types.js';
import { f32ToMx, fromMxF32, toMxMany } from '../tensor/mlx-bridge.js';
import { collect } from '../util/memory.js';
import type { IndicatorPlanes } from './indicator-planes.js';
import type { BarModel } from './strategies.js';

/** Indicators allowed through the gates per regime name ('all': every regime). */
export type RegimeSelection = Readonly<Record<string, readonly string[]>>;

export interface ModelBarOptions {
  /** Minutes between decisions within a session. Default: the model's horizon. */
  every?: number;
  /** Predict only at bars at or after this time (epoch ms); earlier bars get NaN (no position). */
  from?: number;
  /**
   * The indicators strategy A may use per regime. Default: the top indicators per regime the
   * model chose on its validation split (`metrics.evaluation.usefulness` of a checkpoint or train
   * result).
   */
  selection?: RegimeSelection;
  signal?: AbortSignal;
}

export interface GateUsefulness {
  regimes: string[];
  indicators: string[];
  /** Mean gate per regime (rows) and indicator (columns) over the decision bars predicted; null without bars. */
  scores: (number | null)[][];
  /** Decision bars per regime. */
  rows: number[];
}

export interface ModelBarModel extends BarModel {
  /** The selection strategy A uses (regime → indicators), or undefined for a model without gates. */
  readonly selection?: RegimeSelection;
  readonly every: number;
  /** Decision bars predicted so far (over all panels). */
  readonly decisions: number;
  /** Mean gates by regime over the decision bars predicted so far (transformer only). */
  usefulness(): GateUsefulness | undefined;
}

/** The per-regime top indicators a model kept on validation (train metrics), if it has them. */
export function selectionFromMetrics(metrics: TrainMetrics | undefined): RegimeSelection | undefined {
  const u = metrics?.evaluation?.usefulness;
  if (!u || u.length === 0) return undefined;
  return Object.fromEntries(u.map((r) => [r.regime, r.indicators.map((x) => x.name)]));
}

interface Predicted {
  selected?: Float32Array;
  all: Float32Array;
}

export function barModelFrom(model: TrainedModel & { metrics?: TrainMetrics }, opts: ModelBarOptions = {}): ModelBarModel {
  const config = model.config;
  checkWeights(config, model.weights);
  const Fi = indicatorCount(config);
  const F = config.F;
  const C = config.contextF ?? 0;
  const names = config.featureNames.slice(0, Fi);
  const gated = config.kind === 'indicator-transformer';
  const every = opts.every ?? config.horizonMinutes;
  if (!Number.isInteger(every) || every < 1) throw new Error(`backtest: the model's decision interval must be a whole number of minutes ≥ 1, got ${every}`);
  const from = opts.from ?? -Infinity;
  const selection = gated ? (opts.selection ?? selectionFromMetrics(model.metrics)) : undefined;
  // Selected indicator columns per regime id (index into REGIME_NAMES); 'all' applies to each.
  let selectedCols: Int32Array[] | undefined;
  if (selection) {
    const col = new Map(names.map((n, j) => [n, j]));
    const colsOf = (list: readonly string[], regime: string) =>
      Int32Array.from(list, (n) => {
        const j = col.get(n);
        if (j === undefined) throw new Error(`backtest: the selection for regime ${regime} names ${n}, which the model does not read`);
        return j;
      });
    selectedCols = REGIME_NAMES.map((r) => {
      const list = selection[r] ?? selection.all;
      if (!list) throw new Error(`backtest: the selection has no indicators for regime ${r} (it covers ${Object.keys(selection).join(', ')})`);
      return colsOf(list, r);
    });
  }
  let params: Record<string, mx.array> | undefined;
  const gateSum = REGIME_NAMES.map(() => new Float64Array(Fi));
  const gateRows = REGIME_NAMES.map(() => 0);
  let decisions = 0;
  // Both selections come from one pass: the second call for the same bars reuses it.
  let last: { panel: Panel; planes: IndicatorPlanes; result: Promise<Predicted> } | undefined;

  const run = async (panel: Panel, planes: IndicatorPlanes): Promise<Predicted> => {
    const { T, N, mask, time, minuteOfSession, sessionOfRow } = panel;
    params ??= toMxMany(model.weights);
    const cellList: number[] = [];
    for (let t = 0; t < T; t++) {
      if (time[t] < from || minuteOfSession[t] % every !== 0) continue;
      for (let n = 0; n < N; n++) if (mask[t * N + n]) cellList.push(t * N + n);
    }
    const cells = Int32Array.from(cellList);
    const S = cells.length;
    const Xi = planes.gather(names, cells);
    const X = new Float32Array(S * F);
    const regime = new Uint8Array(S);
    if (C > 0) {
      const ctx = computeContext(panel);
      const reg = computeRegimes(panel).regime;
      for (let s = 0; s < S; s++) {
        const i = cells[s];
        X.set(Xi.subarray(s * Fi, (s + 1) * Fi), s * F);
        X.set(ctx.subarray(i * CONTEXT_SIZE, (i + 1) * CONTEXT_SIZE), s * F + Fi);
        regime[s] = reg[i];
        X[s * F + Fi + CONTEXT_SIZE + reg[i]] = 1;
      }
    } else {
      X.set(Xi);
      if (selectedCols) {
        const reg = computeRegimes(panel).regime;
        for (let s = 0; s < S; s++) regime[s] = reg[cells[s]];
      }
    }
    const all = new Float32Array(S);
    const selected = selectedCols ? new Float32Array(S) : undefined;
    const { yMean, yStd } = model.scaler;
    const batch = evalBatchSize(config);
    const rows = new Int32Array(batch);
    for (let start = 0, b = 0; start < S; start += batch, b++) {
      opts.signal?.throwIfAborted();
      const end = Math.min(S, start + batch);
      const n = end - start;
      for (let i = 0; i < n; i++) rows[i] = start + i;
      const xs = f32ToMx(applyScaler(X, F, model.scaler, rows.subarray(0, n)), [n, F]);
      const units = config.targetScale ? targetUnits(config.targetScale, X.subarray(start * F, end * F), F, n) : null;
      const toReturn = (z: number, i: number) => (z * yStd + yMean) * (units ? units[i] : 1);
      const outAll = forward(params, config, xs);
      const zAll = fromMxF32(outAll.pred);
      for (let i = 0; i < n; i++) all[start + i] = toReturn(zAll[i], i);
      if (outAll.gates) {
        const g = fromMxF32(outAll.gates);
        for (let i = 0; i < n; i++) {
          const acc = gateSum[regime[start + i]];
          gateRows[regime[start + i]]++;
          for (let j = 0; j < Fi; j++) acc[j] += g[i * Fi + j];
        }
      }
      if (selected && selectedCols) {
        const m = new Float32Array(n * Fi);
        for (let i = 0; i < n; i++) for (const j of selectedCols[regime[start + i]]) m[i * Fi + j] = 1;
        const zSel = fromMxF32(forward(params, config, xs, false, f32ToMx(m, [n, Fi])).pred);
        for (let i = 0; i < n; i++) selected[start + i] = toReturn(zSel[i], i);
      }
      if (b % 2 === 1) await collect();
    }
    await collect();
    decisions += S;
    // Each decision holds until the next decision bar of its session (NaN where none was made).
    const spread = (pred: Float32Array) => {
      const out = new Float32Array(T * N).fill(NaN);
      for (let s = 0; s < S; s++) out[cells[s]] = pred[s];
      for (let t = 1; t < T; t++) {
        if (sessionOfRow[t] !== sessionOfRow[t - 1] || (time[t] >= from && minuteOfSession[t] % every === 0)) continue;
        out.copyWithin(t * N, (t - 1) * N, t * N);
      }
      return out;
    };
    return { all: spread(all), selected: selected ? spread(selected) : undefined };
  };

  return {
    indicators: names,
    selection,
    every,
    get decisions() {
      return decisions;
    },
    async predict({ panel, indicators, selection: which }) {
      if (which === 'selected' && !selectedCols) {
        throw new Error(
          gated
            ? 'backtest: strategy model needs the indicators the model selects per regime; this model carries none (train it with a test split, or pass `selection`)'
            : `backtest: strategy model trades on the indicators the model selects per regime, and a ${config.kind} has no gates to select with; use model-all, or train an indicator-transformer`,
        );
      }
      if (!last || last.panel !== panel || last.planes !== indicators) last = { panel, planes: indicators, result: run(panel, indicators) };
      const r = await last.result;
      return which === 'selected' ? r.selected! : r.all;
    },
    usefulness() {
      if (!gated) return undefined;
      return {
        regimes: [...REGIME_NAMES],
        indicators: [...names],
        scores: gateSum.map((acc, r) => Array.from(acc, (v) => (gateRows[r] > 0 ? v / gateRows[r] : null))),
        rows: [...gateRows],
      };
    },
  };
}

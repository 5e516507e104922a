/**
 * The selection API: which indicators to trust now. `loadModel(path)` reads a checkpoint;
 * `model.selectIndicators(bars, regime?, {topK})` computes the indicators, the market context
 * and the regime at the latest bar of a ticker (bars ≤ that minute only) and ranks the
 * indicators by their learned gates in that context; `getOptimalIndicators` adds their values.
 */
import type { Panel } from '../data/panel.js';
import { computeIndicators, INDICATOR_NAMES } from '../indicators/index.js';
import { loadCheckpoint, type CheckpointModel } from './checkpoint.js';
import { computeContext, CONTEXT_SIZE } from './context.js';
import { computeRegimes, REGIME_NAMES, type RegimeName } from './regime.js';
import { gateScores } from './predict.js';
import { indicatorCount } from './nets.js';

export interface IndicatorScore {
  name: string;
  /** The gate in [0, 1] at this bar: the model's usefulness score for the indicator now. */
  score: number;
}

export interface Selection {
  ticker: string;
  /** Epoch ms of the bar the selection is for. */
  time: number;
  regime: RegimeName;
  /** True when the regime was given rather than computed from the bars. */
  regimeGiven: boolean;
  indicators: IndicatorScore[];
}

/** A selection with each indicator's latest value (NaN where undefined). */
export interface OptimalSelection extends Omit<Selection, 'indicators'> {
  indicators: (IndicatorScore & { value: number })[];
}

export interface SelectOptions {
  /** How many to return (default 10; all with Infinity). */
  topK?: number;
  /** Which ticker of the panel (default the first). */
  ticker?: string;
}

export interface OptimalOptions extends SelectOptions {
  /** Rank for this regime instead of the one computed from the bars. */
  regime?: RegimeName;
}

export interface LoadedModel extends CheckpointModel {
  /** The indicators the model reads, in its input order. */
  indicatorNames: string[];
  selectIndicators(bars: Panel, regime?: RegimeName, opts?: SelectOptions): Promise<Selection>;
  getOptimalIndicators(bars: Panel, opts?: OptimalOptions): Promise<OptimalSelection>;
}

/** The checkpoint's indicator names this engine does not compute (it may read a subset of the engine's). */
export function unknownIndicators(names: string[]): string[] {
  const known = new Set(INDICATOR_NAMES);
  return names.filter((n) => !known.has(n));
}

/** A checkpoint's indicators must all be known to this engine; says which are not. */
function checkNames(names: string[]): void {
  const unknown = unknownIndicators(names);
  if (unknown.length > 0) {
    throw new Error(
      `the model reads ${unknown.length} indicator${unknown.length > 1 ? 's' : ''} this engine does not compute: ${unknown.join(', ')}. ` +
        'It was trained with another indicator set; retrain it with this version (mlx-intraday run …).',
    );
  }
}

interface Latest {
  ticker: string;
  time: number;
  row: Float32Array;
  regime: number;
  values: Float32Array;
}

/** The model's input row at the latest observed bar of one ticker. */
function latestInputs(model: CheckpointModel, names: string[], bars: Panel, regime: RegimeName | undefined, ticker: string | undefined): Latest {
  const n = ticker === undefined ? 0 : bars.tickers.indexOf(ticker);
  if (n < 0) throw new Error(`ticker ${ticker} is not in the bars (${bars.tickers.join(', ')})`);
  let t = bars.T - 1;
  while (t >= 0 && !bars.mask[t * bars.N + n]) t--;
  if (t < 0) throw new Error(`no observed bar for ${bars.tickers[n]} in the bars given`);
  const ind = computeIndicators(bars, { names });
  const Fi = names.length;
  const values = ind.values.slice((t * bars.N + n) * Fi, (t * bars.N + n + 1) * Fi);
  const C = model.config.contextF ?? 0;
  const row = new Float32Array(model.config.F);
  row.set(values, 0);
  let reg = regime === undefined ? computeRegimes(bars).regime[t * bars.N + n] : REGIME_NAMES.indexOf(regime);
  if (reg < 0) throw new Error(`unknown regime ${JSON.stringify(regime)} (expected ${REGIME_NAMES.join(' | ')})`);
  if (C > 0) {
    const ctx = computeContext(bars);
    row.set(ctx.subarray((t * bars.N + n) * CONTEXT_SIZE, (t * bars.N + n + 1) * CONTEXT_SIZE), Fi);
    row[Fi + CONTEXT_SIZE + reg] = 1;
  }
  return { ticker: bars.tickers[n], time: bars.time[t], row, regime: reg, values };
}

export function loadModel(path: string): LoadedModel {
  const model = loadCheckpoint(path);
  return wrapModel(model);
}

/** The selection API over an in-memory model (a TrainResult or a loaded checkpoint). */
export function wrapModel(model: CheckpointModel): LoadedModel {
  if (model.config.kind !== 'indicator-transformer') throw new Error(`indicator selection needs an indicator-transformer model (this one is ${model.config.kind}, which has no gates)`);
  const indicatorNames = model.config.featureNames.slice(0, indicatorCount(model.config));
  checkNames(indicatorNames);
  const rank = async (bars: Panel, regime: RegimeName | undefined, opts: SelectOptions) => {
    const at = latestInputs(model, indicatorNames, bars, regime, opts.ticker);
    const gates = await gateScores(model, at.row, 1);
    const order = indicatorNames.map((name, i) => ({ name, score: gates[i], i })).sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
    const top = order.slice(0, Math.max(0, opts.topK ?? 10));
    return { at, top };
  };
  return {
    ...model,
    indicatorNames,
    async selectIndicators(bars, regime, opts = {}) {
      const { at, top } = await rank(bars, regime, opts);
      return { ticker: at.ticker, time: at.time, regime: REGIME_NAMES[at.regime], regimeGiven: regime !== undefined, indicators: top.map(({ name, score }) => ({ name, score })) };
    },
    async getOptimalIndicators(bars, opts = {}) {
      const { at, top } = await rank(bars, opts.regime, opts);
      return { ticker: at.ticker, time: at.time, regime: REGIME_NAMES[at.regime], regimeGiven: opts.regime !== undefined, indicators: top.map(({ name, score, i }) => ({ name, score, value: at.values[i] })) };
    },
  };
}

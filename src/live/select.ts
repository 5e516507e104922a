/**
 * Selection on each bar: `createLiveState({ model, tickers, history })` keeps the model's
 * indicators, the market context and the regime up to date one minute at a time (src/live/state.ts
 * and context.ts), and ranks the indicators by the model's gates for every ticker that traded in
 * the minute. It equals `model.selectIndicators` / `getOptimalIndicators` on the same bars:
 * those rank at a ticker's latest observed bar, so a ticker missing from an update keeps the
 * selection of its last bar (nothing about it changed), and a ticker that traded is re-ranked
 * from the input row the batch path would build (indicators, then context and regime one-hot).
 */
import { resolveIndicatorNames } from '../indicators/compute.js';
import { CONTEXT_SIZE } from '../model/context.js';
import { REGIME_NAMES, type RegimeName } from '../model/regime.js';
import type { LoadedModel } from '../model/select.js';
import { createLiveContext } from './context.js';
import { createGateScorer } from './gates.js';
import { createLiveState as createIndicatorState, type LiveSnapshot, type LiveState, type LiveStateOptions, type LiveUpdate } from './state.js';

export interface LiveModelOptions extends Omit<LiveStateOptions, 'indicators' | 'rowHook'> {
  /** A loaded checkpoint (loadModel / wrapModel): its indicators are the ones kept up to date. */
  model: LoadedModel;
  /** Indicators returned per ticker (default 10; Infinity for all). */
  topK?: number;
}

export interface LiveIndicatorScore {
  name: string;
  /** The gate in [0, 1]: the model's usefulness score for the indicator now. */
  score: number;
  /** The indicator's value at the bar (NaN where not yet defined). */
  value: number;
}

export interface LiveSelection {
  ticker: string;
  /** Epoch ms of the ticker's latest observed bar: the bar the selection is for. */
  time: number;
  regime: RegimeName;
  indicators: LiveIndicatorScore[];
}

export interface RegimeChange {
  ticker: string;
  /** Epoch ms of the bar where the new regime was first seen. */
  time: number;
  from: RegimeName;
  to: RegimeName;
}

export interface LiveModelUpdate {
  snapshot: LiveSnapshot;
  /** The new selections of the tickers that traded in this minute (others keep theirs). */
  selections: LiveSelection[];
  /** Tickers whose regime at this bar differs from the one at their previous observed bar. */
  regimeChanges: RegimeChange[];
}

export interface LiveModelState {
  /** The indicator state underneath (its names are the model's indicators, in the engine's order). */
  readonly live: LiveState;
  readonly model: LoadedModel;
  readonly tickers: readonly string[];
  /** The model's indicators, in its input order. */
  readonly names: readonly string[];
  readonly lastTime: number;
  /** Scores the tickers whose selection is not computed yet (after the warm-up); update() does it too. */
  ready(): Promise<void>;
  /** Validates and applies one minute (a LiveBarError leaves everything unchanged), then re-ranks the tickers that traded. */
  update(u: LiveUpdate): Promise<LiveModelUpdate>;
  /** The current selection of a ticker (call ready() or update() first). */
  selection(ticker: string, topK?: number): LiveSelection;
  selections(topK?: number): LiveSelection[];
  /** [N, F] model input rows at each ticker's latest observed bar (for tests and tools). */
  inputRow(ticker: string): Float32Array;
}

/**
 * The best `k` of `scores` (gate per model indicator), best first: by score descending, then by
 * name as the batch path orders ties (localeCompare, precomputed as `nameRank`).
 */
function topOf(scores: Float32Array, off: number, F: number, k: number, nameRank: Int32Array): number[] {
  const K = Math.min(F, k);
  const out: number[] = [];
  for (let i = 0; i < F; i++) {
    const si = scores[off + i], ri = nameRank[i];
    let len = out.length;
    if (len === K) {
      const w = out[K - 1], sw = scores[off + w];
      if (!(si > sw || (si === sw && ri < nameRank[w]))) continue; // not better than the K-th
      len = K - 1;
    }
    // insertion from the end: shift the worse ones down
    let j = len;
    while (j > 0) {
      const x = out[j - 1], sx = scores[off + x];
      if (si > sx || (si === sx && ri < nameRank[x])) {
        out[j] = x;
        j--;
      } else break;
    }
    out[j] = i;
  }
  return out;
}

export function createLiveModelState(opts: LiveModelOptions): LiveModelState {
  const { model } = opts;
  const defaultK = opts.topK ?? 10;
  const names = [...model.indicatorNames];
  const Fi = names.length;
  const FM = model.config.F;
  const C = model.config.contextF ?? 0;
  if (C !== 0 && C !== CONTEXT_SIZE + REGIME_NAMES.length) throw new Error(`live: the model reads ${C} context columns; this engine builds ${CONTEXT_SIZE} context values + ${REGIME_NAMES.length} regime columns`);
  const sorted = names.map((n, i) => ({ n, i })).sort((a, b) => a.n.localeCompare(b.n));
  const nameRank = new Int32Array(Fi);
  sorted.forEach((x, r) => (nameRank[x.i] = r));

  const N = opts.tickers.length;
  const ctx = createLiveContext(N);
  const inputs = new Float32Array(N * FM).fill(NaN);
  const latestTime = new Float64Array(N).fill(NaN);
  const latestRegime = new Uint8Array(N);
  const dirty = new Uint8Array(N);
  /** model index → index in the live state's outputs (the engine's canonical order) */
  let map: Int32Array | undefined = undefined;
  let curTime = NaN;
  const rowHook: LiveStateOptions['rowHook'] = (row, observed, outputs) => {
    ctx.step(row, observed);
    if (!map) return; // set right after the state exists; warm-up rows come first (below)
    for (let n = 0; n < N; n++) {
      if (!observed[n]) continue;
      const o = n * FM;
      for (let f = 0; f < Fi; f++) inputs[o + f] = outputs[map[f]][n];
      const reg = ctx.regime[n];
      if (C > 0) {
        inputs.set(ctx.context.subarray(n * CONTEXT_SIZE, (n + 1) * CONTEXT_SIZE), o + Fi);
        for (let g = 0; g < REGIME_NAMES.length; g++) inputs[o + Fi + CONTEXT_SIZE + g] = g === reg ? 1 : 0;
      }
      latestRegime[n] = reg;
      latestTime[n] = curTime;
      dirty[n] = 1;
    }
  };
  // The state's outputs come in the engine's canonical order of the names.
  const resolved = resolveIndicatorNames(names);
  map = Int32Array.from(names, (nm) => resolved.indexOf(nm));
  const H = opts.history.T, histTime = opts.history.time;
  const live = createIndicatorState({
    ...opts,
    indicators: names,
    rowHook: (row, observed, outputs) => {
      if (row.t < H) curTime = histTime[row.t];
      rowHook(row, observed, outputs);
    },
  });
  for (let n = 0; n < N; n++) if (!dirty[n]) throw new Error(`live: ticker ${opts.tickers[n]} has no observed bar in the history`);

  const gates = createGateScorer(model);
  const tickerIndex = new Map(opts.tickers.map((x, n) => [x, n]));
  const scores = new Float32Array(N * Fi).fill(NaN);
  const reported = new Int16Array(N).fill(-1);
  const idx = (ticker: string) => {
    const n = tickerIndex.get(ticker);
    if (n === undefined) throw new Error(`live: unknown ticker ${ticker} (this state follows ${opts.tickers.slice(0, 10).join(', ')}${N > 10 ? ', …' : ''})`);
    return n;
  };
  const score = async (): Promise<number[]> => {
    const rows: number[] = [];
    for (let n = 0; n < N; n++) if (dirty[n]) rows.push(n);
    if (rows.length === 0) return rows;
    const X = new Float32Array(rows.length * FM);
    rows.forEach((n, k) => X.set(inputs.subarray(n * FM, (n + 1) * FM), k * FM));
    const g = await gates.score(X, rows.length);
    rows.forEach((n, k) => {
      scores.set(g.subarray(k * Fi, (k + 1) * Fi), n * Fi);
      dirty[n] = 0;
    });
    return rows;
  };
  const selectionOf = (n: number, k: number): LiveSelection => {
    if (Number.isNaN(scores[n * Fi])) throw new Error(`live: the selection of ${opts.tickers[n]} is not computed yet: await state.ready() (or an update) first`);
    const top = topOf(scores, n * Fi, Fi, k, nameRank);
    return {
      ticker: opts.tickers[n],
      time: latestTime[n],
      regime: REGIME_NAMES[latestRegime[n]],
      indicators: top.map((f) => ({ name: names[f], score: scores[n * Fi + f], value: inputs[n * FM + f] })),
    };
  };
  let chain: Promise<unknown> = Promise.resolve();
  /** One at a time: an update's rows and its scoring never interleave with another's. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => {});
    return p;
  };
  const ready = () =>
    serial(async () => {
      await score();
      for (let n = 0; n < N; n++) if (reported[n] < 0) reported[n] = latestRegime[n];
    });

  return {
    live,
    model,
    tickers: live.tickers,
    names,
    get lastTime() {
      return live.lastTime;
    },
    ready,
    update(u) {
      return serial(async () => {
        if (reported.includes(-1)) {
          await score();
          for (let n = 0; n < N; n++) if (reported[n] < 0) reported[n] = latestRegime[n];
        }
        curTime = typeof u?.time === 'number' ? u.time : Date.parse(String(u?.time));
        const before = live.lastTime;
        let snapshot: LiveSnapshot;
        try {
          snapshot = live.update(u); // throws (state unchanged) on a rejected update
        } catch (e) {
          if (live.lastTime !== before) throw new Error('live: internal error: a rejected update changed the state');
          throw e;
        }
        const rows = await score();
        const regimeChanges: RegimeChange[] = [];
        for (const n of rows) {
          if (latestRegime[n] !== reported[n]) {
            regimeChanges.push({ ticker: opts.tickers[n], time: latestTime[n], from: REGIME_NAMES[reported[n]], to: REGIME_NAMES[latestRegime[n]] });
            reported[n] = latestRegime[n];
          }
        }
        return { snapshot, selections: rows.map((n) => selectionOf(n, defaultK)), regimeChanges };
      });
    },
    selection: (ticker, k = defaultK) => selectionOf(idx(ticker), k),
    selections: (k = defaultK) => opts.tickers.map((_, n) => selectionOf(n, k)),
    inputRow: (ticker) => inputs.slice(idx(ticker) * FM, (idx(ticker) + 1) * FM),
  };
}


/**
 * `createLiveState({ model, tickers, history })` → a state that also ranks the model's
 * indicators on each bar (LiveModelState); without `model`, the indicator state (LiveState).
 */
export function createLiveState(opts: LiveModelOptions): LiveModelState;
export function createLiveState(opts: LiveStateOptions): LiveState;
export function createLiveState(opts: LiveModelOptions | LiveStateOptions): LiveModelState | LiveState {
  return 'model' in opts && opts.model ? createLiveModelState(opts) : createIndicatorState(opts as LiveStateOptions);
}

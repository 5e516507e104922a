/**
 * Checks on the training data that turn bad input into messages naming what is wrong:
 * feature columns that are constant or all-NaN in the train split, and — when the loss
 * becomes NaN — the tickers, dates and features of the offending batch.
 */
import type { SampleSet, Scaler } from './types.js';

export interface DegenerateColumns {
  /** Columns with no finite value in the train split. */
  allNaN: string[];
  /** Columns whose finite train values are all equal (at least one finite value). */
  constant: string[];
}

/** Columns of X [S, F] that are all-NaN or constant over `rows` (the train split). */
export function degenerateColumns(X: Float32Array, F: number, rows: Int32Array, names: string[]): DegenerateColumns {
  const first = new Float64Array(F).fill(Number.NaN);
  const varies = new Uint8Array(F);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r] * F;
    for (let f = 0; f < F; f++) {
      const v = X[base + f];
      if (!Number.isFinite(v)) continue;
      if (Number.isNaN(first[f])) first[f] = v;
      else if (v !== first[f]) varies[f] = 1;
    }
  }
  const out: DegenerateColumns = { allNaN: [], constant: [] };
  for (let f = 0; f < F; f++) {
    if (Number.isNaN(first[f])) out.allNaN.push(names[f]);
    else if (!varies[f]) out.constant.push(names[f]);
  }
  return out;
}

const list = (xs: string[], max = 12) => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`);

/** One sentence naming the degenerate columns, or undefined when there are none. */
export function degenerateMessage(d: DegenerateColumns): string | undefined {
  const parts: string[] = [];
  if (d.allNaN.length) parts.push(`${d.allNaN.length} all-NaN (${list(d.allNaN)})`);
  if (d.constant.length) parts.push(`${d.constant.length} constant (${list(d.constant)})`);
  if (!parts.length) return undefined;
  return (
    `feature column${d.allNaN.length + d.constant.length > 1 ? 's' : ''} without information in the train split: ${parts.join('; ')}. ` +
    'They are fed as 0 and cannot help; use more days (indicators with long windows need history) or leave them out of indicators.names'
  );
}

const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';

/**
 * What to say when the loss of a batch is not finite: the batch's tickers and dates, the
 * features (and the target) with the most extreme values in it by |z| against the train
 * scaler, and what to do.
 */
export function nanLossMessage(o: {
  loss: number;
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  learningRate: number;
  set: SampleSet;
  /** Sample rows (into set) of the batch. */
  rows: ArrayLike<number>;
  scaler: Scaler;
  /** The learned target of each sample row (y, or vol-scaled y). */
  yLearn: Float32Array;
}): { message: string; hint: string } {
  const { set, scaler, rows } = o;
  const F = set.F;
  const worst = new Float64Array(F + 1).fill(-1);
  const at = new Int32Array(F + 1).fill(-1);
  const nonFinite = new Int32Array(F + 1);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    for (let f = 0; f <= F; f++) {
      const v = f < F ? set.X[r * F + f] : o.yLearn[r];
      const mean = f < F ? scaler.mean[f] : scaler.yMean;
      const std = f < F ? scaler.std[f] : scaler.yStd;
      if (!Number.isFinite(v)) {
        if (f === F || Number.isNaN(v) === false) nonFinite[f]++; // ±Inf in X, or any non-finite y
        continue;
      }
      const z = Math.abs(v - mean) / std;
      if (z > worst[f]) {
        worst[f] = z;
        at[f] = r;
      }
    }
  }
  const name = (f: number) => (f < F ? set.featureNames[f] : 'target y');
  const where = (r: number) => `${set.tickers[set.ticker[r]]} ${stamp(set.time[r])}`;
  const extreme = Array.from({ length: F + 1 }, (_, f) => f)
    .filter((f) => worst[f] >= 0 || nonFinite[f] > 0)
    .sort((a, b) => (nonFinite[b] > 0 ? Infinity : worst[b]) - (nonFinite[a] > 0 ? Infinity : worst[a]))
    .slice(0, 5)
    .map((f) => (nonFinite[f] > 0 ? `${name(f)} (${nonFinite[f]} infinite value${nonFinite[f] > 1 ? 's' : ''})` : `${name(f)} (|z| ${worst[f].toPrecision(3)} at ${where(at[f])})`));
  const tickers = [...new Set(Array.from(rows, (r) => set.tickers[set.ticker[r]]))].sort();
  const days = [...new Set(Array.from(rows, (r) => new Date(set.time[r]).toISOString().slice(0, 10)))].sort();
  const message =
    `train: the loss became ${o.loss} at epoch ${o.epoch}, step ${o.step}/${o.stepsPerEpoch} (learning_rate ${o.learningRate}). ` +
    `That batch holds ${rows.length} samples of ${tickers.length} ticker${tickers.length > 1 ? 's' : ''} (${list(tickers, 8)}) on ${days.length} day${days.length > 1 ? 's' : ''} (${list(days, 6)}); ` +
    `most extreme values against the train scaler: ${extreme.join(', ')}`;
  const hint =
    `lower train.learning_rate (e.g. --set train.learning_rate=${+(o.learningRate / 10).toPrecision(3)}); ` +
    'if one feature or ticker/date stands out above, check those bars for bad prints (or drop the ticker) and rerun';
  return { message, hint };
}

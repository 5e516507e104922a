/**
 * Canonical sample order: by time, then ticker symbol. Training sees rows in this order whatever
 * order the batches of tickers delivered them in, so `batch_size` (tickers per batch) and
 * `--concurrency` cannot change the trained weights.
 */
import type { SampleSet } from './types.js';

/** The permutation that sorts the rows by (time, ticker symbol); identity if already sorted. */
export function canonicalOrder(set: Pick<SampleSet, 'S' | 'time' | 'ticker' | 'tickers'>): Int32Array {
  const idx = Int32Array.from({ length: set.S }, (_, i) => i);
  const name = (i: number) => set.tickers[set.ticker[i]] ?? '';
  return idx.sort((a, b) => set.time[a] - set.time[b] || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : a - b));
}

function gather<T extends Float32Array | Float64Array | Int32Array | Uint8Array>(src: T, order: Int32Array, width = 1): T {
  const out = new (src.constructor as new (n: number) => T)(order.length * width);
  for (let i = 0; i < order.length; i++) out.set(src.subarray(order[i] * width, (order[i] + 1) * width), i * width);
  return out;
}

/**
 * The set with rows in canonical order and tickers sorted by symbol (so ticker indices do not
 * depend on batch order either). Returns the set itself when nothing moves.
 */
export function canonicalize(set: SampleSet): SampleSet {
  const tickers = [...set.tickers].sort();
  const remap = Int32Array.from(set.tickers, (t) => tickers.indexOf(t));
  const order = canonicalOrder(set);
  const moved = order.some((v, i) => v !== i) || remap.some((v, i) => v !== i);
  if (!moved) return set;
  const ticker = gather(set.ticker, order).map((t) => remap[t]);
  const out: SampleSet = {
    ...set,
    X: gather(set.X, order, set.F),
    y: gather(set.y, order),
    time: gather(set.time, order),
    ticker,
    tickers,
  };
  if (set.regime) out.regime = gather(set.regime, order);
  if (set.context) out.context = gather(set.context, order, set.context.length / set.S);
  if (set.hiddenRegime) out.hiddenRegime = gather(set.hiddenRegime, order);
  if (set.oracle) out.oracle = gather(set.oracle, order);
  return out;
}

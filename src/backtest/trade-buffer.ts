/** Growable typed columns for completed trades: no per-trade objects in the simulator's loop. */
import type { TradeColumns } from './bar-types.js';

export class TradeBuffer {
  count = 0;
  private cap: number;
  private ticker: Int32Array;
  private entryRow: Int32Array;
  private exitRow: Int32Array;
  private side: Int8Array;
  private ret: Float64Array;
  private cost: Float64Array;

  constructor(capacity = 1024) {
    this.cap = Math.max(16, capacity);
    this.ticker = new Int32Array(this.cap);
    this.entryRow = new Int32Array(this.cap);
    this.exitRow = new Int32Array(this.cap);
    this.side = new Int8Array(this.cap);
    this.ret = new Float64Array(this.cap);
    this.cost = new Float64Array(this.cap);
  }

  push(ticker: number, entryRow: number, exitRow: number, side: number, ret: number, cost: number): void {
    if (this.count === this.cap) this.grow();
    const k = this.count++;
    this.ticker[k] = ticker;
    this.entryRow[k] = entryRow;
    this.exitRow[k] = exitRow;
    this.side[k] = side;
    this.ret[k] = ret;
    this.cost[k] = cost;
  }

  private grow(): void {
    this.cap *= 2;
    const g = <A extends Int32Array | Int8Array | Float64Array>(a: A): A => {
      const b = new (a.constructor as new (n: number) => A)(this.cap);
      b.set(a);
      return b;
    };
    this.ticker = g(this.ticker);
    this.entryRow = g(this.entryRow);
    this.exitRow = g(this.exitRow);
    this.side = g(this.side);
    this.ret = g(this.ret);
    this.cost = g(this.cost);
  }

  /** The trades as exact-length columns, tickers shifted by `tickerOffset`. */
  columns(tickerOffset = 0): TradeColumns {
    const n = this.count;
    const ticker = this.ticker.slice(0, n);
    if (tickerOffset !== 0) for (let k = 0; k < n; k++) ticker[k] += tickerOffset;
    return {
      count: n,
      ticker,
      entryRow: this.entryRow.slice(0, n),
      exitRow: this.exitRow.slice(0, n),
      side: this.side.slice(0, n),
      ret: this.ret.slice(0, n),
      cost: this.cost.slice(0, n),
    };
  }
}

/** Concatenates trade columns (e.g. of several ticker batches). */
export function concatTrades(parts: TradeColumns[]): TradeColumns {
  const n = parts.reduce((s, p) => s + p.count, 0);
  const out: TradeColumns = {
    count: n,
    ticker: new Int32Array(n),
    entryRow: new Int32Array(n),
    exitRow: new Int32Array(n),
    side: new Int8Array(n),
    ret: new Float64Array(n),
    cost: new Float64Array(n),
  };
  let at = 0;
  for (const p of parts) {
    out.ticker.set(p.ticker, at);
    out.entryRow.set(p.entryRow, at);
    out.exitRow.set(p.exitRow, at);
    out.side.set(p.side, at);
    out.ret.set(p.ret, at);
    out.cost.set(p.cost, at);
    at += p.count;
  }
  return out;
}

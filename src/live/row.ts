/**
 * What a live group sees of one row (one minute, all tickers) and what it offers the state.
 */

/** Rows of close history the state keeps (RET_60 looks 60 rows back). */
export const CLOSE_DEPTH = 64;

export interface Row {
  /** Global row index since the first history row (the batch engine's panel row). */
  t: number;
  /** Minute of the session (0 = 09:30). */
  m: number;
  /** First bar of a session (the batch engine's `sessStart[t] === t`). */
  first: boolean;
  /** Bars of this session: 390, or 210 on an early close. */
  bars: number;
  /** First session of a new calendar week (Monday-based) / month, or the first session seen. */
  newWeek: boolean;
  newMonth: boolean;
  readonly N: number;
  /** This row's bars (float32 values as float64), one per ticker; a missing bar is carried forward. */
  o: Float64Array;
  h: Float64Array;
  l: Float64Array;
  c: Float64Array;
  v: Float64Array;
  /** The previous row's high, low and close (valid from t = 1). */
  ph: Float64Array;
  pl: Float64Array;
  pc: Float64Array;
  /** Close k rows back (0 = this row), for k < CLOSE_DEPTH and k ≤ t. */
  cAgo(k: number): Float64Array;
}

/** Output buffer of one indicator for the current row (N values, NaN-filled before each row). */
export type ColFn = (name: string) => Float64Array;

export interface LiveGroupDef {
  /** The batch kernel file this group twins (src/indicators/kernels/<file>.ts). */
  id: string;
  /** Names this group computes (it always computes all of them; the state keeps what was asked). */
  outputs: readonly string[];
  /** Allocates the group's lane state for N tickers; returns the per-row step. */
  make(N: number, col: ColFn): (r: Row) => void;
}

/** Typical price of lane n of a row, with the batch engine's expression. */
export const tpOf = (r: Row, n: number): number => (r.h[n] + r.l[n] + r.c[n]) / 3;

/** Public types of the indicator engine. */

export type IndicatorGroup = 'avwap' | 'trend' | 'momentum' | 'volatility' | 'volume' | 'price' | 'session' | 'time';

/**
 * How the leading-NaN count (`warmup`) is to be read:
 * - `bars`: exactly `warmup` leading NaN rows on any panel (TA-Lib lookback convention);
 * - `first-session`: NaN for the whole first session of the panel (`warmup` = 390 shown for a
 *   full first session; it is `panel.sessions[0].bars` in general);
 * - `sessions`: NaN until `warmup / 390` prior sessions exist (shown for full sessions);
 * - `data`: at least `warmup` rows, more when the defining event (a pivot, a 2% gap, a
 *   non-degenerate σ) happens later.
 */
export type WarmupRule = 'bars' | 'first-session' | 'sessions' | 'data';

export interface IndicatorInfo {
  /** Public name (stable: used in caches, exports, checkpoints). */
  name: string;
  group: IndicatorGroup;
  params: Record<string, number | string>;
  /** Leading NaN rows (lookback), read according to `warmupRule`. */
  warmup: number;
  warmupRule: WarmupRule;
  /** What the implementation is validated against (TA-Lib function + lookback, or a definition). */
  reference: string;
}

export interface IndicatorResult {
  /** [T, N, F] row-major: values[((t * N) + n) * F + f]. NaN where not (yet) defined. */
  values: Float32Array;
  names: string[];
  T: number;
  N: number;
  F: number;
  /** Number of NaN values written (only when opts.countNaN was set). */
  nanCount?: number;
}

export interface ComputeOptions {
  /** Compute and output only these names (in the documented order). Default: all 111. */
  names?: string[];
  /**
   * Optional output buffer of length T*N*F to fill (reused across batches to avoid paying
   * fresh-page faults on every call). Its previous content is overwritten.
   */
  out?: Float32Array;
  /**
   * Write the panel's tickers as columns nOffset .. nOffset + N − 1 of an output with nTotal
   * columns: values[((t * nTotal) + nOffset + n) * F + f] (opts.out is then required and has
   * T * nTotal * F values; the other columns are left untouched). Used to let several threads
   * fill ticker slices of one shared buffer. Default: 0 and N.
   */
  nOffset?: number;
  nTotal?: number;
  /** Also count the NaN values written (result.nanCount), while they are still in cache. */
  countNaN?: boolean;
}

export interface ParallelOptions extends ComputeOptions {
  /**
   * Threads to split the tickers over (the calling thread computes one slice, worker threads the
   * others). Default: os.availableParallelism(). 1 (or a panel too small to pay for it) computes
   * synchronously on the calling thread.
   */
  threads?: number;
  /** Panels with fewer T·N cells per thread than this are computed synchronously. Default 50,000. */
  minCellsPerThread?: number;
}

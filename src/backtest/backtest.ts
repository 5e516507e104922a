/**
 * Vectorized sample backtest (vectorbt-style): typed-array passes over the samples, no
 * per-trade objects. See docs/backtest.md for the formulas.
 *
 *   position_i = sign(signal_i) if |signal_i| > threshold (and the signal and the return are
 *                finite), else 0; the AVWAP reversion rule flips the baseline's sign
 *   pnl_i      = position_i · forwardReturn_i − 2 · cost · |position_i|      (round trip)
 *   R_t        = mean of pnl_i over the samples at time t with position_i ≠ 0 (0 if none)
 *   equity_t   = exp(Σ_{u ≤ t} R_u)                       (returns are log returns)
 */

export interface BacktestInput {
  /** Epoch ms of each sample bar. */
  time: Float64Array;
  ticker: Int32Array;
  /** Forward log return over the horizon (the label y). */
  forwardReturn: Float32Array;
  /** Model predictions (forward log return). */
  modelSignal: Float32Array;
  /** Baseline signal, e.g. close / AVWAP_SESSION − 1. */
  baselineSignal: Float32Array;
  horizonMinutes: number;
}

export interface BacktestParams {
  /** Min |prediction| to trade. Default 0 (trade every non-zero prediction). */
  threshold?: number;
  /** Min |baseline signal| to trade. Default 0. */
  baselineThreshold?: number;
  /** Cost per side in basis points (commission + slippage). Default 1. */
  costBps?: number;
  /** 'avwap-trend' (default): long above AVWAP, short below. 'avwap-reversion': the opposite. */
  baselineRule?: 'avwap-trend' | 'avwap-reversion';
  /** Override the Sharpe annualization (periods per year). Default: 252 × sample times per session. */
  periodsPerYear?: number;
}

export interface Metrics {
  /** exp(Σ R_t) − 1 */
  totalReturn: number;
  /** Σ R_t (log units; costs subtract from it exactly). */
  logReturn: number;
  /** mean(R) / std(R) · √periodsPerYear over all periods (std with n − 1; 0 when std = 0). */
  sharpe: number;
  /** Largest peak-to-trough fall of the equity curve, as a positive fraction (0.1 = −10 %). */
  maxDrawdown: number;
  /** Share of trades with net pnl > 0. NaN when there are no trades. */
  hitRate: number;
  /** Number of sample positions taken (each is one round trip). */
  trades: number;
  longs: number;
  shorts: number;
  /** trades / samples with a finite forward return: the share of sample slots in the market. */
  exposure: number;
  /** Share of periods with at least one position. */
  activePeriods: number;
  /** Mean net pnl per trade (log units). NaN when there are no trades. */
  avgTradeReturn: number;
}

export interface BacktestResult {
  model: Metrics;
  baseline: Metrics;
  /** Long every sample, no costs: the drift of the same sample windows. */
  buyHold: Metrics;
  equity: { time: Float64Array; model: Float64Array; baseline: Float64Array; buyHold: Float64Array };
  annualization: { periodsPerSession: number; sessionsPerYear: number; periodsPerYear: number };
  /** ceil(horizon / sampling interval): > 1 means positions of consecutive periods overlap. */
  overlap: number;
}

export const SESSIONS_PER_YEAR = 252;
const DAY_MS = 86_400_000;

/** Distinct sorted times and, for each sample, the index of its time. */
export function timeIndex(time: Float64Array): { times: Float64Array; index: Int32Array } {
  const times = Float64Array.from(new Set(time)).sort();
  const pos = new Map<number, number>();
  for (let i = 0; i < times.length; i++) pos.set(times[i], i);
  const index = new Int32Array(time.length);
  for (let i = 0; i < time.length; i++) index[i] = pos.get(time[i])!;
  return { times, index };
}

/**
 * Periods per session = the median number of distinct sample times per session, a session
 * being a UTC calendar day (US regular hours never cross UTC midnight).
 */
export function periodsPerSession(times: Float64Array): number {
  if (times.length === 0) return 0;
  const counts: number[] = [];
  let day = Math.floor(times[0] / DAY_MS);
  let n = 0;
  for (const t of times) {
    const d = Math.floor(t / DAY_MS);
    if (d !== day) {
      counts.push(n);
      day = d;
      n = 0;
    }
    n++;
  }
  counts.push(n);
  counts.sort((a, b) => a - b);
  const m = counts.length >> 1;
  return counts.length % 2 ? counts[m] : (counts[m - 1] + counts[m]) / 2;
}

/** Position per sample: sign(signal) where |signal| > threshold, else 0 (non-finite → 0). */
export function positionsFromSignal(signal: Float32Array, threshold = 0, flip = false): Int8Array {
  const pos = new Int8Array(signal.length);
  const k = flip ? -1 : 1;
  for (let i = 0; i < signal.length; i++) {
    const s = signal[i];
    if (Number.isFinite(s) && Math.abs(s) > threshold && s !== 0) pos[i] = (s > 0 ? 1 : -1) * k;
  }
  return pos;
}

/** Metrics and equity for one position vector. */
export function evaluatePositions(
  pos: Int8Array,
  forwardReturn: Float32Array,
  index: Int32Array,
  nTimes: number,
  cost: number,
  periodsPerYear: number,
): { metrics: Metrics; equity: Float64Array } {
  const sum = new Float64Array(nTimes);
  const cnt = new Float64Array(nTimes);
  let trades = 0;
  let longs = 0;
  let shorts = 0;
  let wins = 0;
  let eligible = 0;
  let pnlSum = 0;
  for (let i = 0; i < pos.length; i++) {
    const r = forwardReturn[i];
    if (!Number.isFinite(r)) continue;
    eligible++;
    const p = pos[i];
    if (p === 0) continue;
    const pnl = p * r - 2 * cost;
    sum[index[i]] += pnl;
    cnt[index[i]] += 1;
    trades++;
    if (p > 0) longs++;
    else shorts++;
    if (pnl > 0) wins++;
    pnlSum += pnl;
  }
  const equity = new Float64Array(nTimes);
  let cum = 0;
  let peak = 1;
  let maxDd = 0;
  let mean = 0;
  let active = 0;
  const R = new Float64Array(nTimes);
  for (let t = 0; t < nTimes; t++) {
    const rt = cnt[t] > 0 ? sum[t] / cnt[t] : 0;
    if (cnt[t] > 0) active++;
    R[t] = rt;
    mean += rt;
    cum += rt;
    const eq = Math.exp(cum);
    equity[t] = eq;
    if (eq > peak) peak = eq;
    const dd = 1 - eq / peak;
    if (dd > maxDd) maxDd = dd;
  }
  mean = nTimes > 0 ? mean / nTimes : 0;
  let ss = 0;
  for (let t = 0; t < nTimes; t++) ss += (R[t] - mean) ** 2;
  const sd = nTimes > 1 ? Math.sqrt(ss / (nTimes - 1)) : 0;
  const sharpe = sd > 1e-15 ? (mean / sd) * Math.sqrt(periodsPerYear) : 0;
  return {
    metrics: {
      totalReturn: Math.exp(cum) - 1,
      logReturn: cum,
      sharpe,
      maxDrawdown: maxDd,
      hitRate: trades > 0 ? wins / trades : Number.NaN,
      trades,
      longs,
      shorts,
      exposure: eligible > 0 ? trades / eligible : 0,
      activePeriods: nTimes > 0 ? active / nTimes : 0,
      avgTradeReturn: trades > 0 ? pnlSum / trades : Number.NaN,
    },
    equity,
  };
}

export function runBacktest(input: BacktestInput, params: BacktestParams = {}): BacktestResult {
  const S = input.time.length;
  for (const [name, arr] of [
    ['ticker', input.ticker],
    ['forwardReturn', input.forwardReturn],
    ['modelSignal', input.modelSignal],
    ['baselineSignal', input.baselineSignal],
  ] as const) {
    if (arr.length !== S) throw new RangeError(`runBacktest: ${name} has ${arr.length} values, time has ${S}`);
  }
  const threshold = params.threshold ?? 0;
  const baselineThreshold = params.baselineThreshold ?? 0;
  const costBps = params.costBps ?? 1;
  if (!(threshold >= 0)) throw new RangeError(`runBacktest: threshold must be ≥ 0 (got ${threshold})`);
  if (!(costBps >= 0)) throw new RangeError(`runBacktest: costBps must be ≥ 0 (got ${costBps})`);
  const rule = params.baselineRule ?? 'avwap-trend';
  if (rule !== 'avwap-trend' && rule !== 'avwap-reversion') throw new RangeError(`runBacktest: unknown baselineRule "${rule as string}"`);
  const cost = costBps / 10_000;

  const { times, index } = timeIndex(input.time);
  const nT = times.length;
  const pps = periodsPerSession(times);
  const periodsPerYear = params.periodsPerYear ?? pps * SESSIONS_PER_YEAR;
  let minStep = Number.POSITIVE_INFINITY;
  for (let t = 1; t < nT; t++) {
    const d = times[t] - times[t - 1];
    if (d > 0 && d < minStep) minStep = d;
  }
  const overlap = Number.isFinite(minStep) ? Math.max(1, Math.ceil((input.horizonMinutes * 60_000) / minStep)) : 1;

  const model = evaluatePositions(positionsFromSignal(input.modelSignal, threshold), input.forwardReturn, index, nT, cost, periodsPerYear);
  const baseline = evaluatePositions(
    positionsFromSignal(input.baselineSignal, baselineThreshold, rule === 'avwap-reversion'),
    input.forwardReturn,
    index,
    nT,
    cost,
    periodsPerYear,
  );
  const allLong = new Int8Array(S).fill(1);
  const buyHold = evaluatePositions(allLong, input.forwardReturn, index, nT, 0, periodsPerYear);
  return {
    model: model.metrics,
    baseline: baseline.metrics,
    buyHold: buyHold.metrics,
    equity: { time: times, model: model.equity, baseline: baseline.equity, buyHold: buyHold.equity },
    annualization: { periodsPerSession: pps, sessionsPerYear: SESSIONS_PER_YEAR, periodsPerYear },
    overlap,
  };
}

/**
 * runVectorizedBacktest: bars from the configured provider (or given panels), the indicators the
 * strategies need, each strategy's targets simulated over tickers × minutes, metrics per strategy
 * and ticker, and a bootstrap CI on the Sharpe difference A − B. Tickers go in batches, so memory
 * is bounded by the batch; only the [T] and [D, N] series are kept across batches.
 *
 *   const r = await runVectorizedBacktest({ symbols: ['AAPL', 'MSFT', 'NVDA'],
 *     start: '2026-10-01', end: '2026-10-30', strategy: ['avwap', 'rsi-reversion', 'buy-and-hold'] });
 */
import type { Panel, SessionInfo } from '../data/panel.js';
import type { Provider } from '../data/provider.js';
import { createProvider, defaultEndDate, endDateOf, sessionsBetween, sessionsEnding, type DataConfig } from '../data/index.js';
import { computeIndicators, resolveIndicatorNames } from '../indicators/index.js';
import type { CostModel, SimulationResult, Sizing, TradeColumns } from './bar-types.js';
import { bootstrapSharpeDifference, type BootstrapOptions, type SharpeComparison } from './bootstrap.js';
import { indicatorPlanes, mergePlanes, planesFrom, type IndicatorPlanes } from './indicator-planes.js';
import { portfolioMetrics, tickerMetrics, type StrategyMetrics, type TickerMetrics } from './metrics.js';
import { mergeSimulations, portfolioSeries } from './portfolio.js';
import { resolveSimulationOptions, simulate } from './simulate.js';
import { TRADING_DAYS_PER_YEAR } from './stats.js';
import { strategyFromSpec, type BarModel, type Strategy, type StrategySpec } from './strategies.js';

export interface VectorizedBacktestOptions {
  symbols: string[];
  /** First session date YYYY-MM-DD (or `days` sessions ending at `end`). */
  start?: string | Date;
  /** Last session date; default data.end or the provider's default end. */
  end?: string | Date;
  days?: number;
  /** One strategy or several (names, specs with params, or Strategy objects). */
  strategy: StrategySpec | Strategy | (StrategySpec | Strategy)[];
  /** Needed by the `model` and `model-all` strategies. */
  model?: BarModel;
  /** The spec's `data:` block. Default: synthetic. */
  data?: DataConfig;
  /** Use this provider instead of building one from `data`. */
  provider?: Provider;
  /** Already-loaded bars, one panel per ticker batch over the same sessions (skips the provider). */
  panels?: Panel[];
  /**
   * Bars (and optionally indicators already computed for them) one ticker batch at a time, e.g.
   * read from a cache as they are needed, so memory is bounded by the batch. Indicators the
   * strategies need but `indicators` lacks are computed from the panel. Skips the provider.
   */
  batches?: Iterable<BacktestBatch> | AsyncIterable<BacktestBatch>;
  /**
   * Trade from this time on (epoch ms, ISO string or Date): strategies (and the indicators they
   * read) see every bar given, so history before it warms them up, but positions before it are
   * flat and the results (equity, sessions, metrics) start at the session that contains it. The
   * first fill is at the open of the bar after the first bar at or after `tradeFrom`.
   */
  tradeFrom?: number | string | Date;
  /**
   * Sessions of bars loaded before `start` from the provider to warm up indicators (and the
   * model's context); trading starts at `start`. Default 0.
   */
  warmupSessions?: number;
  costs?: CostModel;
  sizing?: Sizing;
  /** Default true (buy-and-hold holds overnight unless its spec says otherwise). */
  flatAtClose?: boolean;
  /** Tickers per batch. Default 50. */
  batchSize?: number;
  /**
   * Which two strategies the bootstrap compares (A − B): default `model` vs `avwap` when both
   * run, else the first two; false = none.
   */
  compare?: false | ({ a?: string; b?: string } & BootstrapOptions);
  /** Folder for a relative data.folder.path. Default process.cwd(). */
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface StrategyReport {
  name: string;
  flatAtClose: boolean;
  overall: StrategyMetrics;
  perTicker: TickerMetrics[];
  /** Portfolio equity at each row's close, starting at 1. [T] */
  equity: Float64Array;
  /** Close-to-close portfolio returns per session. [D] */
  dayReturn: Float64Array;
  /** Costs paid per session, fraction of the starting capital. [D] */
  dayCost: Float64Array;
  trades: TradeColumns;
}

export interface VectorizedBacktestResult {
  symbols: string[];
  sessions: { date: string; bars: number; start: number }[];
  /** Epoch ms of each row's bar start. [T] */
  time: Float64Array;
  strategies: StrategyReport[];
  comparison?: SharpeComparison;
  annualization: { returns: 'daily'; sessionsPerYear: number };
  settings: { costs: Required<CostModel>; maxWeight: number; direction: 'long-only' | 'long-short'; flatAtClose: boolean; batchSize: number };
  /** Indicators computed (union over the strategies). */
  indicators: string[];
}

/** One ticker batch of bars, with indicators already computed for it when there are. */
export interface BacktestBatch {
  panel: Panel;
  indicators?: IndicatorPlanes;
}

function toDate(x: string | Date): string {
  return x instanceof Date ? x.toISOString().slice(0, 10) : x;
}

function toMs(x: number | string | Date): number {
  const ms = typeof x === 'number' ? x : x instanceof Date ? x.getTime() : Date.parse(x);
  if (!Number.isFinite(ms)) throw new Error(`backtest: tradeFrom ${JSON.stringify(x)} is not a time`);
  return ms;
}

async function* loadBatches(opts: VectorizedBacktestOptions, batchSize: number): AsyncGenerator<BacktestBatch & { tradeFrom?: number }> {
  const given = opts.batches ?? (opts.panels ? opts.panels.map((panel) => ({ panel })) : undefined);
  if (given) {
    for await (const b of given) yield b;
    return;
  }
  const data = opts.data ?? {};
  const provider = opts.provider ?? createProvider(data, { baseDir: opts.baseDir ?? process.cwd(), env: opts.env ?? process.env });
  const end = opts.end !== undefined ? toDate(opts.end) : endDateOf(data) ?? defaultEndDate(data, { provider, baseDir: opts.baseDir });
  let sessions: SessionInfo[];
  if (opts.start !== undefined) sessions = sessionsBetween(toDate(opts.start), end);
  else if (opts.days !== undefined) sessions = sessionsEnding(end, opts.days);
  else throw new Error('backtest: give `start` (with an optional `end`) or `days`');
  const warm = opts.warmupSessions ?? 0;
  if (!Number.isInteger(warm) || warm < 0) throw new Error(`backtest: warmupSessions must be a whole number ≥ 0, got ${warm}`);
  if (sessions.length === 0) throw new Error(`backtest: no sessions between ${opts.start ?? '…'} and ${end}`);
  let tradeFrom: number | undefined;
  if (warm > 0) {
    tradeFrom = sessions[0].openMs;
    const before = sessionsEnding(sessions[0].date, warm + 1).slice(0, -1);
    sessions = [...before, ...sessions];
  }
  for (let i = 0; i < opts.symbols.length; i += batchSize) {
    const tickers = opts.symbols.slice(i, i + batchSize);
    yield { panel: await provider.fetch({ tickers, sessions: sessions.map((s) => ({ ...s })), signal: opts.signal }), tradeFrom };
  }
}

/**
 * The rows of a panel from row r0 (a session's first row) on, as a panel of its own. Arrays are
 * views, not copies.
 */
export function panelFromRow(p: Panel, r0: number): Panel {
  if (r0 === 0) return p;
  const s0 = p.sessionOfRow[r0];
  if (p.sessions[s0].start !== r0) throw new Error(`backtest: row ${r0} does not start a session`);
  const N = p.N;
  const cut = <A extends Float32Array | Uint8Array>(a: A) => a.subarray(r0 * N) as A;
  return {
    tickers: p.tickers,
    T: p.T - r0,
    N,
    open: cut(p.open),
    high: cut(p.high),
    low: cut(p.low),
    close: cut(p.close),
    volume: cut(p.volume),
    mask: cut(p.mask),
    time: p.time.subarray(r0),
    minuteOfSession: p.minuteOfSession.subarray(r0),
    sessionOfRow: Int32Array.from(p.sessionOfRow.subarray(r0), (s) => s - s0),
    sessions: p.sessions.slice(s0).map((s) => ({ ...s, start: s.start - r0 })),
  };
}

/** Where trading starts: the first row at or after `from`, and the first row of its session. */
function tradeWindow(p: Panel, from: number | undefined): { r0: number; rf: number } {
  if (from === undefined) return { r0: 0, rf: 0 };
  let rf = 0;
  while (rf < p.T && p.time[rf] < from) rf++;
  if (rf === p.T) throw new Error(`backtest: no bar at or after tradeFrom ${new Date(from).toISOString()} (the bars end ${p.T ? new Date(p.time[p.T - 1]).toISOString() : 'before they start'})`);
  return { r0: p.sessions[p.sessionOfRow[rf]].start, rf };
}

function pickComparison(names: string[], compare: VectorizedBacktestOptions['compare']): { a: string; b: string } | undefined {
  if (compare === false) return undefined;
  let a = compare?.a;
  let b = compare?.b;
  if (a === undefined && b === undefined) {
    if (names.includes('model') && names.includes('avwap')) [a, b] = ['model', 'avwap'];
    else if (names.length >= 2) [a, b] = [names[0], names[1]];
    else return undefined;
  }
  for (const x of [a, b]) if (x === undefined || !names.includes(x)) throw new Error(`backtest: compare names ${JSON.stringify(x)}, which is not among the strategies (${names.join(', ')})`);
  return { a: a!, b: b! };
}

export async function runVectorizedBacktest(opts: VectorizedBacktestOptions): Promise<VectorizedBacktestResult> {
  if (!Array.isArray(opts.symbols) || opts.symbols.length === 0) throw new Error('backtest: `symbols` must list at least one ticker');
  const batchSize = opts.batchSize ?? 50;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`backtest: batchSize must be a positive integer, got ${batchSize}`);
  const specs = Array.isArray(opts.strategy) ? opts.strategy : [opts.strategy];
  if (specs.length === 0) throw new Error('backtest: `strategy` is empty');
  const strategies = specs.map((s) => (typeof s === 'object' && 'positions' in s ? s : strategyFromSpec(s, opts.model)));
  const names = strategies.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`backtest: two strategies are named ${dup}; give one a \`label\``);
  const pair = pickComparison(names, opts.compare);
  const indicatorNames = resolveIndicatorNames([...new Set(strategies.flatMap((s) => [...s.indicators]))]);
  const flatDefault = opts.flatAtClose ?? true;
  const N = opts.symbols.length;
  const settings = resolveSimulationOptions({ costs: opts.costs, sizing: opts.sizing, portfolioN: N }, N);

  const parts: SimulationResult[][] = strategies.map(() => []);
  let first: Panel | undefined;
  let seen = 0;
  const tradeFrom = opts.tradeFrom !== undefined ? toMs(opts.tradeFrom) : undefined;
  for await (const batch of loadBatches(opts, batchSize)) {
    opts.signal?.throwIfAborted();
    const full = batch.panel;
    const expected = opts.symbols.slice(seen, seen + full.N);
    if (full.tickers.some((t, j) => t !== expected[j])) throw new Error(`backtest: panel tickers ${full.tickers.join(',')} do not follow \`symbols\` (expected ${expected.join(',')})`);
    const given = batch.indicators;
    if (given && (given.T !== full.T || given.N !== full.N)) throw new Error(`backtest: the indicators of batch ${full.tickers.join(',')} are [${given.T}, ${given.N}], its bars [${full.T}, ${full.N}]`);
    const lacking = given ? indicatorNames.filter((n) => !given.has(n)) : indicatorNames;
    const computed = lacking.length > 0 ? indicatorPlanes(computeIndicators(full, { names: lacking })) : planesFrom(full.T, full.N, {});
    const planes = given ? mergePlanes(given, computed) : computed;
    const { r0, rf } = tradeWindow(full, tradeFrom ?? batch.tradeFrom);
    const panel = panelFromRow(full, r0);
    if (first && (panel.T !== first.T || panel.sessions.length !== first.sessions.length || panel.time[0] !== first.time[0])) throw new Error('backtest: panels cover different sessions');
    first ??= panel;
    for (let k = 0; k < strategies.length; k++) {
      const s = strategies[k];
      const fullTarget = await s.positions({ panel: full, indicators: planes });
      if (fullTarget.length !== full.T * full.N) throw new Error(`backtest: strategy ${s.name} returned ${fullTarget.length} targets, expected T*N = ${full.T * full.N}`);
      let target = fullTarget;
      if (rf > 0) {
        // Flat before tradeFrom: the results start at its session.
        target = fullTarget.slice(r0 * full.N);
        target.fill(0, 0, (rf - r0) * full.N);
      }
      parts[k].push(simulate(panel, target, { costs: opts.costs, sizing: opts.sizing, portfolioN: N, flatAtClose: s.flatAtClose ?? flatDefault }));
    }
    seen += full.N;
  }
  if (!first) throw new Error('backtest: no bars were loaded');
  if (seen !== N) throw new Error(`backtest: the panels hold ${seen} tickers, symbols lists ${N}`);
  const panel0 = first;
  const sessionEnds = panel0.sessions.map((s) => s.start + s.bars - 1);

  const reports: StrategyReport[] = strategies.map((s, k) => {
    const sim = mergeSimulations(parts[k]);
    const series = portfolioSeries(sim, sessionEnds);
    return {
      name: s.name,
      flatAtClose: sim.flatAtClose,
      overall: portfolioMetrics(sim, series),
      perTicker: tickerMetrics(sim, opts.symbols),
      equity: series.equity,
      dayReturn: series.dayReturn,
      dayCost: series.dayCost,
      trades: sim.trades,
    };
  });
  let comparison: SharpeComparison | undefined;
  if (pair) {
    const A = reports[names.indexOf(pair.a)];
    const B = reports[names.indexOf(pair.b)];
    comparison = bootstrapSharpeDifference(A.dayReturn, B.dayReturn, pair, opts.compare || {});
  }
  return {
    symbols: [...opts.symbols],
    sessions: panel0.sessions.map((s) => ({ date: s.date, bars: s.bars, start: s.start })),
    time: panel0.time,
    strategies: reports,
    comparison,
    annualization: { returns: 'daily', sessionsPerYear: TRADING_DAYS_PER_YEAR },
    settings: { costs: settings.costs, maxWeight: settings.maxWeight, direction: settings.direction, flatAtClose: flatDefault, batchSize },
    indicators: indicatorNames,
  };
}

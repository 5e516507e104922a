/**
 * runVectorizedBacktest: bars from the configured provider (or given panels), the indicators the
 * strategies need, each strategy's targets simulated over tickers × minutes, metrics per strategy
 * and ticker, and a bootstrap CI on the Sharpe difference A − B. Tickers go in batches, so memory
 * is bounded by the batch; only the [T] and [D, N] series are kept across batches.
 *
 *   const r = await runVectorizedBacktest({ symbols: ['AAPL', 'MSFT', 'NVDA'],
 *     start: '2026-10-01', end: '2026-10-30', strategy: ['avwap', 'rsi-reversion', 'buy-and-hold'] });
 */
import type { Panel } from '../data/panel.js';
import type { Provider } from '../data/provider.js';
import { createProvider, defaultEndDate, endDateOf, sessionsBetween, sessionsEnding, type DataConfig } from '../data/index.js';
import { computeIndicators, resolveIndicatorNames } from '../indicators/index.js';
import type { CostModel, SimulationResult, Sizing, TradeColumns } from './bar-types.js';
import { bootstrapSharpeDifference, type BootstrapOptions, type SharpeComparison } from './bootstrap.js';
import { indicatorPlanes, planesFrom } from './indicator-planes.js';
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

function toDate(x: string | Date): string {
  return x instanceof Date ? x.toISOString().slice(0, 10) : x;
}

async function* loadPanels(opts: VectorizedBacktestOptions, batchSize: number): AsyncGenerator<Panel> {
  if (opts.panels) {
    yield* opts.panels;
    return;
  }
  const data = opts.data ?? {};
  const provider = opts.provider ?? createProvider(data, { baseDir: opts.baseDir ?? process.cwd(), env: opts.env ?? process.env });
  const end = opts.end !== undefined ? toDate(opts.end) : endDateOf(data) ?? defaultEndDate(data, { provider, baseDir: opts.baseDir });
  let sessions;
  if (opts.start !== undefined) sessions = sessionsBetween(toDate(opts.start), end);
  else if (opts.days !== undefined) sessions = sessionsEnding(end, opts.days);
  else throw new Error('backtest: give `start` (with an optional `end`) or `days`');
  for (let i = 0; i < opts.symbols.length; i += batchSize) {
    const tickers = opts.symbols.slice(i, i + batchSize);
    yield await provider.fetch({ tickers, sessions: sessions.map((s) => ({ ...s })), signal: opts.signal });
  }
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
  for await (const panel of loadPanels(opts, batchSize)) {
    opts.signal?.throwIfAborted();
    if (first && (panel.T !== first.T || panel.sessions.length !== first.sessions.length)) throw new Error('backtest: panels cover different sessions');
    first ??= panel;
    const expected = opts.symbols.slice(seen, seen + panel.N);
    if (panel.tickers.some((t, j) => t !== expected[j])) throw new Error(`backtest: panel tickers ${panel.tickers.join(',')} do not follow \`symbols\` (expected ${expected.join(',')})`);
    const planes =
      indicatorNames.length > 0 ? indicatorPlanes(computeIndicators(panel, { names: indicatorNames })) : planesFrom(panel.T, panel.N, {});
    for (let k = 0; k < strategies.length; k++) {
      const s = strategies[k];
      const target = await s.positions({ panel, indicators: planes });
      parts[k].push(simulate(panel, target, { costs: opts.costs, sizing: opts.sizing, portfolioN: N, flatAtClose: s.flatAtClose ?? flatDefault }));
    }
    seen += panel.N;
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

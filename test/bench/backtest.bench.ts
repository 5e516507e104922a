/**
 * Bar-level backtester: 100 tickers × 30 sessions × 3 strategies on synthetic bars. The
 * vectorized simulator against the plain per-bar loop of the tests (same targets, same results),
 * bars/s and the ratio; plus the strategies' signal passes, metrics and one end-to-end
 * runVectorizedBacktest. Measures only; asserts nothing.
 */
import type { BenchSection } from './run.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { sessionsEnding } from '../../src/data/calendar.js';
import { computeIndicators } from '../../src/indicators/index.js';
import {
  indicatorPlanes,
  portfolioMetrics,
  portfolioSeries,
  runVectorizedBacktest,
  simulate,
  strategyFromSpec,
  tickerMetrics,
  type SimulationOptions,
} from '../../src/backtest/index.js';
import { referenceBacktest } from '../backtest/reference-loop.js';

function best(runs: number, f: () => void): number {
  let min = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f();
    min = Math.min(min, performance.now() - t0);
  }
  return min / 1000;
}

export default async function bench(): Promise<BenchSection[]> {
  const N = 100;
  const days = 30;
  const tickers = Array.from({ length: N }, (_, i) => `SYN${String(i).padStart(3, '0')}`);
  const sessions = sessionsEnding('2026-10-30', days);
  const tf = performance.now();
  const panel = await new SyntheticProvider(7).fetch({ tickers, sessions });
  const fetchS = (performance.now() - tf) / 1000;
  const specs = ['avwap', 'rsi-reversion', 'buy-and-hold'] as const;
  const strategies = specs.map((s) => strategyFromSpec(s));
  const names = [...new Set(strategies.flatMap((s) => [...s.indicators]))];
  const ti = performance.now();
  const planes = indicatorPlanes(computeIndicators(panel, { names }));
  const indS = (performance.now() - ti) / 1000;
  const bars = panel.T * panel.N;
  const ends = panel.sessions.map((s) => s.start + s.bars - 1);
  const opts: SimulationOptions = { costs: { commissionBps: 0.5, slippageBps: 1, rangeSlippage: 0.05, volumeSlippageBps: 10 } };

  const rows: Record<string, string | number>[] = [];
  let oursTotal = 0;
  let loopTotal = 0;
  for (const s of strategies) {
    const target = (await s.positions({ panel, indicators: planes })) as Float32Array;
    const signalS = best(3, () => void s.positions({ panel, indicators: planes }));
    const o = { ...opts, flatAtClose: s.flatAtClose ?? true };
    simulate(panel, target, o); // warm-up (JIT)
    const simS = best(7, () => void simulate(panel, target, o));
    const sim = simulate(panel, target, o);
    const metricsS = best(5, () => {
      const series = portfolioSeries(sim, ends);
      portfolioMetrics(sim, series);
      tickerMetrics(sim, tickers);
    });
    const ref = { commissionBps: 0.5, slippageBps: 1, rangeSlippage: 0.05, volumeSlippageBps: 10, capital: 1e6, maxWeight: 1, direction: 'long-only' as const, flatAtClose: o.flatAtClose };
    referenceBacktest(panel, target, ref);
    const loopS = best(3, () => void referenceBacktest(panel, target, ref));
    oursTotal += simS;
    loopTotal += loopS;
    rows.push({
      strategy: s.name,
      bars,
      trades: sim.trades.count,
      'signals ms': +(signalS * 1000).toFixed(2),
      'simulate ms': +(simS * 1000).toFixed(2),
      'simulate M bars/s': +(bars / simS / 1e6).toFixed(1),
      'metrics ms': +(metricsS * 1000).toFixed(2),
      'plain loop ms': +(loopS * 1000).toFixed(1),
      'plain loop M bars/s': +(bars / loopS / 1e6).toFixed(2),
      'ratio (loop / ours)': +(loopS / simS).toFixed(1),
    });
  }
  rows.push({
    strategy: 'all 3',
    bars: 3 * bars,
    'simulate ms': +(oursTotal * 1000).toFixed(2),
    'simulate M bars/s': +((3 * bars) / oursTotal / 1e6).toFixed(1),
    'plain loop ms': +(loopTotal * 1000).toFixed(1),
    'plain loop M bars/s': +((3 * bars) / loopTotal / 1e6).toFixed(2),
    'ratio (loop / ours)': +(loopTotal / oursTotal).toFixed(1),
  });

  const te = performance.now();
  const r = await runVectorizedBacktest({ symbols: tickers, days, data: { provider: 'synthetic', seed: 7, end: '2026-10-30' }, strategy: [...specs], costs: opts.costs, compare: { a: 'avwap', b: 'buy-and-hold' } });
  const e2eS = (performance.now() - te) / 1000;

  return [
    {
      title: `Bar-level backtest: ${N} tickers × ${days} sessions (${bars.toLocaleString('en-US')} bars) × 3 strategies, 1 thread`,
      rows,
      notes: [
        'simulate = fills, costs (commission + fixed, range and volume slippage), sleeves, trades, drawdowns; best of 7. plain loop = test/backtest/reference-loop.ts (one ticker and bar at a time, trade objects), best of 3; both give the same results (test/backtest/simulate.test.ts).',
        `Setup: synthetic fetch ${fetchS.toFixed(2)} s, the ${names.length} indicators the strategies need ${indS.toFixed(2)} s.`,
        `End to end runVectorizedBacktest (fetch in batches of 50, indicators, 3 strategies, metrics, bootstrap of 2000): ${e2eS.toFixed(2)} s; ${r.comparison?.verdict} (Sharpe ${r.comparison?.sharpeA.toFixed(2)} vs ${r.comparison?.sharpeB.toFixed(2)}).`,
      ],
    },
  ];
}

/**
 * The backtest part of the run summary: the A/B table of every strategy on the test period, the
 * bootstrap CI on Sharpe(A) − Sharpe(B) with its verdict, and the report's path. Reads only the
 * backtest node's headline metrics (src/steps/backtest.ts, backtestMetrics).
 */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { RunEvent } from '../dag/events.js';
import { verdictText } from '../backtest/bootstrap.js';
import { reportPathFor } from '../report/from-run.js';
import { BACKTEST_ROLES } from '../steps/backtest.js';

type Metrics = Record<string, number | null>;

/** A backtest node's metrics: per-strategy keys such as `sharpe[model]` and the test period's size. */
export function isBacktestMetrics(m: Metrics): boolean {
  return m.test_sessions !== undefined && Object.keys(m).some((k) => k.startsWith('sharpe['));
}

const num = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const pct = (v: number | null | undefined) => (num(v) === undefined ? '—' : `${(100 * v!).toFixed(2)}%`);
const fix = (v: number | null | undefined, d = 2) => (num(v) === undefined ? '—' : v!.toFixed(d));

const COLUMNS: [string, string, (v: number | null | undefined) => string][] = [
  ['return', 'total_return', pct],
  ['ann. return', 'annualized_return', pct],
  ['Sharpe', 'sharpe', (v) => fix(v)],
  ['Sortino', 'sortino', (v) => fix(v)],
  ['max DD', 'max_drawdown', pct],
  ['trades/day', 'trades_per_day', (v) => fix(v, 1)],
  ['hit rate', 'hit_rate', pct],
  ['exposure', 'exposure', pct],
  ['costs', 'costs', pct],
];

/** The lines for one backtest node's metrics. */
export function backtestTableLines(node: string, m: Metrics): string[] {
  const names: string[] = [];
  for (const k of Object.keys(m)) {
    const x = /^sharpe\[(.+)\]$/.exec(k);
    if (x) names.push(x[1]);
  }
  const sessions = num(m.test_sessions) ?? 0;
  const start = num(m.test_start);
  const from = start === undefined ? '' : `from ${new Date(start).toISOString().slice(0, 16).replace('T', ' ')} UTC, `;
  const lines = [`  ${node} on the test period (${from}${sessions} session${sessions === 1 ? '' : 's'}, ${num(m.tickers) ?? '?'} tickers; next-open fills, costs included):`];
  const label = (n: string) => `${(BACKTEST_ROLES[n] ?? '').replace('baseline', '').padEnd(2)}${n}`;
  const w = Math.max(10, ...names.map((n) => label(n).length)) + 2;
  lines.push(`    ${'strategy'.padEnd(w)}${COLUMNS.map(([h]) => h.padStart(12)).join('')}`);
  for (const n of names) lines.push(`    ${label(n).padEnd(w)}${COLUMNS.map(([, key, f]) => f(m[`${key}[${n}]`]).padStart(12)).join('')}`);
  for (const k of Object.keys(m)) {
    const x = /^ab\[(.+) vs (.+)\] difference$/.exec(k);
    if (!x) continue;
    const [a, b] = [x[1], x[2]];
    const at = (f: string) => m[`ab[${a} vs ${b}] ${f}`];
    const conf = num(at('confidence')) ?? 0.95;
    const days = num(at('days')) ?? sessions;
    const ci = num(at('lower')) === undefined ? 'no CI' : `${+(100 * conf).toFixed(2)}% CI [${fix(at('lower'))}, ${fix(at('upper'))}]`;
    const verdict = verdictText(a, b, num(at('lower')) ?? NaN, num(at('upper')) ?? NaN, conf, days);
    lines.push(`    Sharpe(${a}) − Sharpe(${b}) = ${fix(at('difference'))}, ${ci} by day-block bootstrap (${num(at('samples')) ?? '?'} resamples of ${days} days): ${verdict}`);
  }
  if (sessions < 20) lines.push(`    note: ${sessions} test session${sessions === 1 ? '' : 's'} only; Sharpe ratios and their CI from so few days are noise (use more --days)`);
  return lines;
}

/** The summary lines of every backtest node in a run-end event, then the report's path. */
export function backtestSummaryLines(e: Extract<RunEvent, { type: 'run-end' }>): string[] {
  const lines: string[] = [];
  for (const [node, m] of Object.entries(e.metrics)) if (isBacktestMetrics(m)) lines.push(...backtestTableLines(node, m));
  if (lines.length === 0) return lines;
  const path = reportPathFor(e.runId);
  const shown = relative(process.cwd(), path);
  lines.push(existsSync(path) ? `  report: ${shown.startsWith('..') ? path : shown}` : `  report: not written (build it with: mlx-intraday report ${e.runId})`);
  return lines;
}

/**
 * Turns run events into what a person (or a program) reads: a bar per running step on a TTY,
 * plain timestamped lines otherwise, JSON lines with --json.
 */
import type { Reporter, RunEvent } from '../dag/events.js';
import { shortKey } from '../cache/key.js';
import { SUMMARY_KEYS, scoreboardLines } from './summary-model.js'; // the train node's scoreboard
import { backtestSummaryLines, isBacktestMetrics } from './summary-backtest.js';

const fmtMs = (ms: number) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

export function formatMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

export function summaryLines(e: Extract<RunEvent, { type: 'run-end' }>): string[] {
  const c = e.counts;
  const total = c.hit + c.ran + c.failed + c.skipped + c.cancelled;
  const lines: string[] = [];
  const cacheNote = c.hit === total ? ' — all cache hits, nothing recomputed' : c.hit > 0 ? ` (${c.hit} from cache)` : '';
  lines.push(`run ${e.runId} ${e.status} in ${fmtMs(e.ms)}: ${total} nodes, ${c.hit} cached, ${c.ran} ran${c.failed ? `, ${c.failed} failed` : ''}${c.skipped ? `, ${c.skipped} skipped` : ''}${c.cancelled ? `, ${c.cancelled} cancelled` : ''}${cacheNote}`);
  for (const [node, m] of Object.entries(e.metrics)) {
    if (isBacktestMetrics(m)) continue; // its table follows (summary-backtest.ts)
    const scored = m.ic !== undefined && m.ridge_ic !== undefined;
    const shown = Object.entries(m).filter(([k]) => !scored || SUMMARY_KEYS.has(k));
    lines.push(`  ${node}: ${shown.map(([k, v]) => `${k} ${formatMetric(v)}`).join(', ')}`);
    if (scored) lines.push(...scoreboardLines(m));
  }
  lines.push(...backtestSummaryLines(e));
  if (e.sweep) {
    const ok = e.sweep.points.filter((p) => p.status === 'ok').length;
    lines.push(`  sweep ${e.sweep.id}: ${ok} of ${e.sweep.points.length} points ok${ok < e.sweep.points.length ? ' (run the same command again to run only what is missing)' : ''}`);
    lines.push(`  compare: mlx-intraday runs compare ${e.sweep.id}`);
  } else lines.push(`  details: mlx-intraday runs show ${e.runId}`);
  return lines;
}

function plainLine(e: RunEvent, t0: number): string | undefined {
  const at = `[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
  switch (e.type) {
    case 'run-start':
      return `${at} run ${e.runId}: ${e.nodes} nodes (${e.steps.map((s) => `${s.name}×${s.nodes}`).join(', ')}), ${e.tickers} tickers in ${e.batches} batch${e.batches === 1 ? '' : 'es'}`;
    case 'node-start':
      return undefined;
    case 'node-progress':
      return e.note ? `${at} ${e.node}: ${e.note}` : undefined;
    case 'node-end':
      return `${at} ${e.node} ${e.status === 'hit' ? 'cached' : 'done  '} ${fmtMs(e.ms).padStart(9)}  key ${shortKey(e.key)}`;
    case 'node-fail':
      return `${at} ${e.node} FAILED: ${e.error}${e.hint ? `\n        fix: ${e.hint}` : ''}`;
    case 'node-skip':
      return `${at} ${e.node} skipped: ${e.reason}`;
    case 'warn':
      return `${at} warning${e.node ? ` (${e.node})` : ''}: ${e.message}`;
    case 'info':
      return `${at} ${e.node ? `${e.node}: ` : ''}${e.message}`;
    case 'run-end':
      return summaryLines(e).join('\n');
  }
}

export function jsonReporter(write: (s: string) => void = (s) => process.stdout.write(s)): Reporter {
  return (e) => write(JSON.stringify(e) + '\n');
}

export function plainReporter(write: (s: string) => void = (s) => process.stderr.write(s)): Reporter {
  const t0 = performance.now();
  return (e) => {
    if (e.type === 'run-end') {
      process.stdout.write(summaryLines(e).join('\n') + '\n');
      return;
    }
    const line = plainLine(e, t0);
    if (line) write(line + '\n');
  };
}

/**
 * One bar per step (nodes done of its total) kept at the bottom of the terminal; log lines
 * scroll above them. Redraws in place with ANSI cursor moves, at most ~12 times a second.
 */
export function ttyReporter(out: NodeJS.WriteStream = process.stderr): Reporter {
  const t0 = performance.now();
  const steps: { name: string; total: number; done: number; note: string }[] = [];
  const pending: string[] = [];
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const cols = () => Math.max(40, (out.columns ?? 100) - 1);
  const fit = (s: string, width: number) => (s.length > width ? `${s.slice(0, Math.max(0, width - 1))}…` : s);
  const wrap = (s: string, width: number) => {
    const rows: string[] = [];
    for (let i = 0; i < s.length || rows.length === 0; i += width) rows.push(s.slice(i, i + width));
    return rows;
  };
  const barLine = (s: (typeof steps)[number], nameWidth: number) => {
    const width = 20;
    const filled = Math.round((width * s.done) / Math.max(1, s.total));
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    return fit(` ${s.name.padEnd(nameWidth)} |${bar}| ${s.done}/${s.total} ${s.note}`, cols());
  };
  const draw = () => {
    timer = undefined;
    let buf = drawn > 0 ? `\x1b[${drawn}A` : '';
    // Log lines wrap onto as many rows as they need (a failure's whole message matters), each
    // row cleared first: it may land where a bar was drawn.
    for (const l of pending.splice(0)) for (const row of wrap(l, cols())) buf += `\x1b[2K${row}\n`;
    const nameWidth = Math.max(0, ...steps.map((s) => s.name.length));
    for (const s of steps) buf += `\x1b[2K${barLine(s, nameWidth)}\n`;
    drawn = steps.length;
    out.write(buf);
  };
  const schedule = (now = false) => {
    if (now) {
      if (timer) clearTimeout(timer);
      draw();
    } else timer ??= setTimeout(draw, 80);
  };
  const step = (name: string) => steps.find((s) => s.name === name);
  const log = (line: string | undefined) => {
    if (!line) return;
    pending.push(...line.split('\n'));
    schedule(true);
  };
  return (e) => {
    switch (e.type) {
      case 'run-start':
        steps.push(...e.steps.map((s) => ({ name: s.name, total: s.nodes, done: 0, note: 'waiting' })));
        log(plainLine(e, t0));
        break;
      case 'node-start':
        step(e.step)!.note = 'running';
        schedule();
        break;
      case 'node-progress':
        step(e.step)!.note = e.note ?? `${Math.round(e.fraction * 100)}%`;
        schedule();
        break;
      case 'node-end':
      case 'node-fail':
      case 'node-skip': {
        const s = step(e.step)!;
        s.done++;
        s.note = e.type === 'node-end' ? (e.status === 'hit' ? 'cached' : 'done') : e.type === 'node-fail' ? 'FAILED' : 'skipped';
        if (e.type !== 'node-end') log(plainLine(e, t0));
        else schedule();
        break;
      }
      case 'warn':
      case 'info':
        log(plainLine(e, t0));
        break;
      case 'run-end':
        schedule(true);
        process.stdout.write(summaryLines(e).join('\n') + '\n');
        break;
    }
  };
}

export function chooseReporter(opts: { json?: boolean }): Reporter {
  if (opts.json) return jsonReporter();
  if (process.stderr.isTTY && !process.env.CI) return ttyReporter();
  return plainReporter();
}

/**
 * Turns run events into what a person (or a program) reads: a bar per running step on a TTY,
 * plain timestamped lines otherwise, JSON lines with --json.
 */
import cliProgress from 'cli-progress';
import type { Reporter, RunEvent } from '../dag/events.js';
import { shortKey } from '../cache/key.js';

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
  const bt = Object.entries(e.metrics).find(([id]) => e.metrics[id].model_sharpe !== undefined);
  for (const [node, m] of Object.entries(e.metrics)) {
    if (node.includes('[')) continue; // per-batch metrics are in `runs show`
    lines.push(`  ${node}: ${Object.entries(m).map(([k, v]) => `${k} ${formatMetric(v)}`).join(', ')}`);
  }
  if (bt) {
    const m = bt[1];
    lines.push(`  backtest (test split): model Sharpe ${formatMetric(m.model_sharpe)}, return ${(100 * m.model_return).toFixed(2)}% | AVWAP rule Sharpe ${formatMetric(m.baseline_sharpe)}, return ${(100 * m.baseline_return).toFixed(2)}%`);
  }
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

/** One bar per step, counting its nodes done; log lines print above the bars. */
export function ttyReporter(): Reporter {
  const t0 = performance.now();
  const multi = new cliProgress.MultiBar(
    { format: ' {step} |{bar}| {value}/{total} {note}', hideCursor: true, clearOnComplete: false, stopOnComplete: false, barsize: 24, autopadding: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  const done = new Map<string, number>();
  const totals = new Map<string, number>();
  const width = { n: 8 };
  const ensure = (step: string) => {
    let b = bars.get(step);
    if (!b) {
      b = multi.create(totals.get(step) ?? 1, 0, { step: step.padEnd(width.n), note: '' });
      bars.set(step, b);
    }
    return b;
  };
  return (e) => {
    switch (e.type) {
      case 'run-start':
        for (const s of e.steps) totals.set(s.name, s.nodes);
        width.n = Math.max(...e.steps.map((s) => s.name.length));
        multi.log(`${plainLine(e, t0)}\n`);
        break;
      case 'node-start':
        ensure(e.step).update({ note: 'running' });
        break;
      case 'node-progress':
        ensure(e.step).update({ note: e.note ?? `${Math.round(e.fraction * 100)}%` });
        break;
      case 'node-end':
      case 'node-fail':
      case 'node-skip': {
        const n = (done.get(e.step) ?? 0) + 1;
        done.set(e.step, n);
        const note = e.type === 'node-end' ? (e.status === 'hit' ? 'cached' : 'done') : e.type === 'node-fail' ? 'FAILED' : 'skipped';
        ensure(e.step).update(n, { note });
        if (e.type !== 'node-end') multi.log(`${plainLine(e, t0)}\n`);
        break;
      }
      case 'warn':
      case 'info':
        multi.log(`${plainLine(e, t0)}\n`);
        break;
      case 'run-end':
        multi.stop();
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

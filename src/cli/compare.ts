/**
 * `runs compare <sweep-id | run-ids…>`: one row per run (a sweep's points, or runs named one by
 * one), its params and its headline metrics. The best point is chosen on a validation metric
 * (default best_val_loss), never on a test metric: test columns are shown for reference only.
 */
import type { RunRecord } from '../cache/runs.js';
import type { RunRecords } from '../cache/store-api.js';
import { UsageError } from '../util/errors.js';
import { closest } from '../util/suggest.js';

export interface CompareRow {
  runId: string;
  point?: number;
  status: string;
  /** The swept values (a sweep's point), or the params that differ between the runs compared. */
  params: Record<string, unknown>;
  /** Whole-universe nodes' metrics, flattened as `<step>.<metric>`. */
  metrics: Record<string, number>;
}

export interface Comparison {
  /** The sweep's id, when one sweep is compared. */
  sweepId?: string;
  paramNames: string[];
  metricNames: string[];
  rows: CompareRow[];
  /** The metric the best row was chosen by, and its direction. */
  chosenBy: { metric: string; goal: 'min' | 'max' };
  best?: CompareRow;
}

/** A metric measured on data the model was selected on (never used to pick the best point). */
export function isTestMetric(name: string): boolean {
  const m = name.slice(name.indexOf('.') + 1);
  return !/(^|_)val(_|idation|$)/.test(m) && !/^best_val/.test(m) && !/^(samples|epochs|bars|missing_pct|ms)$/.test(m);
}

/** Lower is better for losses and drawdowns; higher for everything else we choose by. */
export function goalOf(metric: string): 'min' | 'max' {
  return /loss|drawdown|error/.test(metric) ? 'min' : 'max';
}

/** Columns shown by default: validation loss, the model beside its baselines, the backtest's Sharpe ratios and A−B. */
const HEADLINE = /\.(best_val_loss|val_ic|ic|ridge_ic|oracle_ic|directional_accuracy|base_rate|ic_top_k|ic_random_k|sharpe\[[^\]]+\]|ab\[[^\]]+\] difference)$/;

function flatMetrics(r: RunRecord): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [node, m] of Object.entries(r.metrics ?? {})) {
    if (node.includes('[')) continue; // per-batch nodes: `runs show` lists them
    for (const [k, v] of Object.entries(m)) if (typeof v === 'number') out[`${node}.${k}`] = v;
  }
  return out;
}

/** Params that differ between records (for runs compared by id rather than a sweep). */
function differingParams(records: RunRecord[]): string[] {
  const flat = records.map((r) => flatten({ params: (r.resolved as any).params, steps: (r.resolved as any).steps, universe: (r.resolved as any).universe, seed: r.seed }));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))];
  return keys.filter((k) => new Set(flat.map((f) => JSON.stringify(f[k]))).size > 1);
}

function flatten(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  else out[prefix] = v;
  return out;
}

export function compareRecords(records: RunRecord[], opts: { by?: string; metrics?: string[] } = {}): Comparison {
  const sweepIds = [...new Set(records.map((r) => r.sweepId).filter(Boolean))];
  const sweep = sweepIds.length === 1 && records.every((r) => r.sweepId === sweepIds[0]);
  let paramNames: string[];
  let paramsOf: (r: RunRecord) => Record<string, unknown>;
  if (sweep) {
    paramNames = [...new Set(records.flatMap((r) => Object.keys(r.sweepValues ?? {})))];
    paramsOf = (r) => r.sweepValues ?? {};
  } else {
    paramNames = differingParams(records);
    paramsOf = (r) => {
      const f = flatten({ params: (r.resolved as any).params, steps: (r.resolved as any).steps, universe: (r.resolved as any).universe, seed: r.seed });
      return Object.fromEntries(paramNames.map((k) => [k, f[k]]));
    };
  }
  const rows: CompareRow[] = records.map((r) => ({ runId: r.id, point: r.sweepPoint, status: r.status, params: paramsOf(r), metrics: flatMetrics(r) }));
  const all = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  for (const m of opts.metrics ?? []) {
    if (!all.includes(m)) throw UsageError.one(`no run here has the metric ${m}`, hintFor(m, all), { file: `--metrics ${m}` });
  }
  const metricNames = opts.metrics?.length ? opts.metrics : all.filter((m) => HEADLINE.test(m));
  const by = opts.by ?? all.find((m) => m.endsWith('.val_ic')) ?? all.find((m) => m.endsWith('.best_val_loss')) ?? '';
  if (opts.by !== undefined && !all.includes(opts.by)) throw UsageError.one(`no run here has the metric ${opts.by}`, hintFor(opts.by, all), { file: `--by ${opts.by}` });
  if (opts.by !== undefined && isTestMetric(opts.by)) {
    throw UsageError.one(
      `${opts.by} is measured on the test split: choosing the best point by it would report a test score that was selected on test`,
      `choose by a validation metric (${all.filter((m) => !isTestMetric(m) && /val/.test(m)).join(', ') || 'best_val_loss'}); test columns stay in the table for reference`,
      { file: `--by ${opts.by}` },
    );
  }
  const goal = goalOf(by);
  const scored = rows.filter((r) => r.status === 'ok' && Number.isFinite(r.metrics[by]));
  scored.sort((a, b) => (goal === 'min' ? a.metrics[by] - b.metrics[by] : b.metrics[by] - a.metrics[by]));
  const rest = rows.filter((r) => !scored.includes(r));
  return { sweepId: sweep ? sweepIds[0] : undefined, paramNames, metricNames, rows: [...scored, ...rest], chosenBy: { metric: by, goal }, best: scored[0] };
}

function hintFor(m: string, all: string[]): string {
  const near = closest(m, all);
  return near ? `did you mean ${near}? (metrics: ${all.filter((x) => HEADLINE.test(x)).join(', ')})` : `metrics: ${all.filter((x) => HEADLINE.test(x)).join(', ')}`;
}

/** The records `runs compare` was pointed at: one sweep id (or prefix), or run ids. */
export async function recordsFor(store: RunRecords, ids: string[]): Promise<RunRecord[]> {
  if (ids.length === 1) {
    const points = await store.sweep(ids[0]);
    if (points.length) return points;
  }
  return Promise.all(ids.map(async (id) => {
    const r = await store.get(id);
    if (!r) {
      const known = (await store.list(200)).flatMap((x) => [x.id, x.sweepId ?? '']).filter(Boolean);
      const near = closest(id, known);
      throw UsageError.one(`no run or sweep "${id}" in the cache`, near ? `did you mean ${near}? (list runs with: mlx-intraday runs ls)` : 'list runs with: mlx-intraday runs ls', { file: `runs compare ${id}` });
    }
    return r;
  }));
}

const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The comparison as table rows (the best row marked), with a note saying how best was chosen. */
export function comparisonTable(c: Comparison): { rows: Record<string, string>[]; notes: string[] } {
  const rows = c.rows.map((r) => {
    const row: Record<string, string> = { '': r === c.best ? '★' : '', point: r.point === undefined ? '' : String(r.point + 1), run: r.runId, status: r.status };
    for (const p of c.paramNames) row[p] = fmt(r.params[p]);
    for (const m of c.metricNames) row[isTestMetric(m) ? `${m} (test)` : m] = fmt(r.metrics[m]);
    return row;
  });
  const notes = c.best
    ? [`★ best point: chosen on validation (${c.chosenBy.metric}, ${c.chosenBy.goal === 'min' ? 'lowest' : 'highest'}), never on test; (test) columns are for reference only`]
    : ['no point has a validation metric to choose by (did every point fail?)'];
  const failed = c.rows.filter((r) => r.status !== 'ok').length;
  if (failed) notes.push(`${failed} of ${c.rows.length} points did not finish: run the same command again to run only what is missing`);
  return { rows, notes };
}

export function comparisonCsv(c: Comparison): string {
  const head = ['point', 'run', 'status', ...c.paramNames, ...c.metricNames, 'best'];
  const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [head.join(',')];
  for (const r of c.rows) {
    const cells = [r.point === undefined ? '' : String(r.point + 1), r.runId, r.status, ...c.paramNames.map((p) => fmt(r.params[p])), ...c.metricNames.map((m) => (r.metrics[m] === undefined ? '' : String(r.metrics[m]))), r === c.best ? '1' : ''];
    lines.push(cells.map(esc).join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * The sweep side of the CLI: `plan` of a sweep (the grid, node counts with and without
 * sharing, what the points share), the table and page after a sweep run, and `runs compare`.
 */
import { relative } from 'node:path';
import type { Store } from '../cache/store-api.js';
import { shortKey } from '../cache/key.js';
import type { Plan } from '../dag/plan.js';
import type { SweepPlanStats } from '../dag/sweep.js';
import type { ResolvedNode } from '../dag/resolve.js';
import { buildSweepPage } from '../report/sweep-page.js';
import type { TrainingCurve } from '../report/types.js';
import type { Sweep } from '../spec/sweep.js';
import { shownValues } from '../run-sweep.js';
import { compareRecords, comparisonCsv, comparisonTable, recordsFor, type Comparison } from './compare.js';
import type { RunRecord } from '../cache/runs.js';
import { printTable } from './format.js';

const shown = (p: string) => {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
};

/** `plan` of a sweep: the points, then per step how many nodes run and how many points share each. */
export function printSweepPlan(sweep: Sweep, plan: Plan & { stats: SweepPlanStats }, nodes: ResolvedNode[], write: (s: string) => void = console.log): void {
  const n = sweep.points.length;
  write(`sweep of ${n} point${n === 1 ? '' : 's'} (${sweep.mode}): ${sweep.axes.map((a) => `${a.name} ∈ {${a.values.map((v) => JSON.stringify(v)).join(', ')}}`).join(' × ')}`);
  printTable(sweep.points.map((p) => ({ point: p.index + 1, ...Object.fromEntries(Object.entries(p.values).map(([k, v]) => [k, JSON.stringify(v)])) })), write);
  write('');
  const byStep = new Map<string, { nodes: number; sharedByAll: number; sharedBySome: number }>();
  for (const node of plan.nodes.values()) {
    const s = byStep.get(node.step.name) ?? { nodes: 0, sharedByAll: 0, sharedBySome: 0 };
    s.nodes++;
    const k = node.points?.length ?? n;
    if (k === n && n > 1) s.sharedByAll++;
    else if (k > 1) s.sharedBySome++;
    byStep.set(node.step.name, s);
  }
  printTable(
    plan.stepOrder.map((step) => {
      const s = byStep.get(step)!;
      const perPoint = [...plan.nodes.values()].filter((x) => x.step.name === step).reduce((t, x) => t + (x.points?.length ?? n), 0);
      return { step, nodes: s.nodes, 'one by one': perPoint, 'shared by all points': s.sharedByAll, 'shared by some': s.sharedBySome };
    }),
    write,
  );
  const count = (st: string) => nodes.filter((x) => x.state === st).length;
  write(`\n${plan.stats.shared} nodes in one DAG; ${plan.stats.unshared} if each point ran on its own (${(plan.stats.unshared / Math.max(1, plan.stats.shared)).toFixed(1)}× fewer)`);
  write(`cache: ${count('hit')} hit, ${count('miss')} miss, ${count('always')} always run, ${count('pending')} pending (keys known once their data are fetched)`);
  const train = nodes.filter((x) => x.kind === 'train' && x.key).slice(0, 5);
  for (const t of train) write(`  ${t.id}: key ${shortKey(t.key!)} ${t.state}`);
}

/** Training curves of the best points (by the comparison's validation metric), from the store. */
async function bestCurves(c: Comparison, store: Store, records: RunRecord[], k = 3): Promise<TrainingCurve[]> {
  const out: TrainingCurve[] = [];
  for (const row of c.rows.filter((r) => r.status === 'ok').slice(0, k)) {
    const rec = records.find((r) => r.id === row.runId);
    let history: { epoch: number; trainLoss: number; valLoss: number }[] | undefined;
    for (const x of rec?.nodes ?? []) {
      const entry = x.key ? await store.artifacts.lookup(x.key) : undefined;
      if (entry?.kind === 'train') {
        history = entry.meta.history as typeof history;
        break;
      }
    }
    if (!history?.length) continue;
    const name = row.point === undefined ? row.runId : `point ${row.point + 1} (${shownValues(row.params)})`;
    out.push({ name, epochs: history.map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss, valLoss: e.valLoss })) });
  }
  return out;
}

export interface CompareOptions {
  by?: string;
  metrics?: string[];
  json?: boolean;
  csv?: boolean;
  /** Write the sweep page (default for a sweep). */
  page?: boolean;
}

/** Prints the comparison (table, JSON or CSV) and, for a sweep, writes its page. Returns the page path. */
export async function compareCommand(store: Store, ids: string[], o: CompareOptions, write: (s: string) => void = console.log): Promise<string | undefined> {
  const records = await recordsFor(store.runs, ids);
  const c = compareRecords(records, { by: o.by, metrics: o.metrics });
  if (o.json) {
    write(JSON.stringify({ sweep: c.sweepId, chosenBy: { ...c.chosenBy, split: 'validation' }, best: c.best?.runId, params: c.paramNames, metrics: c.metricNames, rows: c.rows }, null, 2));
    return undefined;
  }
  if (o.csv) {
    write(comparisonCsv(c).trimEnd());
    return undefined;
  }
  const t = comparisonTable(c);
  printTable(t.rows, write);
  for (const n of t.notes) write(n);
  if (c.sweepId && o.page !== false) {
    const heat = c.chosenBy.metric || c.metricNames[0];
    const file = await buildSweepPage({
      sweepId: c.sweepId,
      specPath: records[0].specPath,
      table: t,
      points: c.rows.map((r) => ({ params: r.params, value: r.metrics[heat] })),
      paramNames: c.paramNames,
      metric: heat,
      curves: await bestCurves(c, store, records),
    });
    write(`sweep page: ${shown(file)}`);
    return file;
  }
  return undefined;
}

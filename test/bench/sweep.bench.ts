/**
 * `npm run bench -- sweep`: pipelines/sweep.yaml (27 points: days 5/10/15 × sample_interval
 * 10/15/20 × epochs 2/4/6, 32 curated tickers, small transformer) as one shared DAG on an empty
 * cache, against the same 27 points run one by one, each on an empty cache of its own. Both
 * sides must give the same metrics per point (checked here: a speed-up that changed results
 * would be worthless).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSweep } from '../../src/run-sweep.js';
import { runPipeline } from '../../src/run.js';
import { loadSweep } from '../../src/spec/sweep.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import type { BenchSection } from './run.js';

const SPEC = join(PACKAGE_ROOT, 'pipelines', 'sweep.yaml');

export default async function (): Promise<BenchSection> {
  const root = mkdtempSync(join(tmpdir(), 'mlxi-bench-sweep-'));
  const sweep = loadSweep(SPEC);
  const opts = (name: string) => ({ cacheDir: join(root, name, 'cache'), modelsDir: join(root, name, 'models'), concurrency: 2 });

  const t0 = performance.now();
  const shared = await runSweep(sweep, opts('shared'));
  const sharedMs = performance.now() - t0;
  const ran = (rs: Iterable<{ status: string; step: string }>, step: string) => [...rs].filter((r) => r.status === 'ran' && r.step === step).length;

  let aloneMs = 0;
  const trainSteps: Record<string, number> = { shared: ran(shared.results.values(), 'train'), alone: 0 };
  let mismatches = 0;
  for (const p of sweep.points) {
    const t1 = performance.now();
    const out = await runPipeline(p.spec, opts(`alone-${p.index}`));
    aloneMs += performance.now() - t1;
    trainSteps.alone += ran(out.results.values(), 'train');
    if (JSON.stringify(out.metrics.train) !== JSON.stringify(shared.points[p.index].metrics.train)) mismatches++;
  }
  rmSync(root, { recursive: true, force: true });
  const epochsAlone = sweep.points.reduce((s, p) => s + p.spec.params.epochs, 0);
  // Shared: each group of points that differ only in epochs trains as long as its longest point.
  const longest = new Map<string, number>();
  for (const p of sweep.points) {
    const { epochs: _e, ...rest } = p.values;
    const k = JSON.stringify(rest);
    longest.set(k, Math.max(longest.get(k) ?? 0, p.spec.params.epochs));
  }
  const epochsShared = [...longest.values()].reduce((a, b) => a + b, 0);
  return {
    title: 'Sweep: 27 points (days × sample_interval × epochs) in one DAG vs one by one (pipelines/sweep.yaml, empty caches)',
    rows: [
      { run: 'one DAG, shared nodes', 'wall s': sharedMs / 1000, nodes: shared.stats.shared, 'epochs trained': epochsShared },
      { run: '27 independent runs', 'wall s': aloneMs / 1000, nodes: shared.stats.unshared, 'epochs trained': epochsAlone },
      { run: 'independent / shared', 'wall s': `${(aloneMs / sharedMs).toFixed(2)}×`, nodes: `${(shared.stats.unshared / shared.stats.shared).toFixed(2)}×`, 'epochs trained': `${(epochsAlone / epochsShared).toFixed(2)}×` },
    ],
    notes: [
      `Points whose train metrics differ between the two ways: ${mismatches} of ${sweep.points.length} (must be 0).`,
      `Concurrency 2 on both sides. Shared: fetch and indicators once per days value, samples once per (days, interval), and each epochs point continues the shorter one's cached training state.`,
    ],
  };
}

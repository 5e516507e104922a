/**
 * Runner benchmarks: the quickstart cold vs warm (wall time, ratio) and cache write/read
 * throughput with blobs inside SQLite vs as indexed files (the measurement behind the
 * inline-size threshold in src/cache/store.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactCache } from '../../src/cache/store.js';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { tensor } from '../../src/tensor/tensor.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import type { BenchSection } from './run.js';

async function quickstart(): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'mlxi-bench-'));
  const opts = { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models') };
  const spec = () => loadSpec(join(PACKAGE_ROOT, 'pipelines', 'quickstart.yaml'));
  const t0 = performance.now();
  const cold = await runPipeline(spec(), opts);
  const coldMs = performance.now() - t0;
  const warms: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t1 = performance.now();
    const warm = await runPipeline(spec(), opts);
    warms.push(performance.now() - t1);
    if ([...warm.results.values()].some((r) => r.status !== 'hit')) throw new Error('warm run was not all hits');
  }
  const warmMs = Math.min(...warms);
  rmSync(dir, { recursive: true, force: true });
  const perStep = new Map<string, number>();
  for (const r of cold.results.values()) perStep.set(r.step, (perStep.get(r.step) ?? 0) + r.ms);
  return {
    title: 'Quickstart: cold vs warm (pipelines/quickstart.yaml, 8 tickers × 10 days)',
    rows: [
      { run: 'cold (empty cache)', 'wall s': coldMs / 1000, nodes: cold.results.size, 'cache hits': 0 },
      { run: 'warm (best of 3)', 'wall s': warmMs / 1000, nodes: cold.results.size, 'cache hits': cold.results.size },
      { run: 'cold / warm', 'wall s': `${(coldMs / warmMs).toFixed(1)}×`, nodes: '', 'cache hits': '' },
    ],
    notes: [
      `Cold time by step: ${[...perStep].map(([s, ms]) => `${s} ${(ms / 1000).toFixed(2)} s`).join(', ')}.`,
      'Targets: warm ≤ 0.5 s of work and ≥ 20× faster than cold. Wall time is inside one process (spec load + plan + cache lookups + run record), excluding Node start-up.',
    ],
  };
}

function cacheThroughput(): BenchSection {
  const rows: Record<string, string | number>[] = [];
  for (const mb of [0.25, 4, 64]) {
    const n = Math.round((mb * 1024 * 1024) / 4);
    const data = new Float32Array(n).map((_, i) => Math.sin(i));
    for (const mode of ['sqlite', 'file'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'mlxi-cache-'));
      const cache = ArtifactCache.open(dir, { inlineMaxBytes: mode === 'sqlite' ? Infinity : 0 });
      const reps = mb >= 64 ? 3 : 10;
      let w = 0;
      let r = 0;
      for (let i = 0; i < reps; i++) {
        const key = `k${i}`.padEnd(64, '0');
        const t0 = performance.now();
        cache.store(key, { step: 's', kind: 'fetch', contentId: key, meta: {}, tensors: { x: tensor(data, [n]) } });
        const t1 = performance.now();
        cache.load(key);
        const t2 = performance.now();
        w += t1 - t0;
        r += t2 - t1;
      }
      cache.close();
      rmSync(dir, { recursive: true, force: true });
      rows.push({ 'blob MiB': mb, stored: mode, 'write MB/s': (mb * reps * 1.048576) / (w / 1000), 'read+verify MB/s': (mb * reps * 1.048576) / (r / 1000) });
    }
  }
  return {
    title: 'Cache write/read throughput (safetensors blob, sha256 verified on read)',
    rows,
    notes: ['Writes to files are fsynced before the rename that publishes them; SQLite runs in WAL mode with synchronous=NORMAL.'],
  };
}

export default async function (): Promise<BenchSection[]> {
  return [await quickstart(), cacheThroughput()];
}

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { runSweep } from '../../src/run-sweep.js';
import { parseSweep } from '../../src/spec/sweep.js';
import { tempDir } from './helpers.js';

describe('memory is bounded by the batch, not the universe', () => {
  it('array memory stays flat from batch to batch (fetch → indicators on worker threads → sample)', async () => {
    const tickers = Array.from({ length: 500 }, (_, i) => `T${i}`);
    const spec = parseSpec(
      `name: mem
batch_size: 50
universe: {tickers: [${tickers.join(', ')}]}
params: {days: 10, sample_interval: 30}
steps:
  bars: {kind: fetch}
  indicators: {kind: indicators, inputs: [bars]}
  samples: {kind: sample, inputs: [indicators, bars]}
`,
      join(tempDir(), 'mem.yaml'),
    );
    const dir = tempDir();
    const seen: number[] = [];
    await runPipeline(spec, {
      cacheDir: join(dir, 'cache'),
      modelsDir: join(dir, 'models'),
      report: (e) => {
        if (e.type === 'node-end' && e.step === 'samples') seen.push(process.memoryUsage().arrayBuffers / 2 ** 20);
      },
    });
    expect(seen).toHaveLength(10);
    // Two batches are in flight at most (~90 MB of indicator cube each). Leaking a cube per
    // batch (as a worker thread that never collected once did) adds ~45 MB a batch: +360 MB.
    const early = Math.max(...seen.slice(0, 4));
    const late = Math.max(...seen.slice(6));
    expect(late, seen.map((x) => x.toFixed(0)).join(' ')).toBeLessThan(early + 150);
  });

  it('a sweep whose points share every batch\'s indicators still holds about one batch at a time', async () => {
    const tickers = Array.from({ length: 300 }, (_, i) => `T${i}`);
    const sweep = parseSweep(
      `name: memsweep
batch_size: 50
universe: {tickers: [${tickers.join(', ')}]}
params: {days: 10, sample_interval: 30}
sweep: {grid: {sample_interval: [30, 60]}}
steps:
  bars: {kind: fetch}
  indicators: {kind: indicators, inputs: [bars]}
  samples: {kind: sample, inputs: [indicators, bars]}
`,
      join(tempDir(), 'memsweep.yaml'),
    );
    const dir = tempDir();
    const seen: number[] = [];
    await runSweep(sweep, {
      cacheDir: join(dir, 'cache'),
      modelsDir: join(dir, 'models'),
      report: (e) => {
        if (e.type === 'node-end' && e.step === 'samples') seen.push(process.memoryUsage().arrayBuffers / 2 ** 20);
      },
    });
    expect(seen).toHaveLength(12); // 6 batches × 2 points
    // Batch by batch for both points: a batch's cube is dropped once both points sampled it.
    // Point by point held all six cubes until the second point sampled them (measured: +350 MB).
    expect(Math.max(...seen) - seen[0], seen.map((x) => x.toFixed(0)).join(' ')).toBeLessThan(120);
  });
});

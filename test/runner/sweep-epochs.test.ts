/**
 * An epochs sweep costs its longest point: the longer training continues from the cached state
 * of the shorter one, and both equal trainings run alone from scratch, bit for bit. A days
 * sweep equals independent runs of each point on an empty cache.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runSweep } from '../../src/run-sweep.js';
import { runPipeline } from '../../src/run.js';
import { parseSweep } from '../../src/spec/sweep.js';
import { parseSpec } from '../../src/spec/index.js';
import { openLocalStore } from '../../src/cache/store.js';
import type { RunEvent } from '../../src/dag/events.js';
import { tempDir } from './helpers.js';

const SPEC = (model: string, extra = '') => `name: epochs
universe: {tickers: [AAA, BBB, CCC]}
data: {provider: synthetic, seed: 3, end: "2026-10-30"}
params: {days: 3, sample_interval: 10, epochs: 2, min_samples: 50}
steps:
  bars: {kind: fetch}
  indicators: {kind: indicators, inputs: [bars]}
  samples: {kind: sample, inputs: [indicators, bars]}
  train: {kind: train, inputs: [samples], params: {model: ${model}, batch_size: 64}}
${extra}`;

async function weightHashes(cacheDir: string, runIds: string[]): Promise<string[]> {
  const store = openLocalStore(cacheDir, { readOnly: true });
  try {
    const out: string[] = [];
    for (const id of runIds) {
      const key = (await store.runs.get(id))!.nodes!.find((n) => n.step === 'train')!.key!;
      out.push((await store.artifacts.lookup(key))!.meta.weightsHash as string);
    }
    return out;
  } finally {
    store.close();
  }
}

async function alone(text: string, epochs: number): Promise<{ hash: string; metrics: Record<string, number> }> {
  const dir = tempDir('mlxi-alone-');
  const spec = parseSpec(text, join(dir, 'spec.yaml'), { set: [`params.epochs=${epochs}`] });
  const out = await runPipeline(spec, { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), concurrency: 2 });
  expect(out.status).toBe('ok');
  return { hash: (await weightHashes(join(dir, 'cache'), [out.runId]))[0], metrics: out.metrics.train };
}

describe.each(['mlp', 'indicator-transformer'])('epochs sweep with %s', (model) => {
  it('trains the longer point from the shorter one\'s state, bit-identical to each trained alone', async () => {
    const dir = tempDir('mlxi-epochs-');
    const events: RunEvent[] = [];
    const sweep = parseSweep(SPEC(model, 'sweep:\n  grid:\n    epochs: [2, 4]\n'), join(dir, 'spec.yaml'));
    const out = await runSweep(sweep, { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), concurrency: 2, report: (e) => void events.push(e) });
    expect(out.status).toBe('ok');
    // The 4-epoch point ran epochs 3 and 4 only.
    const notes = events.filter((e): e is Extract<RunEvent, { type: 'node-progress' }> => e.type === 'node-progress' && e.ref.step === 'train').map((e) => `${e.node}: ${e.note}`);
    expect(notes.some((n) => n.startsWith('train@2: epoch 3/4'))).toBe(true);
    expect(notes.some((n) => n.startsWith('train@2: epoch 1/4'))).toBe(false);
    expect(events.some((e) => e.type === 'info' && e.node === 'train@2' && /after 2 epochs/.test(e.message))).toBe(true);

    const [h2, h4] = await weightHashes(join(dir, 'cache'), out.points.map((p) => p.runId));
    const [a2, a4] = [await alone(SPEC(model), 2), await alone(SPEC(model), 4)];
    expect(h2).toBe(a2.hash);
    expect(h4).toBe(a4.hash);
    expect(out.points[1].metrics.train.ic).toBe(a4.metrics.ic);
    expect(out.points[1].metrics.train.best_val_loss).toBe(a4.metrics.best_val_loss);
  }, 120_000);
});

describe('days sweep', () => {
  it('each point equals an independent run on an empty cache', async () => {
    const dir = tempDir('mlxi-days-');
    const text = SPEC('mlp', 'sweep:\n  grid:\n    days: [3, 4]\n');
    const out = await runSweep(parseSweep(text, join(dir, 'spec.yaml')), { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), concurrency: 2 });
    expect(out.status).toBe('ok');
    for (const [i, days] of [3, 4].entries()) {
      const d = tempDir('mlxi-days-alone-');
      const spec = parseSpec(SPEC('mlp'), join(d, 'spec.yaml'), { set: [`params.days=${days}`] });
      const single = await runPipeline(spec, { cacheDir: join(d, 'cache'), modelsDir: join(d, 'models'), concurrency: 1 });
      expect(out.points[i].metrics.train).toEqual(single.metrics.train);
    }
  }, 120_000);
});

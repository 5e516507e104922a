import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeConfig } from '../../src/model/nets.js';
import type { TrainParams } from '../../src/model/types.js';
import { synthSet } from './helpers.js';

// Every collect() (training's and inference's) is recorded at the optimizer step it follows.
const calls: number[] = [];
let step = 0;
vi.mock('../../src/util/memory.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/util/memory.js')>();
  return {
    ...real,
    collect: async () => {
      calls.push(step);
      await real.collect();
    },
  };
});

const { stepsPerCollect, trainModel } = await import('../../src/model/train.js');

const base: TrainParams = {
  model: 'indicator-transformer',
  preset: 'small',
  epochs: 3,
  batchSize: 64,
  learningRate: 3e-3,
  seed: 3,
  valFraction: 0.15,
  testFraction: 0.2,
};

/** Trains once; with `slowClock`, performance.now() advances 1 s per call (every step looks slow, as on a loaded machine). */
async function run(slowClock: boolean) {
  calls.length = 0;
  step = 0;
  if (slowClock) {
    let t = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (t += 1000));
  }
  const r = await trainModel(synthSet({ tickers: 6, times: 240, F: 8 }), base, { onStep: () => step++ });
  vi.restoreAllMocks();
  return { r, calls: [...calls] };
}

describe('training memory collection schedule', () => {
  afterEach(() => vi.restoreAllMocks());

  it('collects at the same steps, and trains bit-identically, whether the machine is idle or loaded (no wall-clock rule)', async () => {
    const idle = await run(false);
    const loaded = await run(true);
    expect(idle.calls.length).toBeGreaterThan(0);
    // The schedule is a function of step counts and sizes only.
    expect(loaded.calls).toEqual(idle.calls);
    // ...so the recorded losses (all but `seconds`) and the weights are bit-identical.
    const losses = (h: typeof idle.r.history) => h.map(({ epoch, trainLoss, valLoss }) => ({ epoch, trainLoss, valLoss }));
    expect(losses(loaded.r.history)).toEqual(losses(idle.r.history));
    expect(Object.keys(loaded.r.weights)).toEqual(Object.keys(idle.r.weights));
    for (const [name, t] of Object.entries(idle.r.weights)) {
      const w = loaded.r.weights[name].data;
      expect(Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), name).toBe(true);
    }
    expect(loaded.r.metrics).toEqual(idle.r.metrics);
  });

  it('collects every step when a step is estimated large, every collectEvery steps when small', () => {
    const names = Array.from({ length: 111 }, (_, i) => `f${i}`);
    const small = makeConfig('indicator-transformer', 'small', names, 15);
    const reference = makeConfig('indicator-transformer', 'reference', names, 15);
    expect(stepsPerCollect(small, 256, 4)).toBe(4);
    expect(stepsPerCollect(reference, 32, 4)).toBe(1);
    expect(stepsPerCollect(reference, 32, 1)).toBe(1);
    expect(stepsPerCollect(makeConfig('mlp', 'small', names, 15), 256, 8)).toBe(8);
  });
});

/** The executor's scheduling: tuple priorities, per-kind resource limits, shared work by key. */
import { asyncArtifacts } from '../../src/cache/store-api.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { ArtifactCache } from '../../src/cache/store.js';
import { execute } from '../../src/dag/execute.js';
import { planSpec } from '../../src/dag/plan.js';
import { comparePriority, Scheduler } from '../../src/dag/scheduler.js';
import type { RunEnvironment, StepKind } from '../../src/steps/kind.js';
import { tensor } from '../../src/tensor/tensor.js';
import { specFrom, tempDir } from './helpers.js';
import { calls, TOY_SPEC, toyKinds } from './toy-kinds.js';

const env: RunEnvironment = { modelsDir: '/tmp', provider: () => { throw new Error('no provider in toy runs'); } };
const tick = () => new Promise((r) => setTimeout(r, 5));

beforeEach(() => {
  calls.length = 0;
});

describe('scheduler', () => {
  it('orders by tuple, element by element, first come first served on ties', async () => {
    expect(comparePriority([0, -2], [0, -1])).toBeLessThan(0);
    expect(comparePriority([1], [0, 5])).toBeGreaterThan(0);
    const order: string[] = [];
    const s = new Scheduler(1);
    const task = (name: string, priority: number[]) => ({ priority, run: async () => void order.push(name) });
    s.add(task('first', [5])); // starts at once: the only one
    s.add(task('late', [9, 0]));
    s.add(task('b2', [1, 1]));
    s.add(task('b1-deep', [1, -3]));
    s.add(task('b1-tie', [1, -3]));
    await s.idle();
    expect(order).toEqual(['first', 'b1-deep', 'b1-tie', 'b2', 'late']);
  });

  it('a resource limit holds under higher concurrency, and other work passes the held resource', async () => {
    const s = new Scheduler(4, { mlx: 1 });
    let inMlx = 0;
    let maxMlx = 0;
    let others = 0;
    for (let i = 0; i < 4; i++) {
      s.add({
        priority: [0],
        resources: { mlx: 1 },
        run: async () => {
          maxMlx = Math.max(maxMlx, ++inMlx);
          await tick();
          inMlx--;
        },
      });
    }
    s.add({ priority: [1], run: async () => void (others += inMlx) }); // runs while an MLX task holds the resource
    await s.idle();
    expect(maxMlx).toBe(1);
    expect(others).toBe(1);
    expect(() => s.add({ priority: [0], resources: { mlx: 2 }, run: async () => {} })).toThrow(/more than its limit/);
  });
});

describe('executor', () => {
  it('a kind limited to one at a time never runs twice at once under --concurrency 4', async () => {
    let now = 0;
    let max = 0;
    const kinds = toyKinds();
    const slow: StepKind = {
      ...kinds.indicators,
      resources: { mlx: 1 },
      async run(ctx) {
        max = Math.max(max, ++now);
        await tick();
        now--;
        return kinds.indicators.run(ctx);
      },
    };
    const plan = planSpec(specFrom(TOY_SPEC(8)), { ...kinds, indicators: slow });
    const out = await execute(plan, { cache: asyncArtifacts(ArtifactCache.open(tempDir())), env, concurrency: 4, signal: new AbortController().signal, report: () => {} });
    expect([...out.results.values()].every((r) => r.status === 'ran')).toBe(true);
    expect(max).toBe(1);
  });

  it('two nodes with one key run once and share the output', async () => {
    const text = TOY_SPEC(4).replace('  samples:\n', '  ind_copy:\n    kind: indicators\n    inputs: [bars]\n  samples:\n');
    const plan = planSpec(specFrom(text), toyKinds());
    const cache = ArtifactCache.open(tempDir());
    const out = await execute(plan, { cache: asyncArtifacts(cache), env, concurrency: 4, signal: new AbortController().signal, report: () => {} });
    for (const b of ['1/2', '2/2']) expect(out.results.get(`ind_copy[${b}]`)!.key).toBe(out.results.get(`ind[${b}]`)!.key);
    expect(calls.filter((c) => c.startsWith('indicators:')).sort()).toEqual(['indicators:0', 'indicators:1']);
    const statuses = ['ind[1/2]', 'ind_copy[1/2]'].map((id) => out.results.get(id)!.status).sort();
    expect(statuses).toEqual(['hit', 'ran']);
  });

  it('failures are data: reason, message and hint, and dependents say which input failed', async () => {
    const plan = planSpec(specFrom(TOY_SPEC(4)), toyKinds({ failBatch: 1 }));
    const out = await execute(plan, { cache: asyncArtifacts(ArtifactCache.open(tempDir())), env, concurrency: 2, signal: new AbortController().signal, report: () => {} });
    expect(out.results.get('ind[2/2]')!.failure).toMatchObject({ reason: 'threw', message: 'step `ind`, batch 2/2 (T2, T3) failed: boom' });
    expect(out.results.get('samples[2/2]')!.failure).toMatchObject({ reason: 'input-failed', message: 'its input ind[2/2] failed' });
  });
});

// A kind defined only here, with no edit to src/: plans, keys, runs and caches.
describe('a toy kind from a test file', () => {
  it('plans, keys, runs and caches', async () => {
    let runs = 0;
    const square: StepKind = {
      name: 'indicators',
      version: 1,
      description: 'squares',
      paramsSchema: {},
      cardinality: 'per-batch',
      contentIdMode: 'key',
      sharedParams: [],
      inputs: [{ role: 'bars', kind: 'fetch', required: true }],
      async run(ctx) {
        runs++;
        const v = (await (ctx.inputs.bars as any).tensors()).v;
        return { tensors: { v: tensor(Float32Array.from(v.data as Float32Array, (x) => x * x), v.shape) }, meta: {}, metrics: { sum: 1 } };
      },
    };
    const spec = specFrom('name: sq\nbatch_size: 2\nuniverse: {tickers: [A, B, C]}\nparams: {days: 2}\nsteps:\n  bars: {kind: fetch}\n  sq: {kind: indicators, inputs: [bars]}\n');
    const plan = planSpec(spec, { ...toyKinds(), indicators: square });
    expect(plan.order).toEqual(['bars[1/2]', 'bars[2/2]', 'sq[1/2]', 'sq[2/2]']);
    const cache = ArtifactCache.open(tempDir());
    const cold = await execute(plan, { cache: asyncArtifacts(cache), env, concurrency: 2, signal: new AbortController().signal, report: () => {} });
    expect(runs).toBe(2);
    const warm = await execute(plan, { cache: asyncArtifacts(cache), env, concurrency: 2, signal: new AbortController().signal, report: () => {} });
    expect(runs).toBe(2);
    expect(warm.results.get('sq[2/2]')!.status).toBe('hit');
    expect(warm.results.get('sq[2/2]')!.key).toBe(cold.results.get('sq[2/2]')!.key);
  });
});

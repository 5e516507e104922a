/** Sweeps: grid expansion, bad grids, one DAG with shared nodes, failure and resume, records. */
import { beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { gridPoints, parseSweep, parseSweepArg } from '../../src/spec/sweep.js';
import { runSweep } from '../../src/run-sweep.js';
import { openLocalStore } from '../../src/cache/store.js';
import type { KindRegistry, StepKind } from '../../src/steps/kind.js';
import { tensor } from '../../src/tensor/tensor.js';
import { UsageError } from '../../src/util/errors.js';
import { tempDir } from './helpers.js';
import { calls, TOY_SPEC, toyKinds } from './toy-kinds.js';

const sweepOf = (text: string, opts: Parameters<typeof parseSweep>[2] = {}) => parseSweep(text, '/tmp/sweep.yaml', opts);

function problems(text: string, opts: Parameters<typeof parseSweep>[2] = {}) {
  try {
    sweepOf(text, opts);
  } catch (e) {
    if (e instanceof UsageError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected the sweep to be rejected');
}

beforeEach(() => {
  calls.length = 0;
});

describe('grid expansion', () => {
  it('crosses lists and ranges, zips lists, and --sweep adds or replaces an axis', async () => {
    const s = sweepOf(TOY_SPEC(2, `sweep:\n  grid:\n    days: [2, 3]\n    sample_interval: {from: 10, to: 20, step: 5}\n`));
    expect(s.points.length).toBe(6);
    expect(s.points.map((p) => [p.spec.params.days, p.spec.params.sample_interval])).toEqual([
      [2, 10], [2, 15], [2, 20], [3, 10], [3, 15], [3, 20],
    ]);
    // The point specs carry no sweep section and name the override that set each value.
    expect(s.points[0].spec.resolved.sweep).toBeUndefined();
    expect(s.points[4].spec.overrides).toContain('sweep days=3');

    const zipped = sweepOf(TOY_SPEC(2, `sweep:\n  mode: zip\n  grid:\n    days: [2, 3]\n    epochs: [5, 7]\n`));
    expect(zipped.points.map((p) => [p.spec.params.days, p.spec.params.epochs])).toEqual([[2, 5], [3, 7]]);

    const cli = sweepOf(TOY_SPEC(2, `sweep:\n  grid:\n    days: [2, 3]\n`), { sweep: ['days=4,5,6', 'model.epochs=1..2'] });
    expect(cli.points.map((p) => [p.spec.params.days, p.spec.steps.find((x) => x.name === 'model')!.params.epochs])).toEqual([
      [4, 1], [4, 2], [5, 1], [5, 2], [6, 1], [6, 2],
    ]);
    expect(parseSweepArg('x=0.1..0.3:0.1').values).toEqual([0.1, 0.2, 0.3]);
    expect(gridPoints([], 'cross')).toEqual([{}]);
  });

  it('no sweep section is one point: the spec itself', async () => {
    const s = sweepOf(TOY_SPEC(2));
    expect(s.points.length).toBe(1);
    expect(s.axes).toEqual([]);
  });
});

describe('bad grids are spec errors with a location and a fix', () => {
  const at = (grid: string, extra = '') => TOY_SPEC(2, `sweep:\n${extra}  grid:\n${grid}`);
  it('an unknown param is reported at its grid entry', async () => {
    const d = problems(at('    model.epochz: [1, 2]\n'));
    expect(d[0].message).toMatch(/epochz/);
    expect(d[0].location).toMatchObject({ file: '/tmp/sweep.yaml', line: 21 });
    const head = problems(at('    modle.epochs: [1, 2]\n'));
    expect(head[0].message).toMatch(/modle/);
    expect(head[0].hint).toMatch(/model/);
  });
  it('an empty list, a zero step, a step of the wrong sign', async () => {
    expect(problems(at('    days: []\n'))[0].location?.line).toBe(21);
    const zero = problems(at('    days: {from: 1, to: 5, step: 0}\n'))[0];
    expect(zero.message).toMatch(/step 0/);
    expect(zero.location?.line).toBe(21);
    const wrong = problems(at('    days: {from: 5, to: 1, step: 1}\n'))[0];
    expect(wrong.message).toMatch(/never arrives/);
    expect(wrong.hint).toMatch(/step -1/);
    expect(problems(TOY_SPEC(2), { sweep: ['days=1..3:0'] })[0].location?.file).toBe('--sweep days=1..3:0');
  });
  it('a grid over the limit, and zip lists of different lengths', async () => {
    const big = problems(at('    days: {from: 1, to: 40}\n    epochs: {from: 1, to: 30}\n'))[0];
    expect(big.message).toMatch(/1,200 points .* more than max_points 1000/);
    expect(big.hint).toMatch(/max_points/);
    expect(sweepOf(at('    days: {from: 1, to: 40}\n    epochs: {from: 1, to: 30}\n'), { maxPoints: 1200 }).points.length).toBe(1200);
    const zip = problems(at('    days: [1, 2]\n    epochs: [1, 2, 3]\n', '  mode: zip\n'))[0];
    expect(zip.message).toMatch(/zip needs lists of one length/);
  });
  it('a value the param does not take is named with its point', async () => {
    const d = problems(at('    days: [2, -1]\n'));
    expect(d[0].message).toMatch(/sweep point 2 \(days=-1\)/);
    expect(d[0].location?.line).toBe(21);
  });
  it('--set and the sweep on one param is refused', async () => {
    const d = problems(at('    model.epochs: [1, 2]\n'), { set: ['model.epochs=3'] });
    expect(d[0].message).toMatch(/--set model.epochs=3 and the sweep both set/);
  });
});

describe('one DAG for every point', () => {
  const env = { modelsDir: '/tmp' };
  const run = (text: string, kinds: KindRegistry, cacheDir: string, opts: { concurrency?: number } = {}) =>
    runSweep(sweepOf(text), { cacheDir, modelsDir: env.modelsDir, kinds, concurrency: opts.concurrency ?? 2 });

  it('an epochs sweep computes fetch, indicators and sample once; train once per point', async () => {
    const dir = tempDir();
    const out = await run(TOY_SPEC(4, `sweep:\n  grid:\n    epochs: [1, 2, 3]\n`), toyKinds(), dir);
    expect(out.status).toBe('ok');
    expect(out.stats).toEqual({ unshared: 3 * (3 * 2 + 1), shared: 3 * 2 + 3 });
    expect(calls.filter((c) => c.startsWith('fetch')).length).toBe(2);
    expect(calls.filter((c) => c.startsWith('sample')).length).toBe(2);
    expect(calls.filter((c) => c === 'train').length).toBe(3);
    // One record per point, grouped by the sweep, each with the nodes of a plain run.
    const store = openLocalStore(dir);
    const recs = await store.runs.sweep(out.sweepId);
    expect(recs.map((r) => r.sweepValues)).toEqual([{ epochs: 1 }, { epochs: 2 }, { epochs: 3 }]);
    expect(recs.every((r) => r.status === 'ok' && r.nodes!.length === 7)).toBe(true);
    expect(recs[1].nodes!.map((n) => n.node).sort()).toEqual(['bars[1/2]', 'bars[2/2]', 'ind[1/2]', 'ind[2/2]', 'model', 'samples[1/2]', 'samples[2/2]']);
    expect(recs[2].metrics!.model.total).toBe(recs[0].metrics!.model.total);
    store.close();
  });

  it('a days sweep shares nothing that depends on days', async () => {
    const out = await run(TOY_SPEC(2, `sweep:\n  grid:\n    days: [2, 3]\n`), toyKinds(), tempDir());
    expect(out.stats.shared).toBe(out.stats.unshared);
    expect(calls.filter((c) => c.startsWith('fetch')).length).toBe(2);
    expect(out.points[0].metrics.model.total).not.toBe(out.points[1].metrics.model.total);
  });

  it('a failed point does not stop the others; running again runs only what is missing', async () => {
    const kinds = toyKinds();
    let failOn = 2;
    const flaky: StepKind = {
      ...(kinds.train as StepKind),
      async run(ctx) {
        calls.push(`train:${ctx.params.epochs}`);
        if (ctx.params.epochs === failOn) throw new Error(`no good at ${failOn} epochs`);
        return { tensors: { e: tensor(Float64Array.of(ctx.params.epochs), [1]) }, meta: {}, metrics: { epochs: ctx.params.epochs } };
      },
    };
    const withFlaky = { ...kinds, train: flaky } as KindRegistry;
    const dir = tempDir();
    const events: string[] = [];
    const text = TOY_SPEC(2, `sweep:\n  grid:\n    epochs: [1, 2, 3]\n`);
    const out = await runSweep(sweepOf(text), {
      cacheDir: dir,
      modelsDir: '/tmp',
      kinds: withFlaky,
      concurrency: 1,
      report: (e) => void (e.type === 'warn' || e.type === 'run-end' ? events.push(e.type === 'warn' ? e.message : 'end') : undefined),
    });
    expect(out.status).toBe('failed');
    expect(out.points.map((p) => p.status)).toEqual(['ok', 'failed', 'ok']);
    // Said when it failed: before point 3 finished and before the end.
    expect(events.findIndex((m) => /sweep point 2 \(epochs=2\) failed/.test(m))).toBeLessThan(events.indexOf('end'));
    expect(calls.filter((c) => c.startsWith('train:'))).toEqual(['train:1', 'train:2', 'train:3']);

    calls.length = 0;
    failOn = -1;
    const again = await runSweep(sweepOf(text), { cacheDir: dir, modelsDir: '/tmp', kinds: withFlaky, concurrency: 1 });
    expect(again.status).toBe('ok');
    expect(calls).toEqual(['train:2']);
    expect([...again.results.values()].filter((r) => r.status === 'ran').map((r) => r.id)).toEqual(['model@2']);
  });

  it('a point whose gate fails stops only the work that is its alone', async () => {
    const gate: StepKind = {
      name: 'precheck',
      version: 1,
      description: 'a toy gate',
      paramsSchema: {},
      cardinality: 'whole-universe',
      contentIdMode: 'gate',
      sharedParams: ['sample_interval'],
      inputs: [],
      async run(ctx) {
        calls.push(`precheck:${ctx.params.sample_interval}`);
        if (ctx.params.sample_interval === 99) throw new Error('too few samples at interval 99');
        return { tensors: {}, meta: {} };
      },
    };
    const kinds = { ...toyKinds(), precheck: gate } as KindRegistry;
    const text = TOY_SPEC(2, `  check:\n    kind: precheck\nsweep:\n  grid:\n    sample_interval: [10, 99]\n`).replace('    kind: fetch\n', '    kind: fetch\n    inputs: [check]\n');
    const out = await run(text, kinds, tempDir(), { concurrency: 1 });
    expect(out.points.map((p) => p.status)).toEqual(['ok', 'failed']);
    expect(out.points[1].error).toMatch(/too few samples at interval 99/);
    // The shared data steps ran once for the point that passed; point 2's own samples never ran.
    expect(calls.filter((c) => c.startsWith('fetch')).length).toBe(1);
    expect(calls.filter((c) => c.startsWith('sample')).length).toBe(1);
    const skipped = [...out.results.values()].filter((r) => r.status === 'skipped').map((r) => r.id);
    expect(skipped.sort()).toEqual(['model@2', 'samples@2[1/1]']);
  });

  it('concurrency 1 and 2 give the same points', async () => {
    const text = TOY_SPEC(5, `sweep:\n  grid:\n    days: [2, 3]\n    epochs: [1, 2]\n`);
    const a = await run(text, toyKinds(), join(tempDir(), 'a'), { concurrency: 1 });
    const b = await run(text, toyKinds(), join(tempDir(), 'b'), { concurrency: 2 });
    expect(a.points.map((p) => p.metrics)).toEqual(b.points.map((p) => p.metrics));
  });
});

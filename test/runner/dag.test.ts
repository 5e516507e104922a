import { beforeEach, describe, expect, it } from 'vitest';
import { asyncArtifacts } from '../../src/cache/store-api.js';
import { readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArtifactCache } from '../../src/cache/store.js';
import { execute } from '../../src/dag/execute.js';
import { planSpec } from '../../src/dag/plan.js';
import { resolvePlan } from '../../src/dag/resolve.js';
import type { RunEvent } from '../../src/dag/events.js';
import type { RemoteNodes } from '../../src/dag/execute.js';
import type { KindRegistry, RunEnvironment, StepContext, StepKind } from '../../src/steps/kind.js';
import { UsageError } from '../../src/util/errors.js';
import { specFrom, tempDir } from './helpers.js';
import { calls, TOY_SPEC, toyKinds } from './toy-kinds.js';

const env: RunEnvironment = { modelsDir: '/tmp', provider: () => { throw new Error('no provider in toy runs'); } };

async function runToy(text: string, cache: ArtifactCache, kindOpts = {}) {
  const spec = specFrom(text);
  const plan = planSpec(spec, toyKinds(kindOpts));
  const events: RunEvent[] = [];
  const out = await execute(plan, { cache: asyncArtifacts(cache), env, concurrency: 2, signal: new AbortController().signal, report: (e) => events.push(e) });
  return { plan, events, ...out };
}

beforeEach(() => {
  calls.length = 0;
});

describe('planner', () => {
  it('orders steps topologically and splits tickers into batches with a fan-in', async () => {
    const plan = planSpec(specFrom(TOY_SPEC(5)), toyKinds());
    expect(plan.stepOrder).toEqual(['bars', 'ind', 'samples', 'model']);
    expect(plan.batches.map((b) => b.tickers)).toEqual([['T0', 'T1'], ['T2', 'T3'], ['T4']]);
    const model = plan.nodes.get('model')!;
    expect(model.deps).toEqual(['samples[1/3]', 'samples[2/3]', 'samples[3/3]']);
    expect(plan.nodes.get('ind[2/3]')!.deps).toEqual(['bars[2/3]']);
    for (const id of plan.order) for (const d of plan.nodes.get(id)!.deps) expect(plan.order.indexOf(d)).toBeLessThan(plan.order.indexOf(id));
  });

  it('names a cycle with the location of each edge', async () => {
    const text = `name: c
universe: {tickers: [A]}
steps:
  a:
    kind: indicators
    inputs: [b]
  b:
    kind: indicators
    inputs: [a]
`;
    try {
      planSpec(specFrom(text), toyKinds());
      throw new Error('expected a cycle error');
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      const d = (e as UsageError).diagnostics[0];
      expect(d.message).toContain('a → b → a');
      expect(d.location).toMatchObject({ line: 6, col: 14 });
      expect(d.hint).toContain('/tmp/spec.yaml:9');
    }
  });

  it('rejects an input of the wrong kind and a missing required input', async () => {
    const text = `name: k
universe: {tickers: [A]}
steps:
  bars: {kind: fetch}
  model:
    kind: train
    inputs: [bars]
`;
    try {
      planSpec(specFrom(text), toyKinds());
      throw new Error('expected failure');
    } catch (e) {
      const msgs = (e as UsageError).diagnostics.map((d) => d.message);
      expect(msgs).toContain('step `model` (train) cannot read `bars`, a fetch step');
      expect(msgs).toContain('step `model` (train) needs a sample step among its inputs');
    }
  });
});

describe('executor and cache', () => {
  it('runs cold, then warm with every node a hit and the same result', async () => {
    const cache = ArtifactCache.open(tempDir());
    const cold = await runToy(TOY_SPEC(5), cache);
    expect([...cold.results.values()].every((r) => r.status === 'ran')).toBe(true);
    expect(cold.metrics.model.total).toBe(2 * (0 + 1 + 2 + 3 + 4 + 5) * 2 + 2 * (0 + 1 + 2));
    calls.length = 0;
    const warm = await runToy(TOY_SPEC(5), cache);
    expect([...warm.results.values()].every((r) => r.status === 'hit')).toBe(true);
    expect(calls).toEqual([]);
    expect(warm.metrics.model).toEqual(cold.metrics.model);
  });

  it('keys ignore YAML formatting and key order but follow params, defaults, versions, upstream and data', async () => {
    const cache = ArtifactCache.open(tempDir());
    const keys = async (text: string, kindOpts = {}) => {
      const spec = specFrom(text);
      const plan = planSpec(spec, toyKinds(kindOpts));
      return Object.fromEntries((await resolvePlan(plan, asyncArtifacts(cache), env)).map((n) => [n.id, n.key]));
    };
    await runToy(TOY_SPEC(2), cache);
    const base = await keys(TOY_SPEC(2));
    // Reformatted: flow style, other key order, comments, explicit default.
    const reformatted = `# same pipeline
steps: {bars: {kind: fetch, inputs: []}, ind: {inputs: [bars], kind: indicators}, samples: {kind: sample, inputs: [ind], params: {sample_interval: 15}}, model: {kind: train, inputs: [samples]}}
params: {days: 3, warmup: 120}
universe: {tickers: [T0, T1]}
batch_size: 2
name: toy
`;
    expect(await keys(reformatted)).toEqual(base);
    // A param change moves that step's key and everything below it, nothing above.
    const interval = await keys(TOY_SPEC(2).replace('days: 3', 'days: 3\n  sample_interval: 5'));
    expect(interval['bars[1/1]']).toBe(base['bars[1/1]']);
    expect(interval['ind[1/1]']).toBe(base['ind[1/1]']);
    expect(interval['samples[1/1]']).not.toBe(base['samples[1/1]']);
    expect(interval.model).not.toBe(base.model);
    // A kind version bump invalidates that kind and downstream.
    const bumped = await keys(TOY_SPEC(2), { version: 2 });
    expect(bumped['bars[1/1]']).toBe(base['bars[1/1]']);
    expect(bumped['ind[1/1]']).not.toBe(base['ind[1/1]']);
    expect(bumped['samples[1/1]']).not.toBe(base['samples[1/1]']);
    // days feeds fetch: everything changes.
    const days = await keys(TOY_SPEC(2).replace('days: 3', 'days: 4'));
    expect(days['bars[1/1]']).not.toBe(base['bars[1/1]']);
    // Tickers are part of a batch's key.
    expect((await keys(TOY_SPEC(2).replace('[T0, T1]', '[T0, T9]')))['bars[1/1]']).not.toBe(base['bars[1/1]']);
  });

  it('recomputes downstream when fetched data change, and never otherwise', async () => {
    const cache = ArtifactCache.open(tempDir());
    await runToy(TOY_SPEC(2), cache);
    // Refetch returning the same bars: downstream stays cached.
    calls.length = 0;
    const spec = specFrom(TOY_SPEC(2));
    const same = await execute(planSpec(spec, toyKinds()), { cache: asyncArtifacts(cache), env, concurrency: 1, signal: new AbortController().signal, report: () => {}, refresh: new Set(['bars']) });
    expect(calls).toEqual(['fetch:0']);
    expect(same.results.get('model')!.status).toBe('hit');
    // Refetch returning corrected bars: downstream recomputes.
    calls.length = 0;
    const changed = await execute(planSpec(spec, toyKinds({ fetchOffset: 1 })), { cache: asyncArtifacts(cache), env, concurrency: 1, signal: new AbortController().signal, report: () => {}, refresh: new Set(['bars']) });
    expect(calls).toEqual(['fetch:0', 'indicators:0', 'sample:0', 'train']);
    expect(changed.results.get('model')!.status).toBe('ran');
  });

  it('a queued run owes its nodes\' side effects here (checkpoint copies) till every node settled; one failing then fails its node', async () => {
    const cache = ArtifactCache.open(tempDir());
    await runToy(TOY_SPEC(5), cache); // warm: every node a hit, so no node needs a worker
    const settled: string[] = [];
    const paid: { node: string; settledBefore: number }[] = [];
    let diskFull = false;
    const base = toyKinds() as unknown as Record<string, StepKind>;
    const kinds = { ...base, train: { ...base.train, async onHit(ctx: StepContext) { paid.push({ node: ctx.key.slice(0, 6), settledBefore: settled.length }); if (diskFull) throw new Error('no space left on device'); } } } as unknown as KindRegistry;
    const plan = planSpec(specFrom(TOY_SPEC(5)), kinds);
    const remote: RemoteNodes = { run: async () => { throw new Error('a warm run sends no node to a worker'); } };
    const run = async (queued: boolean) => {
      settled.length = 0;
      paid.length = 0;
      const events: RunEvent[] = [];
      const out = await execute(plan, { cache: asyncArtifacts(cache), env, concurrency: 2, signal: new AbortController().signal, report: (e) => events.push(e), remote: queued ? remote : undefined, onResult: (r) => void settled.push(r.id) });
      return { events, ...out };
    };
    // Local: the side effect comes with the node, before it settles.
    expect((await run(false)).results.get('model')!.status).toBe('hit');
    expect(paid.map((p) => p.settledBefore)).toEqual([plan.nodes.size - 1]);
    // Queued: after every node settled.
    const queued = await run(true);
    expect(queued.results.get('model')!.status).toBe('hit');
    expect(paid.map((p) => p.settledBefore)).toEqual([plan.nodes.size]);
    // Failing then: the node is failed again in the record (settled twice), its metrics dropped, a warning says why.
    diskFull = true;
    const failed = await run(true);
    expect(failed.results.get('model')).toMatchObject({ status: 'failed', error: 'step `model` failed writing its files at the end of the run: no space left on device' });
    expect(settled.filter((id) => id === 'model')).toHaveLength(2);
    expect(failed.metrics.model).toBeUndefined();
    expect(failed.events.some((e) => e.type === 'warn' && e.message.includes('no space left on device'))).toBe(true);
  });

  it('a failing node names step, batch and tickers; dependents skip; independent batches finish and are cached', async () => {
    const cache = ArtifactCache.open(tempDir());
    const r = await runToy(TOY_SPEC(5), cache, { failBatch: 1 });
    const fail = r.events.find((e) => e.type === 'node-fail') as Extract<RunEvent, { type: 'node-fail' }>;
    expect(fail.node).toBe('ind[2/3]');
    expect(fail.error).toBe('step `ind`, batch 2/3 (T2, T3) failed: boom');
    expect(fail.tickers).toEqual(['T2', 'T3']);
    expect(r.results.get('samples[2/3]')!.status).toBe('skipped');
    expect(r.results.get('model')!.status).toBe('skipped');
    expect(r.results.get('samples[1/3]')!.status).toBe('ran');
    expect(r.results.get('samples[3/3]')!.status).toBe('ran');
    // After the fix, only the failed batch and what depends on it run.
    calls.length = 0;
    const again = await runToy(TOY_SPEC(5), cache);
    expect(calls.sort()).toEqual(['indicators:1', 'sample:1', 'train']);
    expect(again.results.get('bars[2/3]')!.status).toBe('hit');
  });

  it('detects a corrupted blob, reports it and recomputes instead of returning it', async () => {
    const dir = tempDir();
    const cache = ArtifactCache.open(dir, { inlineMaxBytes: 0 }); // every blob as a file
    const cold = await runToy(TOY_SPEC(2), cache);
    // Corrupt the indicators blob on disk (flip bytes at the end).
    const key = cold.results.get('ind[1/1]')!.key!;
    const file = join(dir, 'blobs', key.slice(0, 2), `${key}.safetensors`);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(file, bytes);
    // Changing only the sample params makes the sample step read the corrupt indicators entry.
    calls.length = 0;
    const warm = await runToy(TOY_SPEC(2).replace('days: 3', 'days: 3\n  sample_interval: 5'), cache);
    const warn = warm.events.find((e) => e.type === 'warn') as Extract<RunEvent, { type: 'warn' }>;
    expect(warn.message).toMatch(/corrupt \(checksum mismatch\)/);
    expect(calls).toContain('indicators:0');
    expect(warm.metrics.model.total).toBe(cold.metrics.model.total);
    // The entry was rewritten correctly.
    expect(cache.verify().corrupt).toEqual([]);
    expect(readdirSync(join(dir, 'blobs', key.slice(0, 2))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a cache hit counts as a use: gc by age keeps what warm runs still hit; verify does not', async () => {
    const cache = ArtifactCache.open(tempDir());
    await runToy(TOY_SPEC(2), cache);
    const hour = 3_600_000;
    cache.db.prepare('UPDATE artifacts SET last_used_at = ?').run(Date.now() - 2 * hour);
    cache.verify(); // reading every entry to check it is not a use
    expect(cache.list().every((r) => r.lastUsedAt < Date.now() - hour)).toBe(true);
    await runToy(TOY_SPEC(2), cache); // all hits
    expect(cache.gc({ olderThanMs: hour }).removed).toBe(0);
    expect(cache.list().length).toBe(4);
  });

  it('cache verify finds corrupt entries and gc keeps what recent runs used', async () => {
    const dir = tempDir();
    const cache = ArtifactCache.open(dir);
    await runToy(TOY_SPEC(2), cache);
    const entries = cache.list();
    expect(entries.length).toBe(4);
    cache.db.prepare("UPDATE artifacts SET checksum = 'x' WHERE key = ?").run(entries[0].key);
    const v = cache.verify();
    expect(v.checked).toBe(4);
    expect(v.corrupt.map((c) => c.key)).toEqual([entries[0].key]);
    expect(cache.list().length).toBe(3);
    const gc = cache.gc({ olderThanMs: -1 });
    expect(gc.removed).toBe(3);
    expect(cache.list()).toEqual([]);
  });
});

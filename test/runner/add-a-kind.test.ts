/**
 * Follows docs/architecture.md, "How to add a step kind", step by step, with a kind whose name
 * appears nowhere in src/: `session_range`, the mean high−low range of each ticker's bars.
 * Nothing here edits src/; the kind joins the registry the way an embedding program adds it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { defineKind, inputIn, planFor, runPipeline, schemaFor, schemaSources, STEP_KIND_REGISTRY, loadSpec, type KindRegistry } from '../../src/index.js';
import { panelFromTensors } from '../../src/steps/panel-artifact.js';
import { tensor } from '../../src/tensor/tensor.js';
import { UsageError } from '../../src/util/errors.js';
import { tempDir, writeSpec } from './helpers.js';

// 1. One file declares the kind: params (schema + defaults), input roles, cardinality, uses.
let runs = 0;
interface SessionRangeParams {
  scale: number;
}
const sessionRangeKind = defineKind<SessionRangeParams>({
  name: 'session_range',
  version: 1,
  description: 'Mean high − low range of each ticker over the fetched bars, times scale.',
  paramsSchema: { scale: { type: 'number', exclusiveMinimum: 0, default: 1 } },
  sharedParams: [],
  inputs: [{ role: 'bars', kind: 'fetch', required: true }],
  cardinality: 'per-batch',
  contentIdMode: 'key',
  async run(ctx) {
    runs++;
    const bars = inputIn(ctx.inputs, 'bars');
    const p = panelFromTensors(await bars.tensors(), bars.meta as any);
    const out = new Float64Array(p.N);
    for (let n = 0; n < p.N; n++) {
      let sum = 0;
      let count = 0;
      for (let t = 0; t < p.T; t++) {
        const i = t * p.N + n;
        if (p.mask[i]) {
          sum += p.high[i] - p.low[i];
          count++;
        }
      }
      out[n] = (ctx.params.scale * sum) / Math.max(1, count);
    }
    return { tensors: { range: tensor(out, [p.N]) }, meta: { tickers: p.tickers }, metrics: { mean_range: out.reduce((a, b) => a + b, 0) / p.N } };
  },
});

// 2. Register it: one line (here, beside the shipped kinds, as a program of its own would).
const kinds: KindRegistry = { ...STEP_KIND_REGISTRY, session_range: sessionRangeKind };

const dir = tempDir('mlxi-kind-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPEC = (scale: string) => `name: ranges
universe: {tickers: [AAA, BBB, CCC]}
batch_size: 2
data: {provider: synthetic, end: "2024-03-15"}
params: {days: 2}
steps:
  bars: {kind: fetch}
  ranges:
    kind: session_range
    inputs: {bars: bars}
    ${scale}
`;

describe('how to add a step kind (docs/architecture.md), followed literally', () => {
  it('3. the generated schema carries the new kind and its params', () => {
    const schema = JSON.stringify(schemaFor(kinds));
    expect(schema).toContain('session_range');
    expect(schema).toContain('Mean high − low range');
    // The shipped schema does not know it: a spec using it is refused without the kinds.
    const path = writeSpec(SPEC(''), dir);
    expect(() => loadSpec(path)).toThrow(UsageError);
  });

  it('4. a spec uses it by name; a bad param is an error at its line', () => {
    const bad = writeSpec(SPEC('params: {scale: -1}'), tempDir());
    try {
      loadSpec(bad, { kinds: schemaSources(kinds) });
      throw new Error('expected a rejection');
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      const d = (e as UsageError).diagnostics[0];
      expect(d.message).toMatch(/scale/);
      expect(d.location?.line).toBe(11); // the `params:` line of the ranges step
    }
  });

  it('5. it plans per batch, keys on its params, runs, and caches', async () => {
    const load = (scale: number) => loadSpec(writeSpec(SPEC(`params: {scale: ${scale}}`), dir), { kinds: schemaSources(kinds) });
    const spec = load(2);
    const plan = planFor(spec, kinds);
    const nodes = [...plan.nodes.values()].filter((n) => n.step.name === 'ranges');
    expect(nodes.map((n) => n.batch?.tickers)).toEqual([['AAA', 'BBB'], ['CCC']]);
    expect(nodes[0].params).toEqual({ scale: 2 });

    const opts = { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), kinds };
    const first = await runPipeline(spec, opts);
    expect(first.status).toBe('ok');
    expect(runs).toBe(2);
    const ran = [...first.results.values()].filter((r) => r.ref.step === 'ranges');
    expect(ran.map((r) => r.status)).toEqual(['ran', 'ran']);
    expect(first.metrics['ranges[1/2]'].mean_range).toBeGreaterThan(0);

    // Same spec again: both nodes hit, nothing runs.
    const again = await runPipeline(load(2), opts);
    expect([...again.results.values()].filter((r) => r.ref.step === 'ranges').map((r) => r.status)).toEqual(['hit', 'hit']);
    expect(runs).toBe(2);

    // Its params are in its key: another scale recomputes, and the value scales with it.
    const scaled = await runPipeline(load(4), opts);
    expect(runs).toBe(4);
    expect(scaled.metrics['ranges[1/2]'].mean_range).toBeCloseTo(2 * first.metrics['ranges[1/2]'].mean_range, 10);
  });
});

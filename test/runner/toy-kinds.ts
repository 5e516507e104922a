/**
 * Small step kinds under the real kind names, for testing the planner, executor and cache on
 * real code paths without market data: "fetch" makes a ramp per ticker, "indicators" doubles it,
 * "sample" sums it, "train" adds the samples up across batches.
 */
import type { InputArtifact, KindRegistry, StepKind } from '../../src/steps/kind.js';
import { tensor } from '../../src/tensor/tensor.js';

export const calls: string[] = [];

const first = (inputs: Record<string, InputArtifact | InputArtifact[]>) => Object.values(inputs)[0] as InputArtifact;
const common = { description: 'a toy kind', paramsSchema: {} };

export function toyKinds(opts: { failBatch?: number; version?: number; fetchOffset?: number } = {}): KindRegistry {
  const fetch: StepKind = {
    name: 'fetch',
    version: 1,
    ...common,
    cardinality: 'per-batch',
    contentIdMode: 'output',
    sharedParams: ['days'],
    inputs: [{ role: 'gate', kind: 'precheck' }],
    async run(ctx) {
      calls.push(`fetch:${ctx.batch!.index}`);
      const n = ctx.batch!.tickers.length;
      const v = new Float32Array(ctx.params.days * n).map((_, i) => i + (opts.fetchOffset ?? 0));
      return { tensors: { v: tensor(v, [ctx.params.days, n]) }, meta: { n }, contentId: `data:${v.join(',')}` };
    },
  };
  const indicators: StepKind = {
    name: 'indicators',
    version: opts.version ?? 1,
    ...common,
    cardinality: 'per-batch',
    contentIdMode: 'key',
    sharedParams: [],
    inputs: [{ role: 'bars', kind: 'fetch', required: true }],
    async run(ctx) {
      calls.push(`indicators:${ctx.batch!.index}`);
      if (ctx.batch!.index === opts.failBatch) throw new Error('boom');
      const v = (await first(ctx.inputs).tensors()).v;
      const out = Float32Array.from(v.data as Float32Array, (x) => 2 * x);
      return { tensors: { v: tensor(out, v.shape) }, meta: {} };
    },
  };
  const sample: StepKind = {
    name: 'sample',
    version: 1,
    ...common,
    cardinality: 'per-batch',
    contentIdMode: 'key',
    sharedParams: ['sample_interval'],
    inputs: [{ role: 'indicators', kind: 'indicators', required: true }],
    async run(ctx) {
      calls.push(`sample:${ctx.batch!.index}`);
      const v = (await first(ctx.inputs).tensors()).v.data as Float32Array;
      return { tensors: { s: tensor(Float64Array.of(v.reduce((a, b) => a + b, 0)), [1]) }, meta: {} };
    },
  };
  const train: StepKind = {
    name: 'train',
    version: 1,
    ...common,
    cardinality: 'whole-universe',
    contentIdMode: 'key',
    sharedParams: ['epochs'],
    inputs: [{ role: 'samples', kind: 'sample', required: true }],
    async run(ctx) {
      calls.push('train');
      let total = 0;
      for (const a of first(ctx.inputs) as unknown as InputArtifact[]) total += ((await a.tensors()).s.data as Float64Array)[0];
      return { tensors: { total: tensor(Float64Array.of(total), [1]) }, meta: {}, metrics: { total } };
    },
  };
  return { fetch, indicators, sample, train } as unknown as KindRegistry;
}

export const TOY_SPEC = (tickers: number, extra = '') => `name: toy
batch_size: 2
universe:
  tickers: [${Array.from({ length: tickers }, (_, i) => `T${i}`).join(', ')}]
params:
  days: 3
steps:
  bars:
    kind: fetch
  ind:
    kind: indicators
    inputs: [bars]
  samples:
    kind: sample
    inputs: [ind]
  model:
    kind: train
    inputs: [samples]
${extra}`;

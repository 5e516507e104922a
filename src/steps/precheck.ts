/**
 * precheck: coverage per ticker and day and the sample estimate, before any heavy step. Fails
 * the run (so nothing below it starts) when fewer than `min_samples` samples are expected,
 * saying which --days, --sample-interval or tickers file would be enough.
 */
import { assertPrecheck, runPrecheck, type PrecheckReport } from '../data/precheck.js';
import type { StepContext, StepKind } from './kind.js';
import { dataSessions } from './range.js';
import { fetchBatch } from './remote-batches.js';

export async function precheckReport(ctx: Pick<StepContext, 'spec' | 'params' | 'env' | 'signal' | 'warn'> & { progress?: StepContext['progress'] }): Promise<PrecheckReport> {
  const p = ctx.params;
  const provider = ctx.env.provider();
  // Batches as the fetch step will ask for them, so remote downloads are shared (remote-batches.ts).
  const source = (tickers: string[], signal?: AbortSignal) =>
    fetchBatch(provider, ctx.env.cache, { tickers, sessions: dataSessions(ctx.spec, p.days, provider), signal, onWarning: ctx.warn });
  return runPrecheck(source, {
    tickers: ctx.spec.universe.tickers,
    sessions: dataSessions(ctx.spec, p.days, provider),
    days: p.days,
    sampleInterval: p.sample_interval,
    warmup: p.warmup,
    horizon: p.horizon,
    minSamples: p.min_samples,
    batchSize: ctx.spec.batchSize,
    // A folder holds only its own tickers: suggesting the 655-symbol list would fail as unknown tickers.
    moreTickers: provider.name === 'folder' ? { file: '', count: 0 } : undefined,
    signal: ctx.signal,
    onWarning: ctx.warn,
    onProgress: (done, total) => ctx.progress?.(done / total, `${done}/${total} tickers checked`),
  });
}

export const precheckKind: StepKind = {
  name: 'precheck',
  version: 1,
  perBatch: false,
  contentIdMode: 'gate',
  sharedParams: ['days', 'sample_interval', 'warmup', 'horizon', 'min_samples'],
  inputs: { required: [] },
  keyData: ({ spec, params, env }) => ({
    provider: env.provider().identity(),
    tickers: spec.universe.tickers,
    sessions: dataSessions(spec, params.days, env.provider()).map((s) => s.date),
  }),
  alwaysRun: ({ env }) => env.provider().name === 'folder',
  async run(ctx) {
    const report = await precheckReport(ctx);
    assertPrecheck(report);
    ctx.info(`${report.estimate.real.toLocaleString('en-US')} samples expected (guide's formula: ${report.estimate.formula.toLocaleString('en-US')}), ${report.totals.missingPct}% of bars missing`);
    return {
      tensors: {},
      meta: { report },
      metrics: { samples_estimated: report.estimate.real, formula_estimate: report.estimate.formula, missing_pct: report.totals.missingPct },
    };
  },
};

/**
 * precheck: coverage per ticker and day and the sample estimate, before any heavy step. Fails
 * the run (so nothing below it starts) when fewer than `min_samples` samples are expected,
 * saying which --days, --sample-interval or tickers file would be enough, and when the data are
 * thin or misaligned (`max_missing_share`, `min_days_share`, `max_absent_days`), naming the
 * tickers and days.
 */
import { assertPrecheck, runPrecheck, type PrecheckReport } from '../data/precheck.js';
import { endDateOf, type DataConfig } from '../data/config.js';
import type { Provider } from '../data/provider.js';
import type { Spec } from '../spec/types.js';
import type { StepContext, StepKind } from './kind.js';
import { dataSessions } from './range.js';
import { fetchBatch } from './remote-batches.js';

/** Where the last session comes from, in words, for the report's end-date line. */
export function endSource(spec: Spec, provider: Provider): string {
  return endDateOf((spec.data ?? {}) as DataConfig) ? 'data.end' : provider.capabilities.defaultEnd;
}

export async function precheckReport(
  ctx: Pick<StepContext, 'spec' | 'params' | 'env' | 'signal' | 'warn'> & { progress?: StepContext['progress']; stepName?: string },
): Promise<PrecheckReport> {
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
    thresholds: { maxMissingShare: p.max_missing_share, minDaysShare: p.min_days_share, maxAbsentDays: p.max_absent_days },
    context: { endSource: endSource(ctx.spec, provider), universeSource: ctx.spec.universe.source, setPrefix: ctx.stepName ?? 'precheck' },
    batchSize: ctx.spec.batchSize,
    // A folder holds only its own tickers: suggesting the 655-symbol list would fail as unknown tickers.
    moreTickers: provider.capabilities.fixedUniverse ? { file: '', count: 0 } : undefined,
    signal: ctx.signal,
    onWarning: ctx.warn,
    onProgress: (done, total) => ctx.progress?.(done / total, `${done}/${total} tickers checked`),
  });
}

export const precheckKind: StepKind = {
  name: 'precheck',
  // 2: coverage thresholds (a run that passed before may fail now).
  version: 2,
  perBatch: false,
  contentIdMode: 'gate',
  sharedParams: ['days', 'sample_interval', 'warmup', 'horizon', 'min_samples'],
  inputs: { required: [] },
  keyData: ({ spec, params, env }) => ({
    provider: env.provider().identity(),
    tickers: spec.universe.tickers,
    sessions: dataSessions(spec, params.days, env.provider()).map((s) => s.date),
  }),
  alwaysRun: ({ env }) => env.provider().capabilities.changesBetweenRuns,
  async run(ctx) {
    const report = await precheckReport({ ...ctx, stepName: ctx.step.name });
    assertPrecheck(report);
    const padded = report.coverage.padding.length ? `, ${report.coverage.padding.length} ticker(s) padded` : '';
    ctx.info(
      `${report.estimate.real.toLocaleString('en-US')} samples expected (guide's formula: ${report.estimate.formula.toLocaleString('en-US')}), ` +
        `${report.totals.missingPct}% of bars missing, sessions end ${report.coverage.end.date}${padded}`,
    );
    return {
      tensors: {},
      meta: { report },
      metrics: { samples_estimated: report.estimate.real, formula_estimate: report.estimate.formula, missing_pct: report.totals.missingPct },
    };
  },
};

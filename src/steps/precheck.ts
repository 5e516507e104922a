/**
 * precheck: coverage per ticker and day and the sample estimate, before any heavy step. Fails
 * the run (so nothing below it starts) when fewer than `min_samples` samples are expected,
 * saying which --days, --sample-interval or tickers file would be enough, and when the data are
 * thin or misaligned (`max_missing_share`, `min_days_share`, `max_absent_days`), naming the
 * tickers and days.
 */
import { assertPrecheck, runPrecheck, type PrecheckReport } from '../data/precheck.js';
import type { Provider } from '../data/provider.js';
import { defineKind, type StepContext } from './kind.js';
import { fetchBatch } from './remote-batches.js';

/** Where the last session comes from, in words, for the report's end-date line. */
export function endSource(dataEndSet: boolean, provider: Provider): string {
  return dataEndSet ? 'data.end' : provider.capabilities.defaultEnd;
}

export interface PrecheckParams {
  days: number;
  sample_interval: number;
  warmup: number;
  horizon: number;
  min_samples: number;
  max_missing_share: number;
  min_days_share: number;
  max_absent_days: number;
}

/** The report the precheck step (and `mlx-intraday precheck`) makes. */
export async function precheckReport(
  ctx: Pick<StepContext<PrecheckParams>, 'params' | 'env' | 'signal' | 'warn' | 'provider' | 'sessions' | 'universe' | 'pipeline'> & { progress?: StepContext['progress'] },
  stepName = 'precheck',
): Promise<PrecheckReport> {
  const p = ctx.params;
  const provider = ctx.provider();
  const sessions = ctx.sessions(p.days);
  // Batches as the fetch step will ask for them, so remote downloads are shared (remote-batches.ts).
  const source = (tickers: string[], signal?: AbortSignal) => fetchBatch(provider, ctx.env.cache, { tickers, sessions, signal, onWarning: ctx.warn });
  return runPrecheck(source, {
    tickers: ctx.universe.tickers,
    sessions,
    days: p.days,
    sampleInterval: p.sample_interval,
    warmup: p.warmup,
    horizon: p.horizon,
    minSamples: p.min_samples,
    thresholds: { maxMissingShare: p.max_missing_share, minDaysShare: p.min_days_share, maxAbsentDays: p.max_absent_days },
    context: { endSource: endSource(ctx.pipeline.dataEndSet, provider), universeSource: ctx.universe.source, setPrefix: stepName },
    batchSize: ctx.pipeline.batchSize,
    // A folder holds only its own tickers: suggesting the 655-symbol list would fail as unknown tickers.
    moreTickers: provider.capabilities.fixedUniverse ? { file: '', count: 0 } : undefined,
    signal: ctx.signal,
    onWarning: ctx.warn,
    onProgress: (done, total) => ctx.progress?.(done / total, `${done}/${total} tickers checked`),
  });
}

export const precheckKind = defineKind<PrecheckParams>({
  name: 'precheck',
  description: 'Coverage per ticker and day and the sample estimate, before any heavy step; fails fast with what to change.',
  // 2: coverage thresholds (a run that passed before may fail now).
  version: 2,
  cardinality: 'whole-universe',
  contentIdMode: 'gate',
  sharedParams: ['days', 'sample_interval', 'warmup', 'horizon', 'min_samples'],
  paramsSchema: {
    max_missing_share: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.2,
      description:
        'Precheck fails for a ticker with more than this share of its minutes without a bar (counted over the days the data hold). Drop the ticker, or raise this to accept thin names.',
    },
    min_days_share: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.9,
      description:
        'Precheck fails for a ticker with bars on fewer than this share of the days the data hold (e.g. a file that ends days before the others: those days are padded with its last close).',
    },
    max_absent_days: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'Precheck fails when more requested sessions than this have no bar for any ticker (e.g. --days beyond what the files hold, or data.end after the data end).',
    },
  },
  inputs: [],
  uses: ['provider', 'sessions', 'universe'],
  alwaysRun: (ctx) => ctx.provider().capabilities.changesBetweenRuns,
  async run(ctx) {
    // Passed whole, not spread: a context's undeclared uses throw when read.
    const report = await precheckReport(ctx, ctx.step.name);
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
});

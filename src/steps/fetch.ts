/** fetch: one batch of minute bars from the spec's provider, fingerprinted for downstream keys. */
import { fingerprintPanel } from '../data/fingerprint.js';
import type { StepKind } from './kind.js';
import { panelMeta, panelToTensors } from './panel-artifact.js';
import { dataSessions } from './range.js';
import { fetchBatch } from './remote-batches.js';

export const fetchKind: StepKind = {
  name: 'fetch',
  version: 1,
  perBatch: true,
  contentIdMode: 'output',
  sharedParams: ['days'],
  inputs: { required: [], optional: ['precheck'] },
  keyData: ({ spec, params, env }) => ({
    provider: env.provider().identity(),
    sessions: dataSessions(spec, params.days, env.provider()).map((s) => s.date),
  }),
  // Local files may change between runs: look at them every run (the provider re-reads only
  // files whose size/mtime/ctime changed) and let the fingerprint decide what recomputes.
  alwaysRun: ({ env }) => env.provider().capabilities.changesBetweenRuns,
  async run(ctx) {
    const provider = ctx.env.provider();
    const sessions = dataSessions(ctx.spec, ctx.params.days, provider);
    const panel = await fetchBatch(provider, ctx.env.cache, { tickers: ctx.batch!.tickers, sessions, signal: ctx.signal, onWarning: ctx.warn, refresh: ctx.refresh });
    const fingerprint = fingerprintPanel(panel);
    let observed = 0;
    for (let i = 0; i < panel.mask.length; i++) observed += panel.mask[i];
    return {
      tensors: panelToTensors(panel),
      meta: { ...panelMeta(panel), fingerprint, observedBars: observed },
      contentId: `data:${fingerprint}`,
      metrics: { bars: observed, missing_pct: (100 * (panel.mask.length - observed)) / Math.max(1, panel.mask.length) },
    };
  },
};

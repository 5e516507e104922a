/** fetch: one batch of minute bars from the spec's provider, fingerprinted for downstream keys. */
import { fingerprintPanel } from '../data/fingerprint.js';
import { defineKind } from './kind.js';
import { panelMeta, panelToTensors } from './panel-artifact.js';
import { fetchBatch } from './remote-batches.js';

export const fetchKind = defineKind<{ days: number }>({
  name: 'fetch',
  description: 'One batch of minute bars from the configured provider, fingerprinted so that unchanged data keep everything below cached.',
  version: 1,
  cardinality: 'per-batch',
  contentIdMode: 'output',
  sharedParams: ['days'],
  paramsSchema: {},
  // A precheck input is a gate: fetch waits for it and never reads it.
  inputs: [{ role: 'gate', kind: 'precheck' }],
  uses: ['provider', 'sessions'],
  // Local files may change between runs: look at them every run (the provider re-reads only
  // files whose size/mtime/ctime changed) and let the fingerprint decide what recomputes.
  alwaysRun: (ctx) => ctx.provider().capabilities.changesBetweenRuns,
  async run(ctx) {
    const provider = ctx.provider();
    const sessions = ctx.sessions(ctx.params.days);
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
});

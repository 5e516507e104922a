/** `mlx-intraday precheck <spec>`: the precheck step alone, as a table (or JSON). */
import { formatPrecheckTable, type PrecheckReport } from '../data/precheck.js';
import { ArtifactCache } from '../cache/store.js';
import { asyncArtifacts } from '../cache/store-api.js';
import { makeEnvironment } from '../run.js';
import type { Spec } from '../spec/types.js';
import { resolveParams } from '../dag/plan.js';
import { keyContextOf } from '../dag/fingerprint.js';
import type { RunEnvironment } from '../steps/kind.js';
import { precheckKind, precheckReport, type PrecheckParams } from '../steps/precheck.js';

/** The precheck step's report for a spec (its precheck step's params, or the defaults), without a run. */
export function precheckOfSpec(spec: Spec, env: RunEnvironment, opts: { signal?: AbortSignal; warn?: (m: string) => void } = {}): Promise<PrecheckReport> {
  const step = spec.steps.find((s) => s.kind === 'precheck') ?? { name: 'precheck', kind: 'precheck', inputs: [], roles: {}, params: {} };
  const params = resolveParams(spec, step, precheckKind) as PrecheckParams;
  const k = keyContextOf({ kind: precheckKind, step, params, batch: undefined }, { spec }, env);
  const ctx = {
    params,
    env,
    provider: k.provider,
    sessions: k.sessions,
    universe: k.universe,
    pipeline: { name: spec.name, batchSize: spec.batchSize, dataEndSet: typeof (spec.data as { end?: unknown }).end === 'string' },
    signal: opts.signal ?? new AbortController().signal,
    warn: opts.warn ?? (() => {}),
  };
  return precheckReport(ctx, step.name);
}

export async function precheckCommand(spec: Spec, opts: { json?: boolean; cacheDir: string }): Promise<number> {
  // With the cache open, bars downloaded from a remote provider are kept for the run after.
  const cache = ArtifactCache.open(opts.cacheDir);
  let report: PrecheckReport;
  try {
    report = await precheckOfSpec(spec, makeEnvironment(spec, { modelsDir: 'models', cache: asyncArtifacts(cache) }), { warn: (m) => process.stderr.write(`warning: ${m}\n`) });
  } finally {
    cache.close();
  }
  if (opts.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(formatPrecheckTable(report));
    if (!report.ok) process.stderr.write(`\nerror: ${report.error}\n`);
  }
  return report.ok ? 0 : 1;
}

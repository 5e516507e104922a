/** `mlx-intraday precheck <spec>`: the precheck step alone, as a table (or JSON). */
import { formatPrecheckTable } from '../data/precheck.js';
import { ArtifactCache } from '../cache/store.js';
import { makeEnvironment } from '../run.js';
import type { Spec } from '../spec/types.js';
import { resolveParams } from '../dag/plan.js';
import { precheckKind, precheckReport } from '../steps/precheck.js';

export async function precheckCommand(spec: Spec, opts: { json?: boolean; cacheDir: string }): Promise<number> {
  const step = spec.steps.find((s) => s.kind === 'precheck') ?? { name: 'precheck', kind: 'precheck' as const, inputs: [], params: {} };
  const params = resolveParams(spec, step, precheckKind);
  // With the cache open, bars downloaded from a remote provider are kept for the run after.
  const cache = ArtifactCache.open(opts.cacheDir);
  const env = makeEnvironment(spec, { modelsDir: 'models', runId: 'precheck', cache });
  let report;
  try {
    report = await precheckReport({
      spec,
      params,
      env,
      stepName: step.name,
      signal: new AbortController().signal,
      warn: (m) => process.stderr.write(`warning: ${m}\n`),
    });
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

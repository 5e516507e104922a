/**
 * One pipeline run: plan the spec, open the store, execute, and keep a run record of it all.
 * The CLI and the library (tests, embedding programs) both call this; a plain run is a sweep
 * of one point (src/run-sweep.ts does both).
 */
import type { Spec } from './spec/types.js';
import { runSweep } from './run-sweep.js';
import type { RunOptions, RunOutcome } from './run-env.js';

export { PACKAGE_VERSION, newRunId, makeEnvironment, outputIds, planFor, preflight, type RunOptions, type RunOutcome } from './run-env.js';

export async function runPipeline(spec: Spec, opts: RunOptions): Promise<RunOutcome> {
  const out = await runSweep({ base: spec, mode: 'cross', axes: [], points: [{ index: 0, values: {}, spec }] }, opts);
  const point = out.points[0];
  return { runId: point.runId, status: out.status, results: out.results, metrics: point.metrics, ms: out.ms, report: out.report };
}

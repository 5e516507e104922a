/**
 * A run's report from its run record and the cache: the backtest node's output (metrics overall
 * and per ticker, curves, the A − B comparison, gates by regime), the train node it read (training
 * curves, the per-regime selection), the spec, resolved params, data fingerprint and git commit.
 * `mlx-intraday report <run-id>` and the end of a run (src/run.ts) both call this.
 */
import { join } from 'node:path';
import type { ArtifactRecord, ArtifactStore, RunRecords } from '../cache/store-api.js';
import type { RunRecord } from '../cache/runs.js';
import { buildReport, reportsRoot } from './build.js';

export { reportsRoot };
import type { ReportInput, StrategySection, TrainingCurve, UsefulnessSection } from './types.js';


/** `<root>/<run-id>/index.html`. */
export function reportPathFor(runId: string, root = reportsRoot()): string {
  return join(root, runId, 'index.html');
}

type Lookup = Pick<ArtifactStore, 'lookup'>;

/** The run's backtest nodes that finished, with their cache entries (a missing entry is undefined). */
export async function backtestNodesOf(record: RunRecord, artifacts: Lookup): Promise<{ node: string; key: string; entry: ArtifactRecord | undefined }[]> {
  const out = [];
  for (const n of record.nodes ?? []) {
    if (!n.key || (n.status !== 'ran' && n.status !== 'hit')) continue;
    const entry = await artifacts.lookup(n.key);
    if (entry ? entry.kind === 'backtest' : n.step === 'backtest') out.push({ node: n.node, key: n.key, entry });
  }
  return out;
}

/** Regimes × indicators of mean gates (dropping regimes no decision bar fell in). */
function gatesSection(u: { regimes: string[]; indicators: string[]; scores: (number | null)[][]; rows?: number[] } | undefined): UsefulnessSection | undefined {
  if (!u || !Array.isArray(u.scores)) return undefined;
  const keep = u.regimes.map((_, r) => (u.rows ? u.rows[r] > 0 : true));
  return {
    regimes: u.regimes.filter((_, r) => keep[r]),
    indicators: u.indicators,
    scores: u.scores.filter((_, r) => keep[r]),
    measure: "Mean gate over the test period's decision bars",
    note: u.rows ? `Decision bars per regime: ${u.regimes.map((r, i) => `${r} ${u.rows![i]}`).join(', ')}.` : undefined,
  };
}

/** The model's top indicators per regime on validation (train metrics) as a sparse heatmap. */
function topKSection(tops: { regime: string; n: number; indicators: { name: string; score: number }[] }[] | undefined): UsefulnessSection | undefined {
  if (!tops || tops.length === 0) return undefined;
  const indicators = [...new Set(tops.flatMap((t) => t.indicators.map((x) => x.name)))];
  return {
    regimes: tops.map((t) => t.regime),
    indicators,
    scores: tops.map((t) => indicators.map((n) => t.indicators.find((x) => x.name === n)?.score ?? null)),
    measure: 'Mean gate on the validation split (top indicators of each regime only)',
  };
}

/**
 * The ReportInput of a run, or undefined when the run has no finished backtest node. Throws when
 * the backtest's cache entry is gone (say how to get it back).
 */
export async function reportInputFromRun(record: RunRecord, artifacts: Lookup): Promise<ReportInput | undefined> {
  const nodes = await backtestNodesOf(record, artifacts);
  if (nodes.length === 0) return undefined;
  const bt = nodes[0];
  if (!bt.entry) throw new Error(`the cache no longer holds the output of ${bt.node} (key ${bt.key.slice(0, 12)}); rerun the spec to recompute it, then build the report again`);
  const meta = bt.entry.meta as Record<string, any>;
  const part = meta.backtest as Pick<ReportInput, 'symbols' | 'sessions' | 'settings' | 'strategies' | 'comparison'> | undefined;
  if (!part) throw new Error(`${bt.node} was made by an older backtest step without the bar-level results; rerun the spec to recompute it`);
  const notes: string[] = [];
  const train = typeof meta.modelKey === 'string' ? await artifacts.lookup(meta.modelKey) : undefined;
  const tmeta = train?.meta as Record<string, any> | undefined;
  const training: TrainingCurve[] = [];
  if (tmeta?.history) {
    training.push({
      name: String(meta.modelStep ?? train!.step),
      epochs: (tmeta.history as { epoch: number; trainLoss: number; valLoss: number }[]).map((e) => ({ epoch: e.epoch, trainLoss: e.trainLoss ?? null, valLoss: e.valLoss ?? null })),
      bestEpoch: tmeta.trainMetrics?.bestEpoch,
    });
  } else if (typeof meta.modelKey === 'string') notes.push('The training curves are not available: the train step\'s cache entry is gone.');
  const usefulness = gatesSection(meta.usefulness) ?? topKSection(tmeta?.trainMetrics?.evaluation?.usefulness);
  const sessions = part.sessions ?? [];
  if (sessions.length > 0) {
    notes.push(
      `Test period only: ${sessions[0].date} … ${sessions[sessions.length - 1].date} (${sessions.length} session${sessions.length === 1 ? '' : 's'}), ` +
        `from the first test sample (${new Date(meta.testStart).toISOString().replace('.000Z', 'Z')}) after the training data, the validation data and the embargo.`,
    );
  }
  if (meta.selection && typeof meta.selection === 'object') {
    const sel = meta.selection as Record<string, string[]>;
    notes.push(`Strategy A (model) lets through only the indicators the model selected per regime on validation: ${Object.entries(sel).map(([r, list]) => `${r}: ${list.join(', ')}`).join('; ')}.`);
  }
  if (meta.decisionMinutes) notes.push(`The model strategies decide every ${meta.decisionMinutes} minutes of a session and hold each decision until the next (signal at a bar's close, fill at the next bar's open).`);
  if (sessions.length > 0 && sessions.length < 20) notes.push(`Only ${sessions.length} test session${sessions.length === 1 ? '' : 's'}: annualized ratios and the confidence interval from so few days are noise.`);
  if (nodes.length > 1) notes.push(`This run has ${nodes.length} backtest nodes; the report shows ${bt.node}.`);
  const roles = (meta.roles ?? {}) as Record<string, string>;
  const strategies: StrategySection[] = (part.strategies ?? []).map((s) => ({ ...s, role: s.role ?? roles[s.name] }));
  return {
    runId: record.id,
    title: `${record.specName}: backtest report`,
    createdAt: new Date(record.startedAt).toISOString(),
    specText: record.specText,
    params: record.resolved,
    dataFingerprint: meta.dataFingerprint,
    gitCommit: record.gitCommit,
    gitDirty: record.gitDirty,
    packageVersion: record.packageVersion,
    symbols: part.symbols,
    sessions,
    settings: part.settings,
    strategies,
    comparison: part.comparison,
    usefulness,
    training,
    notes,
  };
}

/** Builds `<root>/<run-id>/index.html` for a run; undefined when it has no backtest. */
export async function buildRunReport(record: RunRecord, artifacts: Lookup, opts: { root?: string } = {}): Promise<string | undefined> {
  const input = await reportInputFromRun(record, artifacts);
  if (!input) return undefined;
  return buildReport(input, join(opts.root ?? reportsRoot(), record.id));
}

/**
 * The end of a run (src/run.ts): writes the report when the run has a finished backtest node.
 * Never fails the run: a report that cannot be written becomes a warning.
 */
export async function reportAtRunEnd(
  store: { runs: Pick<RunRecords, 'get'>; artifacts: Lookup },
  runId: string,
  root: string | undefined,
  warn: (message: string) => void,
): Promise<string | undefined> {
  try {
    const record = await store.runs.get(runId);
    return record ? await buildRunReport(record, store.artifacts, { root }) : undefined;
  } catch (e) {
    warn(`the report was not written: ${(e as Error).message}`);
    return undefined;
  }
}

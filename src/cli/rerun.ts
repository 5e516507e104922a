/**
 * `mlx-intraday rerun <run-id>`: runs a recorded run again — its spec text as recorded, the same
 * command-line overrides, seed and tickers — recomputing every node in a scratch cache (removed
 * afterwards: nothing is read back from the cache, and the user's entries and checkpoints are left
 * as they are), and shows the new metrics beside the recorded ones: "identical", or each
 * difference, the trained weights' sha256 included. The new run is recorded like any other.
 *
 * Before running it says what is no longer as recorded: the code (package version, git commit,
 * dirty tree), the spec file on disk (the recorded text is replayed either way), the resolved
 * params (e.g. a kind's default changed) and the fetch nodes' keys (the data settings). Whether
 * the data themselves changed is known once the fetch nodes ran: each fetch's content id (its
 * data fingerprint) is compared with the record as soon as it finishes, and reported then,
 * before training starts.
 */
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RunStore, type RunRecord } from '../cache/runs.js';
import { asyncArtifacts, asyncRuns, type ArtifactStore, type Store } from '../cache/store-api.js';
import { ArtifactCache } from '../cache/store.js';
import type { Reporter } from '../dag/events.js';
import { resolvePlan } from '../dag/resolve.js';
import { makeEnvironment, PACKAGE_VERSION, planFor, runPipeline } from '../run.js';
import { parseSpec, type LoadOptions } from '../spec/index.js';
import { parseSweep } from '../spec/sweep.js';
import type { Spec } from '../spec/types.js';
import { UsageError } from '../util/errors.js';
import { gitCommit, gitDirty } from '../util/gitinfo.js';
import { redactDeep, redactSecrets } from '../util/redact.js';
import { codeOf, compareTrees, dataFingerprints, findRun, paramsOf, sameValue, show, weightHashes, type Change } from './diff.js';
import { printTable } from './format.js';
import { chooseReporter } from './render.js';

export interface RerunOptions {
  cacheDir: string;
  modelsDir: string;
  concurrency?: number;
  json?: boolean;
  /** Let nodes whose key is cached be hits (default: every node is recomputed). */
  useCache?: boolean;
  signal?: AbortSignal;
  /** Where text lines go (default: stdout). */
  write?: (line: string) => void;
}

/** Something that is not as the record has it, found before running. */
export interface PreRunDifference {
  what: 'code' | 'spec file' | 'params' | 'tickers' | 'data settings';
  message: string;
  changes: Change[];
}

export interface RerunReport {
  /** The recorded run. */
  run: string;
  /** The new run's id. */
  rerun: string;
  status: 'ok' | 'failed' | 'interrupted';
  before: PreRunDifference[];
  /** Metrics (and `<node>.weights sha256`, `<node>.data fingerprint`) that differ. */
  differences: Change[];
  /** Compared values that the record lacks (written by an older version). */
  unknown: string[];
  identical: boolean;
  compared: { metrics: number; weights: number; data: number };
}

/** The LoadOptions that give back a run's command-line overrides (the origins the record keeps). */
export function loadOptionsFromOverrides(overrides: readonly string[]): { opts: LoadOptions; unreadable: string[] } {
  const set: string[] = [];
  const flags: NonNullable<LoadOptions['flags']> = {};
  const unreadable: string[] = [];
  for (const o of overrides) {
    if (o.startsWith('--set ')) {
      set.push(o.slice('--set '.length));
      continue;
    }
    if (o.startsWith('sweep ')) continue; // a sweep point's values: replayed from the record's sweepValues
    const sp = o.indexOf(' ');
    const flag = sp < 0 ? o : o.slice(0, sp);
    const value = sp < 0 ? '' : o.slice(sp + 1);
    const n = Number(value);
    if (flag === '--days' && Number.isInteger(n)) flags.days = n;
    else if (flag === '--epochs' && Number.isInteger(n)) flags.epochs = n;
    else if (flag === '--sample-interval' && Number.isInteger(n)) flags.sampleInterval = n;
    else if (flag === '--max-tickers' && Number.isInteger(n)) flags.maxTickers = n;
    else if (flag === '--tickers-file' && value) flags.tickersFile = value;
    else unreadable.push(o);
  }
  return { opts: { set, flags }, unreadable };
}

/** What run.ts records as a run's resolved params, for a spec loaded now. */
function resolvedOf(spec: Spec): Record<string, unknown> {
  return JSON.parse(JSON.stringify(redactDeep({ ...spec.resolved, overrides: spec.overrides, tickers: spec.universe.tickers })));
}

/** The recorded run's spec, loaded again from its recorded text and overrides. */
export function specOfRecord(rec: RunRecord): { spec: Spec; notes: string[] } {
  const recorded = rec.resolved as { overrides?: string[]; tickers?: string[] };
  const { opts, unreadable } = loadOptionsFromOverrides(recorded.overrides ?? []);
  const notes = unreadable.map((o) => `the recorded override \`${o}\` cannot be replayed; its effect shows in the params compared below`);
  let spec: Spec;
  try {
    spec = loadRecorded(rec, opts);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    throw new UsageError([
      { message: `run ${rec.id}'s recorded spec (${rec.specPath}) no longer loads with this version of mlx-intraday`, hint: 'the problems below say what changed; run the spec as it is now with mlx-intraday run', location: { file: `rerun ${rec.id}` } },
      ...e.diagnostics,
    ]);
  }
  // The tickers are the run's data settings: replay the recorded list even when a tickers file changed.
  const tickers = recorded.tickers;
  if (Array.isArray(tickers) && !sameValue(tickers, spec.universe.tickers)) {
    spec = { ...spec, universe: { tickers: [...tickers], source: `run ${rec.id}'s record` } };
  }
  return { spec, notes };
}

/**
 * The recorded text with the recorded options; a sweep point is the one point of a grid whose
 * every axis is narrowed to the point's recorded value.
 */
function loadRecorded(rec: RunRecord, opts: LoadOptions): Spec {
  if (rec.sweepValues === undefined) return parseSpec(rec.specText, rec.specPath, opts);
  const sweep = Object.entries(rec.sweepValues).map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  const points = parseSweep(rec.specText, rec.specPath, { ...opts, sweep }).points;
  if (points.length !== 1) throw UsageError.one(`run ${rec.id} is point ${rec.sweepPoint} of a sweep whose values (${sweep.join(', ')}) no longer give one point`, 'run the sweep again with mlx-intraday run', { file: `rerun ${rec.id}` });
  return points[0].spec;
}

/** Lines that differ between two texts: the changed middle once common head and tail are set aside. */
export function changedLines(a: string, b: string, max = 6): string[] {
  const la = a.split('\n');
  const lb = b.split('\n');
  let head = 0;
  while (head < la.length && head < lb.length && la[head] === lb[head]) head++;
  let tail = 0;
  while (tail < la.length - head && tail < lb.length - head && la[la.length - 1 - tail] === lb[lb.length - 1 - tail]) tail++;
  const removed = la.slice(head, la.length - tail);
  const added = lb.slice(head, lb.length - tail);
  const out = [`from line ${head + 1}:`];
  for (const l of removed.slice(0, max)) out.push(`- ${l}`);
  if (removed.length > max) out.push(`  … ${removed.length - max} more removed`);
  for (const l of added.slice(0, max)) out.push(`+ ${l}`);
  if (added.length > max) out.push(`  … ${added.length - max} more added`);
  return out;
}

/** Everything that is not as recorded and can be known before running. */
export async function checkBeforeRerun(rec: RunRecord, spec: Spec, artifacts: ArtifactStore, modelsDir: string): Promise<PreRunDifference[]> {
  const out: PreRunDifference[] = [];

  const commit = gitCommit(spec.dir);
  const dirty = commit ? await gitDirty(spec.dir, spec.path) : undefined;
  const code = compareTrees(codeOf(rec), codeOf({ packageVersion: PACKAGE_VERSION, gitCommit: commit, gitDirty: dirty }));
  if (code.length) out.push({ what: 'code', message: `the code is not the recorded one: ${code.map((c) => `${c.path} ${show(c.a)} → ${show(c.b)}`).join(', ')}`, changes: code });

  const file = relative(process.cwd(), rec.specPath) || rec.specPath;
  if (!existsSync(rec.specPath)) {
    out.push({ what: 'spec file', message: `the spec file ${file} is gone; replaying the text the run recorded`, changes: [] });
  } else {
    const now = readFileSync(rec.specPath, 'utf8');
    const hash = createHash('sha256').update(now).digest('hex');
    if (hash !== rec.specHash) {
      out.push({
        what: 'spec file',
        message: `${file} changed since the run (sha256 ${rec.specHash.slice(0, 12)} → ${hash.slice(0, 12)}); replaying the text the run recorded. On disk now, ${changedLines(rec.specText, now).join('\n  ')}`,
        changes: [{ path: 'spec sha256', a: rec.specHash, b: hash }],
      });
    }
  }

  const recorded = rec.resolved as { tickers?: string[] };
  const fresh = resolvedOf(spec);
  const params = compareTrees(paramsOf(rec), paramsOf({ ...rec, resolved: fresh, seed: spec.seed })).filter((c) => c.path !== 'tickers');
  if (params.length) {
    out.push({
      what: 'params',
      message: `the recorded spec resolves to other params with this version (a default or a tickers file changed): ${params.slice(0, 8).map((c) => `${c.path} ${show(c.a)} → ${show(c.b)}`).join(', ')}${params.length > 8 ? ', …' : ''}`,
      changes: params,
    });
  }
  const loadedTickers = parseTickersNow(rec);
  if (Array.isArray(recorded.tickers) && loadedTickers && !sameValue(recorded.tickers, loadedTickers)) {
    out.push({ what: 'tickers', message: `the spec's tickers now resolve to ${loadedTickers.length} tickers, the run used ${recorded.tickers.length}; replaying the recorded ${recorded.tickers.length}`, changes: [{ path: 'tickers', a: recorded.tickers, b: loadedTickers }] });
  }

  // The fetch nodes' keys cover the provider settings, sessions and tickers of each batch.
  try {
    const planned = await resolvePlan(planFor(spec), artifacts, makeEnvironment(spec, { modelsDir, cache: artifacts }));
    const keysNow: Record<string, string | undefined> = {};
    const keysThen: Record<string, string | undefined> = {};
    for (const n of planned) if (n.kind === 'fetch') keysNow[n.id] = n.key;
    for (const n of rec.nodes ?? []) if (n.node in keysNow) keysThen[n.node] = n.key;
    const data = compareTrees(keysThen, keysNow);
    if (data.length) out.push({ what: 'data settings', message: `the data settings differ from the run's for ${data.map((c) => c.path).join(', ')} (their fetch keys changed: provider, sessions or tickers)`, changes: data });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    out.push({ what: 'data settings', message: `the fetch keys could not be worked out before running (${(e as Error).message}); the run below will say more`, changes: [] });
  }
  return out;
}

/** The tickers the recorded spec resolves to now, before the recorded list is put back. */
function parseTickersNow(rec: RunRecord): string[] | undefined {
  try {
    const { opts } = loadOptionsFromOverrides((rec.resolved as { overrides?: string[] }).overrides ?? []);
    return loadRecorded(rec, opts).universe.tickers;
  } catch {
    return undefined;
  }
}

const SCRATCH_PREFIX = 'rerun-scratch-';

/** Scratch folders of reruns whose process is gone (killed before it could remove its own). */
function removeStaleScratch(cacheDir: string): void {
  for (const name of readdirSync(cacheDir)) {
    const pid = Number(/^rerun-scratch-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(cacheDir, name), { recursive: true, force: true });
    }
  }
}

/** Runs a recorded run again; returns the comparison and the exit code (0 identical, 1 different or failed, 130 interrupted). */
export async function rerunCommand(id: string, o: RerunOptions): Promise<{ code: number; report: RerunReport }> {
  // Through the one redaction point: the spec file on disk is shown, and it is not a record.
  const sink = o.write ?? ((s: string) => console.log(s));
  const write = (s: string) => sink(redactSecrets(s));
  // Rerun works on the local cache: its scratch cache lives inside the cache folder.
  const cache = ArtifactCache.open(o.cacheDir);
  const runs = asyncRuns(new RunStore(cache.db));
  const store = { artifacts: asyncArtifacts(cache), runs };
  let scratchDir: string | undefined;
  let scratch: ArtifactCache | undefined;
  try {
    const rec = await findRun(runs, id, { cacheDir: o.cacheDir, command: 'rerun' });
    if (rec.status === 'running') throw UsageError.one(`run ${rec.id} is still running`, 'wait for it to finish, then rerun it', { file: `rerun ${id}` });
    const { spec, notes } = specOfRecord(rec);
    const before = await checkBeforeRerun(rec, spec, store.artifacts, o.modelsDir);
    // An older record's fingerprints and hashes are read from the cache entries its keys name
    // (read now: with --use-cache a recomputed node would replace its entry).
    const recordedData = await dataFingerprints(rec, store.artifacts);
    const recordedWeights = await weightHashes(rec, store.artifacts);

    const where = relative(process.cwd(), rec.specPath) || rec.specPath;
    if (o.json) write(JSON.stringify({ type: 'rerun-check', run: rec.id, spec: rec.specPath, notes, differences: before }));
    else {
      write(`rerun of ${rec.id} (${rec.specName}, ${where}, seed ${rec.seed}, ${rec.status}): ${o.useCache ? 'cached nodes are reused' : 'every node is recomputed in a scratch cache (your cache and models folder are left as they are)'}`);
      for (const n of notes) write(`  note: ${n}`);
      if (before.length === 0) write('  code, spec file, params and data settings are as recorded');
      for (const d of before) write(`  differs — ${d.what}: ${d.message}`);
    }

    // Computed from nothing, in a scratch cache and models folder inside the cache folder
    // (removed afterwards): no entry is read back — not even a training state to continue
    // from — and the user's entries and published checkpoints are left as they are. The run
    // record goes to the user's run records.
    if (!o.useCache) {
      removeStaleScratch(cache.dir);
      scratchDir = mkdtempSync(join(cache.dir, `${SCRATCH_PREFIX}${process.pid}-`));
      scratch = ArtifactCache.open(scratchDir);
    }
    const local = scratch ?? cache;
    const artifacts: ArtifactStore = asyncArtifacts(local);
    const runStore: Store = { artifacts, runs, location: cache.dir, migrated: cache.migrated, close: () => {} };

    const base: Reporter = chooseReporter({ json: o.json });
    const liveData = new Map<string, string | undefined>();
    const report: Reporter = (e) => {
      base(e);
      // A fetch's data fingerprint is known when it finishes: say at once if the data changed.
      if (e.type === 'node-end' && e.node in recordedData) {
        let cid: string | undefined;
        try {
          cid = local.lookup(e.key)?.contentId; // the local cache answers at once
        } catch {
          cid = undefined;
        }
        liveData.set(e.node, cid);
        const was = recordedData[e.node];
        if (was !== undefined && cid !== undefined && was !== cid) base({ type: 'warn', node: e.node, message: `${e.node}: the data differ from the recorded run's (content id ${was.slice(0, 12)} → ${cid.slice(0, 12)}): the provider returned other bars` });
      }
    };
    const outcome = await runPipeline(spec, {
      cacheDir: o.cacheDir,
      store: runStore,
      modelsDir: scratchDir ? join(scratchDir, 'models') : o.modelsDir,
      concurrency: o.concurrency,
      refresh: o.useCache ? [] : spec.steps.map((s) => s.name),
      report,
      signal: o.signal,
    });
    const fresh = (await store.runs.get(outcome.runId))!;

    // Compare: every metric, every weight hash, every data fingerprint.
    const differences = compareTrees(rec.metrics ?? {}, fresh.metrics ?? {});
    const unknown: string[] = [];
    const nowWeights = await weightHashes(fresh, artifacts);
    const nowData = await dataFingerprints(fresh, artifacts);
    let weights = 0;
    let data = 0;
    const compareIds = (then: Record<string, string | undefined>, now: Record<string, string | undefined>, label: string) => {
      let n = 0;
      for (const node of new Set([...Object.keys(then), ...Object.keys(now)])) {
        if (then[node] === undefined && now[node] !== undefined && outcome.status === 'ok') {
          unknown.push(`${node}.${label}`);
          continue;
        }
        n++;
        if (!sameValue(then[node], now[node])) differences.push({ path: `${node}.${label}`, a: then[node], b: now[node] });
      }
      return n;
    };
    weights = compareIds(recordedWeights, nowWeights, 'weights sha256');
    data = compareIds(recordedData, nowData, 'data fingerprint');
    const metricCount = new Set([...flatKeys(rec.metrics), ...flatKeys(fresh.metrics)]).size;
    const identical = outcome.status === 'ok' && differences.length === 0;
    const result: RerunReport = { run: rec.id, rerun: fresh.id, status: outcome.status, before, differences, unknown, identical, compared: { metrics: metricCount, weights, data } };

    if (o.json) write(JSON.stringify({ type: 'rerun-result', ...result }));
    else printComparison(write, rec, fresh, result, nowWeights, recordedWeights);
    const code = outcome.status === 'interrupted' ? 130 : identical ? 0 : 1;
    return { code, report: result };
  } finally {
    scratch?.close();
    if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
    cache.close();
  }
}

function flatKeys(m: RunRecord['metrics']): string[] {
  return Object.entries(m ?? {}).flatMap(([node, v]) => Object.keys(v).map((k) => `${node}.${k}`));
}

function printComparison(write: (s: string) => void, rec: RunRecord, fresh: RunRecord, r: RerunReport, nowWeights: Record<string, string | undefined>, thenWeights: Record<string, string | undefined>): void {
  const perBatch = new Set((rec.nodes ?? []).filter((n) => n.batch !== undefined).map((n) => n.node));
  const rows: Record<string, string>[] = [];
  // Every differing metric; of the equal ones the first few per node (the rest are counted).
  const SHOWN = 8;
  for (const [node, m] of Object.entries(fresh.metrics ?? {})) {
    if (perBatch.has(node)) continue;
    let equal = 0;
    for (const [k, v] of Object.entries(m)) {
      const was = rec.metrics?.[node]?.[k];
      const same = sameValue(was, v);
      if (same && ++equal > SHOWN) continue;
      rows.push({ node, metric: k, recorded: fmt(was, same), rerun: fmt(v, same), '': same ? '=' : 'DIFFERS' });
    }
    if (equal > SHOWN) rows.push({ node, metric: `… ${equal - SHOWN} more`, recorded: '', rerun: '', '': '=' });
  }
  for (const node of Object.keys(nowWeights)) {
    const same = sameValue(thenWeights[node], nowWeights[node]);
    rows.push({ node, metric: 'weights sha256', recorded: thenWeights[node]?.slice(0, 16) ?? 'not recorded', rerun: nowWeights[node]?.slice(0, 16) ?? '—', '': same ? '=' : thenWeights[node] === undefined ? '?' : 'DIFFERS' });
  }
  write('');
  write(`metrics: recorded run ${rec.id} beside rerun ${fresh.id}`);
  printTable(rows, (l) => write(`  ${l}`));
  const batchDiffs = r.differences.filter((d) => perBatch.has(d.path.split('.')[0]) && !d.path.endsWith('data fingerprint'));
  if (perBatch.size) write(`  per-batch metrics of ${perBatch.size} node(s): ${batchDiffs.length ? `${batchDiffs.length} differ (${batchDiffs.slice(0, 5).map((d) => d.path).join(', ')})` : 'identical'}`);
  const dataDiffs = r.differences.filter((d) => d.path.endsWith('data fingerprint'));
  if (r.compared.data) write(`  data fingerprints of ${r.compared.data} fetch node(s): ${dataDiffs.length ? `${dataDiffs.length} differ (${dataDiffs.map((d) => `${d.path.split('.')[0]} ${show(d.a)} → ${show(d.b)}`).join(', ')})` : 'identical'}`);
  if (r.unknown.length) write(`  not in the record (written by an older version), so not compared: ${r.unknown.join(', ')}`);
  write('');
  if (r.status !== 'ok') write(`the rerun ${r.status}: see mlx-intraday runs show ${fresh.id}`);
  else if (r.identical) write(`identical: ${r.compared.metrics} metrics, ${r.compared.weights} weight hash(es) and ${r.compared.data} data fingerprint(s) match run ${rec.id} exactly`);
  else write(`differs: ${r.differences.length} of the compared values are not the recorded ones (${r.differences.slice(0, 6).map((d) => d.path).join(', ')}${r.differences.length > 6 ? ', …' : ''})${r.before.length ? '; the differences found before running may explain them' : ''}`);
}

/** A metric for the table: 6 significant digits when both sides agree, every digit when they do not. */
function fmt(v: unknown, same: boolean): string {
  if (v === undefined) return '—';
  if (v === null) return 'NaN'; // a metric that was NaN (JSON keeps it as null)
  if (typeof v !== 'number') return show(v);
  return same && !Number.isInteger(v) ? String(+v.toPrecision(6)) : String(v);
}

/** `rerun <run-id>` on the CLI (src/cli.ts registers it). */
export function registerRerunCommand(program: Command, globals: () => { cacheDir: string; modelsDir: string }): void {
  program
    .command('rerun <run-id>')
    .description('run a recorded run again (its spec text, overrides, seed and tickers), recomputing every node, and compare metrics and weight hashes with the record')
    .option('--concurrency <n>', 'nodes at once (default: CPU cores); results do not depend on it', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw UsageError.one(`--concurrency takes a whole number from 1 to 64, got "${v}"`, 'e.g. --concurrency 2', { file: `--concurrency ${v}` });
      return n;
    })
    .option('--use-cache', 'reuse cached nodes instead of recomputing them in a scratch cache (checks the recorded keys; does not re-derive the numbers)')
    .option('--json', 'machine-readable output: run events, then a rerun-check and a rerun-result line')
    .action(async (id: string, o: { concurrency?: number; useCache?: boolean; json?: boolean }) => {
      const g = globals();
      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = (sig: string) => {
        if (++interrupts > 1) process.exit(130);
        process.stderr.write(`\n${sig}: stopping — finished nodes stay cached (press Ctrl-C again to quit at once)\n`);
        controller.abort();
      };
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      const { code } = await rerunCommand(id, { cacheDir: g.cacheDir, modelsDir: g.modelsDir, concurrency: o.concurrency, useCache: o.useCache, json: o.json, signal: controller.signal });
      process.exitCode = code;
    });
}

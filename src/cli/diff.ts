/**
 * `mlx-intraday diff <run-a> <run-b>`: what differs between two recorded runs — params (the
 * resolved spec), code (package version, git commit, dirty tree), data (the fetch nodes'
 * content ids, i.e. the data fingerprints) and metrics (with the trained weights' hashes).
 * Also home to what `rerun` shares with it: finding a run by id with suggestions, and
 * comparing two JSON documents path by path.
 */
import type { Command } from 'commander';
import type { ArtifactStore, RunRecords, Store } from '../cache/store-api.js';
import type { RunRecord } from '../cache/runs.js';
import { UsageError } from '../util/errors.js';
import { editDistance } from '../util/suggest.js';
import { printTable } from './format.js';

/** One difference: where, and the two values (undefined: absent on that side). */
export interface Change {
  path: string;
  a: unknown;
  b: unknown;
}

export interface RunDiff {
  a: string;
  b: string;
  params: Change[];
  code: Change[];
  data: Change[];
  metrics: Change[];
  /** Nodes whose cache key differs (a key covers everything that changes a node's output). */
  keys: Change[];
}

// ---------------------------------------------------------------------------------------------
// Finding runs

/** The ids nearest to a mistyped one (a short id is compared with the ids' prefixes too). */
export function nearestIds(word: string, ids: readonly string[], n = 3): string[] {
  const w = word.toLowerCase();
  const scored = ids.map((id, i) => {
    const full = editDistance(w, id.toLowerCase());
    const prefix = w.length < id.length ? editDistance(w, id.slice(0, w.length).toLowerCase()) : full;
    return { id, d: Math.min(full, prefix), i };
  });
  scored.sort((x, y) => x.d - y.d || x.i - y.i);
  return scored.slice(0, n).map((s) => s.id);
}

/**
 * A run by id or unique prefix; otherwise a usage error (exit 2) saying why — no such run (with
 * the nearest ids) or an ambiguous prefix (with the ids it matches) — and what to do.
 */
export async function findRun(store: RunRecords, id: string, where: { cacheDir: string; command: string }): Promise<RunRecord> {
  const r = await store.get(id);
  if (r) return r;
  const ids = await store.ids();
  const at = { file: `${where.command} ${id}` };
  const matching = ids.filter((x) => x.startsWith(id));
  if (matching.length > 1 && matching.every((x) => x.startsWith(`${id}-p`))) {
    throw UsageError.one(`"${id}" is a sweep of ${matching.length} points, not one run`, `name one point, e.g. ${matching[matching.length - 1]}; mlx-intraday runs compare ${id} shows them all`, at);
  }
  if (matching.length > 1) {
    const shown = matching.slice(0, 5).join(', ');
    throw UsageError.one(`run id prefix "${id}" matches ${matching.length} runs (${shown}${matching.length > 5 ? ', …' : ''})`, 'give more characters of the id', at);
  }
  if (ids.length === 0) throw UsageError.one(`no run "${id}" in ${where.cacheDir}: it holds no run records`, 'run a pipeline first (mlx-intraday run pipelines/quickstart.yaml), or pass the --store / --cache-dir the run used', at);
  const near = nearestIds(id, ids);
  throw UsageError.one(
    `no run "${id}" in ${where.cacheDir}`,
    `nearest: ${near.join(', ')}; list runs with: mlx-intraday runs ls (or pass the --store / --cache-dir the run used)`,
    at,
  );
}


// ---------------------------------------------------------------------------------------------
// Comparing

/** A JSON tree as path → leaf. Arrays of plain values are one leaf (a ticker list is one change). */
export function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  const isLeafArray = Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object');
  if (value !== null && typeof value === 'object' && !isLeafArray) {
    const entries = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [prefix ? `.${k}` : k, v] as const);
    if (entries.length === 0) out.set(prefix, value);
    for (const [k, v] of entries) flatten(v, `${prefix}${k}`, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

/** Same value, exactly (numbers by Object.is after JSON: NaN equals NaN). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Every path where two JSON trees differ, in a stable order. */
export function compareTrees(a: unknown, b: unknown): Change[] {
  const fa = flatten(a);
  const fb = flatten(b);
  const paths = [...new Set([...fa.keys(), ...fb.keys()])];
  return paths.filter((p) => !sameValue(fa.get(p), fb.get(p))).map((p) => ({ path: p, a: fa.get(p), b: fb.get(p) }));
}

/** The fetch nodes' content ids (data fingerprints) of a run, from its record or, for records older than that column, from the cache entry its key names. */
export async function dataFingerprints(r: RunRecord, artifacts?: ArtifactStore): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const n of r.nodes ?? []) {
    if (!isFetchNode(r, n.step)) continue;
    out[n.node] = n.contentId ?? (n.key ? (await lookupQuietly(artifacts, n.key))?.contentId : undefined);
  }
  return out;
}

/** The trained weights' sha256 by node, from the record or (older records) the cache entry. */
export async function weightHashes(r: RunRecord, artifacts?: ArtifactStore): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const n of r.nodes ?? []) {
    const wh = n.weightsHash ?? (n.key && isKind(r, n.step, 'train') ? ((await lookupQuietly(artifacts, n.key))?.meta.weightsHash as string | undefined) : undefined);
    if (wh !== undefined || isKind(r, n.step, 'train')) out[n.node] = wh;
  }
  return out;
}

async function lookupQuietly(artifacts: ArtifactStore | undefined, key: string) {
  try {
    return await artifacts?.lookup(key);
  } catch {
    return undefined;
  }
}

/** A step's kind as the record's resolved spec names it. */
function kindOf(r: RunRecord, step: string): string | undefined {
  const steps = (r.resolved as { steps?: Record<string, { kind?: string }> }).steps;
  return steps?.[step]?.kind;
}
const isKind = (r: RunRecord, step: string, kind: string) => kindOf(r, step) === kind;
const isFetchNode = (r: RunRecord, step: string) => isKind(r, step, 'fetch');

/** The code a run was made with, as the record keeps it. */
export function codeOf(r: Pick<RunRecord, 'packageVersion' | 'gitCommit' | 'gitDirty'>): Record<string, unknown> {
  return { 'package version': r.packageVersion, 'git commit': r.gitCommit ?? null, 'git dirty': r.gitDirty ?? null };
}

/** Params as compared: the resolved document without the bookkeeping that has its own line. */
export function paramsOf(r: RunRecord): Record<string, unknown> {
  const { overrides, ...rest } = r.resolved as Record<string, unknown>;
  return { ...rest, seed: r.seed, 'command-line overrides': overrides ?? [] };
}

/** Two records' metrics (and weight hashes, as `<node>.weights sha256`) side by side. */
export async function compareMetrics(a: RunRecord, b: RunRecord, artifacts?: ArtifactStore): Promise<Change[]> {
  const out = compareTrees(a.metrics ?? {}, b.metrics ?? {});
  const wa = await weightHashes(a, artifacts);
  const wb = await weightHashes(b, artifacts);
  for (const node of new Set([...Object.keys(wa), ...Object.keys(wb)])) {
    if (!sameValue(wa[node], wb[node])) out.push({ path: `${node}.weights sha256`, a: wa[node], b: wb[node] });
  }
  return out;
}

export async function diffRuns(a: RunRecord, b: RunRecord, artifacts?: ArtifactStore): Promise<RunDiff> {
  const keysA = Object.fromEntries((a.nodes ?? []).map((n) => [n.node, n.key]));
  const keysB = Object.fromEntries((b.nodes ?? []).map((n) => [n.node, n.key]));
  return {
    a: a.id,
    b: b.id,
    params: [
      ...compareTrees({ 'spec path': a.specPath, 'spec sha256': a.specHash, 'spec git blob': a.specBlob ?? null }, { 'spec path': b.specPath, 'spec sha256': b.specHash, 'spec git blob': b.specBlob ?? null }),
      ...compareTrees(paramsOf(a), paramsOf(b)),
    ],
    code: compareTrees(codeOf(a), codeOf(b)),
    data: compareTrees(await dataFingerprints(a, artifacts), await dataFingerprints(b, artifacts)),
    metrics: await compareMetrics(a, b, artifacts),
    keys: compareTrees(keysA, keysB),
  };
}

// ---------------------------------------------------------------------------------------------
// Showing

/** A value for a table cell: numbers in full (a difference in the 12th digit is a difference), lists shortened. */
export function show(v: unknown): string {
  if (v === undefined) return '—';
  if (v === null) return 'none';
  if (typeof v === 'string') {
    // Hashes (keys, content ids like data:<sha256>, commits) shortened to what tells them apart.
    const m = /^([a-z]+:)?([0-9a-f]{40,64})$/.exec(v);
    return m ? `${m[1] ?? ''}${m[2].slice(0, 16)}` : v;
  }
  if (Array.isArray(v)) {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}… (${v.length} items)` : s;
  }
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** A ticker list's change in words: "+2 (X, Y), −1 (Z)". */
function listChange(a: unknown, b: unknown): string | undefined {
  // Short lists read well as they are; long ones (tickers) are summarized.
  if (!Array.isArray(a) || !Array.isArray(b) || Math.max(a.length, b.length) <= 5) return undefined;
  const sa = new Set(a.map(String));
  const sb = new Set(b.map(String));
  const added = [...sb].filter((x) => !sa.has(x));
  const removed = [...sa].filter((x) => !sb.has(x));
  const part = (sign: string, xs: string[]) => (xs.length ? `${sign}${xs.length} (${xs.slice(0, 5).join(', ')}${xs.length > 5 ? ', …' : ''})` : '');
  const s = [part('+', added), part('−', removed)].filter(Boolean).join(', ');
  return s || 'same items, another order';
}

export function printChanges(title: string, changes: Change[], labels: [string, string], max = Infinity): void {
  if (changes.length === 0) {
    console.log(`${title}: same`);
    return;
  }
  console.log(`${title}: ${changes.length} difference${changes.length === 1 ? '' : 's'}`);
  const shown = changes.slice(0, max);
  const lists = shown.map((c) => listChange(c.a, c.b));
  printTable(
    shown.map((c, i) => ({ what: c.path, [labels[0]]: show(c.a), [labels[1]]: show(c.b), ...(lists.some(Boolean) ? { change: lists[i] ?? '' } : {}) })),
    (line) => console.log(`  ${line}`),
  );
  if (changes.length > shown.length) console.log(`  … ${changes.length - shown.length} more (all of them with --json)`);
}

export async function diffCommand(idA: string, idB: string, o: { store: Store; where: string; json?: boolean }): Promise<void> {
  {
    const { runs: store, artifacts } = o.store;
    const a = await findRun(store, idA, { cacheDir: o.where, command: 'diff' });
    const b = await findRun(store, idB, { cacheDir: o.where, command: 'diff' });
    const d = await diffRuns(a, b, artifacts);
    if (o.json) {
      console.log(JSON.stringify(d, null, 2));
      return;
    }
    const labels: [string, string] = [a.id, b.id];
    console.log(`diff ${a.id} (${a.specName}, ${a.status}) → ${b.id} (${b.specName}, ${b.status})`);
    printChanges('params', d.params, labels);
    printChanges('code', d.code, labels);
    printChanges('data (fetch content ids)', d.data, labels);
    // Weight hashes first: one line that says whether the models are the same.
    const metrics = [...d.metrics.filter((c) => c.path.endsWith('weights sha256')), ...d.metrics.filter((c) => !c.path.endsWith('weights sha256'))];
    printChanges('metrics', metrics, labels, 30);
    const nodes = new Set([...(a.nodes ?? []).map((n) => n.node), ...(b.nodes ?? []).map((n) => n.node)]).size;
    console.log(`cache keys: ${d.keys.length} of ${nodes} node${nodes === 1 ? '' : 's'} differ${d.keys.length ? ` (${d.keys.slice(0, 8).map((k) => k.path).join(', ')}${d.keys.length > 8 ? ', …' : ''})` : ''}`);
  }
}

/** `diff <run-a> <run-b>` on the CLI (src/cli.ts registers it). */
export function registerDiffCommand(program: Command, openGlobalStore: () => Promise<Store>, where: () => string): void {
  program
    .command('diff <run-a> <run-b>')
    .description('what differs between two runs: params (resolved spec), code (version, commit, dirty), data (fetch content ids) and metrics (with weight hashes)')
    .option('--json', 'machine-readable output')
    .action(async (a: string, b: string, o: { json?: boolean }) => {
      const store = await openGlobalStore();
      try {
        await diffCommand(a, b, { store, where: where(), json: o.json });
      } finally {
        store.close();
      }
    });
}

/**
 * The run records of the stores without a database (shared folder, S3) as plain data: what
 * begin, recordNode and finish write (one file or object each), how a run reads back from them,
 * and how list / get / sweep / count pick among runs already read. Pure functions, no I/O: each
 * store only reads and writes the files or objects.
 */
import { redactDeep, redactSecrets } from '../util/redact.js';
import type { NodeRecord, RunRecord, RunStatus } from './runs.js';

/** What begin is given. */
export type RunStart = Omit<RunRecord, 'status' | 'finishedAt' | 'gitDirty'>;
/** What begin writes: the run as it starts, and who runs it. */
export type Begun = RunStart & { pid: number; host: string };
/** What finish writes. */
export interface Finished {
  finishedAt: number;
  status: RunStatus;
  metrics: RunRecord['metrics'];
  error?: string;
  gitDirty?: boolean;
}
export type Nodes = NonNullable<RunRecord['nodes']>;
/** What recordNode writes: the node as the record keeps it, and when (for the order). */
export type NodeFile = Nodes[number] & { at: number; seq: number };
/** A run as `list` gives it: its node list replaced by the counts. */
export type ListedRun = RunRecord & { hits: number; nodes: number };

/** Whether a process on this host is still alive (EPERM: alive, someone else's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The begun record of `r`, started by this process on `host` (secrets redacted, no node list). */
export function begunRecord(r: RunStart, host: string): Begun {
  const rec: Begun = {
    ...r,
    specText: redactSecrets(r.specText),
    resolved: redactDeep(r.resolved),
    sweepValues: r.sweepValues === undefined ? undefined : redactDeep(r.sweepValues),
    pid: process.pid,
    host,
  };
  delete (rec as Partial<RunRecord>).nodes;
  return rec;
}

/** The node file of `n`, the writer's `seq`-th, written now. */
export function nodeFile(n: NodeRecord, seq: number): NodeFile {
  return {
    node: n.id,
    step: n.step,
    batch: n.batch,
    point: n.point,
    key: n.key,
    status: n.status,
    hit: n.status === 'hit',
    ms: n.ms,
    error: n.error === undefined ? undefined : redactSecrets(n.error),
    contentId: n.contentId,
    weightsHash: n.weightsHash,
    at: Date.now(),
    seq,
  };
}

/** The finished record, finished now. */
export function finishedRecord(status: RunStatus, metrics: RunRecord['metrics'], error?: string, gitDirty?: boolean): Finished {
  return { finishedAt: Date.now(), status, metrics: metrics ?? {}, error: error === undefined ? undefined : redactSecrets(error), gitDirty };
}

/**
 * The run that `b` and `f` (absent: not finished) describe, read on `host`: an unfinished run
 * whose process on this host is gone reads as interrupted.
 */
export function runRecordOf(b: Begun, f: Finished | undefined, host: string): RunRecord {
  let status: RunStatus = f?.status ?? 'running';
  if (!f && b.host === host && b.pid !== process.pid && !processAlive(b.pid)) status = 'interrupted';
  const { pid: _pid, host: _host, ...rest } = b;
  const rec: RunRecord = { ...rest, status, finishedAt: f?.finishedAt, metrics: f?.metrics, error: f?.error, gitDirty: f?.gitDirty };
  if (!f && status === 'interrupted') rec.error = `the run's process (pid ${b.pid}) ended without closing the run (killed or crashed)`;
  return rec;
}

/** A run's node files (the readable ones, any order) as its node list, in the order they were written. */
export function sortedNodes(files: readonly (NodeFile | undefined)[]): Nodes {
  const nodes = files.filter((n): n is NodeFile => n !== undefined);
  nodes.sort((a, b) => a.at - b.at || a.seq - b.seq || (a.node < b.node ? -1 : 1));
  return nodes.map(({ at: _at, seq: _seq, ...n }) => n);
}

/** The readable runs among `recs`. */
export function readable(recs: readonly (RunRecord | undefined)[]): RunRecord[] {
  return recs.filter((r): r is RunRecord => r !== undefined);
}

/** Which runs `list` gives (newest first, at most `limit`, of one spec when asked). */
export function listSelection(runs: readonly RunRecord[], limit: number, filter: { specPath?: string }): RunRecord[] {
  return runs
    .filter((r) => filter.specPath === undefined || r.specPath === filter.specPath)
    .sort((a, b) => b.startedAt - a.startedAt)
    .slice(0, limit);
}

/** A run as `list` gives it: RunRecord's `nodes` (the list) replaced by the count, as the local backend does. */
export function listed(r: RunRecord, nodes: Nodes): ListedRun {
  return { ...r, hits: nodes.filter((n) => n.hit).length, nodes: nodes.length } as unknown as ListedRun;
}

/** The one id among `ids` that starts with `prefix`, or undefined (none, or several). */
export function uniqueMatch(ids: readonly string[], prefix: string): string | undefined {
  const matching = ids.filter((id) => id.startsWith(prefix));
  return matching.length === 1 ? matching[0] : undefined;
}

/** The points of the sweep `idOrPrefix` (its exact id, else the one sweep id it starts), in point order. */
export function sweepSelection(all: readonly RunRecord[], idOrPrefix: string): RunRecord[] {
  const runs = all.filter((r) => r.sweepId !== undefined);
  let points = runs.filter((r) => r.sweepId === idOrPrefix);
  if (points.length === 0) {
    const ids = new Set(runs.map((r) => r.sweepId!).filter((s) => s.startsWith(idOrPrefix)));
    if (ids.size === 1) points = runs.filter((r) => ids.has(r.sweepId!));
  }
  return points.sort((a, b) => (a.sweepPoint ?? 0) - (b.sweepPoint ?? 0));
}

/** How many of `ids` start with `prefix`. */
export function countWith(ids: readonly string[], prefix: string): number {
  return ids.filter((id) => id.startsWith(prefix)).length;
}

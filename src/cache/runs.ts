/**
 * Run records: every run's spec, resolved params, node keys with hit/miss and timings,
 * metrics, seed, package version and git state, in the cache's SQLite database (indexed, so
 * `runs ls` stays fast with thousands of runs). Node results are written as they finish, so a
 * run killed halfway leaves an honest record; a run whose process is gone without closing its
 * record is marked `interrupted` by the next command that reads or writes records.
 */
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { redactSecrets, redactDeep } from '../util/redact.js';
import { processAlive } from './run-files.js';
import { ensureTable, type TableLayout } from './schema.js';
import type { Immediate, RunRecords } from './store-api.js';

export type RunStatus = 'running' | 'ok' | 'failed' | 'interrupted';

/** One node's outcome as the record keeps it. */
export interface NodeRecord {
  id: string;
  step: string;
  batch?: number;
  /** Sweep point, when the run expands a sweep. */
  point?: number;
  key?: string;
  status: string;
  ms: number;
  error?: string;
  /** What downstream keys named this output by (fetch: the data fingerprint), when it produced one. */
  contentId?: string;
  /** sha256 of the trained weights (train nodes). */
  weightsHash?: string;
}

export interface RunRecord {
  id: string;
  startedAt: number;
  finishedAt?: number;
  status: RunStatus;
  specPath: string;
  specName: string;
  specHash: string;
  specText: string;
  /** The spec file's git blob hash (what `git hash-object` prints for it). */
  specBlob?: string;
  resolved: Record<string, unknown>;
  seed: number;
  packageVersion: string;
  gitCommit?: string;
  gitDirty?: boolean;
  /** The sweep this run is a point of (its points share the id), the point's index and values. */
  sweepId?: string;
  sweepPoint?: number;
  sweepValues?: Record<string, unknown>;
  metrics?: Record<string, Record<string, number>>;
  error?: string;
  nodes?: { node: string; step: string; batch?: number; point?: number; key?: string; status: string; hit: boolean; ms: number; error?: string; contentId?: string; weightsHash?: string }[];
}

export const RUN_TABLES: TableLayout[] = [
  {
    name: 'runs',
    create: `CREATE TABLE IF NOT EXISTS runs (
      id TEXT PRIMARY KEY,
      started_at INTEGER NOT NULL,
      finished_at INTEGER,
      status TEXT NOT NULL,
      spec_path TEXT NOT NULL,
      spec_name TEXT NOT NULL,
      spec_hash TEXT NOT NULL,
      spec_text TEXT NOT NULL,
      resolved TEXT NOT NULL,
      seed INTEGER NOT NULL,
      package_version TEXT NOT NULL,
      git_commit TEXT,
      git_dirty INTEGER,
      metrics TEXT,
      error TEXT,
      pid INTEGER,
      host TEXT,
      spec_blob TEXT,
      sweep_id TEXT,
      sweep_point INTEGER,
      sweep_values TEXT
    );
    CREATE INDEX IF NOT EXISTS runs_sweep ON runs(sweep_id, sweep_point);
    CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
    CREATE INDEX IF NOT EXISTS runs_spec ON runs(spec_path, started_at);
    CREATE INDEX IF NOT EXISTS runs_status ON runs(status);`,
    columns: {
      id: 'TEXT',
      started_at: 'INTEGER',
      finished_at: 'INTEGER',
      status: 'TEXT',
      spec_path: 'TEXT',
      spec_name: 'TEXT',
      spec_hash: 'TEXT',
      spec_text: 'TEXT',
      resolved: 'TEXT',
      seed: 'INTEGER',
      package_version: 'TEXT',
      git_commit: 'TEXT',
      git_dirty: 'INTEGER',
      metrics: 'TEXT',
      error: 'TEXT',
      pid: 'INTEGER',
      host: 'TEXT',
      spec_blob: 'TEXT',
      sweep_id: 'TEXT',
      sweep_point: 'INTEGER',
      sweep_values: 'TEXT',
    },
  },
  {
    name: 'run_nodes',
    create: `CREATE TABLE IF NOT EXISTS run_nodes (
      run_id TEXT NOT NULL,
      node TEXT NOT NULL,
      step TEXT NOT NULL,
      batch INTEGER,
      key TEXT,
      status TEXT NOT NULL,
      hit INTEGER NOT NULL,
      ms REAL NOT NULL,
      error TEXT,
      point INTEGER,
      content_id TEXT,
      weights_hash TEXT,
      PRIMARY KEY (run_id, node)
    );
    CREATE INDEX IF NOT EXISTS run_nodes_key ON run_nodes(key);`,
    columns: { run_id: 'TEXT', node: 'TEXT', step: 'TEXT', batch: 'INTEGER', key: 'TEXT', status: 'TEXT', hit: 'INTEGER', ms: 'REAL', error: 'TEXT', point: 'INTEGER', content_id: 'TEXT', weights_hash: 'TEXT' },
  },
];

export class RunStore implements Immediate<RunRecords> {
  private readonly host = hostname();

  constructor(
    private readonly db: Database.Database,
    private readonly opts: { readOnly?: boolean } = {},
  ) {
    if (!opts.readOnly) this.reapDead();
  }

  begin(r: Omit<RunRecord, 'status' | 'finishedAt' | 'gitDirty'>): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, started_at, status, spec_path, spec_name, spec_hash, spec_text, resolved, seed, package_version, git_commit, pid, host, spec_blob, sweep_id, sweep_point, sweep_values)
         VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.id, r.startedAt, r.specPath, r.specName, r.specHash, redactSecrets(r.specText), JSON.stringify(redactDeep(r.resolved)), r.seed, r.packageVersion, r.gitCommit ?? null, process.pid, this.host, r.specBlob ?? null, r.sweepId ?? null, r.sweepPoint ?? null, r.sweepValues === undefined ? null : JSON.stringify(redactDeep(r.sweepValues)));
  }

  /** Records one node's outcome (called as each node finishes). */
  recordNode(runId: string, n: NodeRecord): void {
    this.db
      .prepare('INSERT OR REPLACE INTO run_nodes (run_id, node, step, batch, point, key, status, hit, ms, error, content_id, weights_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(runId, n.id, n.step, n.batch ?? null, n.point ?? null, n.key ?? null, n.status, n.status === 'hit' ? 1 : 0, n.ms, n.error === undefined ? null : redactSecrets(n.error), n.contentId ?? null, n.weightsHash ?? null);
  }

  /** Closes a run; the dirty flag comes last because `git status` runs while the pipeline does. */
  finish(runId: string, status: RunStatus, metrics: RunRecord['metrics'], error?: string, gitDirty?: boolean): void {
    this.db
      .prepare('UPDATE runs SET finished_at = ?, status = ?, metrics = ?, error = ?, git_dirty = ? WHERE id = ?')
      .run(Date.now(), status, JSON.stringify(metrics ?? {}), error === undefined ? null : redactSecrets(error), gitDirty === undefined ? null : gitDirty ? 1 : 0, runId);
  }

  /**
   * Marks runs of this host whose process is gone (kill -9, a double Ctrl-C, a crash) as
   * interrupted. Returns how many.
   */
  reapDead(): number {
    const open = this.db.prepare("SELECT id, pid FROM runs WHERE status = 'running' AND host = ? AND pid IS NOT NULL").all(this.host) as { id: string; pid: number }[];
    const dead = open.filter((r) => r.pid !== process.pid && !processAlive(r.pid));
    const mark = this.db.prepare(
      "UPDATE runs SET status = 'interrupted', error = COALESCE(error, ?) WHERE id = ? AND status = 'running'",
    );
    for (const r of dead) mark.run(`the run's process (pid ${r.pid}) ended without closing the run (killed or crashed)`, r.id);
    return dead.length;
  }

  /** A record's status as readers should see it: a dead process's run is interrupted even on a read-only cache. */
  private statusOf(row: any): RunStatus {
    if (row.status === 'running' && row.host === this.host && typeof row.pid === 'number' && row.pid !== process.pid && !processAlive(row.pid)) return 'interrupted';
    return row.status;
  }

  private toRecord(row: any): RunRecord {
    return {
      id: row.id,
      startedAt: row.started_at,
      finishedAt: row.finished_at ?? undefined,
      status: this.statusOf(row),
      specPath: row.spec_path,
      specName: row.spec_name,
      specHash: row.spec_hash,
      specText: row.spec_text,
      specBlob: row.spec_blob ?? undefined,
      sweepId: row.sweep_id ?? undefined,
      sweepPoint: row.sweep_point ?? undefined,
      sweepValues: row.sweep_values ? JSON.parse(row.sweep_values) : undefined,
      resolved: JSON.parse(row.resolved),
      seed: row.seed,
      packageVersion: row.package_version,
      gitCommit: row.git_commit ?? undefined,
      gitDirty: row.git_dirty === null || row.git_dirty === undefined ? undefined : row.git_dirty === 1,
      metrics: row.metrics ? JSON.parse(row.metrics) : undefined,
      error: row.error ?? undefined,
    };
  }

  /** The newest runs first; `specPath` (absolute) keeps one spec's history (index runs_spec). */
  list(limit = 50, filter: { specPath?: string } = {}): (RunRecord & { hits: number; nodes: number })[] {
    const where = filter.specPath === undefined ? '' : 'WHERE r.spec_path = @specPath';
    const rows = this.db
      .prepare(
        `SELECT r.*, (SELECT COUNT(*) FROM run_nodes n WHERE n.run_id = r.id) AS n_nodes,
                (SELECT COUNT(*) FROM run_nodes n WHERE n.run_id = r.id AND n.hit = 1) AS n_hits
         FROM runs r ${where} ORDER BY r.started_at DESC LIMIT @limit`,
      )
      .all({ limit, ...(filter.specPath === undefined ? {} : { specPath: filter.specPath }) }) as any[];
    return rows.map((row) => ({ ...this.toRecord(row), hits: row.n_hits, nodes: row.n_nodes }));
  }

  /** The points of a sweep (by id or unique prefix), in point order, with their nodes. */
  sweep(idOrPrefix: string): RunRecord[] {
    let rows = this.db.prepare('SELECT * FROM runs WHERE sweep_id = ? ORDER BY sweep_point').all(idOrPrefix) as any[];
    if (rows.length === 0) {
      const ids = this.db.prepare("SELECT DISTINCT sweep_id FROM runs WHERE sweep_id LIKE ? ESCAPE '\\' LIMIT 2").all(`${escapeLike(idOrPrefix)}%`) as { sweep_id: string }[];
      if (ids.length === 1) rows = this.db.prepare('SELECT * FROM runs WHERE sweep_id = ? ORDER BY sweep_point').all(ids[0].sweep_id) as any[];
    }
    return rows.map((row) => this.withNodes(row));
  }

  /** A run by id or unique id prefix (undefined when none or several match). */
  get(idOrPrefix: string): RunRecord | undefined {
    const exact = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(idOrPrefix);
    if (exact) return this.withNodes(exact);
    const rows = this.db.prepare("SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' LIMIT 2").all(`${escapeLike(idOrPrefix)}%`) as any[];
    return rows.length === 1 ? this.withNodes(rows[0]) : undefined;
  }

  private withNodes(row: any): RunRecord {
    const rec = this.toRecord(row);
    rec.nodes = (this.db.prepare('SELECT * FROM run_nodes WHERE run_id = ? ORDER BY rowid').all(rec.id) as any[]).map((n) => ({
      node: n.node,
      step: n.step,
      batch: n.batch ?? undefined,
      point: n.point ?? undefined,
      key: n.key ?? undefined,
      status: n.status,
      hit: n.hit === 1,
      ms: n.ms,
      error: n.error ?? undefined,
      contentId: n.content_id ?? undefined,
      weightsHash: n.weights_hash ?? undefined,
    }));
    return rec;
  }

  /** Every run id, newest first (for "did you mean" when an id matches none). */
  ids(): string[] {
    return this.db.prepare('SELECT id FROM runs ORDER BY started_at DESC').pluck().all() as string[];
  }

  /** How many runs match a prefix (to tell "no such run" from "ambiguous"). */
  count(prefix: string): number {
    return this.db.prepare("SELECT COUNT(*) FROM runs WHERE id LIKE ? ESCAPE '\\'").pluck().get(`${escapeLike(prefix)}%`) as number;
  }
}

/** A user's id prefix matched literally (`%` and `_` are LIKE wildcards). */
function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

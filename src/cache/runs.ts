/**
 * Run records: every run's spec, resolved params, node keys with hit/miss and timings,
 * metrics, seed, package version and git state, in the cache's SQLite database (indexed, so
 * `runs ls` stays fast with thousands of runs).
 */
import type Database from 'better-sqlite3';
import type { NodeResult } from '../dag/execute.js';

export interface RunRecord {
  id: string;
  startedAt: number;
  finishedAt?: number;
  status: 'running' | 'ok' | 'failed' | 'interrupted';
  specPath: string;
  specName: string;
  specHash: string;
  specText: string;
  resolved: Record<string, unknown>;
  seed: number;
  packageVersion: string;
  gitCommit?: string;
  gitDirty?: boolean;
  metrics?: Record<string, Record<string, number>>;
  error?: string;
  nodes?: { node: string; step: string; batch?: number; key?: string; status: string; hit: boolean; ms: number; error?: string }[];
}

export class RunStore {
  constructor(private readonly db: Database.Database) {}

  begin(r: Omit<RunRecord, 'status' | 'finishedAt' | 'gitDirty'>): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, started_at, status, spec_path, spec_name, spec_hash, spec_text, resolved, seed, package_version, git_commit)
         VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.id, r.startedAt, r.specPath, r.specName, r.specHash, r.specText, JSON.stringify(r.resolved), r.seed, r.packageVersion, r.gitCommit ?? null);
  }

  recordNode(runId: string, n: NodeResult): void {
    this.db
      .prepare('INSERT OR REPLACE INTO run_nodes (run_id, node, step, batch, key, status, hit, ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(runId, n.id, n.step, n.batch ?? null, n.key ?? null, n.status, n.status === 'hit' ? 1 : 0, n.ms, n.error ?? null);
  }

  /** Closes a run; the dirty flag comes last because `git status` runs while the pipeline does. */
  finish(runId: string, status: RunRecord['status'], metrics: RunRecord['metrics'], error?: string, gitDirty?: boolean): void {
    this.db
      .prepare('UPDATE runs SET finished_at = ?, status = ?, metrics = ?, error = ?, git_dirty = ? WHERE id = ?')
      .run(Date.now(), status, JSON.stringify(metrics ?? {}), error ?? null, gitDirty === undefined ? null : gitDirty ? 1 : 0, runId);
  }

  private toRecord(row: any): RunRecord {
    return {
      id: row.id,
      startedAt: row.started_at,
      finishedAt: row.finished_at ?? undefined,
      status: row.status,
      specPath: row.spec_path,
      specName: row.spec_name,
      specHash: row.spec_hash,
      specText: row.spec_text,
      resolved: JSON.parse(row.resolved),
      seed: row.seed,
      packageVersion: row.package_version,
      gitCommit: row.git_commit ?? undefined,
      gitDirty: row.git_dirty === null ? undefined : row.git_dirty === 1,
      metrics: row.metrics ? JSON.parse(row.metrics) : undefined,
      error: row.error ?? undefined,
    };
  }

  list(limit = 50): (RunRecord & { hits: number; nodes: number })[] {
    const rows = this.db
      .prepare(
        `SELECT r.*, (SELECT COUNT(*) FROM run_nodes n WHERE n.run_id = r.id) AS n_nodes,
                (SELECT COUNT(*) FROM run_nodes n WHERE n.run_id = r.id AND n.hit = 1) AS n_hits
         FROM runs r ORDER BY r.started_at DESC LIMIT ?`,
      )
      .all(limit) as any[];
    return rows.map((row) => ({ ...this.toRecord(row), hits: row.n_hits, nodes: row.n_nodes }));
  }

  /** A run by id or unique id prefix (undefined when none or several match). */
  get(idOrPrefix: string): RunRecord | undefined {
    const exact = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(idOrPrefix);
    if (exact) return this.withNodes(exact);
    const rows = this.db.prepare('SELECT * FROM runs WHERE id LIKE ? LIMIT 2').all(`${idOrPrefix}%`) as any[];
    return rows.length === 1 ? this.withNodes(rows[0]) : undefined;
  }

  private withNodes(row: any): RunRecord {
    const rec = this.toRecord(row);
    rec.nodes = (this.db.prepare('SELECT * FROM run_nodes WHERE run_id = ? ORDER BY rowid').all(rec.id) as any[]).map((n) => ({
      node: n.node,
      step: n.step,
      batch: n.batch ?? undefined,
      key: n.key ?? undefined,
      status: n.status,
      hit: n.hit === 1,
      ms: n.ms,
      error: n.error ?? undefined,
    }));
    return rec;
  }

  /** How many runs match a prefix (to tell "no such run" from "ambiguous"). */
  count(prefix: string): number {
    return this.db.prepare('SELECT COUNT(*) FROM runs WHERE id LIKE ?').pluck().get(`${prefix}%`) as number;
  }
}

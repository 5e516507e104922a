/**
 * `runs ls` with thousands of runs: 5,000 run records written through the run store (as runs
 * write them, in shuffled order), then listed through the real CLI — the newest N in order,
 * one spec's history with --spec, and an unknown id's nearest ids. The queries are served by
 * indexes (checked with SQLite's query plan, never with a timing).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { RunStore } from '../../src/cache/runs.js';
import { ArtifactCache } from '../../src/cache/store.js';
import { runCli } from './cli.js';
import { tempDir } from './helpers.js';

const N = 5000;
const SPECS = ['/repo/pipelines/curated.yaml', '/repo/pipelines/quickstart.yaml', '/repo/pipelines/sweep.yaml'];

describe('runs ls with 5,000 runs', () => {
  it('lists the newest N, one spec history, and suggests ids, through the CLI', async () => {
    const dir = tempDir('mlxi-scale-');
    const cacheDir = join(dir, 'cache');
    const cache = ArtifactCache.open(cacheDir);
    const store = new RunStore(cache.db);
    const t0 = Date.UTC(2026, 0, 1);
    // A deterministic shuffle: inserted out of time order, so the list must sort, not trust rowid.
    const order = Array.from({ length: N }, (_, i) => (i * 2971) % N);
    const runs = order.map((i) => ({
      i,
      id: `20260101-${String(i).padStart(6, '0')}-${((i * 7919) % 0xffffff).toString(16).padStart(6, '0')}`,
      startedAt: t0 + i * 60_000,
      specPath: SPECS[i % 3],
    }));
    cache.db.transaction(() => {
      for (const r of runs) {
        store.begin({
          id: r.id,
          startedAt: r.startedAt,
          specPath: r.specPath,
          specName: r.specPath.split('/').pop()!.replace('.yaml', ''),
          specHash: 'a'.repeat(64),
          specText: 'name: x\n',
          specBlob: 'b'.repeat(40),
          resolved: { params: { days: 10 + (r.i % 5) }, overrides: [] },
          seed: 42,
          packageVersion: '0.1.0',
          gitCommit: 'c'.repeat(40),
        });
        for (const [j, step] of ['bars', 'indicators', 'train'].entries()) {
          store.recordNode(r.id, { id: step, step, key: `${r.i}-${j}`.padEnd(64, '0'), status: j < r.i % 4 ? 'hit' : 'ran', ms: 1 });
        }
        store.finish(r.id, 'ok', { train: { ic: r.i / N } }, undefined, false);
      }
    })();
    expect(cache.db.prepare('SELECT COUNT(*) FROM runs').pluck().get()).toBe(N);

    // The list queries use the indexes (runs_started, runs_spec), so they do not scan all rows and sort.
    const plan = (sql: string) => (cache.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan('SELECT * FROM runs r ORDER BY r.started_at DESC LIMIT 20')).toMatch(/USING INDEX runs_started/);
    expect(plan("SELECT * FROM runs r WHERE r.spec_path = 'x' ORDER BY r.started_at DESC LIMIT 20")).toMatch(/USING INDEX runs_spec/);
    expect(plan("SELECT COUNT(*) FROM run_nodes n WHERE n.run_id = 'x'")).toMatch(/USING (COVERING )?INDEX sqlite_autoindex_run_nodes_1/);
    cache.close();

    const newest = [...runs].sort((a, b) => b.startedAt - a.startedAt);
    const g = ['--cache-dir', cacheDir];
    const ls = await runCli([...g, 'runs', 'ls', '--limit', '25', '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    const listed = JSON.parse(ls.stdout);
    expect(listed.map((r: any) => r.id)).toEqual(newest.slice(0, 25).map((r) => r.id));
    expect(listed.map((r: any) => [r.hits, r.nodes])).toEqual(newest.slice(0, 25).map((r) => [Math.min(3, r.i % 4), 3]));
    expect(listed[0].metrics).toEqual({ train: { ic: (N - 1) / N } });

    const curated = await runCli([...g, 'runs', 'ls', '--limit', '7', '--spec', SPECS[0], '--json']);
    expect(JSON.parse(curated.stdout).map((r: any) => r.id)).toEqual(newest.filter((r) => r.specPath === SPECS[0]).slice(0, 7).map((r) => r.id));

    const text = await runCli([...g, 'runs', 'ls']);
    expect(text.stdout.trim().split('\n')).toHaveLength(21); // header + the default 20
    expect(text.stdout).toContain(newest[0].id);
    expect(text.stdout).toContain('cccccccc');

    // An id one character off: its run is the first suggestion among 5,000.
    const target = newest[100].id;
    const typo = target.slice(0, -1) + (target.endsWith('f') ? 'e' : 'f');
    const bad = await runCli([...g, 'diff', typo, newest[0].id]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`fix: nearest: ${target}`);
  });
});

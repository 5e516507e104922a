/**
 * The cache and the run records under faults: edited rows, damaged database pages, an older
 * layout, stray files, killed runs, and a folder the user cannot write.
 */
import { asyncArtifacts } from '../../src/cache/store-api.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ArtifactCache, CorruptEntryError, DOWNLOAD_STEP } from '../../src/cache/store.js';
import { RunStore } from '../../src/cache/runs.js';
import { execute } from '../../src/dag/execute.js';
import { planSpec } from '../../src/dag/plan.js';
import type { RunEvent } from '../../src/dag/events.js';
import type { RunEnvironment } from '../../src/steps/kind.js';
import { tensor } from '../../src/tensor/tensor.js';
import { CacheDamagedError } from '../../src/util/errors.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { runCli } from './cli.js';
import { specFrom, tempDir } from './helpers.js';
import { calls, TOY_SPEC, toyKinds } from './toy-kinds.js';

const env: RunEnvironment = { modelsDir: '/tmp', provider: () => { throw new Error('no provider in toy runs'); } };

async function runToy(cache: ArtifactCache, tickers = 2) {
  const plan = planSpec(specFrom(TOY_SPEC(tickers)), toyKinds());
  const events: RunEvent[] = [];
  const out = await execute(plan, { cache: asyncArtifacts(cache), env, concurrency: 2, signal: new AbortController().signal, report: (e) => events.push(e) });
  return { events, ...out };
}

/** Overwrites the root page of a table, as a bad disk sector would. */
function damageTable(file: string, table: string): void {
  const db = new Database(file, { readonly: true });
  const page = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').pluck().get(table) as number;
  const size = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(size - 200, 0xa5), 0, size - 200, (page - 1) * size + 100);
  } finally {
    closeSync(fd);
  }
}

beforeEach(() => {
  calls.length = 0;
});

describe('a cache hit trusts only verified meta', () => {
  it('an edited meta (valid JSON, one number changed) is reported, removed and recomputed', async () => {
    const cache = ArtifactCache.open(tempDir());
    const cold = await runToy(cache);
    const train = cache.list().find((r) => r.kind === 'train')!;
    const edited = JSON.stringify({ ...train.meta, metrics: { total: 12345 } });
    cache.db.prepare('UPDATE artifacts SET meta = ? WHERE key = ?').run(edited, train.key);
    calls.length = 0;
    const warm = await runToy(cache);
    expect(warm.metrics.model.total).toBe(cold.metrics.model.total);
    expect(calls).toEqual(['train']);
    expect(warm.events.some((e) => e.type === 'warn' && /metadata does not match its checksum/.test(e.message))).toBe(true);
    cache.close();
  });

  it('invalid JSON in meta recomputes instead of failing the run', async () => {
    const cache = ArtifactCache.open(tempDir());
    const cold = await runToy(cache);
    const train = cache.list().find((r) => r.kind === 'train')!;
    cache.db.prepare('UPDATE artifacts SET meta = ? WHERE key = ?').run('{"metrics": {"total": 1', train.key);
    const warm = await runToy(cache);
    expect([...warm.results.values()].every((r) => r.status === 'hit' || r.status === 'ran')).toBe(true);
    expect(warm.metrics.model.total).toBe(cold.metrics.model.total);
    expect(() => cache.lookup(train.key)).not.toThrow();
    cache.close();
  });

  it('lookup itself refuses a row whose meta was edited', async () => {
    const cache = ArtifactCache.open(tempDir());
    cache.store('k'.repeat(64), { step: 's', kind: 'train', contentId: 'c', meta: { a: 1 }, tensors: { x: tensor(Float32Array.of(1), [1]) } });
    cache.db.prepare('UPDATE artifacts SET meta = ?').run('{"a":2}');
    expect(() => cache.lookup('k'.repeat(64))).toThrow(CorruptEntryError);
    expect(cache.lookup('k'.repeat(64))).toBeUndefined(); // removed
    cache.close();
  });
});

describe('a damaged database', () => {
  it('commands exit 2 with the repair advice, verify reports it, verify --repair recovers blobs and runs', async () => {
    const dir = tempDir();
    const cache = ArtifactCache.open(dir, { inlineMaxBytes: 0 }); // every blob a file: they survive the repair
    await runToy(cache, 4);
    const runs = new RunStore(cache.db);
    runs.begin({ id: 'r1', startedAt: Date.now(), specPath: 'x.yaml', specName: 'x', specHash: 'h', specText: 'name: x', resolved: {}, seed: 1, packageVersion: '0', gitCommit: undefined });
    runs.finish('r1', 'ok', {});
    // Enough rows that the damage lands in table pages, not only in free space.
    for (let i = 0; i < 300; i++) runs.recordNode('r1', { id: `n${i}`, step: 's', status: 'ran', ms: 1, error: 'x'.repeat(200) });
    const keys = cache.list().map((r) => r.key).sort();
    cache.close();
    damageTable(join(dir, 'cache.sqlite'), 'artifacts');

    for (const args of [['cache', 'ls'], ['cache', 'gc', '--keep-runs', '1']]) {
      const r = await runCli([...args, '--cache-dir', dir]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/cache database .* is damaged/);
      expect(r.stderr).toContain('cache verify --repair');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    const v = await runCli(['cache', 'verify', '--cache-dir', dir]);
    expect(v.code).toBe(1);
    expect(v.stdout + v.stderr).toContain('cache verify --repair');

    const rep = await runCli(['cache', 'verify', '--repair', '--cache-dir', dir]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout).toMatch(/re-indexed \d+ blob file/);
    expect(readdirSync(dir).some((f) => f.startsWith('cache.sqlite.damaged-'))).toBe(true);
    const after = await runCli(['cache', 'verify', '--cache-dir', dir]);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    const healed = ArtifactCache.open(dir);
    const back = healed.list().map((r) => r.key);
    expect(back.length).toBeGreaterThan(0);
    for (const k of back) expect(keys).toContain(k);
    // What was re-indexed is a real hit: a toy run reuses it, recomputing only what was lost.
    calls.length = 0;
    const rerun = await runToy(healed, 4);
    expect([...rerun.results.values()].filter((r) => r.status === 'hit').length).toBeGreaterThan(0);
    healed.close();
  });

  it('verify on a file that is not a database at all says so and how to recover', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'blobs'), { recursive: true });
    writeFileSync(join(dir, 'cache.sqlite'), 'this is not a database '.repeat(500));
    const r = await runCli(['runs', 'ls', '--cache-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cache verify --repair');
    expect(() => ArtifactCache.open(dir)).toThrow(CacheDamagedError);
    expect(ArtifactCache.repair(dir).reindexed).toBe(0);
    ArtifactCache.open(dir).close();
  });
});

/** The layout the first released version wrote (no meta checksums, no pid/host, no user_version). */
const LAYOUT_V1 = `
CREATE TABLE artifacts (key TEXT PRIMARY KEY, step TEXT NOT NULL, kind TEXT NOT NULL, content_id TEXT NOT NULL, meta TEXT NOT NULL,
  bytes INTEGER NOT NULL, checksum TEXT NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, blob BLOB);
CREATE TABLE runs (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL, finished_at INTEGER, status TEXT NOT NULL, spec_path TEXT NOT NULL,
  spec_name TEXT NOT NULL, spec_hash TEXT NOT NULL, spec_text TEXT NOT NULL, resolved TEXT NOT NULL, seed INTEGER NOT NULL,
  package_version TEXT NOT NULL, git_commit TEXT, git_dirty INTEGER, metrics TEXT, error TEXT);
CREATE TABLE run_nodes (run_id TEXT NOT NULL, node TEXT NOT NULL, step TEXT NOT NULL, batch INTEGER, key TEXT, status TEXT NOT NULL,
  hit INTEGER NOT NULL, ms REAL NOT NULL, error TEXT, PRIMARY KEY (run_id, node));
`;

describe('an older database layout', () => {
  it('is migrated in place: old entries still hit, old runs still list', async () => {
    const dir = tempDir();
    // Entries written by this version, then the database rewritten to the old layout around them.
    const first = ArtifactCache.open(dir);
    const cold = await runToy(first);
    const rows = first.db.prepare('SELECT key, step, kind, content_id, meta, bytes, checksum, created_at, last_used_at, blob FROM artifacts').all() as any[];
    first.close();
    for (const f of readdirSync(dir)) if (f.startsWith('cache.sqlite')) spawnSync('rm', ['-f', join(dir, f)]);
    const old = new Database(join(dir, 'cache.sqlite'));
    old.exec(LAYOUT_V1);
    const ins = old.prepare('INSERT INTO artifacts VALUES (@key, @step, @kind, @content_id, @meta, @bytes, @checksum, @created_at, @last_used_at, @blob)');
    for (const r of rows) ins.run(r);
    old.prepare("INSERT INTO runs VALUES ('old-run', 1, 2, 'ok', 'p', 'n', 'h', 't', '{}', 1, '0.0.1', NULL, NULL, '{}', NULL)").run();
    old.close();

    const cache = ArtifactCache.open(dir);
    expect(cache.migrated).toMatch(/meta_checksum/);
    calls.length = 0;
    const warm = await runToy(cache);
    expect(calls).toEqual([]);
    expect(warm.metrics.model.total).toBe(cold.metrics.model.total);
    expect(new RunStore(cache.db).get('old-run')?.status).toBe('ok');
    cache.close();
    const r = await runCli(['runs', 'ls', '--cache-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('old-run');
  });

  it('a database from a newer version is refused with exit 2, not overwritten', async () => {
    const dir = tempDir();
    ArtifactCache.open(dir).close();
    const db = new Database(join(dir, 'cache.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    const r = await runCli(['runs', 'ls', '--cache-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/newer mlx-intraday/);
  });
});

describe('cache gc', () => {
  it('ignores stray files and folders in blobs/', async () => {
    const dir = tempDir();
    const cache = ArtifactCache.open(dir, { inlineMaxBytes: 0 });
    await runToy(cache);
    writeFileSync(join(dir, 'blobs', 'README.txt'), 'a stray file');
    mkdirSync(join(dir, 'blobs', 'not-ours'));
    writeFileSync(join(dir, 'blobs', 'not-ours', 'x.bin'), 'x');
    const n = cache.list().length;
    expect(cache.gc({ olderThanMs: 3_600_000 }).removed).toBe(0);
    expect(cache.list().length).toBe(n);
    expect(existsSync(join(dir, 'blobs', 'README.txt'))).toBe(true);
    cache.close();
  });

  it('--keep-runs keeps the remote downloads the kept runs used', async () => {
    const dir = tempDir();
    const cache = ArtifactCache.open(dir);
    const runs = new RunStore(cache.db);
    const t = { x: tensor(Float32Array.of(1, 2), [2]) };
    cache.store('a'.repeat(64), { step: DOWNLOAD_STEP, kind: 'fetch', contentId: 'a', meta: {}, tensors: t });
    runs.begin({ id: 'kept', startedAt: Date.now() - 1000, specPath: 'x', specName: 'x', specHash: 'h', specText: '', resolved: {}, seed: 1, packageVersion: '0' });
    runs.finish('kept', 'ok', {});
    cache.db.prepare('UPDATE artifacts SET last_used_at = ? WHERE key = ?').run(Date.now() - 3 * 86_400_000, 'a'.repeat(64));
    cache.store('b'.repeat(64), { step: DOWNLOAD_STEP, kind: 'fetch', contentId: 'b', meta: {}, tensors: t });
    const r = cache.gc({ keepRuns: 1 });
    expect(r.removed).toBe(1); // only the download no kept run touched
    expect(cache.list().map((e) => e.key)).toEqual(['b'.repeat(64)]);
    cache.close();
  });
});

describe('run records', () => {
  it('a run killed with SIGKILL shows the nodes that finished and is marked interrupted', async () => {
    const dir = tempDir();
    const models = tempDir();
    const child = spawn(process.execPath, ['--expose-gc', '--import', join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs'), join(PACKAGE_ROOT, 'src', 'cli.ts'), 'run', join(PACKAGE_ROOT, 'pipelines', 'quickstart.yaml'), '--json', '--cache-dir', dir, '--models-dir', models], {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let runId = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no indicators node-end in time:\n${out}`)), 120_000);
      child.stdout.on('data', (d) => {
        out += d;
        runId ||= /"runId":"([^"]+)"/.exec(out)?.[1] ?? '';
        // Kill once indicators are stored, while train is still ahead.
        if (/"type":"node-end","node":"samples/.test(out)) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('close', r));
    const shown = await runCli(['runs', 'show', runId, '--json', '--cache-dir', dir]);
    expect(shown.code, shown.stderr).toBe(0);
    const rec = JSON.parse(shown.stdout);
    expect(rec.status).toBe('interrupted');
    expect(rec.error).toMatch(/ended without closing the run/);
    const done = rec.nodes.filter((n: any) => n.status === 'ran').map((n: any) => n.step);
    expect(done).toEqual(expect.arrayContaining(['precheck', 'bars', 'indicators', 'samples']));
    // The next writer persists the verdict.
    const cache = ArtifactCache.open(dir);
    expect((cache.db.prepare('SELECT status FROM runs WHERE id = ?').pluck().get(runId) as string)).toBe('interrupted');
    cache.close();
  });

  it('runs ls, runs show and cache ls work on a cache the user cannot write', async () => {
    if (process.getuid?.() !== 0 || spawnSync('runuser', ['--help']).status !== 0) return; // needs root to drop to nobody
    const dir = tempDir();
    const cache = ArtifactCache.open(dir);
    await runToy(cache);
    const runs = new RunStore(cache.db);
    runs.begin({ id: 'ro-run', startedAt: Date.now(), specPath: 'x', specName: 'x', specHash: 'h', specText: '', resolved: {}, seed: 1, packageVersion: '0' });
    runs.finish('ro-run', 'ok', {});
    cache.close();
    chmodSync(dir, 0o755);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o755);
    const tsx = join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
    const asNobody = (args: string[]) =>
      spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '--import', tsx, join(PACKAGE_ROOT, 'src', 'cli.ts'), ...args, '--cache-dir', dir], { encoding: 'utf8', cwd: '/tmp' });
    // The checkout must be readable by nobody for this check to mean anything.
    const probe = spawnSync('runuser', ['-u', 'nobody', '--', 'test', '-r', join(PACKAGE_ROOT, 'src', 'cli.ts')]);
    if (probe.status !== 0) return;
    const ls = asNobody(['runs', 'ls']);
    expect(ls.status, ls.stderr).toBe(0);
    expect(ls.stdout).toContain('ro-run');
    const show = asNobody(['runs', 'show', 'ro-run']);
    expect(show.status, show.stderr).toBe(0);
    const cls = asNobody(['cache', 'ls']);
    expect(cls.status, cls.stderr).toBe(0);
    expect(cls.stdout).toMatch(/4 entries/);
  });
});


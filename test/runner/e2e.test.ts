import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { RunStore } from '../../src/cache/runs.js';
import { ArtifactCache } from '../../src/cache/store.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { runCli, runEnd } from './cli.js';
import { tempDir } from './helpers.js';

const QUICKSTART = join(PACKAGE_ROOT, 'pipelines', 'quickstart.yaml');

describe('quickstart end to end', () => {
  it('runs cold, then warm with all cache hits and the same metrics', async () => {
    const dir = tempDir();
    const opts = { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models') };
    const spec = loadSpec(QUICKSTART);
    const cold = await runPipeline(spec, opts);
    expect(cold.status).toBe('ok');
    expect([...cold.results.values()].every((r) => r.status === 'ran')).toBe(true);
    const bt = cold.metrics.backtest;
    expect(Number.isFinite(bt['sharpe[model]'])).toBe(true);
    expect(Number.isFinite(bt['sharpe[avwap]'])).toBe(true);
    expect(cold.metrics.train.epochs).toBe(4);
    expect(existsSync(join(dir, 'models', 'quickstart.safetensors'))).toBe(true);

    const warm = await runPipeline(loadSpec(QUICKSTART), opts);
    expect(warm.status).toBe('ok');
    expect([...warm.results.values()].map((r) => r.status)).toEqual([...warm.results.values()].map(() => 'hit'));
    expect(warm.metrics).toEqual(cold.metrics);

    // Both runs are recorded with their node keys and hit/miss.
    const cache = ArtifactCache.open(opts.cacheDir);
    const runs = new RunStore(cache.db).list();
    expect(runs.map((r) => [r.status, r.hits, r.nodes])).toEqual([
      ['ok', 6, 6],
      ['ok', 0, 6],
    ]);
    const shown = new RunStore(cache.db).get(runs[0].id)!;
    expect(shown.specHash).toHaveLength(64);
    if (existsSync(join(PACKAGE_ROOT, '.git'))) {
      const { execFileSync } = await import('node:child_process');
      expect(shown.gitCommit).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PACKAGE_ROOT, encoding: 'utf8' }).trim());
      expect(typeof shown.gitDirty).toBe('boolean');
    }
    expect(shown.nodes!.every((n) => n.key && n.key.length === 64)).toBe(true);
    cache.close();
  });

  it('two processes running the same spec on one cache both succeed with the same results', async () => {
    const dir = tempDir();
    const args = ['--cache-dir', join(dir, 'cache'), '--models-dir', join(dir, 'models'), 'run', QUICKSTART, '--json', '--epochs', '2'];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(runEnd(a.stdout).metrics).toEqual(runEnd(b.stdout).metrics);
    const c = await runCli(args);
    expect(runEnd(c.stdout).counts.hit).toBe(6);
    expect(runEnd(c.stdout).metrics).toEqual(runEnd(a.stdout).metrics);
    expect(readdirSync(join(dir, 'models')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('CLI errors', () => {
  it('exits 2 on a bad spec, naming file:line:col and a fix', async () => {
    const dir = tempDir();
    const spec = join(dir, 'bad.yaml');
    writeFileSync(spec, 'name: x\nuniverse:\n  tickers: [A]\nsteps:\n  a:\n    kind: fech\n');
    const r = await runCli(['validate', spec], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.yaml:6:11: error: unknown step kind `fech`');
    expect(r.stderr).toContain('fix: did you mean `fetch`?');
  });

  it('exits 2 on --set of an unknown path and on an unwritable cache directory', async () => {
    const dir = tempDir();
    const r = await runCli(['validate', QUICKSTART, '--set', 'train.epochz=3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--set train.epochz=3: error: unknown key `epochz`');
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const c = await runCli(['--cache-dir', join(file, 'cache'), 'plan', QUICKSTART]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/cache directory .* is not writable \(ENOTDIR\)/);
    expect(c.stderr).toContain('--cache-dir');
    // An unwritable models folder fails before any work, not after training.
    const m = await runCli(['--cache-dir', join(dir, 'cache'), '--models-dir', join(file, 'models'), 'run', QUICKSTART]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/models directory .* is not writable \(ENOTDIR\)/);
    expect(m.stderr).toContain('--models-dir');
  });

  it('exits 2 on usage mistakes: unknown command, bad flag value, unknown --refresh step', async () => {
    expect((await runCli(['bogus'])).code).toBe(2);
    const days = await runCli(['validate', QUICKSTART, '--days', 'x']);
    expect(days.code).toBe(2);
    expect(days.stderr).toContain('--days takes a positive whole number, got "x"');
    const refresh = await runCli(['run', QUICKSTART, '--refresh', 'barz', '--cache-dir', join(tempDir(), 'c')]);
    expect(refresh.code).toBe(2);
    expect(refresh.stderr).toContain('no step named `barz`');
  });

  it('exits 2 with a fix when the cache database is corrupt', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cache.sqlite'), 'this is not a database, just some bytes that are long enough to look like a header..........');
    const r = await runCli(['--cache-dir', dir, 'cache', 'ls']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the cache database .* is damaged/);
    expect(r.stderr).toMatch(/cache verify --repair/);
  });

  it('plan shows misses before a run and hits after, without running anything', async () => {
    const dir = tempDir();
    const g = ['--cache-dir', join(dir, 'cache'), '--models-dir', join(dir, 'models')];
    const before = await runCli([...g, 'plan', QUICKSTART, '--json', '--epochs', '1']);
    expect(before.code, before.stderr).toBe(0);
    const nodes = JSON.parse(before.stdout).nodes;
    expect(nodes.map((n: any) => n.state)).toEqual(['miss', 'miss', 'pending', 'pending', 'pending', 'pending']);
    expect(existsSync(join(dir, 'models'))).toBe(false);
    const run = await runCli([...g, 'run', QUICKSTART, '--epochs', '1']);
    expect(run.code, run.stderr).toBe(0);
    const after = await runCli([...g, 'plan', QUICKSTART, '--json', '--epochs', '1']);
    expect(JSON.parse(after.stdout).nodes.map((n: any) => n.state)).toEqual(['hit', 'hit', 'hit', 'hit', 'hit', 'hit']);
  });
});

describe('interrupts', () => {
  it('SIGINT stops promptly with exit 130, records the run as interrupted and leaves no partial entry', async () => {
    const { spawn } = await import('node:child_process');
    const { pathToFileURL } = await import('node:url');
    const dir = tempDir();
    const cacheDir = join(dir, 'cache');
    const tsx = pathToFileURL(join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const child = spawn(process.execPath, ['--expose-gc', '--import', tsx, join(PACKAGE_ROOT, 'src', 'cli.ts'), '--cache-dir', cacheDir, '--models-dir', join(dir, 'models'), 'run', QUICKSTART, '--json', '--epochs', '500'], {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    let out = '';
    const sent = new Promise<number>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        // Interrupt once training is under way.
        if (out.includes('"epoch 1/500')) {
          child.kill('SIGINT');
          resolve(performance.now());
        }
      });
    });
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    const sentAt = await sent;
    expect(code).toBe(130);
    expect(performance.now() - sentAt).toBeLessThan(30_000);
    const cache = ArtifactCache.open(cacheDir);
    const steps = cache.list().map((r) => r.step).sort();
    expect(steps).toEqual(['bars', 'indicators', 'precheck', 'samples']); // train never stored
    expect(cache.verify().corrupt).toEqual([]);
    const [run] = new RunStore(cache.db).list();
    expect(run.status).toBe('interrupted');
    cache.close();
    expect(readdirSync(join(dir, 'models'))).toEqual([]); // no checkpoint, not even a partial one
  });
});

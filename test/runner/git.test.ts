/**
 * Runs inside a git repository record the commit, whether the tree was dirty, the spec's path
 * and its git blob hash — checked against git itself in temp repositories (loose and packed
 * refs, a worktree, a detached HEAD, an untracked spec, no repository). `runs ls --spec` lists
 * one spec's history; `diff` names param, code, data and metric differences.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { RunStore, type RunRecord } from '../../src/cache/runs.js';
import { ArtifactCache } from '../../src/cache/store.js';
import { gitBlobHash, gitCommit, gitDirty } from '../../src/util/gitinfo.js';
import { runCli, runEnd } from './cli.js';
import { tempDir } from './helpers.js';

const hasGit = (() => {
  try {
    execFileSync('git', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim();

/** Fetch only (synthetic bars) behind a precheck: a run takes well under a second. */
const SPEC = (days: number) => `name: g
universe: {tickers: [AAPL, MSFT]}
data: {provider: synthetic, seed: 1, end: 2026-10-30}
params: {days: ${days}, sample_interval: 30, min_samples: 10}
steps:
  precheck: {kind: precheck}
  bars: {kind: fetch, inputs: [precheck]}
`;

function repo(): string {
  const dir = tempDir('mlxi-git-');
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'spec.yaml'), SPEC(3));
  writeFileSync(join(dir, 'notes.txt'), 'hello\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'first');
  return dir;
}

async function runAndRecord(specPath: string, cacheDir: string): Promise<RunRecord> {
  const out = await runPipeline(loadSpec(specPath), { cacheDir, modelsDir: join(cacheDir, '..', 'models') });
  expect(out.status).toBe('ok');
  const cache = ArtifactCache.open(cacheDir, { readOnly: true });
  try {
    return new RunStore(cache.db, { readOnly: true }).get(out.runId)!;
  } finally {
    cache.close();
  }
}

describe.skipIf(!hasGit)('git state in run records', () => {
  it('records the commit, a clean tree, the spec path and its blob hash; a changed tracked file makes it dirty', async () => {
    const dir = repo();
    const cacheDir = join(tempDir(), 'cache');
    const spec = join(dir, 'spec.yaml');
    const clean = await runAndRecord(spec, cacheDir);
    expect(clean.gitCommit).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(clean.gitDirty).toBe(false);
    expect(clean.specPath).toBe(spec);
    expect(clean.specBlob).toBe(git(dir, 'hash-object', 'spec.yaml'));
    expect(clean.specBlob).toBe(git(dir, 'rev-parse', 'HEAD:spec.yaml'));
    const shown = await runCli(['--cache-dir', cacheDir, 'runs', 'show', clean.id]);
    expect(shown.stdout).toContain(`git ${clean.gitCommit!.slice(0, 12)}\n`);
    expect(shown.stdout).toContain(`git blob ${clean.specBlob!.slice(0, 12)}`);

    writeFileSync(join(dir, 'notes.txt'), 'changed\n');
    const dirty = await runAndRecord(spec, cacheDir);
    expect(dirty.gitDirty).toBe(true);
    expect(dirty.gitCommit).toBe(clean.gitCommit);

    // An untracked file elsewhere does not make it dirty; an untracked spec does (the commit cannot give it back).
    git(dir, 'checkout', '-q', '--', 'notes.txt');
    writeFileSync(join(dir, 'scratch.txt'), 'x');
    expect((await runAndRecord(spec, cacheDir)).gitDirty).toBe(false);
    mkdirSync(join(dir, 'new'));
    writeFileSync(join(dir, 'new', 'other.yaml'), SPEC(4));
    const untracked = await runAndRecord(join(dir, 'new', 'other.yaml'), cacheDir);
    expect(untracked.gitDirty).toBe(true);
    expect(untracked.specBlob).toBe(git(dir, 'hash-object', 'new/other.yaml'));
    writeFileSync(join(dir, 'top.yaml'), SPEC(5));
    expect((await runAndRecord(join(dir, 'top.yaml'), cacheDir)).gitDirty).toBe(true);
    expect((await runAndRecord(spec, cacheDir)).gitDirty).toBe(false); // the tracked spec, beside untracked files

    // A new commit is picked up.
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'second');
    const second = await runAndRecord(spec, cacheDir);
    expect(second.gitCommit).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(second.gitCommit).not.toBe(clean.gitCommit);
    expect(second.gitDirty).toBe(false);
  });

  it('reads the commit through packed refs, a worktree, a detached HEAD and a subfolder; none outside a repository', async () => {
    const dir = repo();
    const head = git(dir, 'rev-parse', 'HEAD');
    mkdirSync(join(dir, 'pipelines'));
    expect(gitCommit(join(dir, 'pipelines'))).toBe(head);

    git(dir, 'pack-refs', '--all');
    expect(existsSync(join(dir, '.git', 'refs', 'heads', 'main'))).toBe(false);
    expect(gitCommit(dir)).toBe(head);

    const wt = join(tempDir(), 'wt');
    git(dir, 'worktree', 'add', '-q', '-b', 'side', wt);
    writeFileSync(join(wt, 'more.txt'), 'm');
    git(wt, 'add', 'more.txt');
    git(wt, 'commit', '-q', '-m', 'on side');
    expect(gitCommit(wt)).toBe(git(wt, 'rev-parse', 'HEAD'));
    expect(gitCommit(wt)).not.toBe(head);
    expect(await gitDirty(wt)).toBe(false);

    git(dir, 'checkout', '-q', '--detach', head);
    expect(gitCommit(dir)).toBe(head);

    const outside = tempDir('mlxi-nogit-');
    writeFileSync(join(outside, 'spec.yaml'), SPEC(3));
    // tmp folders are not inside a repository on a normal machine; skip the claim if this one is.
    if (gitCommit(outside) === undefined) {
      const rec = await runAndRecord(join(outside, 'spec.yaml'), join(outside, 'cache'));
      expect(rec.gitCommit).toBeUndefined();
      expect(rec.gitDirty).toBeUndefined();
      expect(rec.specBlob).toBe(gitBlobHash(SPEC(3)));
      const shown = await runCli(['--cache-dir', join(outside, 'cache'), 'runs', 'show', rec.id]);
      expect(shown.stdout).toContain('git — (the spec was not in a git work tree)');
    }
    rmSync(wt, { recursive: true, force: true });
  });

  it('the blob hash is what git hash-object prints, for any content', () => {
    const dir = tempDir('mlxi-blob-');
    for (const [i, text] of ['', 'a', 'name: x\n', 'unicode: “é” 😀\r\nline two', 'x'.repeat(100_000)].entries()) {
      const f = join(dir, `f${i}`);
      writeFileSync(f, text);
      expect(gitBlobHash(text)).toBe(git(dir, 'hash-object', f));
    }
  });
});

describe.skipIf(!hasGit)('runs ls --spec and diff', () => {
  it("lists one spec's history by its resolved path, from any folder", async () => {
    const dir = repo();
    writeFileSync(join(dir, 'other.yaml'), SPEC(4));
    mkdirSync(join(dir, 'sub'));
    const g = ['--cache-dir', join(dir, 'cache'), '--models-dir', join(dir, 'models')];
    const ids: Record<string, string[]> = { spec: [], other: [] };
    for (const name of ['spec', 'other', 'spec']) {
      const r = await runCli([...g, 'run', `${name}.yaml`, '--json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      ids[name].push(runEnd(r.stdout).runId);
    }
    const ls = await runCli([...g, 'runs', 'ls', '--spec', 'spec.yaml', '--json'], { cwd: dir });
    expect(ls.code, ls.stderr).toBe(0);
    const listed = JSON.parse(ls.stdout);
    expect(listed.map((r: any) => r.id)).toEqual([...ids.spec].reverse());
    expect(listed.every((r: any) => r.specPath === join(dir, 'spec.yaml') && r.specBlob === git(dir, 'hash-object', 'spec.yaml'))).toBe(true);
    // The same spec named from another folder.
    const fromSub = await runCli([...g, 'runs', 'ls', '--spec', '../other.yaml', '--json'], { cwd: join(dir, 'sub') });
    expect(JSON.parse(fromSub.stdout).map((r: any) => r.id)).toEqual(ids.other);
    const text = await runCli([...g, 'runs', 'ls', '--spec', 'spec.yaml'], { cwd: dir });
    expect(text.stdout).toContain(ids.spec[0]);
    expect(text.stdout).not.toContain(ids.other[0]);
    const none = await runCli([...g, 'runs', 'ls', '--spec', 'nope.yaml'], { cwd: dir });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain(`no runs of ${join(dir, 'nope.yaml')}`);
  });

  it('diff names param, code, data and metric differences, and says "same" where there are none', async () => {
    const dir = repo();
    const g = ['--cache-dir', join(dir, 'cache'), '--models-dir', join(dir, 'models')];
    const run = async (...args: string[]) => {
      const r = await runCli([...g, 'run', 'spec.yaml', '--json', ...args], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      return runEnd(r.stdout).runId as string;
    };
    const a = await run();
    const b = await run();
    writeFileSync(join(dir, 'notes.txt'), 'dirty now\n');
    const c = await run('--days', '4');

    const same = await runCli([...g, 'diff', a, b], { cwd: dir });
    expect(same.code, same.stderr).toBe(0);
    for (const part of ['params: same', 'code: same', 'data (fetch content ids): same', 'metrics: same']) expect(same.stdout).toContain(part);
    expect(same.stdout).toContain('cache keys: 0 of 2 nodes differ');

    const d = await runCli([...g, 'diff', a, c, '--json'], { cwd: dir });
    expect(d.code, d.stderr).toBe(0);
    const diff = JSON.parse(d.stdout);
    expect(diff.params).toContainEqual({ path: 'params.days', a: 3, b: 4 });
    expect(diff.params).toContainEqual({ path: 'command-line overrides', a: [], b: ['--days 4'] });
    expect(diff.code).toEqual([{ path: 'git dirty', a: false, b: true }]);
    expect(diff.data).toHaveLength(1);
    expect(diff.data[0].path).toBe('bars[1/1]');
    expect(diff.data[0].a).toMatch(/^data:/);
    expect(diff.data[0].a).not.toBe(diff.data[0].b);
    expect(diff.metrics.map((m: any) => m.path)).toContain('precheck.samples_estimated');
    expect(diff.keys.map((k: any) => k.path)).toContain('bars[1/1]');

    const text = await runCli([...g, 'diff', a.slice(0, 20), c], { cwd: dir });
    expect(text.stdout).toMatch(/params: \d+ differences/);
    expect(text.stdout).toMatch(/params\.days\s+3\s+4/);
    expect(text.stdout).toMatch(/git dirty\s+false\s+true/);

    const bad = await runCli([...g, 'diff', a, 'nope'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('diff nope: error: no run "nope"');
    expect(bad.stderr).toContain('fix: nearest:');
  });
});

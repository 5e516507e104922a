/**
 * The queue and the stores from the command line, as the README's "Many machines" section uses
 * them: `run --queue` with a worker on an S3 store (s3rver on loopback), then `runs ls/show`
 * from "another machine" through `--store`; and the mistakes a user makes with --queue and
 * --store, each with exit 2, a fix, and no secret in the message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.js';
import { startS3, type S3Server } from '../support/s3-server.js';
import { tempDir } from '../runner/helpers.js';

const TSX = join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const CLI = join(PACKAGE_ROOT, 'src', 'cli.ts');

const SPEC = `name: cli-queue
universe: {tickers: [AAA, BBB, CCC]}
batch_size: 2
data: {provider: synthetic, seed: 5, end: "2026-10-30"}
params: {days: 4, sample_interval: 10, epochs: 2, min_samples: 50}
steps:
  bars: {kind: fetch}
  indicators: {kind: indicators, inputs: [bars]}
  samples: {kind: sample, inputs: [indicators, bars]}
  train: {kind: train, inputs: [samples], params: {model: mlp, batch_size: 64}}
`;

function cli(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  return spawnSync(process.execPath, ['--expose-gc', '--import', TSX, CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, cwd, timeout: 240_000 });
}

describe.skipIf(!redisAvailable())('queue and stores on the command line', () => {
  let redis: RedisServer;
  let s3: S3Server;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    s3 = await startS3({ bucket: 'mlxi-runs' });
  }, 60_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const gone = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGKILL');
      await gone;
    }
    await redis?.stop();
    await s3?.stop();
  });

  it('run --queue with a worker on an S3 store; runs ls and show read the records through --store from anywhere', async () => {
    const dir = tempDir('mlxi-qcli-');
    writeFileSync(join(dir, 'spec.yaml'), SPEC);
    const store = `s3://mlxi-runs/team-a?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}&path_style=1`;
    const env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true', MLX_INTRADAY_STORE: store };
    const lines: string[] = [];
    worker = spawn(process.execPath, ['--expose-gc', '--import', TSX, CLI, '--models-dir', join(dir, 'models-w'), 'worker', '--queue', redis.url], { env: { ...process.env, ...env }, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stderr!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    const t0 = Date.now();
    while (!lines.some((l) => l.startsWith('worker ')) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
    expect(lines.join('\n')).toMatch(/^worker [^ ]+:\d+ on redis:\/\/127\.0\.0\.1:\d+\/0/m);

    const run = cli(['--models-dir', join(dir, 'models'), 'run', 'spec.yaml', '--queue', redis.url], env, dir);
    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/run \S+ ok in .*7 ran/s);
    // Every node ran on the worker (its log is read once this process's loop turns again).
    const done = () => lines.filter((l) => /^done  /.test(l)).length;
    for (let i = 0; i < 100 && done() < 7; i++) await new Promise((r) => setTimeout(r, 50));
    expect(done()).toBe(7);

    // "Another machine": only the store in common (no cache folder of its own).
    const elsewhere = tempDir('mlxi-qcli-other-');
    const ls = cli(['--store', store, 'runs', 'ls', '--json'], env, elsewhere);
    expect(ls.status, ls.stderr).toBe(0);
    const list = JSON.parse(ls.stdout) as { id: string; status: string; nodes: number }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ status: 'ok', nodes: 7 });
    const show = cli(['--store', store, 'runs', 'show', list[0].id], env, elsewhere);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/train\s+ran/);
    // Collecting orphans on S3: every blob here is named or young, so nothing goes.
    const gc = cli(['--store', store, 'cache', 'gc', '--orphans'], env, elsewhere);
    expect(gc.status, gc.stderr).toBe(0);
    expect(gc.stdout).toMatch(/removed 0 orphan file\(s\) from s3:\/\//);
    // A second run is all hits, answered from the store without the worker.
    const again = cli(['--models-dir', join(dir, 'models'), 'run', 'spec.yaml', '--queue', redis.url], env, dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/7 cached/);
  }, 300_000);

  it('a worker stopped with SIGTERM while its Redis is down exits 0 within seconds, saying it stopped without Redis', async () => {
    const own = await startRedis();
    const dir = tempDir('mlxi-qcli-down-');
    const lines: string[] = [];
    const w = spawn(process.execPath, ['--expose-gc', '--import', TSX, CLI, '--models-dir', join(dir, 'models'), 'worker', '--queue', own.url], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((done) => w.once('exit', (code) => done(code)));
    try {
      w.stderr!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
      const t0 = Date.now();
      while (!lines.some((l) => l.startsWith('worker ')) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
      await own.kill9();
      await new Promise((r) => setTimeout(r, 500));
      w.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
      expect(code, lines.join('\n')).toBe(0);
      expect(lines.join('\n')).toMatch(/did not answer within 5 s of the last job: stopping without it/);
    } finally {
      if (w.exitCode === null) w.kill('SIGKILL');
      await own.stop();
    }
  }, 120_000);

  it('bad --queue and --store values exit 2 with what to do, never showing a password', async () => {
    const dir = tempDir('mlxi-qcli-bad-');
    writeFileSync(join(dir, 'spec.yaml'), SPEC);
    const cases: [string[], RegExp][] = [
      [['run', 'spec.yaml', '--queue', 'http://127.0.0.1:6379'], /not a Redis URL[\s\S]*redis:\/\//],
      [['run', 'spec.yaml', '--queue', 'redis://:hunter2-secret@127.0.0.1:1'], /cannot reach the queue's Redis at redis:\/\/127\.0\.0\.1:1\/0[\s\S]*redis-server --maxmemory-policy noeviction/],
      [['worker', '--queue', 'redis://127.0.0.1:1'], /cannot reach the queue's Redis/],
      [['--store', 'ftp://x', 'runs', 'ls'], /--store ftp:\/\/x: not a store location[\s\S]*folder:PATH/],
      [['--store', 's3://Bad_Bucket/x', 'runs', 'ls'], /not a valid bucket name/],
    ];
    for (const [args, want] of cases) {
      const r = cli(args, {}, dir);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(want);
      expect(r.stderr).not.toMatch(/hunter2/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    // A Redis that may evict jobs is refused before anything is enqueued.
    const lru = await startRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    try {
      const r = cli(['run', 'spec.yaml', '--queue', lru.url], {}, dir);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/maxmemory-policy allkeys-lru[\s\S]*CONFIG SET maxmemory-policy noeviction/);
    } finally {
      await lru.stop();
    }
  }, 300_000);
});

describe("the spec's store:", () => {
  it('a relative folder store is the spec folder\'s; --store overrides it; a bad value is reported at its line', () => {
    const dir = tempDir('mlxi-spec-store-');
    writeFileSync(join(dir, 'spec.yaml'), `store: folder:shared-store\n${SPEC.replace('epochs: 2', 'epochs: 1')}`);
    const elsewhere = tempDir('mlxi-spec-store-cwd-');
    const run = cli(['--models-dir', join(dir, 'models'), 'run', join(dir, 'spec.yaml')], {}, elsewhere);
    expect(run.status, run.stderr).toBe(0);
    const ls = cli(['--store', `folder:${join(dir, 'shared-store')}`, 'runs', 'ls', '--json'], {}, elsewhere);
    expect(ls.status, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toHaveLength(1);
    // --store wins over the spec: this run goes to the other folder.
    const other = join(dir, 'other-store');
    expect(cli(['--store', `folder:${other}`, '--models-dir', join(dir, 'models'), 'run', join(dir, 'spec.yaml')], {}, elsewhere).status).toBe(0);
    expect(JSON.parse(cli(['--store', `folder:${other}`, 'runs', 'ls', '--json'], {}, elsewhere).stdout)).toHaveLength(1);
    expect(JSON.parse(cli(['--store', `folder:${join(dir, 'shared-store')}`, 'runs', 'ls', '--json'], {}, elsewhere).stdout)).toHaveLength(1);

    // A killed writer's leftover in the shared folder (a blob no entry names, hours old) goes
    // with cache gc --orphans; the named blobs stay (the next run is all hits).
    const shared = join(dir, 'shared-store');
    const orphan = join(shared, 'blobs', 'ab', `ab${'0'.repeat(62)}.safetensors`);
    mkdirSync(dirname(orphan), { recursive: true });
    writeFileSync(orphan, 'leftover');
    const hoursAgo = new Date(Date.now() - 3 * 3_600_000);
    utimesSync(orphan, hoursAgo, hoursAgo);
    const gc = cli(['--store', `folder:${shared}`, 'cache', 'gc', '--orphans'], {}, elsewhere);
    expect(gc.status, gc.stderr).toBe(0);
    expect(gc.stdout).toMatch(/removed 1 orphan file\(s\) from .*shared-store, freed 8 B/);
    expect(existsSync(orphan)).toBe(false);
    const hits = cli(['--models-dir', join(dir, 'models'), 'run', join(dir, 'spec.yaml')], {}, elsewhere);
    expect(hits.status, hits.stderr).toBe(0);
    expect(hits.stdout + hits.stderr).toMatch(/0 ran/);
    const byAge = cli(['--store', `folder:${shared}`, 'cache', 'gc', '--older-than', '1d'], {}, elsewhere);
    expect(byAge.status).toBe(2);
    expect(byAge.stderr).toMatch(/cache ls\/verify\/gc work on the local cache/);

    writeFileSync(join(dir, 'bad.yaml'), `name: bad\nstore: ftp://somewhere\n${SPEC.split('\n').slice(1).join('\n')}`);
    const bad = cli(['validate', join(dir, 'bad.yaml')], {}, elsewhere);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/bad\.yaml:2:\d+/);
    expect(bad.stderr).toMatch(/store/);
  }, 300_000);
});

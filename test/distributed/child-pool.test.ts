/**
 * The worker's warm job processes (src/queue/child-pool.ts) with a stand-in child speaking the
 * same protocol, and the real job process (src/queue/processor.ts) for the signals it must
 * leave to its worker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fork, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ChildPool } from '../../src/queue/child-pool.js';
import type { NodeJobData, NodeJobProgress } from '../../src/queue/protocol.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { waitFor } from '../runner/helpers.js';

const ECHO = join(PACKAGE_ROOT, 'test', 'distributed', 'fixtures', 'echo-child.mjs');
const TSX = join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const job = (x: Record<string, unknown>) => x as unknown as NodeJobData;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** This process's children running the stand-in. */
const echoChildren = () =>
  spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.includes('echo-child.mjs'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));

let pools: ChildPool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  pools = [];
});
async function pool(size: number, env: NodeJS.ProcessEnv = {}, log: string[] = []): Promise<ChildPool> {
  const p = await ChildPool.start(size, ECHO, { ...process.env, ...env }, (l) => log.push(l), []);
  pools.push(p);
  return p;
}

describe('ChildPool', () => {
  it('runs jobs in its warm children, as many at once as it has, passing progress and failures through', async () => {
    const p = await pool(2);
    expect(p.pids).toHaveLength(2);
    const seen: NodeJobProgress[] = [];
    const [a, b] = await Promise.all([p.run(job({ node: 'a', ms: 300 }), { progress: (x) => seen.push(x) }), p.run(job({ node: 'b', ms: 300 }))]);
    // Side by side, one in each child.
    expect(new Set([a.worker, b.worker])).toEqual(new Set(p.pids.map(String)));
    expect(seen).toEqual([{ fraction: 0.5, worker: a.worker }]);
    await expect(p.run(job({ node: 'c', fail: true }))).rejects.toThrow('failed: c');
    // A third job waits for a free child rather than failing.
    const results = await Promise.all(['x', 'y', 'z'].map((node) => p.run(job({ node, ms: 50 }))));
    expect(results).toHaveLength(3);
  });

  it('a child that dies fails the job it held and is replaced by a fresh one that takes the next job', async () => {
    const log: string[] = [];
    const p = await pool(1, {}, log);
    const [first] = p.pids;
    await expect(p.run(job({ node: 'crash' }))).rejects.toThrow(/running crash exited \(code 3\)/);
    await waitFor('a replacement child', () => p.pids.length === 1 && p.pids[0] !== first, 10_000);
    expect(log.join('\n')).toMatch(/a job process exited \(code 3\); starting another/);
    const r = await p.run(job({ node: 'after', ms: 10 }));
    expect(r.worker).toBe(String(p.pids[0]));
  });

  it('close() stops the children, including one still starting, and leaves none behind', async () => {
    const p = await pool(1, { SLOW_START_MS: '0' });
    const [first] = p.pids;
    // The child dies; its replacement takes 2 s to load; close() comes in the middle.
    process.env.SLOW_START_MS = '2000';
    try {
      await expect(p.run(job({ node: 'crash' }))).rejects.toThrow();
    } finally {
      delete process.env.SLOW_START_MS;
    }
    await waitFor('the first child to exit', () => !alive(first), 10_000);
    const loading = echoChildren();
    expect(loading).toHaveLength(1);
    await p.close();
    // Gone when close() returns, not left to load and sit on an open channel.
    expect(loading.filter(alive)).toEqual([]);
    expect(echoChildren()).toEqual([]);
  });
});

describe('the job process (processor.ts)', () => {
  it('ignores SIGINT and SIGTERM (its worker decides when to stop) and exits when its worker goes', async () => {
    const child = fork(join(PACKAGE_ROOT, 'src', 'queue', 'processor.ts'), [], { execArgv: ['--expose-gc', '--import', TSX], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await new Promise<void>((done, fail) => {
      child.once('message', (m: { type: string }) => (m.type === 'ready' ? done() : fail(new Error(`said ${m.type}`))));
      child.once('exit', () => fail(new Error('exited while starting')));
    });
    child.kill('SIGINT');
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    expect(child.exitCode).toBe(null);
    expect(alive(child.pid!)).toBe(true);
    child.disconnect();
    expect(await exited).toBe(1);
  }, 60_000);
});

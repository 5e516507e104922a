/**
 * A real redis-server for tests: Debian's binary (src/setup/ensure-env.sh installs it), bound to
 * 127.0.0.1 on a free port, with its data in a temp folder. `noeviction` (BullMQ refuses to run
 * without it: an evicted key is a lost job) and the append-only file on, RDB snapshots off, so
 * `restart()` (SIGTERM: redis flushes the AOF, then starts again on the same port and folder)
 * keeps every queued job, the way a redis restart in production does.
 *
 *   const redis = await startRedis();
 *   try { new Queue('q', { connection: new IORedis(redis.url, { maxRetriesPerRequest: null }) }) … }
 *   finally { await redis.stop(); }
 *
 * `stop()` is idempotent and also removes the temp folder; every server still running when the
 * test process exits is killed, so a failing test leaves no redis behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** The data folder (AOF), removed by stop(). */
  readonly dir: string;
  /** SIGTERM, wait for the exit, remove the data folder. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGTERM (redis writes its AOF), wait for the exit, start again on the same port and folder, wait for PING. */
  restart(): Promise<void>;
  /** SIGKILL, as a crash would (no shutdown save); the server stays down until restart(). */
  kill9(): Promise<void>;
}

export interface RedisOptions {
  /** Extra redis-server arguments, e.g. ['--appendfsync', 'always']. */
  args?: string[];
  /** How long to wait for PING after a start (default 10 s). */
  startTimeoutMs?: number;
}

let binary: string | null | undefined;

/** The redis-server binary, or null when it is not installed. */
export function redisBinary(): string | null {
  if (binary !== undefined) return binary;
  const r = spawnSync('sh', ['-c', 'command -v redis-server || { [ -x /usr/bin/redis-server ] && echo /usr/bin/redis-server; }'], { encoding: 'utf8' });
  binary = r.status === 0 && r.stdout.trim() ? r.stdout.trim().split('\n')[0] : null;
  return binary;
}

/** Whether redis-server is installed (for describe.skipIf; src/setup/ensure-env.sh installs it). */
export function redisAvailable(): boolean {
  return redisBinary() !== null;
}

/** A TCP port free on 127.0.0.1 right now (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One PING over a raw socket: true when the answer is +PONG. */
function ping(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let got = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) done(got.startsWith('+PONG'));
    });
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) {
      try {
        p.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

function exited(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((r) => p.once('exit', () => r()));
}

/** Starts a redis-server on a free loopback port; resolves once it answers PING. */
export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  const bin = redisBinary();
  if (!bin) throw new Error('redis-server is not installed: run `bash src/setup/ensure-env.sh` as root, or `sudo apt-get install -y redis-server`');
  killAllOnExit();
  const dir = mkdtempSync(join(tmpdir(), 'mlxi-redis-'));
  const port = await freePort();
  const timeout = opts.startTimeoutMs ?? 10_000;
  let proc: ChildProcess | undefined;
  let log = '';
  let stopped = false;

  const launch = async (): Promise<void> => {
    log = '';
    const p = spawn(
      bin,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--maxmemory-policy', 'noeviction', '--save', '', '--appendonly', 'yes', '--daemonize', 'no', '--loglevel', 'warning', ...(opts.args ?? [])],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc = p;
    live.add(p);
    p.once('exit', () => live.delete(p));
    const keep = (d: Buffer) => {
      log = (log + d.toString('utf8')).slice(-4000);
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`redis-server on port ${port} exited at start (code ${p.exitCode ?? p.signalCode}):\n${log}`);
      if (await ping(port)) return;
      await sleep(50);
    }
    p.kill('SIGKILL');
    await exited(p);
    throw new Error(`redis-server on port ${port} did not answer PING within ${timeout} ms:\n${log}`);
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited(p);
    clearTimeout(timer);
  };

  try {
    await launch();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop()');
      await halt('SIGTERM');
      await launch();
    },
    async kill9() {
      await halt('SIGKILL');
    },
  };
}

/**
 * An S3-compatible server for tests: the `s3rver` package (a dev dependency, pure JS) on
 * 127.0.0.1, a free port, its objects in a temp folder, silent, with its buckets made at start.
 *
 *   const s3 = await startS3({ bucket: 'cache' });
 *   try { const client = new S3Client(s3ClientConfig(s3)); … } finally { await s3.stop(); }
 *
 * It runs in a child process started with --openssl-legacy-provider: s3rver makes its
 * ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) has only in its legacy
 * provider, so in-process every truncated listing (more keys than MaxKeys, i.e. > 1000 without
 * MaxKeys) answers 500 InternalError. A child process also keeps s3rver's koa deprecation
 * warnings out of the test's output, and can be killed like a real server. The child exits when
 * its stdin closes, so a test process that dies leaves no server behind.
 *
 * s3rver accepts any request signed with its fixed credentials S3RVER/S3RVER. `stop()` is
 * idempotent and removes the folder. Quirks found with @aws-sdk/client-s3 3.x are written down in
 * test/distributed/infra.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface S3Server {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  readonly accessKeyId: 'S3RVER';
  readonly secretAccessKey: 'S3RVER';
  readonly region: 'us-east-1';
  /** The folder s3rver keeps its objects in (removed by stop()). */
  readonly dir: string;
  /** Stops the server and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface S3Options {
  /** The bucket made at start (default 'test-bucket'). */
  bucket?: string;
  /** More buckets to make at start. */
  buckets?: string[];
  /** How long to wait for the server to listen (default 15 s). */
  startTimeoutMs?: number;
}

/** The S3Client options that reach this server (path-style, static credentials, checksums only when required). */
export function s3ClientConfig(s: Pick<S3Server, 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey'>) {
  return {
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
}

/** The child: starts s3rver (argv: module path, folder, buckets JSON), prints {"port":N}, exits on SIGTERM or when stdin closes. */
const CHILD = `
const S3rver = require(process.argv[1]);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2],
  configureBuckets: JSON.parse(process.argv[3]).map((name) => ({ name })) });
const quit = () => { try { server.httpServer && server.httpServer.closeAllConnections(); } catch {} process.exit(0); };
process.on('SIGTERM', quit);
process.stdin.on('end', quit).on('error', quit).resume();
server.run().then((a) => process.stdout.write(JSON.stringify({ port: a.port }) + '\\n'), (e) => { console.error(e && e.stack || e); process.exit(1); });
`;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function startS3(opts: S3Options = {}): Promise<S3Server> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const p of live) p.kill('SIGKILL');
    });
  }
  const modulePath = createRequire(import.meta.url).resolve('s3rver');
  const bucket = opts.bucket ?? 'test-bucket';
  const dir = mkdtempSync(join(tmpdir(), 'mlxi-s3-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--no-deprecation', '-e', CHILD, modulePath, dir, JSON.stringify([bucket, ...(opts.buckets ?? [])])], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  void gone.then(() => live.delete(child));
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString('utf8')).slice(-4000)));
  const timeout = opts.startTimeoutMs ?? 15_000;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`s3rver did not start within ${timeout} ms:\n${log}`)), timeout);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { port: number }).port);
        }
      });
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited at start (${code ?? sig}):\n${log}`));
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    await gone;
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

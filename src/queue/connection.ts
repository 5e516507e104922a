/**
 * The Redis a queue lives on, from `--queue redis://[:password@]host:port[/db]` (rediss:// for
 * TLS). The password is a secret: registered for redaction and never shown (messages name the
 * queue by host and port). BullMQ needs `maxmemory-policy noeviction` (an evicted job key is a
 * lost node), so opening checks it and refuses with how to fix it.
 */
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { UsageError } from '../util/errors.js';
import { registerSecret } from '../util/redact.js';

/** The queue's name in Redis: one per package major version, so old workers never take new jobs. */
export const QUEUE_NAME = 'mlx-intraday-nodes-v1';

export interface QueueTarget {
  connection: RedisOptions;
  /** `redis://host:port/db`, without credentials. */
  shown: string;
}

export function parseQueueUrl(url: string): QueueTarget {
  const at = { file: `--queue ${url.replace(/\/\/[^@/]*@/, '//***@')}` };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw UsageError.one(`--queue: "${at.file.slice(8)}" is not a URL`, 'e.g. --queue redis://127.0.0.1:6379', at);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw UsageError.one(`--queue: ${u.protocol}// is not a Redis URL`, 'e.g. --queue redis://127.0.0.1:6379 (rediss:// for TLS)', at);
  const port = u.port ? Number(u.port) : 6379;
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw UsageError.one(`--queue: database "${u.pathname.slice(1)}" is not a number`, 'e.g. redis://host:6379/0', at);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  if (password) registerSecret(password);
  return {
    connection: {
      host: u.hostname || '127.0.0.1',
      port,
      db,
      username: u.username ? decodeURIComponent(u.username) : undefined,
      password,
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
      // BullMQ's blocking connections need this; commands wait through a Redis restart.
      maxRetriesPerRequest: null,
      retryStrategy: (times: number) => Math.min(times * 200, 2000),
    },
    shown: `${u.protocol}//${u.hostname}:${port}/${db}`,
  };
}

/** Connects once to check the server answers and keeps jobs (noeviction); throws with a fix. */
export async function checkQueueServer(target: QueueTarget, timeoutMs = 5000): Promise<void> {
  const redis = new Redis({ ...(target.connection as Record<string, unknown>), lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: timeoutMs });
  redis.on('error', () => {}); // reported below
  try {
    await redis.connect();
  } catch (e) {
    redis.disconnect();
    throw UsageError.one(`cannot reach the queue's Redis at ${target.shown}: ${(e as Error).message}`, 'start it (redis-server --maxmemory-policy noeviction) or pass the right --queue URL', { file: `--queue ${target.shown}` });
  }
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy').catch(() => undefined)) as string[] | undefined;
    const policy = reply?.[1];
    // Managed servers may refuse CONFIG: then there is nothing to check.
    if (policy && policy !== 'noeviction') {
      throw UsageError.one(
        `the queue's Redis at ${target.shown} has maxmemory-policy ${policy}: it may evict queued jobs`,
        'set it to noeviction: redis-cli CONFIG SET maxmemory-policy noeviction (or maxmemory-policy noeviction in redis.conf)',
        { file: `--queue ${target.shown}` },
      );
    }
  } finally {
    redis.disconnect();
  }
}

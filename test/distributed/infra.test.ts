/**
 * The distributed test infrastructure itself: a real redis-server (test/support/redis-server.ts)
 * that BullMQ can queue on and that keeps its queue across a restart, and s3rver
 * (test/support/s3-server.ts) answering @aws-sdk/client-s3 the way the S3 store backend needs.
 *
 * s3rver 3.7 with @aws-sdk/client-s3 3.x on Node 20, as found here (pinned down by the tests below):
 *  - The SDK's default flexible checksums (requestChecksumCalculation 'WHEN_SUPPORTED') are fine
 *    for a Buffer body (a CRC32 header s3rver ignores), but a stream body is sent
 *    `Content-Encoding: aws-chunked` with a checksum trailer, which s3rver stores as it came: the
 *    object then holds the chunk framing, not the body. Clients set requestChecksumCalculation and
 *    responseChecksumValidation to 'WHEN_REQUIRED' (s3ClientConfig in test/support/s3-server.ts).
 *  - Conditional create (PutObject IfNoneMatch: '*') is NOT supported: s3rver ignores the header
 *    and overwrites the object (real S3 answers 412 PreconditionFailed). Nothing may rely on it
 *    against s3rver.
 *  - Truncated ListObjectsV2 answers 500 InternalError in-process: s3rver's continuation tokens
 *    use DES, which needs OpenSSL's legacy provider. startS3 runs s3rver in a child process with
 *    --openssl-legacy-provider, so paging works (tested below).
 *  - HeadObject of a missing key is a bare 404 (error name 'NotFound'), GetObject's is NoSuchKey.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Readable } from 'node:stream';
import { existsSync } from 'node:fs';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.js';
import { s3ClientConfig, startS3, type S3Server } from '../support/s3-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const connect = (r: RedisServer) => {
  const c = new Redis(r.url, { maxRetriesPerRequest: null });
  cleanups.push(() => void c.disconnect());
  return c;
};

describe.skipIf(!redisAvailable())('redis + BullMQ', () => {
  it('a job goes round trip through a Queue and a Worker; the server runs noeviction', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const conn = connect(redis);
    expect(await conn.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await conn.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);

    const queue = new Queue('infra', { connection: conn });
    cleanups.push(() => queue.close());
    const done = new Promise<{ id: string | undefined; value: unknown }>((resolve, reject) => {
      const worker = new Worker('infra', async (job: Job<{ n: number }>) => ({ doubled: job.data.n * 2 }), { connection: connect(redis) });
      cleanups.push(() => worker.close());
      worker.on('completed', (job, value) => resolve({ id: job.id, value }));
      worker.on('failed', (_job, err) => reject(err));
    });
    const job = await queue.add('double', { n: 21 });
    const got = await done;
    expect(got).toEqual({ id: job.id, value: { doubled: 42 } });
    expect(await queue.getJobCounts('completed')).toEqual({ completed: 1 });
  });

  it('a job queued before a redis restart is still queued after it (AOF)', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    let conn = connect(redis);
    let queue = new Queue('survives', { connection: conn });
    const job = await queue.add('later', { x: 1 });
    await queue.close();
    conn.disconnect();

    await redis.restart();

    conn = connect(redis);
    queue = new Queue('survives', { connection: conn });
    cleanups.push(() => queue.close());
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    const again = await queue.getJob(job.id!);
    expect(again?.data).toEqual({ x: 1 });
    expect(again?.name).toBe('later');
  });

  it('stop() is idempotent and removes the data folder; kill9 then restart comes back', async () => {
    const redis = await startRedis();
    await redis.kill9();
    await redis.restart();
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    expect(await conn.ping()).toBe('PONG');
    conn.disconnect();
    await redis.stop();
    await redis.stop();
    expect(existsSync(redis.dir)).toBe(false);
  });
});

describe('s3rver + @aws-sdk/client-s3', () => {
  let s3: S3Server;
  let client: S3Client;
  const start = async () => {
    s3 = await startS3({ bucket: 'infra-bucket' });
    cleanups.push(() => s3.stop());
    client = new S3Client(s3ClientConfig(s3));
    cleanups.push(() => client.destroy());
  };

  it('PutObject / HeadObject / GetObject / ListObjectsV2 / DeleteObject', async () => {
    await start();
    const Bucket = s3.bucket;
    const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff)); // binary, > 64 KiB (one chunk)
    await client.send(new PutObjectCommand({ Bucket, Key: 'p/blobs/abc', Body: body, ContentType: 'application/octet-stream' }));
    await client.send(new PutObjectCommand({ Bucket, Key: 'p/index/k1.json', Body: '{"a":1}', ContentType: 'application/json' }));
    await client.send(new PutObjectCommand({ Bucket, Key: 'p/index/k2.json', Body: '{"a":2}', Metadata: { 'used-at': '123' } }));

    const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'p/blobs/abc' }));
    expect(head.ContentLength).toBe(body.length);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await client.send(new HeadObjectCommand({ Bucket, Key: 'p/index/k2.json' }))).Metadata).toEqual({ 'used-at': '123' });

    const got = await client.send(new GetObjectCommand({ Bucket, Key: 'p/blobs/abc' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);

    const listed = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'p/index/' }));
    expect(listed.Contents!.map((o) => o.Key)).toEqual(['p/index/k1.json', 'p/index/k2.json']);
    const paged = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'p/', MaxKeys: 2 }));
    expect(paged.IsTruncated).toBe(true);
    const rest = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'p/', MaxKeys: 2, ContinuationToken: paged.NextContinuationToken }));
    expect([...paged.Contents!, ...rest.Contents!].map((o) => o.Key)).toEqual(['p/blobs/abc', 'p/index/k1.json', 'p/index/k2.json']);
    const dirs = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'p/', Delimiter: '/' }));
    expect(dirs.CommonPrefixes!.map((c) => c.Prefix)).toEqual(['p/blobs/', 'p/index/']);

    // Paging through more keys than one answer holds (see the header: needs the legacy provider).
    for (let i = 0; i < 5; i++) await client.send(new PutObjectCommand({ Bucket, Key: `q/${i}`, Body: String(i) }));
    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'q/', MaxKeys: 2, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      pages++;
    } while (token);
    expect([pages, keys]).toEqual([3, ['q/0', 'q/1', 'q/2', 'q/3', 'q/4']]);

    await client.send(new DeleteObjectCommand({ Bucket, Key: 'p/index/k1.json' }));
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'p/index/never-there' })); // deleting nothing is no error
    const after = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'p/index/' }));
    expect(after.Contents!.map((o) => o.Key)).toEqual(['p/index/k2.json']);

    const missing = await client.send(new GetObjectCommand({ Bucket, Key: 'p/index/k1.json' })).catch((e) => e);
    expect(missing).toBeInstanceOf(S3ServiceException);
    expect(missing.name).toBe('NoSuchKey');
    const missingHead = await client.send(new HeadObjectCommand({ Bucket, Key: 'p/index/k1.json' })).catch((e) => e);
    expect(missingHead.$metadata.httpStatusCode).toBe(404);
    expect(missingHead.name).toBe('NotFound');
    const noBucket = await client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'x' })).catch((e) => e);
    expect(noBucket.name).toBe('NoSuchBucket');
  });

  it("with the SDK's default checksums a Buffer body is stored as sent, a stream body as its aws-chunked framing", async () => {
    const c = new S3Client({ ...s3ClientConfig(s3), requestChecksumCalculation: 'WHEN_SUPPORTED', responseChecksumValidation: 'WHEN_SUPPORTED' });
    cleanups.push(() => c.destroy());
    const body = Buffer.from('hello, s3rver');
    const read = async (Key: string) => (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key }))).Body!.transformToString();
    await c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'default-buffer', Body: body }));
    expect(await read('default-buffer')).toBe('hello, s3rver');
    await c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'default-stream', Body: Readable.from([body]), ContentLength: body.length }));
    expect(await read('default-stream')).toMatch(/^d\r\nhello, s3rver\r\n0\r\nx-amz-checksum-crc32:/);
    // The same stream with checksums only when required arrives whole.
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'required-stream', Body: Readable.from([body]), ContentLength: body.length }));
    expect(await read('required-stream')).toBe('hello, s3rver');
  });

  it("PutObject IfNoneMatch: '*' is not honoured by s3rver (the second create overwrites)", async () => {
    const Bucket = s3.bucket;
    const Key = 'conditional';
    await client.send(new PutObjectCommand({ Bucket, Key, Body: 'first', IfNoneMatch: '*' }));
    const second = await client.send(new PutObjectCommand({ Bucket, Key, Body: 'second', IfNoneMatch: '*' })).catch((e) => e);
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    const text = await got.Body!.transformToString();
    // Real S3 answers 412 PreconditionFailed and keeps 'first'; s3rver does neither.
    expect(second).not.toBeInstanceOf(Error);
    expect(text).toBe('second');
  });
});

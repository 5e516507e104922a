/**
 * The Store contract (store-contract.ts) against the S3 backend (src/cache/s3-store.ts) on a real
 * S3-compatible server: s3rver (test/support/s3-server.ts), one bucket, one prefix per store.
 * The fault injectors are the only backend-specific code: a killed writer is a real child process
 * that dies mid-upload (or right after its blob PUT), a bad disk flips a byte in s3rver's own
 * object file. (s3rver, unlike AWS, keeps a PUT cut off mid-body as the object, truncated: the
 * 'blob-temp' case then leaves a visible partial blob that no index names, which the store must
 * overwrite on the retried write, never trust.) Then parseS3Url, the bucket layout, and the errors a user sees when the endpoint
 * is down, the bucket is missing or the credentials are wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { encodeEntry } from '../../src/cache/shared-folder.js';
import { fromObjectName, objectName, openS3Store, parseS3Url, S3StoreError, s3Url, type S3StoreOptions } from '../../src/cache/s3-store.js';
import type { Store } from '../../src/cache/store-api.js';
import { UsageError } from '../../src/util/errors.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { freePort } from '../support/redis-server.js';
import { s3ClientConfig, startS3, type S3Server } from '../support/s3-server.js';
import { keyOf, largeInput, smallInput, storeContract } from './store-contract.js';

// Never let the SDK's default credential chain ask an instance-metadata address.
process.env.AWS_EC2_METADATA_DISABLED = 'true';

let s3: S3Server;
let client: S3Client;
const temp = mkdtempSync(join(tmpdir(), 'mlxi-s3-test-'));
beforeAll(async () => {
  s3 = await startS3({ bucket: 'mlxi-cache' });
  client = new S3Client(s3ClientConfig(s3));
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  rmSync(temp, { recursive: true, force: true });
});

const creds = () => ({ accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
let n = 0;
const optsFor = (prefix: string): S3StoreOptions => ({ bucket: s3.bucket, prefix, endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: creds() });
const freshStore = () => openS3Store(optsFor(`stores/${process.pid}-${n++}`));
const reopen = (location: string) => openS3Store({ ...parseS3Url(location), credentials: creds() });

/** The environment a child process gets: the server's credentials through the SDK's default chain. */
const childEnv = () => ({ ...process.env, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' });

const TSX = pathToFileURL(join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const S3_STORE = pathToFileURL(join(PACKAGE_ROOT, 'src', 'cache', 's3-store.ts')).href;

/** A child that opens the store at `location` (credentials from its environment), begins a run, records a node and exits. */
const BEGIN_AND_EXIT = `
const [location, id] = process.argv.slice(1);
const { openS3Store, parseS3Url } = await import(${JSON.stringify(S3_STORE)});
const s = openS3Store(parseS3Url(location));
await s.runs.begin({ id, startedAt: Date.now(), specPath: '/x.yaml', specName: 'x', specHash: 'h', specText: 'name: x', resolved: {}, seed: 1, packageVersion: '0' });
await s.runs.recordNode(id, { id: 'fetch#0', step: 'fetch', status: 'ran', ms: 1 });
process.exit(0); // no finish, no close: as if killed
`;

function beginInDeadProcess(location: string, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', TSX, '--input-type=module', '-e', BEGIN_AND_EXIT, location, id], { env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the begin-and-exit child failed (${code}): ${err}`))));
  });
}

/**
 * A writer that uploads the blob at `file` to `objectKey` and is killed: 'mid-upload' after half
 * of the bytes went out (the PUT never completes), 'after-put' right after the PUT, before any
 * index write. Plain CommonJS with the SDK only, run synchronously (the server is another process).
 */
const KILLED_WRITER = `
const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
const { Readable } = require('node:stream');
const fs = require('node:fs');
const [endpoint, bucket, objectKey, file, stage] = process.argv.slice(1);
const body = fs.readFileSync(file);
const c = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', maxAttempts: 1 });
if (stage === 'after-put') {
  c.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: body })).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
} else {
  const half = Readable.from((function* () { yield body.subarray(0, body.length >> 1); })(), { objectMode: false });
  const stalled = new Readable({ read() {} });
  half.on('data', (d) => stalled.push(d));
  c.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: stalled, ContentLength: body.length })).catch(() => {});
  setTimeout(() => process.exit(0), 400); // killed with the upload half done
}
`;

function killedWriter(s: Store, key: string, input: Parameters<typeof encodeEntry>[1], stage: 'mid-upload' | 'after-put'): void {
  const { prefix } = parseS3Url(s.location);
  const { blob, blobSha } = encodeEntry(key, input);
  const file = join(temp, `${blobSha}.blob`);
  writeFileSync(file, blob);
  const objectKey = `${prefix ? `${prefix}/` : ''}blobs/${blobSha}`;
  const r = spawnSync(process.execPath, ['-e', KILLED_WRITER, s3.endpoint, s3.bucket, objectKey, file, stage], { cwd: PACKAGE_ROOT, env: childEnv(), encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`the killed-writer child failed (${r.status}): ${r.stderr}`);
}

/** s3rver's file for an object (its FilesystemStore: <dir>/<bucket>/<key path>._S3rver_object). */
function s3rverFile(s: Store, rel: string): string {
  const { prefix } = parseS3Url(s.location);
  const parts = `${prefix ? `${prefix}/` : ''}${rel}`.split('/');
  const last = parts.pop()!;
  return join(s3.dir, s3.bucket, ...parts, `${last}._S3rver_object`);
}

storeContract('S3 (s3rver)', freshStore, {
  reopen,
  beginInDeadProcess,
  killWriter(s, key, input, stage) {
    killedWriter(s, key, input, stage === 'blob-temp' ? 'mid-upload' : 'after-put');
  },
  flipBlobByte(s, key) {
    const { blobSha } = JSON.parse(readFileSync(s3rverFile(s, `index/${objectName(key)}.json`), 'utf8'));
    const path = s3rverFile(s, `blobs/${blobSha}`);
    const buf = readFileSync(path);
    buf[buf.length - 3] ^= 0x40; // inside the arrays, past the header
    writeFileSync(path, buf);
  },
});

async function keysUnder(prefix: string): Promise<string[]> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
}

describe('S3 store layout', () => {
  it('blobs/<sha256>, index/<key>.json, runs/<id>.json + runs/<id>/nodes/… + finish.json under the prefix', async () => {
    const s = openS3Store(optsFor('layout/p'));
    try {
      const key = keyOf('layout');
      await s.artifacts.store(key, largeInput());
      await s.artifacts.store(key, largeInput()); // again: same blob, same index object
      await s.artifacts.store(keyOf('layout 2'), smallInput());
      const { blob, blobSha } = encodeEntry(key, largeInput());
      const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `layout/p/blobs/${blobSha}` }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(blob)).toBe(true);
      await s.runs.begin({ id: 'r1', startedAt: 1, specPath: '/x', specName: 'x', specHash: 'h', specText: 't', resolved: {}, seed: 1, packageVersion: '0' });
      await s.runs.recordNode('r1', { id: 'fetch#0', step: 'fetch', status: 'ran', ms: 1 });
      await s.runs.finish('r1', 'ok', {});
      const keys = await keysUnder('layout/p/');
      expect(keys.filter((k) => k.startsWith('blobs/'))).toHaveLength(2);
      expect(keys.filter((k) => !k.startsWith('blobs/'))).toEqual([`index/${key}.json`, `index/${keyOf('layout 2')}.json`].sort().concat(['runs/r1.json', 'runs/r1/finish.json', 'runs/r1/nodes/fetch~230.json']));
      expect(await s.artifacts.keys()).toEqual(expect.arrayContaining([key, keyOf('layout 2')]));
    } finally {
      s.close();
    }
  });

  it('an edited index object (meta changed) is refused on lookup and removed', async () => {
    const s = freshStore();
    try {
      const key = keyOf('edited');
      await s.artifacts.store(key, smallInput());
      const Key = `${parseS3Url(s.location).prefix}/index/${key}.json`;
      const e = JSON.parse(await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key }))).Body!.transformToString());
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body: JSON.stringify({ ...e, metaText: JSON.stringify({ ...smallInput().meta, seed: 99 }) }) }));
      await expect(s.artifacts.lookup(key)).rejects.toThrow(/metadata does not match its checksum/);
      expect(await s.artifacts.lookup(key)).toBeUndefined();
    } finally {
      s.close();
    }
  });

  it('collectOrphans removes blobs no index names (once old enough) and keeps named ones', async () => {
    const s = freshStore();
    try {
      const live = keyOf('live');
      await s.artifacts.store(live, largeInput(1));
      killedWriter(s, keyOf('orphan'), largeInput(2), 'after-put');
      expect(await s.artifacts.collectOrphans()).toEqual({ files: 0, bytes: 0 }); // young: may be a store in progress
      const orphan = encodeEntry(keyOf('orphan'), largeInput(2));
      expect(await s.artifacts.collectOrphans(-60_000)).toEqual({ files: 1, bytes: orphan.blob.length });
      expect((await keysUnder(`${parseS3Url(s.location).prefix}/blobs/`)).length).toBe(1);
      expect(await s.artifacts.load(live)).toBeDefined();
    } finally {
      s.close();
    }
  });

  it('object names: safe characters kept, the rest ~HH, reversible and prefix-preserving', () => {
    for (const id of ['run-20261202-aaaa1111', 'fetch#0', 'train@1', '.hidden', 'a/b c~d', 'ünï', 'x.y_z-1']) {
      const name = objectName(id);
      expect(name).toMatch(/^[A-Za-z0-9_~-][A-Za-z0-9_.~-]*$/);
      expect(fromObjectName(name)).toBe(id);
      for (let i = 0; i <= id.length; i++) expect(name.startsWith(objectName(id.slice(0, i)))).toBe(true);
    }
    expect(objectName('fetch#0')).toBe('fetch~230');
  });
});

describe('parseS3Url', () => {
  it('reads bucket, prefix, endpoint, region and path style; s3Url writes it back', () => {
    const url = 's3://mlx-cache/team/intraday?endpoint=http://127.0.0.1:9000&region=eu-west-1&path_style=1';
    const o = parseS3Url(url);
    expect(o).toEqual({ bucket: 'mlx-cache', prefix: 'team/intraday', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', forcePathStyle: true });
    expect(s3Url(o)).toBe(url);
    expect(parseS3Url(s3Url(o))).toEqual(o);
    expect(parseS3Url('s3://bucket')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(parseS3Url('s3://bucket/a/b/')).toEqual({ bucket: 'bucket', prefix: 'a/b' });
    expect(parseS3Url('s3://bucket/?path_style=0')).toMatchObject({ prefix: '', forcePathStyle: false });
    expect(parseS3Url('s3://bucket/p?endpoint=https%3A%2F%2Fminio.local%3A9000')).toMatchObject({ endpoint: 'https://minio.local:9000' });
  });

  it('refuses what it cannot use, saying how to write it (and never echoing credentials)', () => {
    const refuse = (url: string, re: RegExp) => {
      let err: unknown;
      try {
        parseS3Url(url);
      } catch (e) {
        err = e;
      }
      expect(err, url).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).toMatch(/fix: write it as s3:\/\/bucket\/prefix\?endpoint=/);
      return (err as Error).message;
    };
    refuse('s3:///prefix', /names no bucket/);
    refuse('http://bucket/p', /not an s3:\/\/ URL/);
    refuse('s3://Bad_Bucket/p', /not a valid bucket name/);
    refuse('s3://b1b/p?endpont=http://x', /unknown S3 URL parameter "endpont"/);
    refuse('s3://b1b/p?endpoint=ftp://x', /must be http:\/\/ or https:\/\//);
    refuse('s3://b1b/p?path_style=yes', /path_style=yes/);
    const msg = refuse('s3://b1b/p?endpoint=http://AKIAKEY:hunter2secret@127.0.0.1:9000', /must not hold credentials/);
    expect(msg).not.toContain('hunter2secret');
    refuse('s3://AKIAKEY:hunter2secret@b1b/p', /must not hold credentials/);
    refuse('s3://b1b/%E0%A4%A', /prefix is not valid URL-encoded text/);
  });
});

describe('S3 store errors say what failed, where, and how to fix it', () => {
  const failure = async (p: Promise<unknown>): Promise<S3StoreError> => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(S3StoreError);
    return e as S3StoreError;
  };

  it('an unreachable endpoint', async () => {
    const port = await freePort(); // nothing listens there
    const s = openS3Store({ ...optsFor('down'), endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    try {
      for (const op of [() => s.artifacts.lookup(keyOf('x')), () => s.runs.list(), () => s.artifacts.store(keyOf('x'), smallInput())]) {
        const e = await failure(op());
        expect(e.message).toContain('S3 store s3://mlxi-cache/down: cannot reach http://127.0.0.1:');
        expect(e.message).toMatch(/(GetObject|ListObjectsV2|PutObject) s3:\/\/mlxi-cache\/down\//);
        expect(e.message).toContain('ECONNREFUSED');
        expect(e.hint).toBe(`check that a server listens at http://127.0.0.1:${port} (the ?endpoint= of --store) and that this machine reaches it`);
        expect(e.code).toBe('ECONNREFUSED');
      }
    } finally {
      s.close();
    }
  });

  it('a missing bucket', async () => {
    const s = openS3Store({ ...optsFor('p'), bucket: 'no-such-bucket' });
    try {
      const e = await failure(s.artifacts.store(keyOf('x'), smallInput()));
      expect(e.message).toBe(`S3 store s3://no-such-bucket/p: the bucket "no-such-bucket" does not exist at ${s3.endpoint} (PutObject s3://no-such-bucket/p/blobs/${encodeEntry(keyOf('x'), smallInput()).blobSha})`);
      expect(e.hint).toBe(`create it (e.g. \`aws s3 mb s3://no-such-bucket\` --endpoint-url ${s3.endpoint}) or fix the bucket name in --store`);
      expect((await failure(s.runs.count(''))).code).toBe('NoSuchBucket');
      expect((await failure(s.artifacts.lookup(keyOf('x')))).code).toBe('NoSuchBucket');
    } finally {
      s.close();
    }
  });

  it('wrong credentials: refused, with the fix, and the secret never shown', async () => {
    const secret = 'wR0ng-s3cret-Value-123';
    const s = openS3Store({ ...optsFor('p'), credentials: { accessKeyId: 'AKIAWRONGKEYID', secretAccessKey: secret } });
    try {
      const e = await failure(s.artifacts.lookup(keyOf('x')));
      expect(e.message).toMatch(/^S3 store s3:\/\/mlxi-cache\/p: GetObject s3:\/\/mlxi-cache\/p\/index\/[0-9a-f]{64}\.json was refused \(InvalidAccessKeyId: /);
      expect(e.hint).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
      expect(`${e.message} ${e.hint} ${e.stack}`).not.toContain(secret);
    } finally {
      s.close();
    }
  });

  it('a store in the bucket root (no prefix) works too; opening makes no request', async () => {
    const s = openS3Store({ ...optsFor(''), bucket: s3.bucket });
    try {
      expect(s.location).toBe(`s3://${s3.bucket}?endpoint=${s3.endpoint}&region=us-east-1&path_style=1`);
      const key = keyOf('root');
      await s.artifacts.store(key, smallInput(9));
      expect((await s.artifacts.load(key))!.record.meta).toEqual(smallInput(9).meta);
      expect(await keysUnder(`index/${key}`)).toEqual(['.json']);
      await s.artifacts.remove(key);
    } finally {
      s.close();
    }
    // An endpoint nobody serves: opening alone does not fail.
    openS3Store({ ...optsFor('x'), endpoint: 'http://127.0.0.1:1' }).close();
  });
});

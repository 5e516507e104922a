/**
 * The S3 Store: artifacts and run records in an S3 bucket (AWS, or any S3-compatible server
 * reached through `endpoint`), so that workers on several machines share one cache and
 * `runs ls/show/sweep` work from any of them. No database, no lock: the layout of the
 * shared-folder store (shared-folder.ts), with one object per file:
 *
 *   <prefix>/blobs/<sha256 of the blob>      the arrays (+ the entry's row, for rebuilding)
 *   <prefix>/index/<key>.json                the record, its meta checksum and the blob's sha256;
 *                                            its `x-amz-meta-used-at` is the entry's last use
 *                                            (touch = copy onto itself with new metadata, which
 *                                            fails on a removed object: it never recreates one)
 *   <prefix>/runs/<id>.json                  written once by begin (a second begin is refused)
 *   <prefix>/runs/<id>/nodes/<node>.json     one object per node (several writers never collide)
 *   <prefix>/runs/<id>/finish.json           written once by finish
 *
 * A PUT is atomic (a reader sees the old object, the new one or none, never part of one) and the
 * index object is written after its blob, so a reader never finds an index without its blob; a
 * writer killed in between leaves at most a blob no index names (collectOrphans removes it).
 * Writing a key twice is harmless: keys and blob names are content hashes. Every read is
 * verified with the local backend's checksums; a bad entry is removed and reported
 * (CorruptEntryError).
 *
 * begin is exclusive through a conditional create (`If-None-Match: *`) where the server has it
 * (AWS S3 since 2024); servers that ignore the header (s3rver, older MinIO) still refuse a begin
 * of an id that exists when it starts, only two begins of one id at the very same moment both
 * pass there (run ids are random: that does not happen by accident).
 *
 * Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
 * AWS_PROFILE, …) unless given; they are never part of a location or a message.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { hostname } from 'node:os';
import { decodeSafetensors } from '../tensor/safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import { CorruptEntryError, DataError, UsageError } from '../util/errors.js';
import { redactSecrets } from '../util/redact.js';
import { begunRecord, countWith, finishedRecord, listed, listSelection, nodeFile, readable, runRecordOf, sortedNodes, sweepSelection, uniqueMatch, type Begun, type Finished, type ListedRun, type NodeFile, type Nodes, type RunStart } from './run-files.js';
import type { NodeRecord, RunRecord, RunStatus } from './runs.js';
import { artifactRecordOf, BLOB_SHA, blobProblem, describesKey, encodeEntry, indexEntryOf, verifiedMetaOf, type IndexEntry } from './shared-folder.js';
import type { ArtifactRecord, ArtifactStore, LoadedArtifact, RunRecords, Store, StoreInput } from './store-api.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3StoreOptions {
  bucket: string;
  /** Folder-like prefix inside the bucket ('' = the bucket's root); no leading or trailing '/'. */
  prefix?: string;
  /** An S3-compatible server's URL (MinIO, s3rver, …); AWS's own endpoint when absent. */
  endpoint?: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, then us-east-1. */
  region?: string;
  /** Path-style URLs (http://host/bucket/key), which most S3-compatible servers need. */
  forcePathStyle?: boolean;
  /** Default: the SDK's default chain (environment, profile, …). */
  credentials?: S3Credentials;
  /** Attempts per request, retries included (default 3). */
  maxAttempts?: number;
}

/** A failure to reach or use the bucket: says what failed, where, and how to fix it. */
export class S3StoreError extends DataError {
  constructor(
    message: string,
    hint: string | undefined,
    /** The SDK's error name (NoSuchBucket, ECONNREFUSED, …). */
    readonly code: string,
  ) {
    super(message, hint);
    this.name = 'S3StoreError';
  }
}

const URL_HINT = 'write it as s3://bucket/prefix?endpoint=http://host:port&region=us-east-1&path_style=1 (endpoint, region and path_style are optional)';

/**
 * Parses `s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&path_style=1`.
 * Credentials are never read from the URL (the environment holds them). Throws UsageError.
 */
export function parseS3Url(url: string): S3StoreOptions {
  const where = { file: `--store ${url.split('?')[0]}` };
  const bad = (msg: string) => UsageError.one(msg, URL_HINT, where);
  const m = /^s3:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?$/.exec(url.trim());
  if (!m) throw bad(`${url.split('?')[0]}: not an s3:// URL`);
  const [, bucket, path, query = ''] = m;
  if (!bucket) throw bad('the S3 URL names no bucket');
  if (bucket.includes('@') || bucket.includes(':')) throw bad('the S3 URL must not hold credentials or a port: put the server in ?endpoint= and the keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw bad(`"${bucket}" is not a valid bucket name (3-63 characters: a-z, 0-9, '.', '-')`);
  let prefix: string;
  try {
    prefix = normalizePrefix(decodeURIComponent(path));
  } catch {
    throw bad(`${path}: the prefix is not valid URL-encoded text`);
  }
  const opts: S3StoreOptions = { bucket, prefix };
  const params = new URLSearchParams(query);
  for (const [k, v] of params) {
    if (k === 'endpoint') {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        throw bad(`endpoint=${v}: not a URL`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad(`endpoint=${v}: must be http:// or https://`);
      if (u.username || u.password) throw bad('the endpoint must not hold credentials: set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY instead');
      opts.endpoint = v.replace(/\/+$/, '');
    } else if (k === 'region') {
      if (!/^[a-z0-9-]+$/.test(v)) throw bad(`region=${v}: not a region name`);
      opts.region = v;
    } else if (k === 'path_style') {
      if (!/^(1|0|true|false)$/.test(v)) throw bad(`path_style=${v}: use 1 or 0`);
      opts.forcePathStyle = v === '1' || v === 'true';
    } else {
      throw bad(`unknown S3 URL parameter "${k}"`);
    }
  }
  return opts;
}

function normalizePrefix(p: string | undefined): string {
  return (p ?? '').replace(/^\/+|\/+$/g, '').replace(/\/{2,}/g, '/');
}

/** The reopenable location of a store: its s3:// URL (no credentials). */
export function s3Url(opts: S3StoreOptions): string {
  const prefix = normalizePrefix(opts.prefix);
  const q = new URLSearchParams();
  if (opts.endpoint) q.set('endpoint', opts.endpoint);
  if (opts.region) q.set('region', opts.region);
  if (opts.forcePathStyle) q.set('path_style', '1');
  const qs = q.toString();
  return `s3://${opts.bucket}${prefix ? `/${prefix.split('/').map(encodeURIComponent).join('/')}` : ''}${qs ? `?${qs.replace(/%3A/g, ':').replace(/%2F/g, '/')}` : ''}`;
}

/**
 * A key, run id or node id as one object-name segment: letters, digits, '_', '.', '-' stay,
 * every other byte is ~HH (no '%', so a copy source needs no escaping on any server), a leading
 * '.' too. Character by character, so the name of a prefix is a prefix of the name.
 */
export function objectName(s: string): string {
  let out = '';
  for (const [i, ch] of [...s].entries()) {
    if (/[A-Za-z0-9_-]/.test(ch) || (ch === '.' && i > 0)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `~${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function fromObjectName(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '~' && /^[0-9A-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Runs `fn` over `items`, at most `limit` at once, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const PARALLEL = 16;

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}
const statusOf = (e: unknown) => (e as SdkError)?.$metadata?.httpStatusCode;
/** The SDK's error name (NoSuchKey, …), or for a network failure its errno code (ECONNREFUSED, …). */
const nameOf = (e: unknown) => {
  const { name, code } = (e ?? {}) as SdkError;
  return name && name !== 'Error' ? name : (code ?? name ?? 'Error');
};
const isMissing = (e: unknown) => nameOf(e) === 'NoSuchKey' || nameOf(e) === 'NotFound' || (statusOf(e) === 404 && nameOf(e) !== 'NoSuchBucket');

const NETWORK = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|TimeoutError|RequestTimeout)$/;
const AUTH = /^(InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|CredentialsProviderError|ExpiredToken|InvalidToken|TokenRefreshRequired|AuthorizationHeaderMalformed)$/;

/** One bucket + prefix: the few object operations the store needs, with errors that say what to do. */
export class S3Bucket {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  /** s3://bucket/prefix (no query, no credentials), for messages. */
  readonly where: string;
  private readonly secrets: string[];

  constructor(readonly opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = normalizePrefix(opts.prefix);
    this.where = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    const env = process.env;
    this.secrets = [opts.credentials?.accessKeyId, opts.credentials?.secretAccessKey, opts.credentials?.sessionToken, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN].filter(
      (s): s is string => typeof s === 'string' && s.length >= 4,
    );
    const config: S3ClientConfig = {
      region: opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle,
      credentials: opts.credentials,
      maxAttempts: opts.maxAttempts ?? 3,
      // Every blob is verified with its own sha256 on read; the SDK's default flexible checksums
      // (aws-chunked trailers) are not understood by several S3-compatible servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 300_000 },
    };
    // The SDK warns on every command that its releases after January 2027 need Node 22; the
    // version this package pins supports Node 20, so the warning is noise here (set the variable
    // to "false" to see it).
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client(config);
  }

  key(rel: string): string {
    return this.prefix ? `${this.prefix}/${rel}` : rel;
  }

  private rel(full: string): string {
    return this.prefix ? full.slice(this.prefix.length + 1) : full;
  }

  /** The SDK's error as an S3StoreError that names the operation, the object and the fix. */
  fail(op: string, rel: string, e: unknown): S3StoreError {
    const name = nameOf(e);
    const status = statusOf(e);
    const endpoint = this.opts.endpoint ?? 'AWS S3';
    const object = `s3://${this.bucket}/${this.key(rel)}`;
    const raw = redactSecrets(String((e as SdkError)?.message ?? e), this.secrets);
    let message: string;
    let hint: string | undefined;
    if (name === 'NoSuchBucket') {
      message = `S3 store ${this.where}: the bucket "${this.bucket}" does not exist at ${endpoint} (${op} ${object})`;
      hint = `create it (e.g. \`aws s3 mb s3://${this.bucket}\`${this.opts.endpoint ? ` --endpoint-url ${this.opts.endpoint}` : ''}) or fix the bucket name in --store`;
    } else if (NETWORK.test(name) || NETWORK.test(String((e as SdkError)?.code ?? ''))) {
      message = `S3 store ${this.where}: cannot reach ${endpoint} (${op} ${object}: ${raw})`;
      hint = this.opts.endpoint ? `check that a server listens at ${this.opts.endpoint} (the ?endpoint= of --store) and that this machine reaches it` : 'check the network, or point --store at an S3-compatible server with ?endpoint=URL';
    } else if (AUTH.test(name) || status === 401 || status === 403) {
      message = `S3 store ${this.where}: ${op} ${object} was refused (${name}: ${raw})`;
      hint = 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) to credentials that may read and write this bucket';
    } else {
      message = `S3 store ${this.where}: ${op} ${object} failed (${name}${status ? `, HTTP ${status}` : ''}: ${raw})`;
      hint = `check the bucket and ${endpoint}; the operation can be retried`;
    }
    return new S3StoreError(message, hint, name);
  }

  /** The object's bytes and user metadata, or undefined when it does not exist. */
  async get(rel: string): Promise<{ body: Buffer; metadata: Record<string, string>; lastModified: number } | undefined> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(rel) }));
      const body = Buffer.from(await r.Body!.transformToByteArray());
      return { body, metadata: r.Metadata ?? {}, lastModified: r.LastModified?.getTime() ?? 0 };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw this.fail('GetObject', rel, e);
    }
  }

  /** PUT; with `ifNoneMatch`, false when the object exists (where the server honours the condition). */
  async put(rel: string, body: Buffer | string, o: { contentType?: string; metadata?: Record<string, string>; ifNoneMatch?: boolean } = {}): Promise<boolean> {
    const input = { Bucket: this.bucket, Key: this.key(rel), Body: body, ContentType: o.contentType ?? 'application/octet-stream', Metadata: o.metadata };
    try {
      await this.client.send(new PutObjectCommand(o.ifNoneMatch ? { ...input, IfNoneMatch: '*' } : input));
      return true;
    } catch (e) {
      const status = statusOf(e);
      if (o.ifNoneMatch && (status === 412 || nameOf(e) === 'PreconditionFailed')) return false;
      if (o.ifNoneMatch && (status === 409 || nameOf(e) === 'ConditionalRequestConflict')) return false; // a concurrent create won
      if (o.ifNoneMatch && (status === 501 || nameOf(e) === 'NotImplemented')) return this.put(rel, body, { ...o, ifNoneMatch: false });
      throw this.fail('PutObject', rel, e);
    }
  }

  /** Replaces the object's user metadata in place; false when it does not exist (nothing is created). */
  async setMetadata(rel: string, metadata: Record<string, string>, contentType = 'application/json'): Promise<boolean> {
    const source = `${this.bucket}/${this.key(rel).split('/').map(encodeURIComponent).join('/')}`;
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.key(rel), CopySource: source, MetadataDirective: 'REPLACE', Metadata: metadata, ContentType: contentType }));
      return true;
    } catch (e) {
      if (isMissing(e)) return false;
      throw this.fail('CopyObject', rel, e);
    }
  }

  async delete(rel: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(rel) }));
    } catch (e) {
      if (isMissing(e)) return;
      throw this.fail('DeleteObject', rel, e);
    }
  }

  /** Every object under `relPrefix` (all pages), or with `delimiter` the objects and sub-folders right under it. */
  async list(relPrefix: string, delimiter?: string): Promise<{ key: string; size: number; lastModified: number; folder?: boolean }[]> {
    const out: { key: string; size: number; lastModified: number; folder?: boolean }[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key(relPrefix), Delimiter: delimiter, ContinuationToken: token }));
      } catch (e) {
        throw this.fail('ListObjectsV2', `${relPrefix}*`, e);
      }
      for (const o of page.Contents ?? []) if (o.Key) out.push({ key: this.rel(o.Key), size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push({ key: this.rel(p.Prefix), size: 0, lastModified: 0, folder: true });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  close(): void {
    this.client.destroy();
  }
}

const USED_AT = 'used-at';

export class S3Artifacts implements ArtifactStore {
  constructor(readonly b: S3Bucket) {}

  indexKey(key: string): string {
    return `index/${objectName(key)}.json`;
  }

  blobKey(sha: string): string {
    return `blobs/${sha}`;
  }

  /** The index entry and its last use, or undefined; an unparsable object is a corrupt entry. */
  private async entry(key: string): Promise<{ e: IndexEntry; usedAt: number } | undefined> {
    const got = await this.b.get(this.indexKey(key));
    if (!got) return undefined;
    let e: IndexEntry;
    try {
      e = JSON.parse(got.body.toString('utf8'));
    } catch (err) {
      throw await this.corrupt(key, `its index object is not valid JSON: ${(err as Error).message}`);
    }
    if (!describesKey(e, key)) throw await this.corrupt(key, 'its index object does not describe it');
    const used = Number(got.metadata[USED_AT]);
    return { e, usedAt: Number.isFinite(used) && used > 0 ? used : got.lastModified };
  }

  private async corrupt(key: string, reason: string, blobSha?: string): Promise<CorruptEntryError> {
    await this.b.delete(this.indexKey(key));
    if (blobSha) await this.b.delete(this.blobKey(blobSha));
    return new CorruptEntryError(key, reason);
  }

  private async verifiedMeta(key: string, e: IndexEntry): Promise<Record<string, unknown>> {
    const m = verifiedMetaOf(e);
    if ('corrupt' in m) throw await this.corrupt(key, m.corrupt);
    return m.meta;
  }

  async lookup(key: string): Promise<ArtifactRecord | undefined> {
    const found = await this.entry(key);
    if (!found) return undefined;
    return artifactRecordOf(found.e, await this.verifiedMeta(key, found.e), found.usedAt);
  }

  async load(key: string, opts: { touch?: boolean } = {}): Promise<LoadedArtifact | undefined> {
    const found = await this.entry(key);
    if (!found) return undefined;
    const { e } = found;
    const got = await this.b.get(this.blobKey(e.blobSha));
    if (!got) throw await this.corrupt(key, 'its blob object is missing');
    const blob = got.body;
    // A blob whose bytes do not match its name is bad for every key naming it: removed too.
    const bad = blobProblem(e, blob);
    if (bad) throw await this.corrupt(key, bad.reason, bad.blobBad ? e.blobSha : undefined);
    const meta = await this.verifiedMeta(key, e);
    let tensors: Record<string, Tensor>;
    try {
      tensors = decodeSafetensors(blob).tensors;
    } catch (err) {
      throw await this.corrupt(key, (err as Error).message, e.blobSha);
    }
    let usedAt = found.usedAt;
    if (opts.touch !== false) usedAt = (await this.touchAt(key)) ?? usedAt;
    return { record: artifactRecordOf(e, meta, usedAt), tensors };
  }

  /** Blob first, then the index object: a reader that finds the index finds the blob whole. */
  async store(key: string, input: StoreInput): Promise<ArtifactRecord> {
    const { meta, metaText, blob, blobSha } = encodeEntry(key, input);
    // Always written, never skipped when present: an object of that name may be a killed
    // upload's first bytes (s3rver keeps a truncated PUT as the object; AWS never does), and a
    // redelivered job's PUT of the same bytes is harmless. It also renews the blob's
    // LastModified, so collectOrphans does not take it for a leftover while the index write is
    // on its way.
    await this.b.put(this.blobKey(blobSha), blob);
    const now = Date.now();
    const e = indexEntryOf(key, input, metaText, blob, blobSha, now);
    await this.b.put(this.indexKey(key), JSON.stringify(e), { contentType: 'application/json', metadata: { [USED_AT]: String(now) } });
    return artifactRecordOf(e, meta, now);
  }

  private async touchAt(key: string): Promise<number | undefined> {
    const now = Date.now();
    return (await this.b.setMetadata(this.indexKey(key), { [USED_AT]: String(now) })) ? now : undefined;
  }

  async touch(key: string): Promise<void> {
    await this.touchAt(key);
  }

  async remove(key: string): Promise<void> {
    let sha: string | undefined;
    try {
      const got = await this.b.get(this.indexKey(key));
      sha = got ? (JSON.parse(got.body.toString('utf8')) as IndexEntry).blobSha : undefined;
    } catch (e) {
      if (e instanceof S3StoreError) throw e;
      /* unreadable index: removed below */
    }
    await this.b.delete(this.indexKey(key));
    if (sha && BLOB_SHA.test(sha)) await this.b.delete(this.blobKey(sha));
  }

  /** Every indexed key. */
  async keys(): Promise<string[]> {
    return (await this.b.list('index/'))
      .map((o) => o.key.slice('index/'.length))
      .filter((n) => n.endsWith('.json') && !n.includes('/'))
      .map((n) => fromObjectName(n.slice(0, -'.json'.length)));
  }

  /**
   * Removes blobs no index names once they are `minAgeMs` old (default an hour; a younger one
   * may be a store in progress on another machine). Returns how many objects and bytes were freed.
   */
  async collectOrphans(minAgeMs = 3_600_000): Promise<{ files: number; bytes: number }> {
    const cutoff = Date.now() - minAgeMs;
    const blobs = await this.b.list('blobs/');
    const named = new Set<string>();
    await mapLimit(await this.keys(), PARALLEL, async (key) => {
      try {
        const got = await this.b.get(this.indexKey(key));
        const sha = got && (JSON.parse(got.body.toString('utf8')) as IndexEntry).blobSha;
        if (sha) named.add(sha);
      } catch (e) {
        if (e instanceof S3StoreError) throw e;
        /* an unreadable index names nothing; its next lookup removes it */
      }
    });
    let files = 0;
    let bytes = 0;
    for (const o of blobs) {
      const sha = o.key.slice('blobs/'.length);
      if (named.has(sha) || o.lastModified >= cutoff) continue;
      await this.b.delete(o.key);
      files++;
      bytes += o.size;
    }
    return { files, bytes };
  }
}

export class S3Runs implements RunRecords {
  private readonly host = hostname();
  private seq = 0;

  constructor(readonly b: S3Bucket) {}

  private runKey(id: string): string {
    return `runs/${objectName(id)}.json`;
  }

  private runDir(id: string): string {
    return `runs/${objectName(id)}/`;
  }

  private async json<T>(rel: string): Promise<T | undefined> {
    const got = await this.b.get(rel);
    if (!got) return undefined;
    try {
      return JSON.parse(got.body.toString('utf8')) as T;
    } catch {
      return undefined; // a damaged record reads as absent, as a half-written file would not exist
    }
  }

  async begin(r: RunStart): Promise<void> {
    const rec = begunRecord(r, this.host);
    const key = this.runKey(r.id);
    // The check covers servers that ignore If-None-Match; the condition covers a concurrent begin.
    if ((await this.b.get(key)) !== undefined || !(await this.b.put(key, JSON.stringify(rec), { contentType: 'application/json', ifNoneMatch: true }))) {
      throw new Error(`run ${r.id} already exists`);
    }
  }

  async recordNode(runId: string, n: NodeRecord): Promise<void> {
    const rec = nodeFile(n, this.seq++);
    await this.b.put(`${this.runDir(runId)}nodes/${objectName(n.id)}.json`, JSON.stringify(rec), { contentType: 'application/json' });
  }

  async finish(runId: string, status: RunStatus, metrics: RunRecord['metrics'], error?: string, gitDirty?: boolean): Promise<void> {
    if ((await this.b.get(this.runKey(runId))) === undefined) return; // like an UPDATE of no row
    const f = finishedRecord(status, metrics, error, gitDirty);
    await this.b.put(`${this.runDir(runId)}finish.json`, JSON.stringify(f), { contentType: 'application/json' });
  }

  /** Run ids starting with `prefix` (literally). */
  private async idsWith(prefix: string): Promise<string[]> {
    const listed = await this.b.list(`runs/${objectName(prefix)}`, '/');
    return listed
      .filter((o) => !o.folder && o.key.endsWith('.json'))
      .map((o) => fromObjectName(o.key.slice('runs/'.length, -'.json'.length)))
      .filter((id) => id.startsWith(prefix));
  }

  async ids(): Promise<string[]> {
    return this.idsWith('');
  }

  private async read(id: string): Promise<RunRecord | undefined> {
    const [b, f] = await Promise.all([this.json<Begun>(this.runKey(id)), this.json<Finished>(`${this.runDir(id)}finish.json`)]);
    if (!b) return undefined;
    return runRecordOf(b, f, this.host);
  }

  private async nodes(id: string): Promise<Nodes> {
    const dir = `${this.runDir(id)}nodes/`;
    const objects = (await this.b.list(dir)).filter((o) => o.key.endsWith('.json'));
    return sortedNodes(await mapLimit(objects, PARALLEL, (o) => this.json<NodeFile>(o.key)));
  }

  private async withNodes(rec: RunRecord): Promise<RunRecord> {
    return { ...rec, nodes: await this.nodes(rec.id) };
  }

  private async all(): Promise<RunRecord[]> {
    const recs = await mapLimit(await this.ids(), PARALLEL, (id) => this.read(id));
    return readable(recs);
  }

  async list(limit = 50, filter: { specPath?: string } = {}): Promise<ListedRun[]> {
    return mapLimit(listSelection(await this.all(), limit, filter), PARALLEL, async (r) => listed(r, await this.nodes(r.id)));
  }

  async get(idOrPrefix: string): Promise<RunRecord | undefined> {
    const exact = await this.read(idOrPrefix);
    if (exact) return this.withNodes(exact);
    const id = uniqueMatch(await this.idsWith(idOrPrefix), idOrPrefix);
    const rec = id === undefined ? undefined : await this.read(id);
    return rec && this.withNodes(rec);
  }

  async sweep(idOrPrefix: string): Promise<RunRecord[]> {
    return mapLimit(sweepSelection(await this.all(), idOrPrefix), PARALLEL, (r) => this.withNodes(r));
  }

  async count(prefix: string): Promise<number> {
    return countWith(await this.idsWith(prefix), prefix);
  }
}

/** A Store on an S3 bucket (see the file's header for the layout). Opening makes no request. */
export function openS3Store(opts: S3StoreOptions): Store & { artifacts: S3Artifacts; runs: S3Runs; bucket: S3Bucket } {
  const b = new S3Bucket(opts);
  return { artifacts: new S3Artifacts(b), runs: new S3Runs(b), bucket: b, location: s3Url(opts), migrated: '', close: () => b.close() };
}

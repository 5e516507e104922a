/**
 * The shared-folder Store: artifacts and run records in a folder that several machines mount
 * (NFS-style), with no shared database and no lock. Everything is a file written to a temp name
 * and renamed into place (rename is atomic on one file system), so a reader sees a file whole
 * or not at all:
 *
 *   blobs/ab/<sha256 of the blob>.safetensors   the arrays (+ the entry's row, for rebuilding)
 *   index/<key>.json                            the record, its meta checksum and the blob's sha256;
 *                                               its mtime is the entry's last use (touch = utimes)
 *   runs/<id>/run.json                          written once by begin (hard-linked into place:
 *                                               a second begin of one id fails, on any machine)
 *   runs/<id>/nodes/<node>.json                 one file per node (several writers never collide)
 *   runs/<id>/finish.json                       written once by finish
 *
 * The index file is written after its blob, so a writer killed in between leaves at most a
 * blob (or a temp file) no index names. Two writers of one key: the last rename wins, which is
 * harmless because the key is a content hash. Every read is verified with the local backend's
 * checksums; a bad entry is removed and reported (CorruptEntryError). A `remove` racing a store
 * of the same key on another machine can leave an index naming a removed blob: the next load
 * reports it as corrupt (blob missing), removes it and the node is recomputed, never read wrong.
 */
import { open as openAsync, mkdir as mkdirAsync, rename as renameAsync, rm as rmAsync } from 'node:fs/promises';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeSafetensors, encodeSafetensors } from '../tensor/safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import { CorruptEntryError } from '../util/errors.js';
import { redactDeep } from '../util/redact.js';
import { sha256Hex } from './key.js';
import { begunRecord, countWith, finishedRecord, listed, listSelection, nodeFile, readable, runRecordOf, sortedNodes, sweepSelection, uniqueMatch, type Begun, type Finished, type ListedRun, type NodeFile, type Nodes, type RunStart } from './run-files.js';
import type { NodeRecord, RunRecord, RunStatus } from './runs.js';
import { checksumOf, metaChecksumOf } from './store.js';
import { asyncArtifacts, asyncRuns, type ArtifactRecord, type ArtifactStore, type Immediate, type ImmediateRuns, type LoadedArtifact, type Store, type StoreInput } from './store-api.js';

/** What `index/<key>.json` holds (also the S3 store's index object). */
export interface IndexEntry {
  key: string;
  step: string;
  kind: string;
  contentId: string;
  metaText: string;
  metaChecksum: string;
  bytes: number;
  checksum: string;
  blobSha: string;
  createdAt: number;
}

/** A blob's name: its sha256. */
export const BLOB_SHA = /^[0-9a-f]{64}$/;

/** Whether a parsed index entry describes `key` (and names a blob). */
export function describesKey(e: IndexEntry | undefined, key: string): boolean {
  return !!e && typeof e === 'object' && e.key === key && typeof e.metaText === 'string' && typeof e.blobSha === 'string' && BLOB_SHA.test(e.blobSha);
}

/** The index entry of `key` as `store` writes it, created at `now`. */
export function indexEntryOf(key: string, input: StoreInput, metaText: string, blob: Buffer, blobSha: string, now: number): IndexEntry {
  return { key, step: input.step, kind: input.kind, contentId: input.contentId, metaText, metaChecksum: metaChecksumOf(metaText), bytes: blob.length, checksum: checksumOf(blob, metaText), blobSha, createdAt: now };
}

/** The entry's metadata, verified against its checksum, or why it is corrupt. */
export function verifiedMetaOf(e: IndexEntry): { meta: Record<string, unknown> } | { corrupt: string } {
  if (metaChecksumOf(e.metaText) !== e.metaChecksum) return { corrupt: 'its metadata does not match its checksum' };
  let meta: unknown;
  try {
    meta = JSON.parse(e.metaText);
  } catch (err) {
    return { corrupt: `its metadata is not valid JSON: ${(err as Error).message}` };
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return { corrupt: 'its metadata is not a JSON object' };
  return { meta: meta as Record<string, unknown> };
}

/**
 * Why a blob read for `e` is corrupt (`blobBad`: its bytes do not match its name, so it is bad
 * for every key naming it), or undefined when it is the entry's blob.
 */
export function blobProblem(e: IndexEntry, blob: Buffer): { reason: string; blobBad: boolean } | undefined {
  if (sha256Hex(blob) !== e.blobSha) return { reason: 'checksum mismatch', blobBad: true };
  if (blob.length !== e.bytes || checksumOf(blob, e.metaText) !== e.checksum) return { reason: 'checksum mismatch', blobBad: false };
  return undefined;
}

/** The artifact record of an index entry last used at `usedAt`. */
export function artifactRecordOf(e: IndexEntry, meta: Record<string, unknown>, usedAt: number): ArtifactRecord {
  return { key: e.key, step: e.step, kind: e.kind, contentId: e.contentId, meta, bytes: e.bytes, checksum: e.checksum, createdAt: e.createdAt, lastUsedAt: Math.max(usedAt, e.createdAt), inline: false };
}

/** Writes a file whole under a temp name in the same folder, fsyncs it, renames it into place. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = openSync(tmp, 'w');
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * writeFileAtomic off the event loop (the fsync waits in libuv's thread pool): for the writes a
 * queued run's submitter makes per node, which must not hold up the queue's events meanwhile.
 */
export async function writeFileAtomicAsync(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fh = await openAsync(tmp, 'w');
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await renameAsync(tmp, path);
  } catch (e) {
    await rmAsync(tmp, { force: true });
    throw e;
  }
}

/** Sets a file's mtime to now; false when it does not exist. */
function renewed(path: string): boolean {
  try {
    const now = new Date();
    utimesSync(path, now, now);
    return true;
  } catch {
    return false;
  }
}

/**
 * Like writeFileAtomic, but refuses (EEXIST) when the file exists, also against a writer on
 * another machine: the whole temp file is hard-linked to the final name, which link does
 * atomically or not at all.
 */
export function createFileAtomic(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileAtomic(tmp, data);
    linkSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** A key, run id or node id as one safe file name (no separators, no leading dot). */
const fileName = (s: string) => encodeURIComponent(s).replace(/^\./, '%2E').replace(/\*/g, '%2A');
const fromFileName = (s: string) => decodeURIComponent(s);

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return JSON.parse(text);
}

/** An entry's blob as `store` writes it: its arrays plus its row (key, step, kind, content id, redacted meta). */
export function encodeEntry(key: string, input: StoreInput): { meta: Record<string, unknown>; metaText: string; blob: Buffer; blobSha: string } {
  const meta = redactDeep(input.meta);
  const metaText = JSON.stringify(meta);
  const row = { key, step: input.step, kind: input.kind, content_id: input.contentId, meta: metaText };
  const blob = encodeSafetensors(input.tensors, { 'mlx-intraday.row': JSON.stringify(row) });
  return { meta, metaText, blob, blobSha: sha256Hex(blob) };
}

export class SharedFolderArtifacts implements Immediate<ArtifactStore> {
  readonly blobDir: string;
  readonly indexDir: string;

  constructor(readonly dir: string) {
    this.blobDir = join(dir, 'blobs');
    this.indexDir = join(dir, 'index');
  }

  indexPath(key: string): string {
    return join(this.indexDir, `${fileName(key)}.json`);
  }

  blobPath(sha: string): string {
    return join(this.blobDir, sha.slice(0, 2), `${sha}.safetensors`);
  }

  /** The index entry and its mtime, or undefined; an unparsable file is a corrupt entry. */
  private entry(key: string): { e: IndexEntry; usedAt: number } | undefined {
    const path = this.indexPath(key);
    let text: string;
    let usedAt: number;
    try {
      text = readFileSync(path, 'utf8');
      usedAt = statSync(path).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let e: IndexEntry;
    try {
      e = JSON.parse(text);
    } catch (err) {
      throw this.corrupt(key, `its index file is not valid JSON: ${(err as Error).message}`);
    }
    if (!describesKey(e, key)) throw this.corrupt(key, 'its index file does not describe it');
    return { e, usedAt: Math.round(usedAt) };
  }

  private corrupt(key: string, reason: string, blobSha?: string): CorruptEntryError {
    rmSync(this.indexPath(key), { force: true });
    if (blobSha) rmSync(this.blobPath(blobSha), { force: true });
    return new CorruptEntryError(key, reason);
  }

  private verifiedMeta(key: string, e: IndexEntry): Record<string, unknown> {
    const m = verifiedMetaOf(e);
    if ('corrupt' in m) throw this.corrupt(key, m.corrupt);
    return m.meta;
  }

  lookup(key: string): ArtifactRecord | undefined {
    const found = this.entry(key);
    if (!found) return undefined;
    return artifactRecordOf(found.e, this.verifiedMeta(key, found.e), found.usedAt);
  }

  load(key: string, opts: { touch?: boolean } = {}): LoadedArtifact | undefined {
    const found = this.entry(key);
    if (!found) return undefined;
    const { e } = found;
    let blob: Buffer;
    try {
      blob = readFileSync(this.blobPath(e.blobSha));
    } catch {
      throw this.corrupt(key, 'its blob file is missing');
    }
    // A blob whose bytes do not match its name is bad for every key naming it: removed too.
    const bad = blobProblem(e, blob);
    if (bad) throw this.corrupt(key, bad.reason, bad.blobBad ? e.blobSha : undefined);
    const meta = this.verifiedMeta(key, e);
    let tensors: Record<string, Tensor>;
    try {
      tensors = decodeSafetensors(blob).tensors;
    } catch (err) {
      throw this.corrupt(key, (err as Error).message, e.blobSha);
    }
    let usedAt = found.usedAt;
    if (opts.touch !== false) usedAt = this.touchAt(key) ?? usedAt;
    return { record: artifactRecordOf(e, meta, usedAt), tensors };
  }

  /**
   * Blob first (temp name, fsync, rename), then the index file the same way: a reader that
   * finds the index finds the blob whole. The blob carries the entry's row in its safetensors
   * metadata, so an index can be rebuilt from the blobs alone.
   */
  store(key: string, input: StoreInput): ArtifactRecord {
    const { meta, metaText, blob, blobSha } = encodeEntry(key, input);
    const final = this.blobPath(blobSha);
    mkdirSync(join(this.blobDir, blobSha.slice(0, 2)), { recursive: true });
    // Same name, same bytes: a blob already there (a redelivered job) is kept as it is, its
    // mtime renewed so that collectOrphans does not take it for a killed writer's leftover.
    if (!renewed(final)) writeFileAtomic(final, blob);
    const now = Date.now();
    const e = indexEntryOf(key, input, metaText, blob, blobSha, now);
    mkdirSync(this.indexDir, { recursive: true });
    writeFileAtomic(this.indexPath(key), JSON.stringify(e));
    return artifactRecordOf(e, meta, now);
  }

  private touchAt(key: string): number | undefined {
    const now = new Date();
    try {
      utimesSync(this.indexPath(key), now, now); // never recreates a removed entry
      return now.getTime();
    } catch {
      return undefined;
    }
  }

  touch(key: string): void {
    this.touchAt(key);
  }

  remove(key: string): void {
    let sha: string | undefined;
    try {
      sha = (readJson(this.indexPath(key)) as IndexEntry | undefined)?.blobSha;
    } catch {
      /* unreadable index: removed below */
    }
    rmSync(this.indexPath(key), { force: true });
    if (sha && BLOB_SHA.test(sha)) rmSync(this.blobPath(sha), { force: true });
  }

  /**
   * Removes what killed writers left: temp files, and blobs no index file names, once they are
   * `minAgeMs` old (default an hour; a younger one may be a write in progress on another
   * machine). Returns how many files and bytes were freed.
   */
  collectOrphans(minAgeMs = 3_600_000): { files: number; bytes: number } {
    const cutoff = Date.now() - minAgeMs;
    const named = new Set<string>();
    for (const key of this.keys()) {
      try {
        const sha = (readJson(this.indexPath(key)) as IndexEntry | undefined)?.blobSha;
        if (sha) named.add(sha);
      } catch {
        /* an unreadable index names nothing; its next lookup removes it */
      }
    }
    let files = 0;
    let bytes = 0;
    const sweep = (path: string, orphan: boolean) => {
      let st;
      try {
        st = statSync(path);
      } catch {
        return; // removed meanwhile
      }
      if (!orphan || !st.isFile() || st.mtimeMs >= cutoff) return;
      rmSync(path, { force: true });
      files++;
      bytes += st.size;
    };
    if (existsSync(this.indexDir)) for (const f of readdirSync(this.indexDir)) sweep(join(this.indexDir, f), f.endsWith('.tmp'));
    if (existsSync(this.blobDir)) {
      for (const sub of readdirSync(this.blobDir)) {
        if (!/^[0-9a-f]{2}$/.test(sub)) continue;
        for (const f of readdirSync(join(this.blobDir, sub))) {
          const m = /^([0-9a-f]{64})\.safetensors$/.exec(f);
          sweep(join(this.blobDir, sub, f), f.endsWith('.tmp') || (m !== null && !named.has(m[1])));
        }
      }
    }
    return { files, bytes };
  }

  /** Every indexed key (for listing and verification). */
  keys(): string[] {
    if (!existsSync(this.indexDir)) return [];
    return readdirSync(this.indexDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => fromFileName(f.slice(0, -'.json'.length)));
  }
}

export class SharedFolderRuns implements ImmediateRuns {
  private readonly host = hostname();
  private seq = 0;

  constructor(readonly dir: string) {}

  private runDir(id: string): string {
    return join(this.dir, fileName(id));
  }

  begin(r: RunStart): void {
    const d = this.runDir(r.id);
    mkdirSync(join(d, 'nodes'), { recursive: true });
    const rec = begunRecord(r, this.host);
    try {
      createFileAtomic(join(d, 'run.json'), JSON.stringify(rec));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`run ${r.id} already exists`);
      throw e;
    }
  }

  async recordNode(runId: string, n: NodeRecord): Promise<void> {
    const d = join(this.runDir(runId), 'nodes');
    const rec = nodeFile(n, this.seq++); // the order is the calls' order, however the writes finish
    await mkdirAsync(d, { recursive: true });
    await writeFileAtomicAsync(join(d, `${fileName(n.id)}.json`), JSON.stringify(rec));
  }

  finish(runId: string, status: RunStatus, metrics: RunRecord['metrics'], error?: string, gitDirty?: boolean): void {
    const d = this.runDir(runId);
    if (!existsSync(join(d, 'run.json'))) return; // like an UPDATE of no row
    writeFileAtomic(join(d, 'finish.json'), JSON.stringify(finishedRecord(status, metrics, error, gitDirty)));
  }

  /** Run ids in the folder (run.json present: a begin that completed). */
  ids(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => !f.endsWith('.tmp') && existsSync(join(this.dir, f, 'run.json')))
      .map(fromFileName);
  }

  private read(id: string): RunRecord | undefined {
    const d = this.runDir(id);
    const b = readJson(join(d, 'run.json')) as Begun | undefined;
    if (!b) return undefined;
    return runRecordOf(b, readJson(join(d, 'finish.json')) as Finished | undefined, this.host);
  }

  private nodes(id: string): Nodes {
    const d = join(this.runDir(id), 'nodes');
    if (!existsSync(d)) return [];
    const files = readdirSync(d).filter((f) => f.endsWith('.json'));
    return sortedNodes(files.map((f) => readJson(join(d, f)) as NodeFile | undefined));
  }

  private withNodes(rec: RunRecord): RunRecord {
    return { ...rec, nodes: this.nodes(rec.id) };
  }

  private all(): RunRecord[] {
    return readable(this.ids().map((id) => this.read(id)));
  }

  list(limit = 50, filter: { specPath?: string } = {}): ListedRun[] {
    return listSelection(this.all(), limit, filter).map((r) => listed(r, this.nodes(r.id)));
  }

  get(idOrPrefix: string): RunRecord | undefined {
    const exact = this.read(idOrPrefix);
    if (exact) return this.withNodes(exact);
    const id = uniqueMatch(this.ids(), idOrPrefix);
    const rec = id === undefined ? undefined : this.read(id);
    return rec && this.withNodes(rec);
  }

  sweep(idOrPrefix: string): RunRecord[] {
    return sweepSelection(this.all(), idOrPrefix).map((r) => this.withNodes(r));
  }

  count(prefix: string): number {
    return countWith(this.ids(), prefix);
  }
}

/**
 * Opens (creating when needed) a shared-folder Store in `dir`: a folder several machines may
 * mount and write at once. No locks, no database: see the file's header for the layout.
 */
export function openSharedFolderStore(dir: string): Store {
  const abs = resolve(dir);
  for (const d of ['blobs', 'index', 'runs']) mkdirSync(join(abs, d), { recursive: true });
  return { artifacts: asyncArtifacts(new SharedFolderArtifacts(abs)), runs: asyncRuns(new SharedFolderRuns(join(abs, 'runs'))), location: abs, migrated: '', close: () => {} };
}

/**
 * The artifact cache: one SQLite database (WAL) indexing every step output by its content-hash
 * key. Small blobs live inside SQLite; large ones as files beside it that only an indexed row
 * makes visible (written to a temp name, fsynced, renamed, then indexed in one transaction), so
 * a reader never sees a partial entry. Every read is checked against its sha256 before use: a
 * corrupt entry is dropped and reported, never returned.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { accessSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { decodeSafetensors, encodeSafetensors } from '../tensor/safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import { UsageError } from '../util/errors.js';
import { sha256Hex } from './key.js';

/** Blobs up to this size are stored inside SQLite; larger ones as files it indexes (see docs/architecture.md). */
export const DEFAULT_INLINE_MAX_BYTES = 1 << 20;

export interface ArtifactRecord {
  key: string;
  step: string;
  kind: string;
  /** What downstream keys use to name this output: the key itself, or (fetch) the data fingerprint. */
  contentId: string;
  meta: Record<string, unknown>;
  bytes: number;
  checksum: string;
  createdAt: number;
  lastUsedAt: number;
  inline: boolean;
}

export interface StoreInput {
  step: string;
  kind: string;
  contentId: string;
  meta: Record<string, unknown>;
  tensors: Record<string, Tensor>;
}

export interface LoadedArtifact {
  record: ArtifactRecord;
  tensors: Record<string, Tensor>;
}

/** A cache entry whose bytes no longer match their checksum (or whose blob file is gone). */
export class CorruptEntryError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`cache entry ${key.slice(0, 12)} is corrupt (${reason}); it was removed and will be recomputed`);
    this.name = 'CorruptEntryError';
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS artifacts (
  key TEXT PRIMARY KEY,
  step TEXT NOT NULL,
  kind TEXT NOT NULL,
  content_id TEXT NOT NULL,
  meta TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  blob BLOB
);
CREATE INDEX IF NOT EXISTS artifacts_last_used ON artifacts(last_used_at);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  status TEXT NOT NULL,
  spec_path TEXT NOT NULL,
  spec_name TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  spec_text TEXT NOT NULL,
  resolved TEXT NOT NULL,
  seed INTEGER NOT NULL,
  package_version TEXT NOT NULL,
  git_commit TEXT,
  git_dirty INTEGER,
  metrics TEXT,
  error TEXT
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
CREATE TABLE IF NOT EXISTS run_nodes (
  run_id TEXT NOT NULL,
  node TEXT NOT NULL,
  step TEXT NOT NULL,
  batch INTEGER,
  key TEXT,
  status TEXT NOT NULL,
  hit INTEGER NOT NULL,
  ms REAL NOT NULL,
  error TEXT,
  PRIMARY KEY (run_id, node)
);
CREATE INDEX IF NOT EXISTS run_nodes_key ON run_nodes(key);
`;

function checksumOf(blob: Uint8Array, metaText: string): string {
  return sha256Hex(Buffer.concat([Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength), Buffer.from(metaText, 'utf8')]));
}

export class ArtifactCache {
  readonly db: Database.Database;
  readonly dir: string;
  readonly blobDir: string;

  private constructor(dir: string, readonly inlineMaxBytes: number) {
    this.dir = dir;
    this.blobDir = join(dir, 'blobs');
    // Wait for other processes' locks (two runs on one cache) before anything else, WAL included.
    this.db = new Database(join(dir, 'cache.sqlite'), { timeout: 60_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
  }

  /** Opens (creating if needed) the cache in `dir`; a directory that cannot be written is a usage error. */
  static open(dir: string, opts: { inlineMaxBytes?: number } = {}): ArtifactCache {
    const abs = resolve(dir);
    try {
      mkdirSync(join(abs, 'blobs'), { recursive: true });
      accessSync(abs, constants.W_OK);
      accessSync(join(abs, 'blobs'), constants.W_OK);
    } catch (e) {
      throw UsageError.one(
        `cache directory ${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        'pass a writable folder with --cache-dir DIR (or set MLX_INTRADAY_CACHE), or fix its permissions',
        { file: dir },
      );
    }
    try {
      return new ArtifactCache(abs, opts.inlineMaxBytes ?? DEFAULT_INLINE_MAX_BYTES);
    } catch (e) {
      throw UsageError.one(
        `cannot open the cache database in ${dir}: ${(e as Error).message}`,
        'if the file is damaged, move cache.sqlite aside (or delete the folder) and run again; everything will be recomputed',
        { file: join(dir, 'cache.sqlite') },
      );
    }
  }

  close(): void {
    this.db.close();
  }

  private blobPath(key: string): string {
    return join(this.blobDir, key.slice(0, 2), `${key}.safetensors`);
  }

  private rowToRecord(row: any): ArtifactRecord {
    return {
      key: row.key,
      step: row.step,
      kind: row.kind,
      contentId: row.content_id,
      meta: JSON.parse(row.meta),
      bytes: row.bytes,
      checksum: row.checksum,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      inline: row.inline === 1,
    };
  }

  /** The entry's index row (no blob read), or undefined when absent. */
  lookup(key: string): ArtifactRecord | undefined {
    const row = this.db
      .prepare('SELECT key, step, kind, content_id, meta, bytes, checksum, created_at, last_used_at, (blob IS NOT NULL) AS inline FROM artifacts WHERE key = ?')
      .get(key);
    return row ? this.rowToRecord(row) : undefined;
  }

  /** Marks an entry as used now (a cache hit), so `gc --older-than` keeps what runs still use. */
  touch(key: string): void {
    this.db.prepare('UPDATE artifacts SET last_used_at = ? WHERE key = ?').run(Date.now(), key);
  }

  /**
   * Reads and verifies an entry. Throws CorruptEntryError (after removing it) when it does not
   * check out. `touch: false` reads without counting as a use (verification).
   */
  load(key: string, opts: { touch?: boolean } = {}): LoadedArtifact | undefined {
    const row = this.db
      .prepare('SELECT key, step, kind, content_id, meta, bytes, checksum, created_at, last_used_at, blob, (blob IS NOT NULL) AS inline FROM artifacts WHERE key = ?')
      .get(key) as any;
    if (!row) return undefined;
    let blob: Buffer;
    if (row.blob) blob = row.blob as Buffer;
    else {
      try {
        blob = readFileSync(this.blobPath(key));
      } catch {
        this.remove(key);
        throw new CorruptEntryError(key, 'its blob file is missing');
      }
    }
    if (blob.length !== row.bytes || checksumOf(blob, row.meta) !== row.checksum) {
      this.remove(key);
      throw new CorruptEntryError(key, 'checksum mismatch');
    }
    let tensors: Record<string, Tensor>;
    try {
      tensors = decodeSafetensors(blob).tensors;
    } catch (e) {
      this.remove(key);
      throw new CorruptEntryError(key, (e as Error).message);
    }
    if (opts.touch !== false) this.touch(key);
    return { record: this.rowToRecord(row), tensors };
  }

  /**
   * Stores an entry atomically: a large blob goes to a temp file that is fsynced and renamed
   * into place, then the row is written in one transaction. Storing a key that exists replaces
   * it with the same content (two processes computing the same node both succeed).
   */
  store(key: string, input: StoreInput): ArtifactRecord {
    const blob = encodeSafetensors(input.tensors);
    const metaText = JSON.stringify(input.meta);
    const checksum = checksumOf(blob, metaText);
    const inline = blob.length <= this.inlineMaxBytes;
    const now = Date.now();
    if (!inline) {
      const final = this.blobPath(key);
      mkdirSync(join(this.blobDir, key.slice(0, 2)), { recursive: true });
      const tmp = `${final}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        const fd = openSync(tmp, 'w');
        try {
          let off = 0;
          while (off < blob.length) off += writeSync(fd, blob, off, blob.length - off);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, final);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
    }
    this.db
      .prepare(
        `INSERT OR REPLACE INTO artifacts (key, step, kind, content_id, meta, bytes, checksum, created_at, last_used_at, blob)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(key, input.step, input.kind, input.contentId, metaText, blob.length, checksum, now, now, inline ? blob : null);
    return { key, step: input.step, kind: input.kind, contentId: input.contentId, meta: input.meta, bytes: blob.length, checksum, createdAt: now, lastUsedAt: now, inline };
  }

  remove(key: string): void {
    this.db.prepare('DELETE FROM artifacts WHERE key = ?').run(key);
    rmSync(this.blobPath(key), { force: true });
  }

  list(): ArtifactRecord[] {
    return this.db
      .prepare('SELECT key, step, kind, content_id, meta, bytes, checksum, created_at, last_used_at, (blob IS NOT NULL) AS inline FROM artifacts ORDER BY last_used_at DESC')
      .all()
      .map((r) => this.rowToRecord(r));
  }

  /** Checks every entry's bytes; removes the bad ones. Returns the keys found corrupt. */
  verify(onProgress?: (done: number, total: number) => void): { checked: number; corrupt: { key: string; reason: string }[] } {
    const keys = this.db.prepare('SELECT key FROM artifacts').pluck().all() as string[];
    const corrupt: { key: string; reason: string }[] = [];
    keys.forEach((key, i) => {
      try {
        this.load(key, { touch: false });
      } catch (e) {
        if (e instanceof CorruptEntryError) corrupt.push({ key, reason: e.message });
        else throw e;
      }
      onProgress?.(i + 1, keys.length);
    });
    return { checked: keys.length, corrupt };
  }

  /**
   * Removes entries not used since `olderThanMs` ago and/or not touched by the last `keepRuns`
   * runs, plus blob files no row indexes (left by a killed process). Returns what was freed.
   */
  gc(opts: { olderThanMs?: number; keepRuns?: number }): { removed: number; freedBytes: number; orphanFiles: number } {
    const doomed = new Set<string>();
    if (opts.olderThanMs !== undefined) {
      const cutoff = Date.now() - opts.olderThanMs;
      for (const k of this.db.prepare('SELECT key FROM artifacts WHERE last_used_at < ?').pluck().all(cutoff) as string[]) doomed.add(k);
    }
    if (opts.keepRuns !== undefined) {
      const keep = new Set(
        this.db
          .prepare('SELECT DISTINCT key FROM run_nodes WHERE key IS NOT NULL AND run_id IN (SELECT id FROM runs ORDER BY started_at DESC LIMIT ?)')
          .pluck()
          .all(opts.keepRuns) as string[],
      );
      for (const k of this.db.prepare('SELECT key FROM artifacts').pluck().all() as string[]) if (!keep.has(k)) doomed.add(k);
    }
    let freedBytes = 0;
    const sizeOf = this.db.prepare('SELECT bytes FROM artifacts WHERE key = ?').pluck();
    const tx = this.db.transaction((keys: string[]) => {
      for (const k of keys) {
        freedBytes += (sizeOf.get(k) as number | undefined) ?? 0;
        this.db.prepare('DELETE FROM artifacts WHERE key = ?').run(k);
      }
    });
    tx([...doomed]);
    for (const k of doomed) rmSync(this.blobPath(k), { force: true });
    // Files no row points at: temp files of killed writers, blobs of removed rows.
    let orphanFiles = 0;
    const indexed = new Set(this.db.prepare('SELECT key FROM artifacts WHERE blob IS NULL').pluck().all() as string[]);
    if (existsSync(this.blobDir)) {
      for (const sub of readdirSync(this.blobDir)) {
        const d = join(this.blobDir, sub);
        for (const f of readdirSync(d)) {
          const key = f.split('.')[0];
          const p = join(d, f);
          // Only files an hour old: a writer renames its blob into place just before it
          // inserts the row, so a fresh unindexed file may be a write in progress.
          const stale = Date.now() - statSync(p).mtimeMs > 3_600_000;
          const orphan = f.endsWith('.tmp') || !indexed.has(key);
          if (orphan && stale) {
            freedBytes += statSync(p).size;
            unlinkSync(p);
            orphanFiles++;
          }
        }
      }
    }
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return { removed: doomed.size, freedBytes, orphanFiles };
  }
}

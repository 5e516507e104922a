/**
 * The artifact cache: one SQLite database (WAL) indexing every step output by its content-hash
 * key. Small blobs live inside SQLite; large ones as files beside it that only an indexed row
 * makes visible (written to a temp name, fsynced, renamed, then indexed in one transaction), so
 * a reader never sees a partial entry. Every read is checked against its sha256 before use: a
 * corrupt entry is dropped and reported, never returned.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { accessSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { decodeSafetensors, encodeSafetensors } from '../tensor/safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import { asyncArtifacts, asyncRuns, type ArtifactRecord, type ArtifactStore, type Immediate, type LoadedArtifact, type Store, type StoreInput } from './store-api.js';
import { CacheDamagedError, CorruptEntryError, isDatabaseDamaged, UsageError } from '../util/errors.js';
import { redactDeep } from '../util/redact.js';
import { sha256Hex } from './key.js';
import { RUN_TABLES, RunStore } from './runs.js';
import { ensureTable, SCHEMA_VERSION, type TableLayout } from './schema.js';

/** Blobs up to this size are stored inside SQLite; larger ones as files it indexes (see docs/architecture.md). */
export const DEFAULT_INLINE_MAX_BYTES = 1 << 20;

export type { ArtifactRecord, LoadedArtifact, StoreInput } from './store-api.js';
export { CorruptEntryError } from '../util/errors.js';

const ARTIFACTS: TableLayout = {
  name: 'artifacts',
  create: `CREATE TABLE IF NOT EXISTS artifacts (
    key TEXT PRIMARY KEY,
    step TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_id TEXT NOT NULL,
    meta TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    blob BLOB,
    meta_checksum TEXT
  );
  CREATE INDEX IF NOT EXISTS artifacts_last_used ON artifacts(last_used_at);`,
  columns: {
    key: 'TEXT',
    step: 'TEXT',
    kind: 'TEXT',
    content_id: 'TEXT',
    meta: 'TEXT',
    bytes: 'INTEGER',
    checksum: 'TEXT',
    created_at: 'INTEGER',
    last_used_at: 'INTEGER',
    blob: 'BLOB',
    meta_checksum: 'TEXT',
  },
};

/** The step name under which remote downloads are cached (src/steps/remote-batches.ts). */
export const DOWNLOAD_STEP = '(download)';

/** Keys of our blob files: `<sha256 hex>.safetensors`, or a writer's `<…>.<pid>.<rand>.tmp`. */
const BLOB_FILE = /^([0-9a-f]{64})\.safetensors(?:\.\d+\.[0-9a-f]+\.tmp)?$/;

/** An entry's checksum: sha256 over its blob bytes then its meta text (shared with the other backends). */
export function checksumOf(blob: Uint8Array, metaText: string): string {
  return sha256Hex(Buffer.concat([Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength), Buffer.from(metaText, 'utf8')]));
}

export const metaChecksumOf = (metaText: string) => sha256Hex(Buffer.from(metaText, 'utf8'));

export interface OpenOptions {
  inlineMaxBytes?: number;
  /** Only read (runs ls/show, cache ls): works on a cache folder the user cannot write. */
  readOnly?: boolean;
}

export interface RepairReport {
  /** Where the damaged database was moved. */
  movedTo: string;
  /** Blob files put back in the index. */
  reindexed: number;
  /** Blob files that did not check out (removed). */
  unreadable: number;
  /** Run records copied from the damaged database. */
  runsKept: number;
}

export class ArtifactCache implements Immediate<ArtifactStore> {
  readonly db: Database.Database;
  readonly dir: string;
  readonly blobDir: string;
  /** What opening had to do to an older database (shown as a note), '' when nothing. */
  readonly migrated: string;

  private constructor(dir: string, readonly inlineMaxBytes: number, readonly readOnly: boolean) {
    this.dir = dir;
    this.blobDir = join(dir, 'blobs');
    const file = join(dir, 'cache.sqlite');
    // Wait for other processes' locks (two runs on one cache) before anything else, WAL included.
    this.db = new Database(file, { timeout: 60_000, readonly: readOnly, fileMustExist: readOnly });
    try {
      if (readOnly) {
        this.migrated = '';
        this.db.prepare('SELECT COUNT(*) FROM sqlite_master').get(); // fails now, not later, on a foreign file
        return;
      }
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.migrated = this.migrate(file);
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  /** Brings an older database to this layout; a newer one is refused (it may hold what we would break). */
  private migrate(file: string): string {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw UsageError.one(
        `the cache database ${file} was written by a newer mlx-intraday (layout ${version}; this version knows ${SCHEMA_VERSION})`,
        'upgrade mlx-intraday, or use another folder with --cache-dir',
        { file },
      );
    }
    if (version === SCHEMA_VERSION) {
      this.db.exec([ARTIFACTS, ...RUN_TABLES].map((t) => t.create).join('\n'));
      return '';
    }
    // BEGIN IMMEDIATE: the write lock is taken (waiting for it) before the first read. A deferred
    // transaction would read, then upgrade to write, and two processes creating one cache at once
    // would get SQLITE_BUSY at once instead of waiting (SQLite's deadlock rule).
    const notes = this.db.transaction(() => {
      if ((this.db.pragma('user_version', { simple: true }) as number) === SCHEMA_VERSION) return { done: [], old: [] };
      const done = [ARTIFACTS, ...RUN_TABLES].map((t) => ensureTable(this.db, t)).filter(Boolean);
      // Rows from before meta had its own checksum: checked in full once, then indexed.
      const old = this.db.prepare('SELECT key FROM artifacts WHERE meta_checksum IS NULL').pluck().all() as string[];
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return { done, old };
    }).immediate();
    for (const key of notes.old) this.backfillMetaChecksum(key);
    return notes.done.join('; ');
  }

  private backfillMetaChecksum(key: string): void {
    try {
      if (!this.load(key, { touch: false })) return;
      const metaText = this.db.prepare('SELECT meta FROM artifacts WHERE key = ?').pluck().get(key) as string;
      this.db.prepare('UPDATE artifacts SET meta_checksum = ? WHERE key = ?').run(metaChecksumOf(metaText), key);
    } catch (e) {
      if (!(e instanceof CorruptEntryError)) throw e; // load() removed it
    }
  }

  /**
   * Opens the cache in `dir`, creating it when needed; a directory that cannot be written is a
   * usage error, except with `readOnly`, which reads an existing database in place.
   */
  static open(dir: string, opts: OpenOptions = {}): ArtifactCache {
    const abs = resolve(dir);
    const file = join(abs, 'cache.sqlite');
    let readOnly = opts.readOnly ?? false;
    if (readOnly && !existsSync(file)) readOnly = false; // nothing to read: create an empty cache if we may
    if (readOnly) {
      // Reading needs no write access, but a writable folder lets us migrate and tidy.
      try {
        accessSync(abs, constants.W_OK);
        accessSync(file, constants.W_OK);
        readOnly = false;
      } catch {
        /* stay read-only */
      }
    }
    if (!readOnly) {
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
    }
    try {
      return new ArtifactCache(abs, opts.inlineMaxBytes ?? DEFAULT_INLINE_MAX_BYTES, readOnly);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      if (isDatabaseDamaged(e)) throw new CacheDamagedError(file, (e as Error).message);
      throw UsageError.one(
        `cannot open the cache database in ${dir}: ${(e as Error).message}`,
        'if the file is damaged, run `mlx-intraday cache verify --repair` (or move cache.sqlite aside); everything will be recomputed',
        { file },
      );
    }
  }

  /**
   * Closes the database. The last writer to leave switches it back from WAL to a rollback
   * journal: a WAL database cannot be opened from a folder one may not write (SQLite must
   * create its -shm file), and `runs ls` on a read-only cache should work. While other
   * processes still hold it open, the switch fails at once (no wait) and WAL stays.
   */
  close(): void {
    if (!this.readOnly && this.db.open) {
      try {
        this.db.pragma('busy_timeout = 0');
        this.db.pragma('journal_mode = DELETE');
      } catch {
        /* someone else still has it open */
      }
    }
    this.db.close();
  }

  /** Runs a database call, turning SQLite's "damaged file" errors into a CacheDamagedError. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (isDatabaseDamaged(e)) throw new CacheDamagedError(join(this.dir, 'cache.sqlite'), (e as Error).message);
      throw e;
    }
  }

  private blobPath(key: string): string {
    return join(this.blobDir, key.slice(0, 2), `${key}.safetensors`);
  }

  private rowToRecord(row: any, meta: Record<string, unknown>): ArtifactRecord {
    return {
      key: row.key,
      step: row.step,
      kind: row.kind,
      contentId: row.content_id,
      meta,
      bytes: row.bytes,
      checksum: row.checksum,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      inline: row.inline === 1,
    };
  }

  /**
   * The row's meta, verified against its own checksum (hits return it without reading the
   * blob); the reason it cannot be trusted otherwise.
   */
  private verifiedMeta(row: any, trustMissingChecksum = false): { meta: Record<string, unknown> } | { problem: string } {
    const sum = row.meta_checksum;
    if (sum === null || sum === undefined) {
      if (!trustMissingChecksum) return { problem: 'its metadata has no checksum' };
    } else if (metaChecksumOf(row.meta) !== sum) return { problem: 'its metadata does not match its checksum' };
    try {
      const meta = JSON.parse(row.meta);
      if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return { problem: 'its metadata is not a JSON object' };
      return { meta };
    } catch (e) {
      return { problem: `its metadata is not valid JSON: ${(e as Error).message}` };
    }
  }

  /**
   * The entry's index row (no blob read), or undefined when absent. Its meta is checked: a row
   * whose meta does not match its checksum is removed and reported (CorruptEntryError).
   */
  lookup(key: string): ArtifactRecord | undefined {
    return this.guard(() => {
      const row = this.db
        .prepare('SELECT key, step, kind, content_id, meta, meta_checksum, bytes, checksum, created_at, last_used_at, (blob IS NOT NULL) AS inline FROM artifacts WHERE key = ?')
        .get(key) as any;
      if (!row) return undefined;
      const checked = this.verifiedMeta(row);
      if ('problem' in checked) {
        if (!this.readOnly) this.remove(key);
        throw new CorruptEntryError(key, checked.problem);
      }
      return this.rowToRecord(row, checked.meta);
    });
  }

  /** Marks an entry as used now (a cache hit), so `gc --older-than` keeps what runs still use. */
  touch(key: string): void {
    if (this.readOnly) return;
    this.guard(() => this.db.prepare('UPDATE artifacts SET last_used_at = ? WHERE key = ?').run(Date.now(), key));
  }

  /**
   * Reads and verifies an entry. Throws CorruptEntryError (after removing it) when it does not
   * check out. `touch: false` reads without counting as a use (verification).
   */
  load(key: string, opts: { touch?: boolean } = {}): LoadedArtifact | undefined {
    return this.guard(() => {
      const row = this.db
        .prepare('SELECT key, step, kind, content_id, meta, meta_checksum, bytes, checksum, created_at, last_used_at, blob, (blob IS NOT NULL) AS inline FROM artifacts WHERE key = ?')
        .get(key) as any;
      if (!row) return undefined;
      const corrupt = (reason: string) => {
        if (!this.readOnly) this.remove(key);
        return new CorruptEntryError(key, reason);
      };
      let blob: Buffer;
      if (row.blob) blob = row.blob as Buffer;
      else {
        try {
          blob = readFileSync(this.blobPath(key));
        } catch {
          throw corrupt('its blob file is missing');
        }
      }
      if (blob.length !== row.bytes || checksumOf(blob, row.meta) !== row.checksum) throw corrupt('checksum mismatch');
      // The full checksum above covers the meta too, so a row from before meta checksums
      // (migration backfills them through here) is trusted once it has passed.
      const checked = this.verifiedMeta(row, true);
      if ('problem' in checked) throw corrupt(checked.problem);
      const meta = checked.meta;
      let tensors: Record<string, Tensor>;
      try {
        tensors = decodeSafetensors(blob).tensors;
      } catch (e) {
        throw corrupt((e as Error).message);
      }
      if (opts.touch !== false) this.touch(key);
      return { record: this.rowToRecord(row, meta), tensors };
    });
  }

  /**
   * Stores an entry atomically: a large blob goes to a temp file that is fsynced and renamed
   * into place, then the row is written in one transaction. Storing a key that exists replaces
   * it with the same content (two processes computing the same node both succeed). A file blob
   * carries its row in its safetensors metadata, so `cache verify --repair` can re-index it.
   */
  store(key: string, input: StoreInput): ArtifactRecord {
    if (this.readOnly) throw new Error('the cache was opened read-only');
    const meta = redactDeep(input.meta);
    const metaText = JSON.stringify(meta);
    // An upper bound of the encoded size: below the limit the blob surely lives in its row and
    // needs no copy of it; above, it may become a file, which carries its row for repair.
    const tensors = Object.values(input.tensors);
    const bound = tensors.reduce((a, t) => a + t.data.byteLength, 0) + 1024 + 256 * tensors.length;
    const row = { step: input.step, kind: input.kind, content_id: input.contentId, meta: metaText };
    const blob = encodeSafetensors(input.tensors, bound <= this.inlineMaxBytes ? undefined : { 'mlx-intraday.row': JSON.stringify(row) });
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
    this.guard(() =>
      this.db
        .prepare(
          `INSERT OR REPLACE INTO artifacts (key, step, kind, content_id, meta, meta_checksum, bytes, checksum, created_at, last_used_at, blob)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(key, input.step, input.kind, input.contentId, metaText, metaChecksumOf(metaText), blob.length, checksum, now, now, inline ? blob : null),
    );
    return { key, step: input.step, kind: input.kind, contentId: input.contentId, meta, bytes: blob.length, checksum, createdAt: now, lastUsedAt: now, inline };
  }

  remove(key: string): void {
    this.guard(() => this.db.prepare('DELETE FROM artifacts WHERE key = ?').run(key));
    rmSync(this.blobPath(key), { force: true });
  }

  list(): ArtifactRecord[] {
    return this.guard(() =>
      (this.db
        .prepare('SELECT key, step, kind, content_id, meta, bytes, checksum, created_at, last_used_at, (blob IS NOT NULL) AS inline FROM artifacts ORDER BY last_used_at DESC')
        .all() as any[]).map((r) => {
        let meta: Record<string, unknown> = {};
        try {
          meta = JSON.parse(r.meta);
        } catch {
          /* shown without meta; verify or the next hit reports it */
        }
        return this.rowToRecord(r, meta);
      }),
    );
  }

  /**
   * Checks the database file itself, then every entry's bytes; removes the bad entries. A
   * damaged database file is a CacheDamagedError (see `repair`).
   */
  verify(onProgress?: (done: number, total: number) => void): { checked: number; corrupt: { key: string; reason: string }[] } {
    const problems = this.guard(() => this.db.pragma('quick_check(20)', { simple: false }) as { quick_check: string }[]);
    if (problems.length !== 1 || problems[0].quick_check !== 'ok') {
      throw new CacheDamagedError(join(this.dir, 'cache.sqlite'), problems.map((p) => p.quick_check).slice(0, 3).join('; '));
    }
    const keys = this.guard(() => this.db.prepare('SELECT key FROM artifacts').pluck().all() as string[]);
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
   * Recovers from a damaged database file: moves it aside, creates a fresh one, copies the run
   * records that still read, and re-indexes every blob file that checks out (each carries its
   * row). Small entries that lived inside the damaged file are recomputed when next needed.
   */
  static repair(dir: string): RepairReport {
    const abs = resolve(dir);
    const file = join(abs, 'cache.sqlite');
    const movedTo = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(file, movedTo);
    for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) renameSync(file + ext, movedTo + ext);
    const cache = ArtifactCache.open(abs);
    try {
      const runsKept = cache.salvageRuns(movedTo);
      let reindexed = 0;
      let unreadable = 0;
      for (const { key, path } of cache.blobFiles()) {
        if (path.endsWith('.tmp')) continue;
        try {
          const blob = readFileSync(path);
          const { metadata } = decodeSafetensors(blob);
          const row = JSON.parse(metadata['mlx-intraday.row'] ?? 'null') as { step: string; kind: string; content_id: string; meta: string } | null;
          if (!row || typeof row.meta !== 'string') throw new Error('no row in the file');
          JSON.parse(row.meta);
          const now = Date.now();
          cache.db
            .prepare(
              `INSERT OR REPLACE INTO artifacts (key, step, kind, content_id, meta, meta_checksum, bytes, checksum, created_at, last_used_at, blob)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
            )
            .run(key, row.step, row.kind, row.content_id, row.meta, metaChecksumOf(row.meta), blob.length, checksumOf(blob, row.meta), now, now);
          reindexed++;
        } catch {
          rmSync(path, { force: true });
          unreadable++;
        }
      }
      return { movedTo, reindexed, unreadable, runsKept };
    } finally {
      cache.close();
    }
  }

  /** Copies run records row by row from a damaged database, as far as they read. */
  private salvageRuns(damagedFile: string): number {
    let old: Database.Database;
    try {
      old = new Database(damagedFile, { readonly: true, fileMustExist: true });
    } catch {
      return 0;
    }
    let kept = 0;
    try {
      for (const t of RUN_TABLES) {
        const cols = Object.keys(t.columns);
        const insert = this.db.prepare(`INSERT OR IGNORE INTO ${t.name} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
        try {
          for (const row of old.prepare(`SELECT * FROM ${t.name}`).iterate() as Iterable<Record<string, unknown>>) {
            insert.run(...cols.map((c) => row[c] ?? null));
            if (t.name === 'runs') kept++;
          }
        } catch {
          /* the rest of this table is unreadable */
        }
      }
    } finally {
      old.close();
    }
    return kept;
  }

  /** Our blob files (stray files and folders that are not ours are left alone). */
  private blobFiles(): { key: string; path: string }[] {
    const out: { key: string; path: string }[] = [];
    if (!existsSync(this.blobDir)) return out;
    for (const sub of readdirSync(this.blobDir, { withFileTypes: true })) {
      if (!sub.isDirectory() || !/^[0-9a-f]{2}$/.test(sub.name)) continue;
      const d = join(this.blobDir, sub.name);
      for (const f of readdirSync(d, { withFileTypes: true })) {
        const m = f.isFile() ? BLOB_FILE.exec(f.name) : null;
        if (m && m[1].startsWith(sub.name)) out.push({ key: m[1], path: join(d, f.name) });
      }
    }
    return out;
  }

  /**
   * Removes entries not used since `olderThanMs` ago and/or not used by the last `keepRuns`
   * runs, plus blob files no row indexes (left by a killed process). Downloaded remote batches
   * are not nodes of a run: with `keepRuns` they stay when used since the oldest kept run
   * started. Returns what was freed.
   */
  gc(opts: { olderThanMs?: number; keepRuns?: number }): { removed: number; freedBytes: number; orphanFiles: number } {
    return this.guard(() => this.gcUnguarded(opts));
  }

  private gcUnguarded(opts: { olderThanMs?: number; keepRuns?: number }): { removed: number; freedBytes: number; orphanFiles: number } {
    const doomed = new Set<string>();
    if (opts.olderThanMs !== undefined) {
      const cutoff = Date.now() - opts.olderThanMs;
      for (const k of this.db.prepare('SELECT key FROM artifacts WHERE last_used_at < ?').pluck().all(cutoff) as string[]) doomed.add(k);
    }
    if (opts.keepRuns !== undefined) {
      const kept = this.db.prepare('SELECT id, started_at FROM runs ORDER BY started_at DESC LIMIT ?').all(opts.keepRuns) as { id: string; started_at: number }[];
      const keep = new Set(
        this.db
          .prepare(`SELECT DISTINCT key FROM run_nodes WHERE key IS NOT NULL AND run_id IN (SELECT id FROM runs ORDER BY started_at DESC LIMIT ?)`)
          .pluck()
          .all(opts.keepRuns) as string[],
      );
      const since = kept.length ? Math.min(...kept.map((r) => r.started_at)) : Infinity;
      for (const k of this.db.prepare('SELECT key FROM artifacts WHERE step = ? AND last_used_at >= ?').pluck().all(DOWNLOAD_STEP, since) as string[]) keep.add(k);
      for (const k of this.db.prepare('SELECT key FROM artifacts').pluck().all() as string[]) if (!keep.has(k)) doomed.add(k);
    }
    let freedBytes = 0;
    const sizeOf = this.db.prepare('SELECT bytes FROM artifacts WHERE key = ?').pluck();
    const del = this.db.prepare('DELETE FROM artifacts WHERE key = ?');
    this.db.transaction((keys: string[]) => {
      for (const k of keys) {
        freedBytes += (sizeOf.get(k) as number | undefined) ?? 0;
        del.run(k);
      }
    })([...doomed]);
    for (const k of doomed) rmSync(this.blobPath(k), { force: true });
    // Files no row points at: temp files of killed writers, blobs of removed rows.
    let orphanFiles = 0;
    const indexed = new Set(this.db.prepare('SELECT key FROM artifacts WHERE blob IS NULL').pluck().all() as string[]);
    for (const { key, path } of this.blobFiles()) {
      // Only files an hour old: a writer renames its blob into place just before it
      // inserts the row, so a fresh unindexed file may be a write in progress.
      let st;
      try {
        st = statSync(path);
      } catch {
        continue; // removed meanwhile
      }
      const stale = Date.now() - st.mtimeMs > 3_600_000;
      const orphan = path.endsWith('.tmp') || !indexed.has(key);
      if (orphan && stale) {
        freedBytes += st.size;
        rmSync(path, { force: true });
        orphanFiles++;
      }
    }
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return { removed: doomed.size, freedBytes, orphanFiles };
  }
}

/** The default Store: the SQLite database + blob folder in `dir`. */
export function openLocalStore(dir: string, opts: OpenOptions = {}): Store {
  const cache = ArtifactCache.open(dir, opts);
  return { artifacts: asyncArtifacts(cache), runs: asyncRuns(new RunStore(cache.db, { readOnly: cache.readOnly })), location: cache.dir, migrated: cache.migrated, close: () => cache.close() };
}

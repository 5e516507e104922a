/**
 * Skips re-reading unchanged data files: the column a file produced for a session grid is kept in
 * the artifact cache under a key of the file's path, size, mtime and ctime (ns), the parse
 * options and the sessions. A file that changes gets a new key, so it is read again; a file
 * that changed in the last few seconds is never stored (a second write within the same mtime
 * tick would otherwise go unseen), nor one whose stat changed while it was read.
 */
import { statSync } from 'node:fs';
import { hashJson, sha256Hex } from '../../cache/key.js';
import type { ArtifactStore } from '../../cache/store-api.js';
import { CorruptEntryError } from '../../util/errors.js';
import type { Panel, SessionInfo } from '../panel.js';
import { DataError } from '../provider.js';
import { tensor } from '../../tensor/tensor.js';

/** Bump when parsing or placement changes what a file yields, so old entries stop matching. */
export const FOLDER_FILE_CACHE_VERSION = 1;
/**
 * A file modified less than this long before it was read is not cached: mtime clocks are coarse
 * (ext4 ticks of a few ms, 1 s on HFS+/SMB, 2 s on FAT; NFS adds server clock skew).
 */
export const RACY_WINDOW_MS = 3000;

/** What says "this file has not changed": ctime too, because any write or `touch -d` moves it. */
export interface FileState {
  size: string;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  mtimeMs: number;
}

export function fileState(file: string): FileState {
  let st;
  try {
    st = statSync(file, { bigint: true });
  } catch (e) {
    throw new DataError(`${file}: cannot read (${(e as Error).message})`, 'check that the file exists and is readable');
  }
  return { size: String(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs), ino: String(st.ino), mtimeMs: Number(st.mtimeNs / 1_000_000n) };
}

export function sameState(a: FileState, b: FileState): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

/** One ticker's column on a session grid, and the warnings reading its file gave. */
export interface FileColumn {
  open: Float32Array;
  high: Float32Array;
  low: Float32Array;
  close: Float32Array;
  volume: Float32Array;
  mask: Uint8Array;
  warnings: string[];
}

const FIELDS = ['open', 'high', 'low', 'close', 'volume', 'mask'] as const;

/** Copies column n out of a panel (strided [T, N] → [T]). */
export function columnOf(panel: Panel, n: number, warnings: string[]): FileColumn {
  const { T, N } = panel;
  const out = { warnings } as FileColumn;
  for (const f of FIELDS) {
    const src = panel[f];
    const dst = f === 'mask' ? new Uint8Array(T) : new Float32Array(T);
    for (let t = 0; t < T; t++) dst[t] = src[t * N + n];
    (out as any)[f] = dst;
  }
  return out;
}

/** Writes a column into column n of a panel. */
export function putColumn(panel: Panel, n: number, col: FileColumn): void {
  const { T, N } = panel;
  for (const f of FIELDS) {
    const dst = panel[f];
    const src = col[f];
    for (let t = 0; t < T; t++) dst[t * N + n] = src[t];
  }
}

/** sha256 of a column's bytes and warnings: the "content hash of the parsed result" kept with each entry. */
export function columnHash(col: FileColumn): string {
  const parts = FIELDS.map((f) => Buffer.from(col[f].buffer, col[f].byteOffset, col[f].byteLength));
  return sha256Hex(Buffer.concat([...parts, Buffer.from(JSON.stringify(col.warnings), 'utf8')]));
}

export class FolderFileCache {
  constructor(private readonly cache: ArtifactStore) {}

  key(file: string, state: FileState, options: Record<string, unknown>, sessions: SessionInfo[]): string {
    return hashJson({
      v: FOLDER_FILE_CACHE_VERSION,
      folderFile: file,
      size: state.size,
      mtimeNs: state.mtimeNs,
      ctimeNs: state.ctimeNs,
      ino: state.ino,
      options,
      sessions: sessions.map((s) => [s.date, s.openMs, s.bars]),
    });
  }

  /** The cached column, or undefined (absent, or corrupt: load() removed it and the file is read again). */
  async load(key: string, T: number): Promise<FileColumn | undefined> {
    let hit;
    try {
      if (!(await this.cache.lookup(key))) return undefined;
      hit = await this.cache.load(key);
    } catch (e) {
      if (e instanceof CorruptEntryError) return undefined;
      throw e;
    }
    if (!hit) return undefined;
    const col = { warnings: (hit.record.meta.warnings as string[]) ?? [] } as FileColumn;
    for (const f of FIELDS) {
      const t = hit.tensors[f];
      if (!t || t.shape[0] !== T) return undefined;
      (col as any)[f] = t.data;
    }
    // The cache checks its bytes; this also proves the entry is the result it claims to be.
    if (columnHash(col) !== hit.record.contentId) return undefined;
    return col;
  }

  /** Stores a column unless the file changed recently or while it was read (then the next run reads it again). */
  async store(key: string, file: string, before: FileState, readStartedMs: number, col: FileColumn): Promise<boolean> {
    if (readStartedMs - before.mtimeMs < RACY_WINDOW_MS) return false;
    let after: FileState;
    try {
      after = fileState(file);
    } catch {
      return false;
    }
    if (!sameState(before, after)) return false;
    const T = col.open.length;
    const tensors = Object.fromEntries(FIELDS.map((f) => [f, tensor(col[f], [T])]));
    await this.cache.store(key, {
      step: '(folder file)',
      kind: 'fetch',
      contentId: columnHash(col),
      meta: { file, size: before.size, mtimeNs: before.mtimeNs, ctimeNs: before.ctimeNs, warnings: col.warnings },
      tensors,
    });
    return true;
  }
}

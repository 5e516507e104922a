/**
 * `--store` / MLX_INTRADAY_STORE: which Store backend a command uses, by one string.
 *   local            the SQLite database + blob folder in --cache-dir (the default)
 *   folder:PATH      a shared folder several machines mount (NFS-style; see shared-folder.ts)
 *   s3://bucket/prefix?endpoint=URL&region=R&path_style=1   S3-compatible object storage
 * Every command that reads or writes artifacts or run records opens its store here, so
 * `runs ls/show/compare` work from any machine that reaches the store.
 */
import { resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { openSharedFolderStore } from './shared-folder.js';
import { openLocalStore, type OpenOptions } from './store.js';
import type { Store } from './store-api.js';

export type StoreLocation = { backend: 'local'; dir: string } | { backend: 'folder'; dir: string } | { backend: 's3'; url: string };

const FORMS = 'local, folder:PATH or s3://bucket/prefix?endpoint=URL';

/** Parses a --store value (undefined or '' = local in `cacheDir`). Throws UsageError on a bad value. */
export function parseStoreLocation(value: string | undefined, cacheDir: string): StoreLocation {
  const v = (value ?? '').trim();
  if (v === '' || v === 'local') return { backend: 'local', dir: resolve(cacheDir) };
  if (v.startsWith('local:')) return { backend: 'local', dir: resolve(v.slice('local:'.length) || cacheDir) };
  if (v.startsWith('folder:')) {
    const dir = v.slice('folder:'.length);
    if (!dir) throw UsageError.one('--store folder: needs a path', 'e.g. --store folder:/mnt/shared/mlx-store', { file: `--store ${v}` });
    return { backend: 'folder', dir: resolve(dir) };
  }
  if (v.startsWith('s3://')) return { backend: 's3', url: v };
  throw UsageError.one(`--store ${v}: not a store location`, `use ${FORMS}`, { file: `--store ${v}` });
}

/** A short name for messages (never credentials: those come from the environment only). */
export function describeStore(loc: StoreLocation): string {
  return loc.backend === 's3' ? loc.url.split('?')[0] : loc.backend === 'folder' ? `folder:${loc.dir}` : loc.dir;
}

/** Opens the store at `loc` (creating a local or folder store when absent). */
export async function openStore(loc: StoreLocation, opts: OpenOptions = {}): Promise<Store> {
  if (loc.backend === 'local') return openLocalStore(loc.dir, opts);
  if (loc.backend === 'folder') return openSharedFolderStore(loc.dir);
  const { openS3Store, parseS3Url } = await import('./s3-store.js');
  return openS3Store(parseS3Url(loc.url));
}

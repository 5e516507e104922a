/**
 * The Store contract (store-contract.ts) run against every backend this repository has: the
 * local SQLite + blob folder (default inline limit, and with every blob a file) and the shared
 * folder. The fault injectors below are the only backend-specific code: they damage files the
 * way a killed writer or a bad disk would.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactCache, openLocalStore } from '../../src/cache/store.js';
import { encodeEntry, openSharedFolderStore, SharedFolderArtifacts } from '../../src/cache/shared-folder.js';
import type { Store } from '../../src/cache/store-api.js';
import { encodeSafetensors } from '../../src/tensor/safetensors.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { keyOf, largeInput, smallInput, storeContract } from './store-contract.js';

const made: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mlxi-store-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function flipFileByte(path: string): void {
  const buf = readFileSync(path);
  const at = buf.length - 3; // inside the arrays, past the header
  buf[at] ^= 0x40;
  writeFileSync(path, buf);
}

const TSX = pathToFileURL(join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Runs test/cache/begin-and-exit.ts: a process that begins a run and exits without finishing it. */
async function beginInDeadProcess(backend: 'local' | 'folder', location: string, id: string): Promise<void> {
  const r = spawnSync(process.execPath, ['--import', TSX, join(PACKAGE_ROOT, 'test', 'cache', 'begin-and-exit.ts'), backend, location, id], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`begin-and-exit failed: ${r.stderr}`);
}

/** A second handle on a local store's files (the injectors touch them directly, as a crash would). */
function withLocal<T>(s: Store, fn: (c: ArtifactCache) => T): T {
  const c = ArtifactCache.open(s.location);
  try {
    return fn(c);
  } finally {
    c.close();
  }
}
const localBlobPath = (c: ArtifactCache, key: string) => join(c.blobDir, key.slice(0, 2), `${key}.safetensors`);

for (const inlineMaxBytes of [undefined, 0]) {
  storeContract(
    inlineMaxBytes === undefined ? 'local (SQLite + blob folder)' : 'local (every blob a file)',
    () => openLocalStore(tempDir(), { inlineMaxBytes }),
    {
      reopen: (dir) => openLocalStore(dir, { inlineMaxBytes }),
      beginInDeadProcess: (dir, id) => beginInDeadProcess('local', dir, id),
      killWriter(s, key, input, stage) {
        withLocal(s, (c) => {
          const final = localBlobPath(c, key);
          mkdirSync(join(c.blobDir, key.slice(0, 2)), { recursive: true });
          writeFileSync(stage === 'blob-temp' ? `${final}.${process.pid}.0badf00d.tmp` : final, encodeSafetensors(input.tensors));
        });
      },
      flipBlobByte(s, key) {
        withLocal(s, (c) => {
          const rec = c.lookup(key)!;
          if (!rec.inline) return flipFileByte(localBlobPath(c, key));
          const blob = c.db.prepare('SELECT blob FROM artifacts WHERE key = ?').pluck().get(key) as Buffer;
          blob[blob.length - 3] ^= 0x40;
          c.db.prepare('UPDATE artifacts SET blob = ? WHERE key = ?').run(blob, key);
        });
      },
    },
  );
}

/** A second handle on a shared folder's files. */
const shared = (s: Store) => new SharedFolderArtifacts(s.location);

storeContract('shared folder', () => openSharedFolderStore(tempDir()), {
  reopen: (dir) => openSharedFolderStore(dir),
  beginInDeadProcess: (dir, id) => beginInDeadProcess('folder', dir, id),
  killWriter(s, key, input, stage) {
    const { blob, blobSha } = encodeEntry(key, input);
    const final = shared(s).blobPath(blobSha);
    mkdirSync(join(shared(s).blobDir, blobSha.slice(0, 2)), { recursive: true });
    writeFileSync(stage === 'blob-temp' ? `${final}.${process.pid}.0badf00d.tmp` : final, blob);
  },
  flipBlobByte(s, key) {
    const { blobSha } = JSON.parse(readFileSync(shared(s).indexPath(key), 'utf8'));
    flipFileByte(shared(s).blobPath(blobSha));
  },
});

describe('shared folder layout', () => {
  it('blobs are named by the sha256 of their bytes under blobs/ab/, one index file per key, no temp files left', async () => {
    const dir = tempDir();
    const s = openSharedFolderStore(dir);
    const key = keyOf('layout');
    await s.artifacts.store(key, largeInput());
    (await s.artifacts.store(key, largeInput())); // again: same blob, same index file
    await s.artifacts.store(keyOf('layout 2'), smallInput());
    const { blob, blobSha } = encodeEntry(key, largeInput());
    const sub = join(dir, 'blobs', blobSha.slice(0, 2));
    expect(readdirSync(sub)).toContain(`${blobSha}.safetensors`);
    expect(readFileSync(join(sub, `${blobSha}.safetensors`)).equals(blob)).toBe(true);
    expect(readdirSync(join(dir, 'index')).sort()).toEqual([`${key}.json`, `${keyOf('layout 2')}.json`].sort());
    const all = readdirSync(join(dir, 'blobs'), { recursive: true }) as string[];
    expect(all.filter((f) => f.endsWith('.safetensors'))).toHaveLength(2);
    expect(all.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await s.runs.begin({ id: 'r1', startedAt: 1, specPath: '/x', specName: 'x', specHash: 'h', specText: 't', resolved: {}, seed: 1, packageVersion: '0' });
    await s.runs.recordNode('r1', { id: 'fetch#0', step: 'fetch', status: 'ran', ms: 1 });
    await s.runs.finish('r1', 'ok', {});
    expect(readdirSync(join(dir, 'runs', 'r1')).sort()).toEqual(['finish.json', 'nodes', 'run.json']);
    expect(readdirSync(join(dir, 'runs', 'r1', 'nodes'))).toEqual(['fetch%230.json']);
  });

  it('an edited index file (meta changed) is refused on lookup and removed', async () => {
    const dir = tempDir();
    const s = openSharedFolderStore(dir);
    const key = keyOf('edited');
    await s.artifacts.store(key, smallInput());
    const path = shared(s).indexPath(key);
    const e = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...e, metaText: JSON.stringify({ ...smallInput().meta, seed: 99 }) }));
    await expect(s.artifacts.lookup(key)).rejects.toThrow(/metadata does not match its checksum/);
    expect(await s.artifacts.lookup(key)).toBeUndefined();
  });

  it('collectOrphans removes old leftovers of killed writers (temp files, unnamed blobs) and nothing live or young', async () => {
    const dir = tempDir();
    const s = openSharedFolderStore(dir);
    const backend = { blob: (key: string, seed: number) => encodeEntry(key, largeInput(seed)) };
    const live = keyOf('live');
    await s.artifacts.store(live, largeInput(1));
    const liveBlob = shared(s).blobPath(backend.blob(live, 1).blobSha);
    // Leftovers: a blob no index names, a blob temp file, an index temp file; and a young unnamed blob.
    const orphan = backend.blob(keyOf('orphan'), 2);
    const young = backend.blob(keyOf('young'), 3);
    const put = (sha: string, data: Buffer, suffix = '') => {
      mkdirSync(join(dir, 'blobs', sha.slice(0, 2)), { recursive: true });
      const path = shared(s).blobPath(sha) + suffix;
      writeFileSync(path, data);
      return path;
    };
    const old = [put(orphan.blobSha, orphan.blob), put(orphan.blobSha, orphan.blob, '.123.abcd.tmp'), `${shared(s).indexPath(keyOf('x'))}.123.abcd.tmp`];
    writeFileSync(old[2], '{');
    const youngPath = put(young.blobSha, young.blob);
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    for (const p of [...old, liveBlob, shared(s).indexPath(live)]) utimesSync(p, twoHoursAgo, twoHoursAgo);
    const freed = shared(s).collectOrphans();
    expect(freed).toEqual({ files: 3, bytes: orphan.blob.length * 2 + 1 });
    for (const p of old) expect(existsSync(p), p).toBe(false);
    expect(existsSync(youngPath)).toBe(true);
    expectSameBytes((await s.artifacts.load(live))!.tensors.x.data, largeInput(1).tensors.x.data); // old but named: kept

    // A store that finds its blob already there renews its mtime: a collection running between
    // that store's blob check and its index write (another machine) then sees a young file.
    const again = keyOf('orphan');
    put(orphan.blobSha, orphan.blob);
    utimesSync(shared(s).blobPath(orphan.blobSha), twoHoursAgo, twoHoursAgo);
    const before = Date.now();
    await s.artifacts.store(again, largeInput(2));
    expect(statSync(shared(s).blobPath(orphan.blobSha)).mtimeMs).toBeGreaterThanOrEqual(before - 1000);
    expect(shared(s).collectOrphans()).toEqual({ files: 0, bytes: 0 });
    expect(await s.artifacts.load(again)).toBeDefined();
  });
});

function expectSameBytes(a: ArrayBufferView, b: ArrayBufferView): void {
  expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);
}

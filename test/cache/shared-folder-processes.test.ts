/**
 * Several processes ("machines") write one shared folder at once, the same keys included:
 * afterwards every entry loads and verifies, no temp file is left, and the run has every node.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSharedFolderStore } from '../../src/cache/shared-folder.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { keyOf, largeInput, smallInput } from './fixtures.js';

const TSX = pathToFileURL(join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

function worker(dir: string, n: number, keys: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, ['--import', TSX, join(PACKAGE_ROOT, 'test', 'cache', 'shared-writer.ts'), dir, String(n), String(keys)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ code, stderr }));
  });
}

describe('shared folder: concurrent writer processes', () => {
  it('4 processes storing the same 12 keys at once (3 rounds each): every entry verifies, no temp files, all 48 nodes recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlxi-shared-'));
    try {
      const s = openSharedFolderStore(dir);
      await s.runs.begin({ id: 'sweep-run', startedAt: Date.now(), specPath: '/x.yaml', specName: 'x', specHash: 'h', specText: 'name: x', resolved: {}, seed: 1, packageVersion: '0' });
      const keys = 12;
      const running = [0, 1, 2, 3].map((n) => worker(dir, n, keys));
      const started = Date.now();
      while (![0, 1, 2, 3].every((n) => existsSync(join(dir, `ready-${n}`))) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 10));
      writeFileSync(join(dir, 'go'), '');
      const done = await Promise.all(running);
      for (const d of done) expect(d, d.stderr).toMatchObject({ code: 0 });
      for (let k = 0; k < keys; k++) {
        const input = k % 2 ? largeInput(k) : smallInput(k);
        const loaded = (await s.artifacts.load(keyOf(`sweep node ${k}`)))!;
        expect(loaded.record.meta).toEqual(input.meta);
        for (const [name, t] of Object.entries(input.tensors)) {
          expect(Buffer.from(loaded.tensors[name].data.buffer, loaded.tensors[name].data.byteOffset, loaded.tensors[name].data.byteLength).equals(Buffer.from(t.data.buffer))).toBe(true);
        }
      }
      const files = readdirSync(dir, { recursive: true }) as string[];
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(files.filter((f) => f.endsWith('.safetensors'))).toHaveLength(keys); // same key, same bytes, one blob
      const rec = (await s.runs.get('sweep-run'))!;
      expect(rec.nodes).toHaveLength(4 * keys);
      await s.runs.finish('sweep-run', 'ok', {});
      expect((await s.runs.list())[0]).toMatchObject({ id: 'sweep-run', status: 'ok', nodes: 4 * keys, hits: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

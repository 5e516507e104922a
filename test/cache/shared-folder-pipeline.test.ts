/**
 * The shared-folder store under the real runner: the toy sweep (test/runner/toy-kinds.ts) run
 * on a shared folder gives the same node keys and metrics as on the local store, and a second
 * store instance on the folder ("another machine") finds every node cached.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSweep } from '../../src/spec/sweep.js';
import { runSweep } from '../../src/run-sweep.js';
import { openLocalStore } from '../../src/cache/store.js';
import { openSharedFolderStore } from '../../src/cache/shared-folder.js';
import type { Store } from '../../src/cache/store-api.js';
import { calls, TOY_SPEC, toyKinds } from '../runner/toy-kinds.js';

const SWEEP = TOY_SPEC(4, `sweep:\n  grid:\n    epochs: [1, 2, 3]\n`);

async function sweepOn(store: Store) {
  const out = await runSweep(parseSweep(SWEEP, '/tmp/sweep.yaml'), { cacheDir: '/nonexistent', store, modelsDir: '/tmp', kinds: toyKinds(), concurrency: 2 });
  const recs = await store.runs.sweep(out.sweepId);
  const keys = recs.map((r) => Object.fromEntries(r.nodes!.map((n) => [n.node, n.key])));
  return { out, recs, keys, metrics: out.points.map((p) => p.metrics) };
}

beforeEach(() => {
  calls.length = 0;
});

describe('shared folder under the runner', () => {
  it('a sweep gives the local store\'s keys and metrics; another instance on the folder hits every node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlxi-shared-run-'));
    try {
      const local = openLocalStore(join(dir, 'local'));
      const onLocal = await sweepOn(local);
      local.close();
      calls.length = 0;

      const machineA = openSharedFolderStore(join(dir, 'shared'));
      const onShared = await sweepOn(machineA);
      expect(onShared.out.status).toBe('ok');
      expect(calls.filter((c) => c === 'train')).toHaveLength(3);
      expect(Object.values(onLocal.keys[0])).toHaveLength(7);
      expect(onLocal.keys.flatMap((k) => Object.values(k)).every((k) => /^[0-9a-f]{64}$/.test(k ?? ''))).toBe(true);
      expect(onShared.keys).toEqual(onLocal.keys);
      expect(onShared.metrics).toEqual(onLocal.metrics);
      expect(onShared.recs.every((r) => r.status === 'ok' && r.nodes!.every((n) => n.status === 'ran' || n.status === 'hit'))).toBe(true);

      calls.length = 0;
      const machineB = openSharedFolderStore(join(dir, 'shared'));
      const again = await sweepOn(machineB);
      expect(calls).toEqual([]); // everything came from the folder
      expect(again.metrics).toEqual(onLocal.metrics);
      expect(again.recs.flatMap((r) => r.nodes!).every((n) => n.hit)).toBe(true);
      // Both sweeps' records are visible from either machine.
      expect((await machineA.runs.list()).length).toBe(6);
      expect((await machineA.runs.sweep(again.out.sweepId)).map((r) => r.id)).toEqual(again.recs.map((r) => r.id));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

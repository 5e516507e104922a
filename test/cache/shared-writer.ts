/**
 * A worker process for test/cache/shared-folder-processes.test.ts: opens the shared folder in
 * argv[2] and, as worker argv[3], stores every key of the sweep (all workers store the same
 * keys, as redelivered jobs would) and records its nodes into the shared run.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSharedFolderStore } from '../../src/cache/shared-folder.js';
import { keyOf, largeInput, smallInput } from './fixtures.js';

const [dir, worker, keys] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const s = openSharedFolderStore(dir);
// Start together: announce readiness, wait for the test's go (so the writes really overlap).
writeFileSync(join(dir, `ready-${worker}`), '');
const nap = new Int32Array(new SharedArrayBuffer(4));
while (!existsSync(join(dir, 'go'))) Atomics.wait(nap, 0, 0, 2);
for (let i = 0; i < 3 * keys; i++) {
  const k = (i + worker) % keys; // each worker starts elsewhere and goes round 3 times, so writes of one key overlap
  const key = keyOf(`sweep node ${k}`);
  s.artifacts.store(key, k % 2 ? largeInput(k) : smallInput(k));
  const back = s.artifacts.load(key);
  if (!back) throw new Error(`worker ${worker}: ${key} missing right after its store`);
  s.runs.recordNode('sweep-run', { id: `node${k}@w${worker}`, step: 'sample', batch: k, status: 'ran', ms: 1, key });
}
s.close();

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { computeIndicators } from '../../src/indicators/index.js';
import { repoRoot, synthPanel } from './fixtures.js';

// The compiled package runs its worker from dist/indicators/worker.js (no tsx). `npm test`
// builds dist/ first (src/setup/ensure-env.sh); a bare `vitest run` without a build skips this.
const DIST = join(repoRoot, 'dist', 'indicators', 'index.js');

describe.skipIf(!existsSync(DIST))('compiled indicators (dist/) with worker threads', () => {
  it('computeIndicatorsParallel from dist/ equals the synchronous engine bit for bit', async () => {
    const dist = await import(pathToFileURL(DIST).href);
    const p = synthPanel({ N: 6, days: 2, seed: 5, halfDays: [1] });
    const ref = computeIndicators(p);
    const par = await dist.computeIndicatorsParallel(p, { threads: 2, minCellsPerThread: 1 });
    expect(par.values.buffer).toBeInstanceOf(SharedArrayBuffer); // it really went through a worker
    const a = new Uint32Array(ref.values.buffer, ref.values.byteOffset, ref.values.length);
    const b = new Uint32Array(par.values.buffer, par.values.byteOffset, par.values.length);
    let diff = -1;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) { diff = i; break; }
    expect(diff).toBe(-1);
    await dist.shutdownIndicatorWorkers();
  });
});

import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { tempDir } from './helpers.js';

const REAL = resolve(PACKAGE_ROOT, '..', 'shared', 'data', 'real-1min');

describe.skipIf(!existsSync(REAL))('folder data: the fingerprint decides what recomputes', () => {
  it('re-reads files each run; downstream recomputes only when a bar changed', async () => {
    const dir = tempDir();
    const bars = join(dir, 'bars');
    mkdirSync(bars);
    for (const t of ['AAPL', 'MSFT']) copyFileSync(join(REAL, `${t}.csv`), join(bars, `${t}.csv`));
    const specPath = join(dir, 'spec.yaml');
    writeFileSync(
      specPath,
      `name: real
universe: {tickers: [AAPL, MSFT]}
data: {provider: folder, end: 2026-03-20, folder: {path: bars}}
params: {days: 5, sample_interval: 30, min_samples: 10}
steps:
  bars: {kind: fetch}
  indicators: {kind: indicators, inputs: [bars], params: {names: [AVWAP_SESSION, EMA_9, RSI_14]}}
  samples: {kind: sample, inputs: [indicators, bars]}
`,
    );
    const opts = { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models') };
    const status = async () => Object.fromEntries([...(await runPipeline(loadSpec(specPath), opts)).results.values()].map((r) => [r.step, r.status]));

    expect(await status()).toEqual({ bars: 'ran', indicators: 'ran', samples: 'ran' });
    // Unchanged files: fetch re-reads them, everything below is a hit.
    expect(await status()).toEqual({ bars: 'ran', indicators: 'hit', samples: 'hit' });
    // A corrected bar on 2026-03-18: downstream recomputes.
    const file = join(bars, 'MSFT.csv');
    const lines = readFileSync(file, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('2026-03-18T15:00:00Z'));
    const cols = lines[i].split(',');
    cols[4] = (Number(cols[4]) + 0.01).toFixed(4); // close up a cent; raise high if needed to stay valid
    cols[2] = Math.max(Number(cols[2]), Number(cols[4])).toFixed(4);
    lines[i] = cols.join(',');
    writeFileSync(file, lines.join('\n'));
    expect(await status()).toEqual({ bars: 'ran', indicators: 'ran', samples: 'ran' });
    expect(await status()).toEqual({ bars: 'ran', indicators: 'hit', samples: 'hit' });
  });
});

/**
 * Folder provider with the artifact cache: an unchanged file is not read again; a file whose
 * size, mtime or content changed is; a file changed moments ago is not trusted to the cache.
 */
import { asyncArtifacts } from '../../src/cache/store-api.js';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ArtifactCache } from '../../src/cache/store.js';
import { sessionsEnding } from '../../src/data/calendar.js';
import { fingerprintPanel } from '../../src/data/fingerprint.js';
import type { SessionInfo } from '../../src/data/panel.js';
import { FolderProvider } from '../../src/data/providers/folder.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { tempDir } from '../runner/helpers.js';

const HEADER = 'timestamp,open,high,low,close,volume';
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
/** Sets a file's mtime well in the past (outside the racy window), keeping its bytes. */
const age = (file: string, secondsAgo = 600) => {
  const t = Math.floor(Date.now() / 1000) - secondsAgo; // whole seconds: restorable exactly, to the ns
  utimesSync(file, t, t);
};

describe('folder provider: skipping unchanged files through the cache', () => {
  const sessions = sessionsEnding('2026-10-30', 2);
  let dir: string;
  let file: string;
  let cache: ArtifactCache;

  async function fetchWith(s: SessionInfo[] = sessions) {
    const provider = new FolderProvider({ path: dir }, { cache: asyncArtifacts(cache) });
    const warnings: string[] = [];
    const panel = await provider.fetch({ tickers: ['AAA'], sessions: s, onWarning: (w) => warnings.push(w) });
    return { stats: { ...provider.stats }, fingerprint: fingerprintPanel(panel), warnings, panel };
  }

  beforeEach(async () => {
    dir = tempDir('folder-cache-');
    file = join(dir, 'AAA.csv');
    const p = await new SyntheticProvider(5).fetch({ tickers: ['AAA'], sessions });
    const lines = [HEADER];
    for (let t = 0; t < p.T; t++) lines.push([iso(p.time[t]), p.open[t].toFixed(4), p.high[t].toFixed(4), p.low[t].toFixed(4), p.close[t].toFixed(4), p.volume[t]].join(','));
    lines.push(lines[10]); // a duplicate, so there is a warning to replay
    writeFileSync(file, lines.join('\n') + '\n');
    age(file);
    cache = ArtifactCache.open(join(dir, 'cache'));
    return () => cache.close();
  });

  it('a rerun on an unchanged file does not read it, and gives the same panel and warnings', async () => {
    const first = await fetchWith();
    expect(first.stats).toEqual({ filesRead: 1, cacheHits: 0 });
    expect(first.warnings.join('\n')).toMatch(/AAA: 1 duplicate timestamp/);
    const again = await fetchWith();
    expect(again.stats).toEqual({ filesRead: 0, cacheHits: 1 });
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(again.warnings).toEqual(first.warnings);
    const entries = cache.list().filter((e) => e.step === '(folder file)');
    expect(entries).toHaveLength(1);
    expect(entries[0].meta).toMatchObject({ file, size: String(statSync(file).size) });
    // Another session grid is another result: read again.
    expect((await fetchWith(sessionsEnding('2026-10-30', 1))).stats).toEqual({ filesRead: 1, cacheHits: 0 });
  });

  it('re-reads a file whose content changed with the same size and its old mtime put back', async () => {
    const first = await fetchWith();
    const { atime, mtime } = statSync(file);
    const mtimeNs = statSync(file, { bigint: true }).mtimeNs;
    const text = readFileSync(file, 'utf8');
    const row = text.split('\n')[2]; // the second bar
    const cols = row.split(',');
    // Same length, another volume digit, old mtime to the ns: only ctime (moved by every write) tells.
    cols[5] = cols[5].slice(0, -1) + String((Number(cols[5].slice(-1)) + 1) % 10);
    writeFileSync(file, text.replace(row, cols.join(',')));
    utimesSync(file, atime, mtime);
    expect(statSync(file).size).toBe(text.length);
    expect(statSync(file, { bigint: true }).mtimeNs).toBe(mtimeNs);
    const after = await fetchWith();
    expect(after.stats).toEqual({ filesRead: 1, cacheHits: 0 });
    expect(after.fingerprint).not.toBe(first.fingerprint);
    expect(after.panel.volume[1]).toBe(Number(cols[5]));
  });

  it('re-reads a touched file, and caches it only once its mtime is out of the racy window', async () => {
    await fetchWith();
    const now = Date.now() / 1000;
    utimesSync(file, now, now); // touch: same bytes, new mtime
    expect((await fetchWith()).stats).toEqual({ filesRead: 1, cacheHits: 0 });
    // Modified just now: a second write within the same mtime tick could go unseen, so not stored.
    expect((await fetchWith()).stats).toEqual({ filesRead: 1, cacheHits: 0 });
    age(file, 60);
    expect((await fetchWith()).stats).toEqual({ filesRead: 1, cacheHits: 0 });
    expect((await fetchWith()).stats).toEqual({ filesRead: 0, cacheHits: 1 });
  });

  it('a grown file is read again; an entry removed from the cache just means a read', async () => {
    await fetchWith();
    writeFileSync(file, readFileSync(file, 'utf8') + readFileSync(file, 'utf8').split('\n')[3] + '\n');
    age(file, 120);
    expect((await fetchWith()).stats).toEqual({ filesRead: 1, cacheHits: 0 });
    for (const e of cache.list()) cache.remove(e.key);
    expect((await fetchWith()).stats).toEqual({ filesRead: 1, cacheHits: 0 });
    expect((await fetchWith()).stats).toEqual({ filesRead: 0, cacheHits: 1 });
  });

  it('without a cache every fetch reads the file', async () => {
    const provider = new FolderProvider({ path: dir });
    await provider.fetch({ tickers: ['AAA'], sessions });
    await provider.fetch({ tickers: ['AAA'], sessions });
    expect(provider.stats).toEqual({ filesRead: 2, cacheHits: 0 });
  });
});

const REAL = resolve(PACKAGE_ROOT, '..', 'shared', 'data', 'real-1min');

describe.skipIf(!existsSync(REAL))('fetch step: the run cache serves unchanged folder files', () => {
  it('stores each file once, and the rerun takes the files from the cache (same data, downstream hits)', async () => {
    const dir = tempDir();
    const bars = join(dir, 'bars');
    mkdirSync(bars);
    for (const t of ['AAPL', 'MSFT']) {
      copyFileSync(join(REAL, `${t}.csv`), join(bars, `${t}.csv`));
      age(join(bars, `${t}.csv`));
    }
    const specPath = join(dir, 'spec.yaml');
    writeFileSync(
      specPath,
      `name: real
universe: {tickers: [AAPL, MSFT]}
data: {provider: folder, end: 2026-03-20, folder: {path: bars}}
params: {days: 5}
steps:
  bars: {kind: fetch}
  indicators: {kind: indicators, inputs: [bars], params: {names: [EMA_9]}}
`,
    );
    const opts = { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models') };
    const fileEntries = () => {
      const c = ArtifactCache.open(opts.cacheDir);
      try {
        return c.list().filter((e) => e.step === '(folder file)').map((e) => ({ file: e.meta.file, used: e.lastUsedAt }));
      } finally {
        c.close();
      }
    };
    const run = async () => Object.fromEntries([...(await runPipeline(loadSpec(specPath), opts)).results.values()].map((r) => [r.step, r.status]));
    expect(await run()).toEqual({ bars: 'ran', indicators: 'ran' });
    const stored = fileEntries();
    expect(stored.map((e) => e.file).sort()).toEqual([join(bars, 'AAPL.csv'), join(bars, 'MSFT.csv')]);
    await new Promise((r) => setTimeout(r, 5));
    expect(await run()).toEqual({ bars: 'ran', indicators: 'hit' });
    const used = fileEntries();
    // Served from the cache: both entries were loaded (touched) by the rerun, none added.
    expect(used).toHaveLength(2);
    for (const e of used) expect(e.used).toBeGreaterThan(stored.find((s) => s.file === e.file)!.used);
  }, 60_000);
});

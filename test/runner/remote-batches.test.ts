import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionsEnding } from '../../src/data/calendar.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { loadSpec } from '../../src/spec/index.js';
import { runPipeline } from '../../src/run.js';
import { ArtifactCache } from '../../src/cache/store.js';
import { tempDir } from './helpers.js';

// A loopback server in the shape of Alpaca's /v2/stocks/bars, serving synthetic bars.
const TICKERS = ['AAA', 'BBB', 'CCC', 'DDD'];
const sessions = sessionsEnding('2026-10-30', 2);
const truth = await new SyntheticProvider(7).fetch({ tickers: TICKERS, sessions });
let requests: string[] = [];
let failing = new Set<string>();
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const symbols = url.searchParams.get('symbols')!.split(',');
    requests.push(symbols.join(','));
    if (symbols.some((s) => failing.has(s))) {
      res.writeHead(500, { 'content-type': 'application/json' });
      return res.end('{"message":"internal error"}');
    }
    const bars: Record<string, unknown[]> = {};
    for (const s of symbols) {
      const n = TICKERS.indexOf(s);
      bars[s] = [];
      for (let t = 0; t < truth.T; t++) {
        const i = t * truth.N + n;
        if (!truth.mask[i]) continue;
        bars[s].push({ t: new Date(truth.time[t]).toISOString(), o: truth.open[i], h: truth.high[i], l: truth.low[i], c: truth.close[i], v: truth.volume[i] });
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ bars, next_page_token: null }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function specFile(dir: string): string {
  const p = join(dir, 'spec.yaml');
  writeFileSync(
    p,
    `name: remote
batch_size: 2
universe: {tickers: [${TICKERS.join(', ')}]}
data: {provider: alpaca, end: 2026-10-30, alpaca: {base_url: "${base}", retries: 0, timeout_ms: 5000}}
params: {days: 2, sample_interval: 30, min_samples: 10}
steps:
  precheck: {kind: precheck}
  bars: {kind: fetch, inputs: [precheck]}
  indicators: {kind: indicators, inputs: [bars], params: {names: [EMA_9]}}
`,
  );
  return p;
}

const env = { ALPACA_API_KEY_ID: 'test-id', ALPACA_API_SECRET_KEY: 'test-secret' };

describe('remote providers: each batch downloaded once, kept as soon as it arrives', () => {
  it('precheck and fetch share one download per batch; a warm run downloads nothing; --refresh downloads again', async () => {
    const dir = tempDir();
    const opts = { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), env };
    requests = [];
    failing = new Set();
    const cold = await runPipeline(loadSpec(specFile(dir)), opts);
    expect(cold.status).toBe('ok');
    expect(requests.sort()).toEqual(['AAA,BBB', 'CCC,DDD']);
    requests = [];
    expect((await runPipeline(loadSpec(specFile(dir)), opts)).status).toBe('ok');
    expect(requests).toEqual([]);
    requests = [];
    const refreshed = await runPipeline(loadSpec(specFile(dir)), { ...opts, refresh: ['bars'] });
    expect(requests.sort()).toEqual(['AAA,BBB', 'CCC,DDD']);
    // Same bars again: everything below the fetch stays cached.
    expect(refreshed.results.get('indicators[1/2]')!.status).toBe('hit');
    // The API key never reaches the cache.
    const cache = ArtifactCache.open(opts.cacheDir);
    for (const r of cache.list()) expect(JSON.stringify(r)).not.toContain('test-secret');
    cache.close();
  });

  it('a download failing halfway keeps the batches fetched before it', async () => {
    const dir = tempDir();
    const opts = { cacheDir: join(dir, 'cache'), modelsDir: join(dir, 'models'), env };
    requests = [];
    failing = new Set(['CCC']);
    const failed = await runPipeline(loadSpec(specFile(dir)), opts);
    expect(failed.status).toBe('failed');
    expect(failed.results.get('precheck')!.error).toMatch(/500|internal error/);
    // The API recovers: only the batch that failed is downloaded.
    requests = [];
    failing = new Set();
    expect((await runPipeline(loadSpec(specFile(dir)), opts)).status).toBe('ok');
    expect(requests).toEqual(['CCC,DDD']);
  });
});

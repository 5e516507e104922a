/**
 * Secret scanning: real pipelines through the CLI against loopback Alpaca/Polygon look-alikes,
 * with recognizable fake keys, through success, pagination, retry, error (bodies and reason
 * phrases echoing the key), redirect and foreign next_url paths, with and without --json. Then
 * every byte the runs left behind — stdout, stderr, every file of the cache (SQLite db, WAL,
 * blobs) and of the models folder — is searched for the key values.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionsEnding } from '../../src/data/calendar.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { runCli, runEnd, type CliResult } from '../runner/cli.js';
import { tempDir } from '../runner/helpers.js';

const POLYGON_KEY = 'PKSECRET123fake456';
const ALPACA_KEY_ID = 'AKIDSECRET789fake';
const ALPACA_SECRET = 'SKSECRET321fakesecretvalue';
const KEYS = [POLYGON_KEY, ALPACA_KEY_ID, ALPACA_SECRET];
const env = { POLYGON_API_KEY: POLYGON_KEY, ALPACA_API_KEY_ID: ALPACA_KEY_ID, ALPACA_API_SECRET_KEY: ALPACA_SECRET };

const TICKERS = ['AAA', 'BBB'];
const END = '2026-10-30';
const DAYS = 3;
const POLYGON_PAGE = 300;
const ALPACA_PAGE = 500;

interface Bar {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}
const barsOf = new Map<string, Bar[]>();

let server: Server;
let base = '';
let foreign: Server;
let foreignBase = '';
/** Every request that reached the foreign origin (must stay free of credentials). */
const foreignRequests: { url: string; headers: IncomingMessage['headers'] }[] = [];
/** Requests per scenario prefix (proves each path was really exercised). */
const seen = new Map<string, string[]>();
let retriesLeft = 0;
/** An origin nobody listens on (a port just released). */
let closedOrigin = '';

function json(res: ServerResponse, status: number, body: unknown, reason?: string) {
  if (reason) res.writeHead(status, reason, { 'content-type': 'application/json' });
  else res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function redirect(res: ServerResponse, location: string) {
  res.writeHead(302, { location });
  res.end();
}

/**
 * One server for both APIs. The first path segment picks the scenario, so each spec's base_url
 * (`http://127.0.0.1:PORT/<scenario>`) selects how the server misbehaves.
 */
function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url!, base);
  const [, scenario, ...rest] = url.pathname.split('/');
  const path = `/${rest.join('/')}`;
  const full = `${base}${req.url}`;
  (seen.get(scenario) ?? seen.set(scenario, []).get(scenario)!).push(path);
  const alpacaAuthed = req.headers['apca-api-key-id'] === ALPACA_KEY_ID && req.headers['apca-api-secret-key'] === ALPACA_SECRET;
  const polygonAuthed = url.searchParams.get('apiKey') === POLYGON_KEY;

  switch (scenario) {
    case 'echo':
      // The server echoes everything it got: the URL with apiKey, the key headers, in the body and the reason phrase.
      if (path.startsWith('/v2/aggs/')) return json(res, 200, { status: 'ERROR', request_id: 'e1', error: `bad request: GET ${full}` });
      return json(res, 403, { message: `forbidden: APCA-API-KEY-ID=${req.headers['apca-api-key-id']} APCA-API-SECRET-KEY=${req.headers['apca-api-secret-key']}` }, `Forbidden for ${req.headers['apca-api-key-id']}`);
    case 'echo400':
      return json(res, 400, { status: 'ERROR', message: `key ${url.searchParams.get('apiKey') ?? req.headers['apca-api-secret-key']} cannot GET ${full}` });
    case 'flaky':
      // Retried failures whose bodies echo the key: they show up as warnings, then the run succeeds.
      if (retriesLeft > 0) {
        retriesLeft--;
        return json(res, 503, { message: `unavailable for ${full} ${req.headers['apca-api-secret-key'] ?? ''}` });
      }
      break;
    case 'away':
      return redirect(res, `${foreignBase}${path}${url.search}`);
    case 'moved':
      return redirect(res, `/ok${path}${url.search}`);
  }
  if (path === '/v2/stocks/bars') {
    if (!alpacaAuthed) return json(res, 401, { message: 'unauthorized.' });
    const symbols = url.searchParams.get('symbols')!.split(',');
    const start = Date.parse(url.searchParams.get('start')!);
    const end = Date.parse(url.searchParams.get('end')!);
    const all = symbols.flatMap((s) => (barsOf.get(s) ?? []).filter((b) => b.t >= start && b.t <= end).map((b) => [s, b] as const));
    const offset = Number(url.searchParams.get('page_token') ?? 0);
    const out: Record<string, unknown[]> = {};
    for (const [s, b] of all.slice(offset, offset + ALPACA_PAGE)) (out[s] ??= []).push({ t: new Date(b.t).toISOString(), o: b.o, h: b.h, l: b.l, c: b.c, v: b.v });
    return json(res, 200, { bars: out, next_page_token: offset + ALPACA_PAGE < all.length ? String(offset + ALPACA_PAGE) : null });
  }
  const m = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/1\/minute\/(\d{4}-\d{2}-\d{2})\/(\d{4}-\d{2}-\d{2})$/.exec(path);
  if (m) {
    if (!polygonAuthed) return json(res, 401, { status: 'ERROR', error: 'Unknown API Key' });
    const from = Date.parse(m[2]);
    const to = Date.parse(m[3]) + 86_400_000;
    const bars = (barsOf.get(decodeURIComponent(m[1])) ?? []).filter((b) => b.t >= from && b.t < to);
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const page = bars.slice(cursor, cursor + POLYGON_PAGE);
    const body: Record<string, unknown> = { status: 'OK', resultsCount: page.length, results: page };
    // next_url as Polygon writes it: absolute, on the API's origin (or, for `foreign`, someone else's).
    const nextOrigin = scenario === 'foreign' ? foreignBase : base;
    if (cursor + POLYGON_PAGE < bars.length) body.next_url = `${nextOrigin}/${scenario}${path}?cursor=${cursor + POLYGON_PAGE}`;
    return json(res, 200, body);
  }
  json(res, 404, { message: 'not found' });
}

/** Answers like a working API, so a client that hands it a credential would carry on. */
function handleForeign(req: IncomingMessage, res: ServerResponse) {
  foreignRequests.push({ url: req.url!, headers: req.headers });
  if (req.url!.startsWith('/v2/stocks/bars')) return json(res, 200, { bars: {}, next_page_token: null });
  json(res, 200, { status: 'OK', results: [] });
}

const listen = async (s: Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  const sessions = sessionsEnding(END, DAYS + 2);
  const truth = await new SyntheticProvider(7).fetch({ tickers: TICKERS, sessions });
  TICKERS.forEach((t, n) => {
    const list: Bar[] = [];
    for (let r = 0; r < truth.T; r++) {
      const i = r * truth.N + n;
      if (truth.mask[i]) list.push({ t: truth.time[r], o: truth.open[i], h: truth.high[i], l: truth.low[i], c: truth.close[i], v: truth.volume[i] });
    }
    barsOf.set(t, list);
  });
  server = createServer(handle);
  base = await listen(server);
  foreign = createServer(handleForeign);
  foreignBase = await listen(foreign);
  const closed = createServer();
  closedOrigin = await listen(closed);
  await new Promise((r) => closed.close(r));
});

afterAll(async () => {
  for (const s of [server, foreign]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

const dir = tempDir('mlxi-secrets-');
const cacheDir = join(dir, 'cache');
const modelsDir = join(dir, 'models');
const outputs: { what: string; r: CliResult }[] = [];

/** A full pipeline (precheck → backtest) fetching from `provider` at base_url `<base>/<scenario>`. */
function spec(provider: 'polygon' | 'alpaca', scenario: string, withModel: boolean, origin = base): string {
  const p = join(dir, `${provider}-${scenario}-${withModel ? 'full' : 'data'}.yaml`);
  const model = withModel
    ? `  samples: {kind: sample, inputs: [indicators, bars]}
  train: {kind: train, inputs: [samples], params: {preset: small, batch_size: 64}}
  backtest: {kind: backtest, inputs: [train, bars, indicators]}
`
    : '';
  writeFileSync(
    p,
    `name: secrets-${provider}-${scenario}
seed: 1
batch_size: 50
universe: {tickers: [${TICKERS.join(', ')}]}
data: {provider: ${provider}, end: ${END}, ${provider}: {base_url: "${origin}/${scenario}", retries: 2, timeout_ms: 5000}}
params: {days: ${DAYS}, sample_interval: 15, epochs: 1, min_samples: 50}
steps:
  precheck: {kind: precheck}
  bars: {kind: fetch, inputs: [precheck]}
  indicators: {kind: indicators, inputs: [bars], params: {names: [EMA_9, RSI_14]}}
${model}`,
  );
  return p;
}

async function cli(what: string, args: string[]): Promise<CliResult> {
  const r = await runCli(['--cache-dir', cacheDir, '--models-dir', modelsDir, ...args], { env, timeoutMs: 240_000 });
  outputs.push({ what, r });
  return r;
}

function filesUnder(root: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(root, n);
    out = statSync(p).isDirectory() ? out.concat(filesUnder(p)) : out.concat(p);
  }
  return out;
}

/** Every place a key value appears (as bytes: the SQLite file is read raw). */
function leaks(): string[] {
  const found: string[] = [];
  for (const { what, r } of outputs) {
    for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
      for (const k of KEYS) if (text.includes(k)) found.push(`${what} ${stream}: ${k} … ${text.slice(Math.max(0, text.indexOf(k) - 80), text.indexOf(k) + 20)}`);
    }
  }
  for (const f of [...filesUnder(cacheDir), ...filesUnder(modelsDir)]) {
    const bytes = readFileSync(f);
    for (const k of KEYS) if (bytes.includes(Buffer.from(k))) found.push(`file ${relative(dir, f)}: ${k}`);
  }
  return found;
}

describe('no key value reaches any output, the cache, run records or models', () => {
  it('success with pagination (polygon --json, alpaca text), same-origin redirect, retries', async () => {
    const pg = await cli('polygon ok --json', ['run', spec('polygon', 'ok', true), '--json']);
    expect(pg.code, pg.stderr).toBe(0);
    expect(runEnd(pg.stdout).status).toBe('ok');
    expect(seen.get('ok')!.some((p) => p.startsWith('/v2/aggs/'))).toBe(true);

    const al = await cli('alpaca moved', ['run', spec('alpaca', 'moved', true)]);
    expect(al.code, al.stderr).toBe(0);
    // Followed from /moved to /ok on the same origin, with several pages.
    expect(seen.get('moved')!.length).toBeGreaterThan(1);

    retriesLeft = 2;
    const fl = await cli('polygon flaky --json', ['run', spec('polygon', 'flaky', false), '--json']);
    expect(fl.code, fl.stderr).toBe(0);
    expect(retriesLeft).toBe(0);
    expect(`${fl.stdout}${fl.stderr}`).toMatch(/HTTP 503/);
  });

  it('errors whose bodies and reason phrases echo the keys (text and --json)', async () => {
    for (const provider of ['polygon', 'alpaca'] as const) {
      for (const scenario of ['echo', 'echo400']) {
        for (const asJson of [false, true]) {
          const r = await cli(`${provider} ${scenario}${asJson ? ' --json' : ''}`, ['run', spec(provider, scenario, false), ...(asJson ? ['--json'] : [])]);
          expect(r.code, r.stdout + r.stderr).toBe(1);
          expect(`${r.stdout}${r.stderr}`).toMatch(/\*\*\*/); // the echoed key was there, masked
        }
      }
      const pre = await cli(`${provider} echo precheck`, ['precheck', spec(provider, 'echo', false)]);
      expect(pre.code).not.toBe(0);
      // Nobody listening: the network-error message names the URL (apiKey included, for polygon).
      const refused = await cli(`${provider} refused --json`, ['run', spec(provider, 'refused', false, closedOrigin), '--json']);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stdout).toMatch(/network error/);
    }
  });

  it('cross-origin redirect and foreign next_url fail naming the host; the foreign origin gets no credential', async () => {
    const host = new URL(foreignBase).host;
    for (const [provider, scenario] of [['alpaca', 'away'], ['polygon', 'away'], ['polygon', 'foreign']] as const) {
      for (const asJson of [false, true]) {
        const r = await cli(`${provider} ${scenario}${asJson ? ' --json' : ''}`, ['run', spec(provider, scenario, false), ...(asJson ? ['--json'] : [])]);
        expect(r.code, r.stdout + r.stderr).toBe(1);
        expect(`${r.stdout}${r.stderr}`).toContain(host);
      }
    }
    const carrying = foreignRequests.filter((q) => q.headers['apca-api-key-id'] || q.headers['apca-api-secret-key'] || /apiKey/i.test(q.url) || KEYS.some((k) => q.url.includes(k)));
    expect(carrying).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });

  it('inspection commands show nothing secret, and no file under the cache or models holds a key', async () => {
    const ls = await cli('runs ls --json', ['runs', 'ls', '--limit', '100', '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    const listed = JSON.parse(ls.stdout) as { id: string; status: string }[];
    const ids = listed.map((r) => r.id);
    // Every `run` above left a record (failed ones included): those are what runs show prints.
    const runsMade = outputs.filter((o) => o.what.split(' ').length > 1 && !o.what.includes('precheck') && !o.what.startsWith('runs')).length;
    expect(ids.length).toBe(runsMade);
    await cli('runs ls', ['runs', 'ls', '--limit', '100']);
    for (const { id, status } of listed) {
      await cli(`runs show ${id} --json`, ['runs', 'show', id, '--json']);
      // The text view prints the run's error line: worth reading for every failed run.
      if (status !== 'ok') await cli(`runs show ${id}`, ['runs', 'show', id]);
    }
    await cli('cache ls --json', ['cache', 'ls', '--json']);
    await cli('cache verify', ['cache', 'verify']);
    await cli('plan', ['plan', spec('polygon', 'ok', true)]);
    // The scan must be able to see what it looks for: the models folder and the SQLite db exist.
    const files = filesUnder(cacheDir).concat(filesUnder(modelsDir));
    expect(files.some((f) => f.startsWith(modelsDir))).toBe(true);
    expect(files.some((f) => /\.(db|sqlite)$/.test(f))).toBe(true);
    expect(leaks()).toEqual([]);
    // One CLI process per recorded run (text and JSON): ~50 process starts, each 1–2 s when the
    // machine is busy (118 s measured under load), so this test gets more than the default.
  }, 400_000);
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionsEnding } from '../../src/data/calendar.js';
import { fingerprintPanel } from '../../src/data/fingerprint.js';
import type { Panel } from '../../src/data/panel.js';
import { DataError } from '../../src/data/provider.js';
import { AlpacaProvider } from '../../src/data/providers/alpaca.js';
import { PolygonProvider } from '../../src/data/providers/polygon.js';
import { backoffDelay, MAX_REDIRECTS } from '../../src/data/providers/http.js';
import { redactSecrets, registerSecret } from '../../src/util/redact.js';
import { SyntheticProvider } from '../../src/data/providers/synthetic.js';
import { createProvider } from '../../src/data/index.js';

const KEY_ID = 'AKTESTKEYID123';
const SECRET = 'sk-very-secret-value-456';
const PKEY = 'pg-secret-key-789';
const sessions = sessionsEnding('2026-10-30', 2);
const TICKERS = ['AAPL', 'MSFT', 'BRK.B'];

interface Bar {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

let truth: Panel;
const barsOf = new Map<string, Bar[]>();
let server: Server;
let base = '';
// A second server on another port = another origin: it must never receive a credential.
let foreign: Server;
let foreignBase = '';
let foreignHits: { url: string; headers: IncomingMessage['headers'] }[] = [];
let mode = 'ok';
let hits: string[] = [];
let failuresLeft = 0;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url!, base);
  hits.push(url.pathname + url.search);
  if (mode === 'hang') return; // never answer
  if (mode === 'redirect-foreign') return redirect(res, 302, `${foreignBase}${url.pathname}${url.search}`);
  if (mode === 'redirect-loop') return redirect(res, 307, `${url.pathname}${url.search}`);
  if (url.pathname.startsWith('/old/')) {
    // A moved API: same origin, new path; the Location drops the key, the client must re-sign it.
    const q = new URLSearchParams(url.search);
    q.delete('apiKey');
    return redirect(res, 301, `${url.pathname.slice('/old'.length)}?${q}`);
  }
  if (mode === 'echo-alpaca') {
    // A reason phrase and a body that echo the credentials back.
    res.writeHead(400, `Bad Request for ${req.headers['apca-api-key-id']}`, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ message: `rejected APCA-API-KEY-ID=${req.headers['apca-api-key-id']} APCA-API-SECRET-KEY=${req.headers['apca-api-secret-key']}` }));
  }
  if (mode === 'echo-long') return json(res, 422, { message: 'x'.repeat(280) + String(req.headers['apca-api-secret-key']) });
  if (mode === 'echo-polygon-200') return json(res, 200, { status: 'ERROR', request_id: 'e', error: `bad request: GET ${base}${req.url}` });
  if (mode === 'echo-polygon-400') return json(res, 400, { status: 'ERROR', request_id: 'e', message: `key ${url.searchParams.get('apiKey')} cannot GET ${base}${req.url}` });
  if (failuresLeft > 0) {
    failuresLeft--;
    if (failuresLeft % 2 === 1) return json(res, 429, { message: 'too many requests' }, { 'retry-after': '0' });
    return json(res, 503, { message: 'upstream unavailable' });
  }
  if (url.pathname === '/v2/stocks/bars') {
    if (req.headers['apca-api-key-id'] !== KEY_ID || req.headers['apca-api-secret-key'] !== SECRET || mode === 'auth') {
      return json(res, 401, { message: 'unauthorized.' });
    }
    const symbols = url.searchParams.get('symbols')!.split(',');
    if (symbols.includes('BAD$')) return json(res, 400, { message: 'invalid symbol: BAD$' });
    const start = Date.parse(url.searchParams.get('start')!);
    const end = Date.parse(url.searchParams.get('end')!);
    expect(url.searchParams.get('timeframe')).toBe('1Min');
    expect(url.searchParams.get('feed')).toBe('iex');
    const all = symbols.flatMap((s) => (barsOf.get(s) ?? []).filter((b) => b.t >= start && b.t <= end).map((b) => [s, b] as const));
    const offset = Number(url.searchParams.get('page_token') ?? 0);
    const page = all.slice(offset, offset + 500);
    const out: Record<string, unknown[]> = {};
    for (const [s, b] of page) (out[s] ??= []).push({ t: new Date(b.t).toISOString(), o: b.o, h: b.h, l: b.l, c: b.c, v: b.v, n: 10, vw: b.c });
    return json(res, 200, { bars: out, next_page_token: offset + 500 < all.length ? String(offset + 500) : null });
  }
  const m = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/1\/minute\/(\d{4}-\d{2}-\d{2})\/(\d{4}-\d{2}-\d{2})$/.exec(url.pathname);
  if (m) {
    if (url.searchParams.get('apiKey') !== PKEY || mode === 'auth') {
      return json(res, 401, { status: 'ERROR', request_id: 'x', error: 'Unknown API Key' });
    }
    const ticker = decodeURIComponent(m[1]);
    const bars = barsOf.get(ticker) ?? [];
    const cursor = Number(url.searchParams.get('cursor') ?? 0);
    const page = bars.slice(cursor, cursor + 300);
    const body: Record<string, unknown> = { ticker, queryCount: page.length, resultsCount: page.length, adjusted: true, status: 'OK', request_id: 'r' };
    if (page.length) body.results = page.map((b) => ({ v: b.v, vw: b.c, o: b.o, c: b.c, h: b.h, l: b.l, t: b.t, n: 3 }));
    const nextBase = mode === 'foreign-next' ? foreignBase : base;
    if (cursor + 300 < bars.length) body.next_url = `${nextBase}/v2/aggs/ticker/${m[1]}/range/1/minute/${m[2]}/${m[3]}?cursor=${cursor + 300}`;
    return json(res, 200, body);
  }
  json(res, 404, { message: 'not found' });
}

function redirect(res: ServerResponse, status: number, location: string) {
  res.writeHead(status, { location });
  res.end();
}

/** Answers like a working API would, so a client that follows a credential to it succeeds (and the test fails). */
function handleForeign(req: IncomingMessage, res: ServerResponse) {
  foreignHits.push({ url: req.url!, headers: req.headers });
  if (req.url!.startsWith('/v2/stocks/bars')) return json(res, 200, { bars: {}, next_page_token: null });
  json(res, 200, { status: 'OK', results: [] });
}

beforeAll(async () => {
  truth = await new SyntheticProvider(7).fetch({ tickers: TICKERS, sessions });
  TICKERS.forEach((t, n) => {
    const list: Bar[] = [];
    // A pre-market bar the provider must drop.
    list.push({ t: sessions[0].openMs - 3_600_000, o: 1, h: 1, l: 1, c: 1, v: 1 });
    for (let r = 0; r < truth.T; r++) {
      const i = r * truth.N + n;
      if (truth.mask[i]) list.push({ t: truth.time[r], o: truth.open[i], h: truth.high[i], l: truth.low[i], c: truth.close[i], v: truth.volume[i] });
    }
    barsOf.set(t, list);
  });
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  foreign = createServer(handleForeign);
  await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
  foreignBase = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  foreign.closeAllConnections();
  await new Promise((r) => foreign.close(r));
});

const alpacaEnv = { ALPACA_API_KEY_ID: KEY_ID, ALPACA_API_SECRET_KEY: SECRET };
const reset = (m = 'ok', failures = 0) => {
  mode = m;
  failuresLeft = failures;
  hits = [];
  foreignHits = [];
};
const noSecrets = (text: string) => {
  for (const s of [KEY_ID, SECRET, PKEY]) expect(text).not.toContain(s);
};

describe('alpaca provider (loopback server)', () => {
  const make = (cfg = {}, env: NodeJS.ProcessEnv = alpacaEnv) => new AlpacaProvider({ base_url: base, timeout_ms: 2000, retries: 3, ...cfg }, env, { backoffBaseMs: 5 });

  it('fetches multi-symbol bars across pages onto the session grid', async () => {
    reset();
    const warnings: string[] = [];
    const p = await make().fetch({ tickers: TICKERS, sessions, onWarning: (w) => warnings.push(w) });
    expect(hits.length).toBeGreaterThan(3); // paginated
    expect(hits[1]).toContain('page_token=');
    expect(fingerprintPanel(p)).toBe(fingerprintPanel(truth));
    expect(warnings).toEqual([]);
  });

  it('retries 429 (Retry-After) and 5xx with backoff, warning without secrets', async () => {
    reset('ok', 2);
    const warnings: string[] = [];
    const p = await make().fetch({ tickers: TICKERS, sessions, onWarning: (w) => warnings.push(w) });
    expect(fingerprintPanel(p)).toBe(fingerprintPanel(truth));
    expect(warnings.filter((w) => /retry \d\/3/.test(w))).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/HTTP 429/);
    expect(warnings.join('\n')).toMatch(/HTTP 503/);
    noSecrets(warnings.join('\n'));
  });

  it('gives up after the configured retries with a DataError', async () => {
    reset('ok', 10);
    const err = await make({ retries: 1 }).fetch({ tickers: TICKERS, sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/still failing after 2 attempt/);
  });

  it('401 → DataError telling which variables to check; secrets never shown', async () => {
    reset('auth');
    const err = await make().fetch({ tickers: TICKERS, sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/HTTP 401/);
    expect(err.hint).toMatch(/check ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY/);
    noSecrets(`${err.message} ${err.hint}`);
  });

  it('missing keys → DataError naming the variable(s) to set, before any request', async () => {
    reset();
    await expect(make({}, {}).fetch({ tickers: TICKERS, sessions })).rejects.toThrow(/set the environment variables ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY/);
    await expect(make({}, { ALPACA_API_KEY_ID: KEY_ID }).fetch({ tickers: TICKERS, sessions })).rejects.toThrow(/set the environment variable ALPACA_API_SECRET_KEY$/);
    expect(hits).toEqual([]);
  });

  it('an API that never answers → timeout DataError after the retries', async () => {
    reset('hang');
    const t0 = Date.now();
    const err = await make({ timeout_ms: 150, retries: 1 }).fetch({ tickers: TICKERS, sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/no response within 150 ms after 2 attempt/);
    expect(err.hint).toMatch(/timeout_ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
    server.closeAllConnections();
  });

  it('a bad symbol (HTTP 400) → DataError with the server message', async () => {
    reset();
    await expect(make().fetch({ tickers: ['BAD$'], sessions })).rejects.toThrow(/HTTP 400.*invalid symbol: BAD\$/);
  });

  it('a cross-origin redirect is refused, naming the host; the other origin never sees the key headers', async () => {
    reset('redirect-foreign');
    const err = await make().fetch({ tickers: TICKERS, sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(`redirected to another host (${new URL(foreignBase).host})`);
    noSecrets(`${err.message} ${err.hint}`);
    expect(foreignHits.filter((h) => h.headers['apca-api-key-id'] || h.headers['apca-api-secret-key'])).toEqual([]);
    expect(foreignHits).toEqual([]);
  });

  it('a same-origin redirect is followed with the headers', async () => {
    reset();
    const p = await make({ base_url: `${base}/old` }).fetch({ tickers: TICKERS, sessions });
    expect(hits.filter((h) => h.startsWith('/old/')).length).toBeGreaterThan(0);
    expect(hits.filter((h) => h.startsWith('/v2/stocks/bars')).length).toBe(hits.filter((h) => h.startsWith('/old/')).length);
    expect(fingerprintPanel(p)).toBe(fingerprintPanel(truth));
  });

  it('a redirect loop stops after MAX_REDIRECTS with a DataError', async () => {
    reset('redirect-loop');
    const err = await make().fetch({ tickers: TICKERS, sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(new RegExp(`more than ${MAX_REDIRECTS} redirects`));
    expect(hits).toHaveLength(MAX_REDIRECTS + 1);
  });

  it('a reason phrase and a body echoing the keys are redacted', async () => {
    reset('echo-alpaca');
    const err = await make().fetch({ tickers: TICKERS, sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/HTTP 400 Bad Request for \*\*\*/);
    expect(err.message).toContain('APCA-API-SECRET-KEY=***');
    noSecrets(`${err.message} ${err.hint}`);
  });

  it('a key cut by the body excerpt leaves no prefix behind', async () => {
    reset('echo-long');
    const err = await make().fetch({ tickers: TICKERS, sessions }).catch((e) => e);
    expect(err.message).toMatch(/HTTP 422/);
    expect(err.message).not.toContain(SECRET.slice(0, 8));
  });

  it('identity holds settings that change bars, never keys', () => {
    const id = createProvider({ provider: 'alpaca', alpaca: { base_url: base, feed: 'sip' } }, { baseDir: '/', env: alpacaEnv }).identity();
    expect(id).toEqual({ provider: 'alpaca', base_url: base, feed: 'sip', adjustment: 'split' });
    noSecrets(JSON.stringify(id));
  });
});

describe('polygon provider (loopback server)', () => {
  const make = (cfg = {}, env: NodeJS.ProcessEnv = { POLYGON_API_KEY: PKEY }) => new PolygonProvider({ base_url: base, timeout_ms: 2000, retries: 3, ...cfg }, env, { backoffBaseMs: 5 });

  it('fetches aggregates per ticker following next_url', async () => {
    reset();
    const p = await make().fetch({ tickers: TICKERS, sessions });
    expect(hits.some((h) => h.includes('cursor='))).toBe(true);
    expect(hits.every((h) => h.includes('apiKey='))).toBe(true);
    expect(hits.some((h) => h.startsWith('/v2/aggs/ticker/BRK.B/range/1/minute/'))).toBe(true);
    expect(fingerprintPanel(p)).toBe(fingerprintPanel(truth));
  });

  it('unknown symbol → masked column and a warning naming it', async () => {
    reset();
    const warnings: string[] = [];
    const p = await make().fetch({ tickers: ['AAPL', 'ZZZZ'], sessions, onWarning: (w) => warnings.push(w) });
    expect(warnings.join('\n')).toMatch(/ZZZZ: polygon returned no regular-session bars/);
    let m = 0;
    for (let t = 0; t < p.T; t++) m += p.mask[t * 2 + 1];
    expect(m).toBe(0);
  });

  it('retries, then 401 → DataError "check POLYGON_API_KEY" with the key redacted', async () => {
    reset('ok', 2);
    const warnings: string[] = [];
    await make().fetch({ tickers: ['AAPL'], sessions, onWarning: (w) => warnings.push(w) });
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain('apiKey=***');
    noSecrets(warnings.join('\n'));
    reset('auth');
    const err = await make().fetch({ tickers: ['AAPL'], sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.hint).toMatch(/check POLYGON_API_KEY/);
    expect(err.message).toContain('apiKey=***');
    noSecrets(`${err.message} ${err.hint}`);
  });

  it('missing key → DataError naming POLYGON_API_KEY', async () => {
    await expect(make({}, {}).fetch({ tickers: ['AAPL'], sessions })).rejects.toThrow(/set the environment variable POLYGON_API_KEY/);
  });

  it('timeout → DataError', async () => {
    reset('hang');
    const err = await make({ timeout_ms: 120, retries: 0 }).fetch({ tickers: ['AAPL'], sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/no response within 120 ms/);
    noSecrets(err.message);
    server.closeAllConnections();
  });

  it('a next_url on another origin is refused, naming the host; the other server never sees the apiKey', async () => {
    reset('foreign-next');
    const err = await make().fetch({ tickers: ['AAPL'], sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(`next_url points to another host (${new URL(foreignBase).host})`);
    noSecrets(`${err.message} ${err.hint}`);
    expect(foreignHits.filter((h) => h.url.includes(PKEY) || h.url.includes('apiKey'))).toEqual([]);
    expect(foreignHits).toEqual([]);
  });

  it('a cross-origin redirect is refused too; a same-origin one is followed and re-signed', async () => {
    reset('redirect-foreign');
    const err = await make().fetch({ tickers: ['AAPL'], sessions }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(new URL(foreignBase).host);
    noSecrets(err.message);
    expect(foreignHits).toEqual([]);
    reset();
    const p = await make({ base_url: `${base}/old` }).fetch({ tickers: TICKERS, sessions });
    expect(hits.some((h) => h.startsWith('/old/'))).toBe(true);
    expect(fingerprintPanel(p)).toBe(fingerprintPanel(truth));
  });

  it('error/message fields echoing the URL with the key are redacted (HTTP 200 and 400)', async () => {
    for (const m of ['echo-polygon-200', 'echo-polygon-400']) {
      reset(m);
      const err = await make().fetch({ tickers: ['AAPL'], sessions }).catch((e) => e);
      expect(err).toBeInstanceOf(DataError);
      expect(err.message).toMatch(/apiKey=\*\*\*/);
      noSecrets(`${err.message} ${err.hint}`);
    }
  });

  it('identity', () => {
    expect(createProvider({ provider: 'polygon' }, { baseDir: '/', env: { POLYGON_API_KEY: PKEY } }).identity()).toEqual({
      provider: 'polygon',
      base_url: 'https://api.polygon.io',
      adjusted: true,
    });
  });
});

describe('http helpers', () => {
  it('backoff honours Retry-After seconds and dates, else doubles', () => {
    expect(backoffDelay(0, 500, '2')).toBe(2000);
    expect(backoffDelay(3, 500, null)).toBe(4000);
    expect(backoffDelay(10, 500, null)).toBe(30000);
    expect(backoffDelay(0, 500, 'Wed, 21 Oct 2026 07:28:05 GMT', Date.parse('2026-10-21T07:28:00Z'))).toBe(5000);
  });
  it('redacts registered secrets (plain and URL-encoded) and apiKey values', () => {
    registerSecret('sk-very/secret');
    expect(redactSecrets('GET https://x/y?a=1&apiKey=abc123&b=2 with sk-very/secret and sk-very%2Fsecret')).toBe('GET https://x/y?a=1&apiKey=***&b=2 with *** and ***');
  });
  it('providers register their keys as soon as they read them', () => {
    const fresh = 'pk-registered-on-construction';
    expect(redactSecrets(fresh)).toBe(fresh);
    new PolygonProvider({}, { POLYGON_API_KEY: fresh });
    expect(redactSecrets(`x ${fresh} y`)).toBe('x *** y');
    new AlpacaProvider({}, { ALPACA_API_KEY_ID: 'id-registered-1', ALPACA_API_SECRET_KEY: 'secret-registered-2' });
    expect(redactSecrets('id-registered-1 secret-registered-2')).toBe('*** ***');
  });
});

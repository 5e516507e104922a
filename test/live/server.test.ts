/**
 * The live HTTP server (src/live/server.ts) on 127.0.0.1 and a free port: its 4xx answers leave
 * the state unchanged, a bounded loopback load test checks every answer against a state fed the
 * same bars directly, and closing waits for a request in flight. The `serve` command itself is
 * run as a child process and stopped with SIGTERM.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadModel } from '../../src/model/select.js';
import { createLiveModelState } from '../../src/live/select.js';
import type { LiveUpdate } from '../../src/live/state.js';
import { startLiveServer, type LiveServer } from '../../src/live/server.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { barsAt, cutPanel, syntheticPanel } from './helpers.js';
import { trainedModelPath } from './model-fixture.js';

const TICKERS = ['AAPL', 'MSFT', 'KO'];
const servers: LiveServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(opts: { maxBodyBytes?: number } = {}) {
  const model = loadModel(await trainedModelPath());
  const p = await syntheticPanel(TICKERS, '2026-11-02', '2026-11-03', 5);
  const S = 390 + 60;
  const state = createLiveModelState({ model, tickers: TICKERS, history: cutPanel(p, S), topK: 5 });
  await state.ready();
  const twin = createLiveModelState({ model, tickers: TICKERS, history: cutPanel(p, S), topK: 5 });
  await twin.ready();
  const server = await startLiveServer({ state, port: 0, ...opts });
  servers.push(server);
  return { p, S, state, twin, server, model };
}

async function call(server: LiveServer, method: string, path: string, body?: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const r = await fetch(server.url + path, { method, body, headers: body === undefined ? {} : headers });
  const text = await r.text();
  return { status: r.status, json: JSON.parse(text) };
}

const iso = (ms: number | string) => new Date(ms).toISOString();
const bar = { open: 100, high: 101, low: 99, close: 100.5, volume: 1000 };

describe('live server', () => {
  it('binds 127.0.0.1; answers /health, /selection and POST /bars; rejects bad requests with 4xx that say what is wrong, state unchanged', async () => {
    const { p, S, state, twin, server } = await setup({ maxBodyBytes: 4096 });
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await call(server, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', tickers: 3, lastTime: iso(p.time[S - 1]), updates: 0 });
    const before = await call(server, 'GET', '/selection?top=all');
    expect(before.status).toBe(200);
    expect(before.json.selections.map((s: { ticker: string }) => s.ticker)).toEqual(TICKERS);

    const next = barsAt(p, S);
    const cases: [string, string | undefined, number, string, RegExp, Record<string, string>?][] = [
      ['malformed JSON', '{"time": 1, "bars": {', 400, 'malformed-json', /not valid JSON/],
      ['not an object', '[1,2]', 400, 'bad-body', /body: must be object/],
      ['wrong type', JSON.stringify({ time: next.time, bars: { AAPL: { ...bar, close: '100.5' } } }), 400, 'bad-body', /bars\.AAPL\.close: must be number/],
      ['missing field', JSON.stringify({ time: next.time, bars: { AAPL: { open: 1, high: 1, low: 1, close: 1 } } }), 400, 'bad-body', /bars\.AAPL: missing field "volume"/],
      ['extra field', JSON.stringify({ time: next.time, bars: {}, extra: 1 }), 400, 'bad-body', /unexpected field "extra"/],
      ['time of a wrong type', JSON.stringify({ time: true, bars: {} }), 400, 'bad-body', /time/],
      ['unknown ticker', JSON.stringify({ time: next.time, bars: { AAPL: bar, ZZZZ: bar } }), 400, 'unknown-ticker', /unknown ticker ZZZZ/],
      ['too many tickers', JSON.stringify({ time: next.time, bars: { AAPL: bar, MSFT: bar, KO: bar, XOM: bar } }), 400, 'bad-body', /more than 3 tickers/],
      ['bad bar', JSON.stringify({ time: next.time, bars: { AAPL: { ...bar, high: 90 } } }), 400, 'bad-bar', /high 90 < low 99/],
      ['off-session minute', JSON.stringify({ time: '2026-11-03T23:00:00Z', bars: {} }), 400, 'off-session', /not a regular-session minute/],
      ['duplicate minute', JSON.stringify({ time: p.time[S - 1] as number, bars: {} }), 409, 'duplicate', /duplicate bar/],
      ['late minute', JSON.stringify({ time: p.time[S - 5] as number, bars: {} }), 409, 'late', /late bar/],
      ['oversized body', JSON.stringify({ time: next.time, bars: { AAPL: bar }, pad: 'x'.repeat(5000) }), 413, 'body-too-large', /over the limit of 4096 bytes/],
      ['not JSON', 'time=1', 415, 'content-type', /needs content-type application\/json/, { 'content-type': 'text/plain' }],
    ];
    for (const [what, body, status, code, message, headers] of cases) {
      const r = await call(server, 'POST', '/bars', body, headers);
      expect([what, r.status, r.json.error.code]).toEqual([what, status, code]);
      expect(r.json.error.message).toMatch(message);
    }
    // an oversized body sent in chunks, without a length: 413 as well
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(server.url + '/bars', { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(1000));
      req.end();
    });
    expect(chunked).toBe(413);
    expect((await call(server, 'GET', '/nope')).status).toBe(404);
    expect((await call(server, 'DELETE', '/bars')).status).toBe(405);
    expect((await call(server, 'GET', '/selection?top=0')).json.error.code).toBe('bad-query');
    expect((await call(server, 'GET', '/selection/ZZZZ')).status).toBe(404);
    // nothing changed
    const after = await call(server, 'GET', '/selection?top=all');
    expect(after.json).toEqual(before.json);
    expect(state.lastTime).toBe(p.time[S - 1]);
    expect((await call(server, 'GET', '/health')).json).toMatchObject({ updates: 0, rejected: cases.length + 5, lastTime: iso(p.time[S - 1]) });
    // and the next good bar is applied as if nothing had been tried
    const ok = await call(server, 'POST', '/bars', JSON.stringify({ time: iso(next.time), bars: next.bars }));
    expect(ok.status).toBe(200);
    const direct = await twin.update(next);
    expect(ok.json.time).toBe(iso(next.time));
    expect(ok.json.selections.map((s: { ticker: string; indicators: { name: string }[] }) => [s.ticker, s.indicators.map((x) => x.name)])).toEqual(
      direct.selections.map((s) => [s.ticker, s.indicators.map((x) => x.name)]),
    );
    const one = await call(server, 'GET', '/selection/MSFT?top=3');
    const want = twin.selection('MSFT', 3);
    expect(one.json).toMatchObject({ ticker: 'MSFT', time: iso(want.time), regime: want.regime });
    expect(one.json.indicators.map((x: { name: string; score: number }) => [x.name, x.score])).toEqual(want.indicators.map((x) => [x.name, x.score]));
  });

  it('loopback load: 240 POSTs (one ticker) and 240 GETs within a time limit, every answer right; latency percentiles', async () => {
    const { p, S, twin, server } = await setup();
    const N_POST = 240;
    const deadline = AbortSignal.timeout(90_000);
    const post: number[] = [], get: number[] = [];
    for (let k = 0; k < N_POST; k++) {
      const u = barsAt(p, S + k);
      const one: LiveUpdate = { time: u.time, bars: u.bars.AAPL ? { AAPL: u.bars.AAPL } : {} };
      const body = JSON.stringify(one);
      let t0 = performance.now();
      const r = await fetch(server.url + '/bars', { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: deadline });
      const j = (await r.json()) as any;
      post.push(performance.now() - t0);
      expect(r.status).toBe(200);
      const want = await twin.update(one);
      expect(j.selections.map((s: { ticker: string; indicators: { name: string }[] }) => s.indicators.map((x) => x.name))).toEqual(want.selections.map((s) => s.indicators.map((x) => x.name)));
      // a read of the same ticker, and two concurrent ones
      t0 = performance.now();
      const [g] = await Promise.all([fetch(server.url + '/selection/AAPL', { signal: deadline }).then((x) => x.json() as Promise<any>)]);
      get.push(performance.now() - t0);
      expect(g.time).toBe(new Date(twin.selection('AAPL').time).toISOString());
      expect(g.indicators.map((x: { score: number }) => x.score)).toEqual(twin.selection('AAPL').indicators.map((x) => x.score));
    }
    const q = (xs: number[], f: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(f * xs.length))].toFixed(2);
    console.log(`loopback load: POST /bars (1 ticker) p50 ${q(post, 0.5)} ms p90 ${q(post, 0.9)} ms p99 ${q(post, 0.99)} ms; GET /selection/AAPL p50 ${q(get, 0.5)} ms p99 ${q(get, 0.99)} ms (${N_POST} each)`);
    expect(post).toHaveLength(N_POST);
    const h = await (await fetch(server.url + '/health')).json();
    expect(h).toMatchObject({ updates: N_POST, rejected: 0, lastTime: new Date(p.time[S + N_POST - 1]).toISOString() });
  });

  it('close() lets a request in flight finish, then refuses new connections', async () => {
    const { p, S, server } = await setup();
    const u = barsAt(p, S);
    const body = JSON.stringify(u);
    const half = Math.floor(body.length / 2);
    const answer = new Promise<{ status: number; json: { time: string } }>((resolve, reject) => {
      const req = request(server.url + '/bars', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      // close once the server has the request (headers and half the body), then send the rest
      server.server.once('request', async () => {
        closing = server.close();
        await new Promise((r) => setTimeout(r, 100));
        req.end(body.slice(half));
      });
      req.write(body.slice(0, half));
    });
    let closing: Promise<void> | undefined;
    const r = await answer;
    expect(r.status).toBe(200);
    expect(r.json.time).toBe(new Date(u.time).toISOString());
    await closing;
    await expect(fetch(server.url + '/health')).rejects.toThrow();
  });

  it('`serve` warms up, answers, and stops on SIGTERM with exit 0; a bad flag exits 2 without a stack', async () => {
    const model = await trainedModelPath();
    const TSX = pathToFileURL(join(PACKAGE_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const cli = join(PACKAGE_ROOT, 'src', 'cli.ts');
    const child = spawn(process.execPath, ['--import', TSX, cli, 'serve', '--model', model, '--data', 'synthetic', '--tickers', 'AAPL,MSFT', '--days', '1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out} ${err}`)), 60_000);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m && out.includes('routes:')) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    try {
      expect(out).toMatch(/warmed up on 1 sessions? 2026-10-30…2026-10-30/);
      const h = await (await fetch(url + '/health')).json();
      expect(h).toMatchObject({ status: 'ok', tickers: 2, lastTime: '2026-10-30T19:59:00.000Z' });
      const next = await syntheticPanel(['AAPL', 'MSFT'], '2026-11-02', '2026-11-02', 7);
      const r = await fetch(url + '/bars', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(barsAt(next, 0)) });
      expect(r.status).toBe(200);
      expect(((await r.json()) as any).selections).toHaveLength(2);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/SIGTERM: closing[\s\S]*stopped/);

    const bad = spawn(process.execPath, ['--import', TSX, cli, 'serve', '--model', model, '--data', 'synthetic', '--port', 'abc'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let berr = '';
    bad.stderr.on('data', (d) => (berr += d));
    expect(await new Promise((r) => bad.on('exit', r))).toBe(2);
    expect(berr).toMatch(/--port takes a whole number/);
    expect(berr).not.toMatch(/\n\s+at /);
  });
});

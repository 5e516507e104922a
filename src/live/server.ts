/**
 * The loopback HTTP front of a live model state (node:http, no framework; docs/live.md says why).
 *
 *   POST /bars              { "time": <epoch ms | ISO 8601>, "bars": { "SPY": { open, high, low, close, volume } } }
 *                           → 200 { time, selections: [...traded tickers], regimeChanges: [...] }
 *   GET  /selection[?top=k] → 200 { time, selections: [...every ticker] }
 *   GET  /selection/<TICKER>[?top=k] → 200 one selection
 *   GET  /health            → 200 { status: "ok", tickers, lastTime, updates, rejected }
 *
 * Every rejected request leaves the state as it was: the body is read in full (up to the size
 * bound), parsed, validated with ajv and checked against the followed tickers before the state
 * sees it, and the state itself validates the whole minute before changing anything. Errors are
 * JSON `{ error: { status, code, message, hint } }`: 400 malformed JSON / wrong shape / unknown
 * ticker / bad bar, 409 late or duplicate minute, 413 body too large, 415 not JSON, 404, 405.
 * Updates are applied one at a time, in arrival order.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv, type ErrorObject } from 'ajv';
import { LiveBarError } from './state.js';
import type { LiveModelState, LiveSelection } from './select.js';

export interface LiveServerOptions {
  state: LiveModelState;
  /** Interface to bind (default 127.0.0.1: loopback only). */
  host?: string;
  /** Port (default 8787; 0 = a free port). */
  port?: number;
  /** Largest request body accepted, bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Most tickers in one POST /bars (default: the number of tickers followed). */
  maxTickers?: number;
  /** Longest a graceful close waits for requests in flight before cutting them, ms (default 10 s). */
  closeTimeoutMs?: number;
  /** One line per rejected request or failure (default: nothing). */
  log?: (line: string) => void;
}

export interface LiveServer {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Stops accepting connections, lets requests in flight finish, then resolves. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const barSchema = {
  type: 'object',
  required: ['open', 'high', 'low', 'close', 'volume'],
  additionalProperties: false,
  properties: { open: { type: 'number' }, high: { type: 'number' }, low: { type: 'number' }, close: { type: 'number' }, volume: { type: 'number', minimum: 0 } },
};

function barsSchema(maxTickers: number) {
  return {
    type: 'object',
    required: ['time', 'bars'],
    additionalProperties: false,
    properties: {
      time: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', minLength: 1, maxLength: 40 }] },
      bars: { type: 'object', maxProperties: maxTickers, propertyNames: { type: 'string', minLength: 1, maxLength: 32 }, additionalProperties: barSchema },
    },
  };
}

/** "bars.SPY.close: must be number" from ajv's errors (the first few). */
function describeAjv(errors: ErrorObject[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const e of errors) {
    const at = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'body';
    let msg = `${at}: ${e.message ?? 'is invalid'}`;
    if (e.keyword === 'additionalProperties') msg = `${at}: unexpected field ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`;
    if (e.keyword === 'required') msg = `${at}: missing field ${JSON.stringify((e.params as { missingProperty: string }).missingProperty)}`;
    if (e.keyword === 'maxProperties') msg = `${at}: more than ${(e.params as { limit: number }).limit} tickers in one request`;
    if (e.keyword === 'anyOf' || seen.has(msg)) continue;
    seen.add(msg);
    parts.push(msg);
    if (parts.length >= 5) break;
  }
  return parts.join('; ') || 'the body does not match { time, bars }';
}

const num = (x: number) => (Number.isFinite(x) ? x : null);

function selectionJson(s: LiveSelection) {
  return { ticker: s.ticker, time: new Date(s.time).toISOString(), regime: s.regime, indicators: s.indicators.map((x, i) => ({ rank: i + 1, name: x.name, score: num(x.score), value: num(x.value) })) };
}

/**
 * The whole body, or a 413 when it is over `max` bytes. An oversized body is still read (and
 * dropped) up to 16 × max so the client gets its 413 instead of a reset connection; past that the
 * answer is sent at once and the connection closed.
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const tooLarge = (n: string) => new HttpError(413, 'body-too-large', `request body${n} is over the limit of ${max} bytes`, 'send fewer tickers per request, or start serve with a larger --max-body');
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > 16 * max) {
      reject(tooLarge(` of ${declared} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    let done = false;
    const finish = (e?: Error, b?: Buffer) => {
      if (done) return;
      done = true;
      if (e) reject(e);
      else resolve(b!);
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        if (size > 16 * max) finish(tooLarge(''));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => (over ? finish(tooLarge(` of ${size} bytes`)) : finish(undefined, Buffer.concat(chunks))));
    req.on('error', (e) => finish(e));
  });
}

export function startLiveServer(opts: LiveServerOptions): Promise<LiveServer> {
  const { state } = opts;
  const host = opts.host ?? '127.0.0.1';
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const maxTickers = opts.maxTickers ?? state.tickers.length;
  const log = opts.log ?? (() => {});
  const validate = new Ajv({ allErrors: true, strict: true }).compile(barsSchema(maxTickers));
  const followed = new Set(state.tickers);
  let updates = 0;
  let rejected = 0;
  let closing = false;

  const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...(closing ? { connection: 'close' } : {}), ...extra });
    res.end(text);
  };
  const topOf = (url: URL): number | undefined => {
    const raw = url.searchParams.get('top');
    if (raw === null) return undefined; // the state's default (serve --top)
    if (raw === 'all') return Infinity;
    const k = Number(raw);
    if (!Number.isInteger(k) || k < 1) throw new HttpError(400, 'bad-query', `top=${raw} is not a positive whole number`, 'e.g. ?top=10, or ?top=all');
    return k;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method', `${req.method} /health: use GET`);
      send(res, 200, { status: closing ? 'closing' : 'ok', tickers: state.tickers.length, indicators: state.names.length, lastTime: new Date(state.lastTime).toISOString(), updates, rejected });
      return;
    }
    if (path === '/bars') {
      if (req.method !== 'POST') throw new HttpError(405, 'method', `${req.method} /bars: use POST with a JSON body { time, bars }`, undefined);
      const ct = String(req.headers['content-type'] ?? '');
      if (!/^application\/json\b/i.test(ct)) {
        await readBody(req, maxBody).catch(() => {});
        throw new HttpError(415, 'content-type', `POST /bars needs content-type application/json (got ${ct ? JSON.stringify(ct) : 'none'})`, 'send the header Content-Type: application/json');
      }
      const raw = await readBody(req, maxBody);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        throw new HttpError(400, 'malformed-json', `the body is not valid JSON: ${(e as Error).message}`, 'send { "time": "2026-11-02T14:30:00Z", "bars": { "SPY": { "open": 1, "high": 1, "low": 1, "close": 1, "volume": 0 } } }');
      }
      if (!validate(body)) throw new HttpError(400, 'bad-body', describeAjv(validate.errors ?? []), 'the body is { time: epoch ms or ISO 8601, bars: { TICKER: { open, high, low, close, volume } } } with numbers');
      const u = body as { time: number | string; bars: Record<string, { open: number; high: number; low: number; close: number; volume: number }> };
      const unknown = Object.keys(u.bars).filter((t) => !followed.has(t));
      if (unknown.length > 0) {
        throw new HttpError(400, 'unknown-ticker', `unknown ticker${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 10).join(', ')}: this server follows ${state.tickers.length} (${state.tickers.slice(0, 10).join(', ')}${state.tickers.length > 10 ? ', …' : ''})`, 'GET /selection lists them; restart serve with --tickers to follow others');
      }
      try {
        const r = await state.update(u);
        updates++;
        send(res, 200, { time: new Date(r.snapshot.time).toISOString(), selections: r.selections.map(selectionJson), regimeChanges: r.regimeChanges.map((c) => ({ ...c, time: new Date(c.time).toISOString() })) });
      } catch (e) {
        if (e instanceof LiveBarError) {
          const status = e.code === 'late' || e.code === 'duplicate' ? 409 : 400;
          throw new HttpError(status, e.code, e.message.replace(/^live: /, ''), status === 409 ? 'send each minute once, in time order (GET /health shows the last minute applied)' : undefined);
        }
        throw e;
      }
      return;
    }
    if (path === '/selection' || path.startsWith('/selection/')) {
      if (req.method !== 'GET') throw new HttpError(405, 'method', `${req.method} ${path}: use GET`);
      const top = topOf(url);
      if (path === '/selection') {
        send(res, 200, { time: new Date(state.lastTime).toISOString(), selections: state.selections(top).map(selectionJson) });
        return;
      }
      const ticker = decodeURIComponent(path.slice('/selection/'.length));
      if (!followed.has(ticker)) throw new HttpError(404, 'unknown-ticker', `no ticker ${JSON.stringify(ticker)} here`, 'GET /selection lists the tickers this server follows');
      send(res, 200, selectionJson(state.selection(ticker, top)));
      return;
    }
    throw new HttpError(404, 'not-found', `no route ${req.method} ${url.pathname}`, 'routes: POST /bars, GET /selection, GET /selection/<TICKER>, GET /health');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (e instanceof HttpError) {
        rejected++;
        log(`${req.method} ${req.url} → ${e.status} ${e.code}: ${e.message}`);
        // a body left unread (too large): answer, then close this connection
        send(res, e.status, { error: { status: e.status, code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } }, e.status === 413 ? { connection: 'close' } : {});
        return;
      }
      log(`${req.method} ${req.url} → 500: ${(e as Error)?.stack ?? e}`);
      if (!res.headersSent) send(res, 500, { error: { status: 500, code: 'internal', message: String((e as Error)?.message ?? e) } });
      else res.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8787, host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      let closed: Promise<void> | undefined;
      resolve({
        server,
        host,
        port,
        url: `http://${urlHost}:${port}`,
        close() {
          closed ??= new Promise<void>((done) => {
            closing = true;
            const timer = setTimeout(() => server.closeAllConnections(), opts.closeTimeoutMs ?? 10_000);
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            server.closeIdleConnections();
          });
          return closed;
        },
      });
    });
  });
}

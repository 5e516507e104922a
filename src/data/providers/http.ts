/**
 * Shared plumbing of the HTTP providers: JSON GET with a per-request timeout, retries with
 * exponential backoff on 429/5xx and network errors (Retry-After honoured), clear DataErrors on
 * 401/403, redirects followed only within the requested origin (credentials never leave it), and
 * every message passed through the shared secret redaction (src/util/redact.ts) before it is
 * thrown or warned.
 */
import type { Panel, SessionInfo } from '../panel.js';
import { DataError } from '../provider.js';
import { redactSecrets } from '../../util/redact.js';
import { fillColumn } from './folder.js';

export interface HttpSettings {
  /** Provider name for messages ("alpaca", "polygon"). */
  provider: string;
  timeoutMs: number;
  retries: number;
  /** First backoff delay; doubles each retry (capped at 30 s). */
  backoffBaseMs: number;
  /** What to say on 401/403. */
  authHint: string;
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
  /** Adds query credentials to a URL (Polygon's apiKey); applied to same-origin redirect targets too. */
  sign?: (url: URL) => URL;
}

/** Same-origin redirects followed per request before giving up (a loop is a server bug). */
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** A DataError whose message and hint have every known secret masked. */
export function redactedError(message: string, hint?: string): DataError {
  return new DataError(redactSecrets(message), hint === undefined ? undefined : redactSecrets(hint));
}

/** Wraps a warning callback so nothing it receives carries a secret. */
export function redactedWarner(onWarning?: (message: string) => void): (message: string) => void {
  return (m) => onWarning?.(redactSecrets(m));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Delay before retry `attempt` (0-based): Retry-After when given, else base × 2^attempt. */
export function backoffDelay(attempt: number, baseMs: number, retryAfter: string | null, nowMs = Date.now()): number {
  if (retryAfter) {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs) && secs >= 0) return Math.min(secs * 1000, 120_000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.min(Math.max(0, at - nowMs), 120_000);
  }
  return Math.min(baseMs * 2 ** attempt, 30_000);
}

/** Body text (secrets masked before cutting, so no partial secret survives the cut). */
async function bodyExcerpt(res: Response, max: number): Promise<string> {
  return redactSecrets(await res.text().catch(() => '')).slice(0, max);
}

/**
 * Where a redirect response points, resolved against the URL that got it. Refuses (DataError
 * naming the host, never the URL's query) a target on another origin: the request carries
 * credentials that belong to the configured origin only.
 */
function redirectTarget(res: Response, from: URL, s: HttpSettings): URL {
  const shown = redactSecrets(from.toString());
  const location = res.headers.get('location');
  if (!location) throw redactedError(`${s.provider}: HTTP ${res.status} redirect without a Location for GET ${shown}`, `check data.${s.provider}.base_url`);
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    throw redactedError(`${s.provider}: HTTP ${res.status} redirect to an invalid URL for GET ${shown}`, `check data.${s.provider}.base_url`);
  }
  if (to.origin !== from.origin) {
    throw redactedError(
      `${s.provider}: GET ${shown} was redirected to another host (${to.host}); credentials are sent only to ${from.host}, so the redirect was not followed`,
      `set data.${s.provider}.base_url to the API's own address (if ${to.host} is it, use that origin)`,
    );
  }
  return to;
}

/** GETs a JSON document; see the module comment for retries, redirects and errors. */
export async function getJson(url: string, headers: Record<string, string>, s: HttpSettings): Promise<unknown> {
  const requested = new URL(url);
  let target = s.sign ? s.sign(requested) : requested;
  let shown = redactSecrets(target.toString());
  let redirects = 0;
  let lastProblem = '';
  const warn = redactedWarner(s.onWarning);
  for (let attempt = 0; ; attempt++) {
    if (s.signal?.aborted) throw s.signal.reason ?? new Error('aborted');
    const timeout = AbortSignal.timeout(s.timeoutMs);
    const signal = s.signal ? AbortSignal.any([timeout, s.signal]) : timeout;
    let res: Response;
    try {
      // Manual redirects: fetch would otherwise resend the credential headers to any host.
      res = await fetch(target, { headers: { Accept: 'application/json', ...headers }, signal, redirect: 'manual' });
    } catch (e) {
      if (s.signal?.aborted) throw s.signal.reason ?? e;
      const timedOut = timeout.aborted;
      lastProblem = timedOut ? `no response within ${s.timeoutMs} ms` : `network error: ${String((e as Error).cause ?? (e as Error).message)}`;
      if (attempt < s.retries) {
        const d = backoffDelay(attempt, s.backoffBaseMs, null);
        warn(`${s.provider}: ${lastProblem} (GET ${shown}); retry ${attempt + 1}/${s.retries} in ${d} ms`);
        await sleep(d, s.signal);
        continue;
      }
      throw redactedError(
        `${s.provider}: ${lastProblem} after ${attempt + 1} attempt(s) (GET ${shown})`,
        timedOut
          ? `the API is slow or unreachable: retry later, or raise data.${s.provider}.timeout_ms / retries`
          : `check the network and data.${s.provider}.base_url`,
      );
    }
    if (REDIRECT_STATUSES.has(res.status)) {
      await res.body?.cancel().catch(() => {});
      const to = redirectTarget(res, target, s);
      if (++redirects > MAX_REDIRECTS) {
        throw redactedError(`${s.provider}: more than ${MAX_REDIRECTS} redirects for GET ${shown}`, `check data.${s.provider}.base_url`);
      }
      target = s.sign ? s.sign(to) : to;
      shown = redactSecrets(target.toString());
      attempt--; // a redirect is not a failed attempt
      continue;
    }
    const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (res.ok) {
      const text = await res.text();
      try {
        return JSON.parse(text);
      } catch {
        throw redactedError(`${s.provider}: the response to GET ${shown} is not JSON (${redactSecrets(text).slice(0, 120)})`, `check data.${s.provider}.base_url`);
      }
    }
    const body = await bodyExcerpt(res, 300);
    if (res.status === 401 || res.status === 403) {
      throw redactedError(`${s.provider}: ${status} for GET ${shown}${body ? `: ${body}` : ''}`, s.authHint);
    }
    if (res.status === 429 || res.status >= 500) {
      lastProblem = `HTTP ${res.status}${body ? ` (${body})` : ''}`;
      if (attempt < s.retries) {
        const d = backoffDelay(attempt, s.backoffBaseMs, res.headers.get('retry-after'));
        warn(`${s.provider}: ${lastProblem} for GET ${shown}; retry ${attempt + 1}/${s.retries} in ${d} ms`);
        await sleep(d, s.signal);
        continue;
      }
      throw redactedError(
        `${s.provider}: ${lastProblem} for GET ${shown}, still failing after ${attempt + 1} attempt(s)`,
        res.status === 429 ? 'rate limited: wait a minute, use fewer tickers per run, or upgrade the plan' : 'the API is having trouble: retry later',
      );
    }
    throw redactedError(`${s.provider}: ${status} for GET ${shown}${body ? `: ${body}` : ''}`, `check the tickers and data.${s.provider} settings`);
  }
}

/** One bar as an API returns it. */
export interface ApiBar {
  ts: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

/**
 * Puts API bars of column n on the session grid (bars outside the sessions' regular hours are
 * dropped; duplicates keep the last; bad bars are dropped with a warning naming ticker/date) and
 * fills the gaps (carry forward, back-fill before the first bar, volume 0, mask 0).
 */
export function placeBars(panel: Panel, n: number, sessions: SessionInfo[], bars: ApiBar[], source: string, warn: (m: string) => void): void {
  const N = panel.N;
  const ticker = panel.tickers[n];
  let si = 0;
  let placed = 0;
  const bad: string[] = [];
  for (const b of bars) {
    if (!Number.isFinite(b.ts)) continue;
    if (b.ts < sessions[si].openMs) si = 0;
    while (si + 1 < sessions.length && sessions[si + 1].openMs <= b.ts) si++;
    const s = sessions[si];
    if (b.ts < s.openMs || b.ts >= s.openMs + s.bars * 60_000) continue;
    const ts = b.ts - (b.ts % 60_000);
    let why = '';
    if (![b.o, b.h, b.l, b.c, b.v].every(Number.isFinite)) why = 'missing or non-numeric field';
    else if (b.h < b.l) why = `high ${b.h} < low ${b.l}`;
    else if (b.v < 0) why = `negative volume ${b.v}`;
    else if (b.o <= 0 || b.l <= 0 || b.c <= 0) why = 'non-positive price';
    if (why) {
      bad.push(`${new Date(b.ts).toISOString()} (${why})`);
      continue;
    }
    const idx = (s.start + (ts - s.openMs) / 60_000) * N + n;
    if (!panel.mask[idx]) placed++;
    panel.open[idx] = b.o;
    panel.high[idx] = Math.max(b.h, b.o, b.c);
    panel.low[idx] = Math.min(b.l, b.o, b.c);
    panel.close[idx] = b.c;
    panel.volume[idx] = b.v;
    panel.mask[idx] = 1;
  }
  if (bad.length) warn(`${ticker}: dropped ${bad.length} bad bar(s) from ${source}: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? '; …' : ''}`);
  if (placed === 0) warn(`${ticker}: ${source} returned no regular-session bars for ${sessions[0].date}…${sessions.at(-1)!.date} (unknown or delisted symbol, or no trading)`);
  fillColumn(panel, n);
}

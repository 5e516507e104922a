/**
 * Shared plumbing of the HTTP providers: JSON GET with a per-request timeout, retries with
 * exponential backoff on 429/5xx and network errors (Retry-After honoured), clear DataErrors on
 * 401/403, and redaction so secrets never reach an error message or a warning.
 */
import type { Panel, SessionInfo } from '../panel.js';
import { DataError } from '../provider.js';
import { fillColumn } from './folder.js';

export interface HttpSettings {
  /** Provider name for messages ("alpaca", "polygon"). */
  provider: string;
  timeoutMs: number;
  retries: number;
  /** First backoff delay; doubles each retry (capped at 30 s). */
  backoffBaseMs: number;
  /** Secret values to scrub from every message. */
  secrets: string[];
  /** What to say on 401/403. */
  authHint: string;
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
}

/** Replaces secrets (and apiKey=… query values) with ***. */
export function redact(text: string, secrets: string[]): string {
  let out = text.replace(/([?&](?:apiKey|apikey|api_key|token)=)[^&\s"']+/g, '$1***');
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
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

/** GETs a JSON document; see the module comment for retries and errors. */
export async function getJson(url: string, headers: Record<string, string>, s: HttpSettings): Promise<unknown> {
  const shown = redact(url, s.secrets);
  let lastProblem = '';
  for (let attempt = 0; ; attempt++) {
    if (s.signal?.aborted) throw s.signal.reason ?? new Error('aborted');
    const timeout = AbortSignal.timeout(s.timeoutMs);
    const signal = s.signal ? AbortSignal.any([timeout, s.signal]) : timeout;
    let res: Response;
    try {
      res = await fetch(url, { headers: { Accept: 'application/json', ...headers }, signal });
    } catch (e) {
      if (s.signal?.aborted) throw s.signal.reason ?? e;
      const timedOut = timeout.aborted;
      lastProblem = timedOut
        ? `no response within ${s.timeoutMs} ms`
        : `network error: ${redact(String((e as Error).cause ?? (e as Error).message), s.secrets)}`;
      if (attempt < s.retries) {
        const d = backoffDelay(attempt, s.backoffBaseMs, null);
        s.onWarning?.(`${s.provider}: ${lastProblem} (GET ${shown}); retry ${attempt + 1}/${s.retries} in ${d} ms`);
        await sleep(d, s.signal);
        continue;
      }
      throw new DataError(
        `${s.provider}: ${lastProblem} after ${attempt + 1} attempt(s) (GET ${shown})`,
        timedOut
          ? `the API is slow or unreachable: retry later, or raise data.${s.provider}.timeout_ms / retries`
          : `check the network and data.${s.provider}.base_url`,
      );
    }
    if (res.ok) {
      const text = await res.text();
      try {
        return JSON.parse(text);
      } catch {
        throw new DataError(`${s.provider}: the response to GET ${shown} is not JSON (${redact(text.slice(0, 120), s.secrets)})`, `check data.${s.provider}.base_url`);
      }
    }
    const body = redact((await res.text().catch(() => '')).slice(0, 300), s.secrets);
    if (res.status === 401 || res.status === 403) {
      throw new DataError(`${s.provider}: HTTP ${res.status} ${res.statusText} for GET ${shown}${body ? `: ${body}` : ''}`, s.authHint);
    }
    if (res.status === 429 || res.status >= 500) {
      lastProblem = `HTTP ${res.status}${body ? ` (${body})` : ''}`;
      if (attempt < s.retries) {
        const d = backoffDelay(attempt, s.backoffBaseMs, res.headers.get('retry-after'));
        s.onWarning?.(`${s.provider}: ${lastProblem} for GET ${shown}; retry ${attempt + 1}/${s.retries} in ${d} ms`);
        await sleep(d, s.signal);
        continue;
      }
      throw new DataError(
        `${s.provider}: ${lastProblem} for GET ${shown}, still failing after ${attempt + 1} attempt(s)`,
        res.status === 429 ? 'rate limited: wait a minute, use fewer tickers per run, or upgrade the plan' : 'the API is having trouble: retry later',
      );
    }
    throw new DataError(`${s.provider}: HTTP ${res.status} ${res.statusText} for GET ${shown}${body ? `: ${body}` : ''}`, `check the tickers and data.${s.provider} settings`);
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

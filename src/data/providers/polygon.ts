/**
 * Polygon aggregates provider: GET /v2/aggs/ticker/{T}/range/1/minute/{from}/{to}, paginated with
 * next_url. The key comes only from the environment (POLYGON_API_KEY) and is sent as the apiKey
 * query parameter, only to base_url's origin: a next_url (or redirect) pointing elsewhere is
 * refused. The key is registered for redaction, so no message shows it.
 */
import type { Panel } from '../panel.js';
import { emptyPanel } from '../panel.js';
import type { FetchRequest, Provider, ProviderCapabilities } from '../provider.js';
import { DataError } from '../provider.js';
import { DEFAULTS, type PolygonConfig } from '../config.js';
import { registerSecret } from '../../util/redact.js';
import { getJson, placeBars, redactedError, redactedWarner, type ApiBar } from './http.js';
import type { HttpTuning } from './alpaca.js';

interface PolygonAgg {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

/** Tickers fetched at the same time. */
const CONCURRENCY = 4;

export class PolygonProvider implements Provider {
  readonly name = 'polygon';
  readonly capabilities: ProviderCapabilities = { changesBetweenRuns: false, downloads: true, fixedUniverse: false, defaultEnd: 'default: the last completed session; set data.end to choose' };
  private readonly cfg: Required<PolygonConfig>;
  private readonly key: string | undefined;

  constructor(
    config: PolygonConfig,
    env: NodeJS.ProcessEnv,
    private readonly tuning: HttpTuning = {},
  ) {
    this.cfg = { ...DEFAULTS.polygon, ...config } as Required<PolygonConfig>;
    this.cfg.base_url = this.cfg.base_url.replace(/\/+$/, '');
    this.key = env.POLYGON_API_KEY || undefined;
    registerSecret(this.key);
  }

  identity(): Record<string, unknown> {
    return { provider: 'polygon', base_url: this.cfg.base_url, adjusted: this.cfg.adjusted };
  }

  private withKey(url: URL): URL {
    const u = new URL(url);
    u.searchParams.set('apiKey', this.key!);
    return u;
  }

  /**
   * The next page's URL, resolved against base_url. A next_url on another origin is an error
   * naming its host: following it would hand the key to whoever wrote the response.
   */
  private nextPage(nextUrl: string, ticker: string): string {
    const origin = new URL(this.cfg.base_url).origin;
    let u: URL;
    try {
      u = new URL(nextUrl, this.cfg.base_url);
    } catch {
      throw redactedError(`polygon: ${ticker}: next_url is not a valid URL`, 'check data.polygon.base_url');
    }
    if (u.origin !== origin) {
      throw redactedError(
        `polygon: ${ticker}: next_url points to another host (${u.host}); the API key is sent only to ${new URL(origin).host}, so the page was not fetched`,
        'set data.polygon.base_url to the API\'s own address',
      );
    }
    return u.toString();
  }

  async fetch(req: FetchRequest): Promise<Panel> {
    if (!this.key) {
      throw new DataError(
        'polygon: missing API key: set the environment variable POLYGON_API_KEY',
        'export POLYGON_API_KEY=… (keys are never read from the spec), or use provider: synthetic',
      );
    }
    if (req.sessions.length === 0) throw new DataError('no sessions requested', 'request at least one trading day');
    const sessions = req.sessions.map((s) => ({ ...s }));
    const panel = emptyPanel([...req.tickers], sessions);
    const settings = {
      provider: 'polygon',
      timeoutMs: this.cfg.timeout_ms,
      retries: this.cfg.retries,
      backoffBaseMs: this.tuning.backoffBaseMs ?? 500,
      authHint: 'check POLYGON_API_KEY (and that your plan includes minute aggregates for this date range)',
      signal: req.signal,
      onWarning: req.onWarning,
      sign: (u: URL) => this.withKey(u),
    };
    const from = sessions[0].date;
    const to = sessions.at(-1)!.date;
    const warn = redactedWarner(req.onWarning);
    const one = async (n: number) => {
      const ticker = req.tickers[n];
      const bars: ApiBar[] = [];
      const q = new URLSearchParams({ adjusted: String(this.cfg.adjusted), sort: 'asc', limit: '50000' });
      let url: string | null = `${this.cfg.base_url}/v2/aggs/ticker/${encodeURIComponent(ticker)}/range/1/minute/${from}/${to}?${q}`;
      let pages = 0;
      while (url) {
        const body = (await getJson(url, {}, settings)) as {
          status?: string;
          results?: PolygonAgg[];
          next_url?: string;
          error?: string;
          message?: string;
        };
        if (typeof body !== 'object' || body === null) throw redactedError(`polygon: unexpected response for ${ticker}`, 'check data.polygon.base_url');
        if (body.status === 'ERROR' || body.status === 'NOT_AUTHORIZED') {
          // error/message may echo the request URL, apiKey included: redactedError masks it.
          throw redactedError(`polygon: ${ticker}: ${String(body.error ?? body.message ?? body.status)}`, settings.authHint);
        }
        for (const a of body.results ?? []) bars.push({ ts: a.t, o: a.o, h: a.h, l: a.l, c: a.c, v: a.v });
        url = body.next_url ? this.nextPage(String(body.next_url), ticker) : null;
        if (++pages > 100_000) throw new DataError('polygon: pagination did not end (next_url keeps coming)');
      }
      placeBars(panel, n, sessions, bars, 'polygon', warn);
    };
    let next = 0;
    const workers = Array.from({ length: Math.min(CONCURRENCY, req.tickers.length) }, async () => {
      while (next < req.tickers.length) await one(next++);
    });
    await Promise.all(workers);
    return panel;
  }
}

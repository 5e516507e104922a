/**
 * Polygon aggregates provider: GET /v2/aggs/ticker/{T}/range/1/minute/{from}/{to}, paginated with
 * next_url. The key comes only from the environment (POLYGON_API_KEY) and is sent as the apiKey
 * query parameter; every URL shown in a message has it redacted.
 */
import type { Panel } from '../panel.js';
import { emptyPanel } from '../panel.js';
import type { FetchRequest, Provider } from '../provider.js';
import { DataError } from '../provider.js';
import { DEFAULTS, type PolygonConfig } from '../config.js';
import { getJson, placeBars, type ApiBar } from './http.js';
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
  }

  identity(): Record<string, unknown> {
    return { provider: 'polygon', base_url: this.cfg.base_url, adjusted: this.cfg.adjusted };
  }

  private withKey(url: string): string {
    const u = new URL(url);
    u.searchParams.set('apiKey', this.key!);
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
      secrets: [this.key],
      authHint: 'check POLYGON_API_KEY (and that your plan includes minute aggregates for this date range)',
      signal: req.signal,
      onWarning: req.onWarning,
    };
    const from = sessions[0].date;
    const to = sessions.at(-1)!.date;
    const warn = req.onWarning ?? (() => {});
    const one = async (n: number) => {
      const ticker = req.tickers[n];
      const bars: ApiBar[] = [];
      const q = new URLSearchParams({ adjusted: String(this.cfg.adjusted), sort: 'asc', limit: '50000' });
      let url: string | null = `${this.cfg.base_url}/v2/aggs/ticker/${encodeURIComponent(ticker)}/range/1/minute/${from}/${to}?${q}`;
      let pages = 0;
      while (url) {
        const body = (await getJson(this.withKey(url), {}, settings)) as {
          status?: string;
          results?: PolygonAgg[];
          next_url?: string;
          error?: string;
          message?: string;
        };
        if (typeof body !== 'object' || body === null) throw new DataError(`polygon: unexpected response for ${ticker}`, 'check data.polygon.base_url');
        if (body.status === 'ERROR' || body.status === 'NOT_AUTHORIZED') {
          throw new DataError(`polygon: ${ticker}: ${body.error ?? body.message ?? body.status}`, settings.authHint);
        }
        for (const a of body.results ?? []) bars.push({ ts: a.t, o: a.o, h: a.h, l: a.l, c: a.c, v: a.v });
        url = body.next_url ?? null;
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

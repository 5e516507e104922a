/**
 * Alpaca market-data v2 provider: GET /v2/stocks/bars (multi-symbol, 1Min, paginated with
 * next_page_token). Keys only from the environment: ALPACA_API_KEY_ID, ALPACA_API_SECRET_KEY,
 * sent as the APCA-API-KEY-ID / APCA-API-SECRET-KEY headers, and only to base_url's origin (a
 * redirect elsewhere is refused, see getJson). Both values are registered for redaction.
 */
import type { Panel } from '../panel.js';
import { emptyPanel } from '../panel.js';
import type { FetchRequest, Provider, ProviderCapabilities } from '../provider.js';
import { DataError } from '../provider.js';
import { DEFAULTS, type AlpacaConfig } from '../config.js';
import { sessionCloseMs } from '../calendar.js';
import { registerSecret } from '../../util/redact.js';
import { getJson, placeBars, redactedError, redactedWarner, type ApiBar } from './http.js';

interface AlpacaBar {
  t: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

export interface HttpTuning {
  /** First retry delay in ms (default 500); tests make it small. */
  backoffBaseMs?: number;
}

export class AlpacaProvider implements Provider {
  readonly name = 'alpaca';
  readonly capabilities: ProviderCapabilities = { changesBetweenRuns: false, downloads: true, fixedUniverse: false, defaultEnd: 'default: the last completed session; set data.end to choose' };
  private readonly cfg: Required<AlpacaConfig>;
  private readonly keyId: string | undefined;
  private readonly secret: string | undefined;

  constructor(
    config: AlpacaConfig,
    env: NodeJS.ProcessEnv,
    private readonly tuning: HttpTuning = {},
  ) {
    this.cfg = { ...DEFAULTS.alpaca, ...config } as Required<AlpacaConfig>;
    this.cfg.base_url = this.cfg.base_url.replace(/\/+$/, '');
    this.keyId = env.ALPACA_API_KEY_ID || undefined;
    this.secret = env.ALPACA_API_SECRET_KEY || undefined;
    registerSecret(this.keyId, this.secret);
  }

  identity(): Record<string, unknown> {
    return { provider: 'alpaca', base_url: this.cfg.base_url, feed: this.cfg.feed, adjustment: this.cfg.adjustment };
  }

  async fetch(req: FetchRequest): Promise<Panel> {
    const missing = [!this.keyId && 'ALPACA_API_KEY_ID', !this.secret && 'ALPACA_API_SECRET_KEY'].filter(Boolean);
    if (missing.length) {
      throw new DataError(
        `alpaca: missing API key: set the environment variable${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}`,
        'export ALPACA_API_KEY_ID=… ALPACA_API_SECRET_KEY=… (keys are never read from the spec), or use provider: synthetic',
      );
    }
    if (req.sessions.length === 0) throw new DataError('no sessions requested', 'request at least one trading day');
    const sessions = req.sessions.map((s) => ({ ...s }));
    const panel = emptyPanel([...req.tickers], sessions);
    const byTicker = new Map<string, ApiBar[]>(req.tickers.map((t) => [t, []]));
    const settings = {
      provider: 'alpaca',
      timeoutMs: this.cfg.timeout_ms,
      retries: this.cfg.retries,
      backoffBaseMs: this.tuning.backoffBaseMs ?? 500,
      authHint: `check ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY (and that your plan includes feed "${this.cfg.feed}"; the free plan has iex only)`,
      signal: req.signal,
      onWarning: req.onWarning,
    };
    const headers = { 'APCA-API-KEY-ID': this.keyId!, 'APCA-API-SECRET-KEY': this.secret! };
    const start = new Date(sessions[0].openMs).toISOString();
    const end = new Date(sessionCloseMs(sessions.at(-1)!) - 60_000).toISOString();
    let token: string | null = null;
    let pages = 0;
    do {
      const q = new URLSearchParams({
        symbols: req.tickers.join(','),
        timeframe: '1Min',
        start,
        end,
        limit: '10000',
        feed: this.cfg.feed,
        adjustment: this.cfg.adjustment,
        sort: 'asc',
      });
      if (token) q.set('page_token', token);
      const body = (await getJson(`${this.cfg.base_url}/v2/stocks/bars?${q}`, headers, settings)) as {
        bars?: Record<string, AlpacaBar[]> | null;
        next_page_token?: string | null;
      };
      if (typeof body !== 'object' || body === null || !('bars' in body)) {
        throw redactedError('alpaca: unexpected response (no "bars" field)', 'check data.alpaca.base_url points at the market-data API');
      }
      for (const [sym, bars] of Object.entries(body.bars ?? {})) {
        const list = byTicker.get(sym);
        if (!list) continue;
        for (const b of bars) list.push({ ts: Date.parse(b.t), o: b.o, h: b.h, l: b.l, c: b.c, v: b.v });
      }
      token = body.next_page_token ?? null;
      if (++pages > 100_000) throw new DataError('alpaca: pagination did not end (next_page_token keeps coming)');
    } while (token);
    const warn = redactedWarner(req.onWarning);
    req.tickers.forEach((t, n) => placeBars(panel, n, sessions, byTicker.get(t)!, 'alpaca', warn));
    return panel;
  }
}

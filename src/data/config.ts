/**
 * The `data:` block of a pipeline spec (schema: schemas/data.schema.json), with defaults.
 */
import { DataError } from './provider.js';

export type ProviderName = 'synthetic' | 'folder' | 'alpaca' | 'polygon';
export const PROVIDER_NAMES: ProviderName[] = ['synthetic', 'folder', 'alpaca', 'polygon'];

export type BarField = 'timestamp' | 'open' | 'high' | 'low' | 'close' | 'volume';
export const BAR_FIELDS: BarField[] = ['timestamp', 'open', 'high', 'low', 'close', 'volume'];

export interface FolderConfig {
  /** Folder holding one file per ticker: <TICKER>.csv, <TICKER>.csv.gz or <TICKER>.parquet. Relative to the spec file. */
  path: string;
  /** File format to look for; `auto` takes whichever of .parquet, .csv.gz, .csv exists (in that order). Default auto. */
  format?: 'auto' | 'csv' | 'parquet';
  /**
   * Time zone of timestamps that carry no offset: `UTC` (default), `exchange` (America/New_York)
   * or any IANA zone name. ISO strings with an explicit offset/Z and epoch numbers are absolute.
   */
  timezone?: string;
  /** How numeric timestamps are read: `auto` (default: ≥ 1e11 → ms, else s), `s`, `ms`. */
  epoch_unit?: 'auto' | 's' | 'ms';
  /** Column names in the files for each bar field. Defaults are the field names themselves. */
  columns?: Partial<Record<BarField, string>>;
  /** What to do with rows that are obviously bad (high < low, negative volume, NaN): default drop (with a warning). */
  bad_rows?: 'drop' | 'reject';
}

export interface AlpacaConfig {
  /** Default https://data.alpaca.markets */
  base_url?: string;
  /** Default iex (free); sip needs a paid plan. */
  feed?: 'iex' | 'sip' | 'delayed_sip' | 'otc' | 'boats';
  /** Default split. */
  adjustment?: 'raw' | 'split' | 'dividend' | 'all';
  timeout_ms?: number;
  retries?: number;
}

export interface PolygonConfig {
  /** Default https://api.polygon.io */
  base_url?: string;
  /** Split-adjusted aggregates, default true. */
  adjusted?: boolean;
  timeout_ms?: number;
  retries?: number;
}

export interface DataConfig {
  provider?: ProviderName;
  /** Synthetic provider seed (default 7). */
  seed?: number;
  /** Last session date, YYYY-MM-DD (default per provider; see defaultEndDate). */
  end?: string | Date;
  folder?: FolderConfig;
  alpaca?: AlpacaConfig;
  polygon?: PolygonConfig;
}

export const DEFAULTS = {
  provider: 'synthetic' as ProviderName,
  seed: 7,
  syntheticEnd: '2026-10-30',
  alpaca: { base_url: 'https://data.alpaca.markets', feed: 'iex', adjustment: 'split', timeout_ms: 30_000, retries: 4 },
  polygon: { base_url: 'https://api.polygon.io', adjusted: true, timeout_ms: 30_000, retries: 4 },
  folder: { format: 'auto', timezone: 'UTC', epoch_unit: 'auto', bad_rows: 'drop' },
} as const;

/** `end` as YYYY-MM-DD (YAML may hand over a Date), or undefined. */
export function endDateOf(config: DataConfig): string | undefined {
  const e = config.end;
  if (e === undefined || e === null) return undefined;
  if (e instanceof Date) {
    if (Number.isNaN(e.getTime())) throw new DataError('data.end is not a valid date', 'write it as YYYY-MM-DD');
    return e.toISOString().slice(0, 10);
  }
  if (typeof e !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(e)) {
    throw new DataError(`data.end must be a date YYYY-MM-DD, got ${JSON.stringify(e)}`, 'e.g. end: 2026-10-30');
  }
  return e;
}

export function providerNameOf(config: DataConfig): ProviderName {
  const p = config.provider ?? DEFAULTS.provider;
  if (!PROVIDER_NAMES.includes(p)) {
    throw new DataError(`unknown data provider ${JSON.stringify(p)}`, `use one of: ${PROVIDER_NAMES.join(', ')}`);
  }
  return p;
}

import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { createProvider, defaultEndDate, resolveSessions, DataError } from '../../src/data/index.js';

const read = (p: string) => JSON.parse(readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8'));

describe('universes', () => {
  const curated: string[] = read('pipelines/tickers/curated.json');
  const all: string[] = read('pipelines/tickers/all.json');
  it('curated: 32 unique symbols; all: 655 unique symbols containing curated', () => {
    expect(curated).toHaveLength(32);
    expect(new Set(curated).size).toBe(32);
    expect(all).toHaveLength(655);
    expect(new Set(all).size).toBe(655);
    for (const t of curated) expect(all).toContain(t);
    for (const t of all) expect(t).toMatch(/^[A-Z]{1,5}(\.[A-Z])?$/);
  });
});

describe('data config schema and factory', () => {
  const schema = read('schemas/data.schema.json');
  const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: true });
  const validate = ajv.compile(schema);

  it('applies defaults and accepts the documented shape', () => {
    const empty: Record<string, unknown> = {};
    expect(validate(empty)).toBe(true);
    expect(empty).toEqual({ provider: 'synthetic', seed: 7 });
    const full = {
      provider: 'folder',
      end: '2026-10-30',
      folder: { path: '../my-bars', format: 'csv', timezone: 'UTC', columns: { timestamp: 'Datetime' }, bad_rows: 'drop' },
      alpaca: { base_url: 'https://data.alpaca.markets', feed: 'iex', timeout_ms: 30000, retries: 4 },
      polygon: { base_url: 'https://api.polygon.io', timeout_ms: 30000, retries: 4 },
    };
    expect(validate(full)).toBe(true);
    expect(full.folder.columns).toMatchObject({ timestamp: 'Datetime', open: 'open', volume: 'volume' });
  });

  it('rejects unknown keys, a folder provider without folder, and bad values', () => {
    expect(validate({ provider: 'synthetic', sed: 7 })).toBe(false);
    expect(validate({ provider: 'folder' })).toBe(false);
    expect(validate({ provider: 'yahoo' })).toBe(false);
    expect(validate({ end: '30/10/2026' })).toBe(false);
    expect(validate({ alpaca: { api_key: 'x' } })).toBe(false);
  });

  it('createProvider builds each provider; identity never holds secrets', () => {
    const env = { ALPACA_API_KEY_ID: 'AKID-SECRET', ALPACA_API_SECRET_KEY: 'SK-SECRET', POLYGON_API_KEY: 'PG-SECRET' };
    const ctx = { baseDir: '/tmp', env };
    expect(createProvider({}, ctx).identity()).toMatchObject({ provider: 'synthetic', seed: 7 });
    expect(createProvider({ seed: 3 }, ctx).identity()).toMatchObject({ seed: 3 });
    for (const provider of ['alpaca', 'polygon'] as const) {
      const id = JSON.stringify(createProvider({ provider }, ctx).identity());
      expect(id).toContain(provider);
      expect(id).not.toMatch(/SECRET/);
    }
    expect(() => createProvider({ provider: 'nope' as never }, ctx)).toThrow(DataError);
  });

  it('defaultEndDate: fixed for synthetic, last completed session for HTTP', () => {
    expect(defaultEndDate({})).toBe('2026-10-30');
    expect(defaultEndDate({ end: '2025-01-03' })).toBe('2025-01-03');
    expect(defaultEndDate({ end: new Date('2025-01-03T00:00:00Z') })).toBe('2025-01-03');
    expect(defaultEndDate({ provider: 'alpaca' }, { nowMs: Date.parse('2024-07-06T12:00:00Z') })).toBe('2024-07-05');
    expect(defaultEndDate({ provider: 'polygon' }, { nowMs: Date.parse('2024-07-05T19:00:00Z') })).toBe('2024-07-03');
    expect(() => defaultEndDate({ end: '2025/01/03' })).toThrow(/YYYY-MM-DD/);
    const s = resolveSessions({}, 20);
    expect(s).toHaveLength(20);
    expect(s.at(-1)!.date).toBe('2026-10-30');
  });
});

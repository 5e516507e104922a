/**
 * Market data: the exchange calendar, providers (synthetic, folder, alpaca, polygon), the data
 * fingerprint and the precheck library. Steps call `createProvider` with the spec's `data:`
 * block and `resolveSessions` for the session grid.
 */
import { isAbsolute, resolve } from 'node:path';
import type { ArtifactStore } from '../cache/store-api.js';
import type { Provider } from './provider.js';
import { DataError } from './provider.js';
import type { SessionInfo } from './panel.js';
import { DEFAULTS, endDateOf, providerNameOf, type DataConfig } from './config.js';
import { lastCompletedSession, sessionsEnding } from './calendar.js';
import { SyntheticProvider } from './providers/synthetic.js';
import { FolderProvider } from './providers/folder.js';
import { AlpacaProvider } from './providers/alpaca.js';
import { PolygonProvider } from './providers/polygon.js';

export * from './config.js';
export * from './calendar.js';
export * from './fingerprint.js';
export * from './precheck.js';
export type { Panel, SessionInfo, PanelField } from './panel.js';
export { emptyPanel, selectTickers, rowsFromSessions, PANEL_FIELDS } from './panel.js';
export type { Provider, FetchRequest } from './provider.js';
export { DataError } from './provider.js';
export { SyntheticProvider, tickerProfile, regimeFor, SYNTHETIC_VERSION } from './providers/synthetic.js';
export { FolderProvider } from './providers/folder.js';
export { AlpacaProvider } from './providers/alpaca.js';
export { PolygonProvider } from './providers/polygon.js';

export interface ProviderContext {
  /** Folder of the spec file; relative `data.folder.path` is resolved from it. */
  baseDir: string;
  /** Environment for API keys (process.env in the CLI). */
  env: NodeJS.ProcessEnv;
  /** The run's cache: the folder provider keeps each file's parse there and skips unchanged files. */
  cache?: ArtifactStore;
}

/** Builds the provider a spec's `data:` block asks for. Throws DataError on bad settings or missing keys. */
export function createProvider(config: DataConfig = {}, ctx: ProviderContext): Provider {
  const name = providerNameOf(config);
  switch (name) {
    case 'synthetic':
      return new SyntheticProvider(config.seed ?? DEFAULTS.seed);
    case 'folder': {
      if (!config.folder?.path) {
        throw new DataError('data.provider is folder but data.folder.path is not set', 'add `folder: { path: ../my-bars }` under `data:`');
      }
      const path = isAbsolute(config.folder.path) ? config.folder.path : resolve(ctx.baseDir, config.folder.path);
      return new FolderProvider({ ...config.folder, path }, { cache: ctx.cache });
    }
    case 'alpaca':
      return new AlpacaProvider(config.alpaca ?? {}, ctx.env);
    case 'polygon':
      return new PolygonProvider(config.polygon ?? {}, ctx.env);
  }
}

/**
 * The default last session date when the spec sets no `data.end`:
 * synthetic → 2026-10-30 (fixed, so runs reproduce); alpaca/polygon → the last completed
 * session before `nowMs`; folder → the latest date found in the folder's files (pass `provider`
 * from createProvider, or `baseDir` to build one), else the last completed session.
 */
export function defaultEndDate(
  config: DataConfig = {},
  opts: { nowMs?: number; baseDir?: string; provider?: Provider } = {},
): string {
  const explicit = endDateOf(config);
  if (explicit) return explicit;
  const name = providerNameOf(config);
  if (name === 'synthetic') return DEFAULTS.syntheticEnd;
  if (name === 'folder') {
    const p =
      opts.provider instanceof FolderProvider
        ? opts.provider
        : opts.baseDir !== undefined
          ? (createProvider(config, { baseDir: opts.baseDir, env: {} }) as FolderProvider)
          : undefined;
    const latest = p?.latestDate();
    if (latest) return latest;
  }
  return lastCompletedSession(opts.nowMs).date;
}

/** The `days` sessions ending at the configured (or default) end date, oldest first. */
export function resolveSessions(
  config: DataConfig,
  days: number,
  opts: { nowMs?: number; baseDir?: string; provider?: Provider } = {},
): SessionInfo[] {
  return sessionsEnding(defaultEndDate(config, opts), days);
}

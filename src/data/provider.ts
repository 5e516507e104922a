/**
 * Provider: where minute bars come from. The `fetch` step asks a provider for one batch of
 * tickers over a list of sessions and gets a Panel back; `precheck` asks it only for coverage.
 */
import type { Panel, SessionInfo } from './panel.js';

export interface FetchRequest {
  tickers: string[];
  sessions: SessionInfo[];
  signal?: AbortSignal;
  /** Non-fatal data problems (duplicates, dropped rows…), each naming ticker/date or file:line. */
  onWarning?: (message: string) => void;
}

/** What the runner needs to know about a provider, so no step checks provider names. */
export interface ProviderCapabilities {
  /** Its bars can change between runs with no setting changed (files on disk): look every run, let the fingerprint decide. */
  changesBetweenRuns: boolean;
  /** It downloads over the network: each batch is cached as it arrives and kept until --refresh. */
  downloads: boolean;
  /** It holds a fixed set of tickers (a folder): other symbols would be unknown. */
  fixedUniverse: boolean;
  /** How its default end date is chosen, in words (precheck's end-date line). */
  defaultEnd: string;
}

export interface Provider {
  /** Short name, e.g. "synthetic", "folder", "alpaca", "polygon". */
  readonly name: string;
  readonly capabilities: ProviderCapabilities;
  /**
   * Everything about this provider's configuration that changes the bars it returns, for cache
   * keys. Never includes secrets (API keys).
   */
  identity(): Record<string, unknown>;
  fetch(req: FetchRequest): Promise<Panel>;
}

/** Data problems are errors of their own kind (util/errors.ts); re-exported where providers look. */
export { DataError } from '../util/errors.js';

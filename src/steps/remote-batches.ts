/**
 * Bars from a remote provider (Alpaca, Polygon) are cached per batch as soon as they arrive,
 * under a key of the provider's identity, the sessions and the tickers. Precheck and fetch both
 * read through it, so a run downloads each batch once, and when a download fails halfway
 * (timeout, rate limit) every batch fetched before it stays cached for the next run.
 * Synthetic and folder data are cheap to make or re-read and do not go through it.
 */
import { hashJson } from '../cache/key.js';
import type { ArtifactStore } from '../cache/store-api.js';
import { DOWNLOAD_STEP } from '../cache/store.js';
import type { Panel, SessionInfo } from '../data/panel.js';
import type { Provider } from '../data/provider.js';
import { panelFromTensors, panelMeta, panelToTensors } from './panel-artifact.js';


export interface BatchRequest {
  tickers: string[];
  sessions: SessionInfo[];
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
  /** Download again even when the batch is cached (`run --refresh <fetch step>`). */
  refresh?: boolean;
}

export function remoteBatchKey(provider: Provider, tickers: string[], sessions: SessionInfo[]): string {
  return hashJson({ v: 1, remoteBatch: provider.identity(), tickers, sessions: sessions.map((s) => s.date) });
}

/** The provider's bars for one batch, from the cache when a remote batch is there. */
export async function fetchBatch(provider: Provider, cache: ArtifactStore | undefined, req: BatchRequest): Promise<Panel> {
  const fetch = () => provider.fetch({ tickers: req.tickers, sessions: req.sessions.map((s) => ({ ...s })), signal: req.signal, onWarning: req.onWarning });
  if (!cache || !provider.capabilities.downloads) return fetch();
  const key = remoteBatchKey(provider, req.tickers, req.sessions);
  if (!req.refresh) {
    try {
      const hit = await cache.load(key);
      if (hit) return panelFromTensors(hit.tensors, hit.record.meta as any);
    } catch {
      // A corrupt entry was removed by load(): download again.
    }
  }
  const panel = await fetch();
  await cache.store(key, { step: DOWNLOAD_STEP, kind: 'fetch', contentId: key, meta: panelMeta(panel), tensors: panelToTensors(panel) });
  return panel;
}

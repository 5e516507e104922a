/**
 * Data fingerprint: a sha256 over everything in a Panel that a downstream step could read —
 * tickers, the session grid (dates, open times, bar counts) and the raw bytes of every array,
 * mask included. Cache keys include it, so an entry changes exactly when the data change.
 */
import { createHash } from 'node:crypto';
import type { Panel } from './panel.js';

/** Bump if the fingerprint's layout changes. */
const FINGERPRINT_VERSION = 1;

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Hex sha256 of a panel's tickers, sessions and all array bytes (little-endian, as stored). */
export function fingerprintPanel(panel: Panel): string {
  const h = createHash('sha256');
  h.update(
    JSON.stringify({
      v: FINGERPRINT_VERSION,
      T: panel.T,
      N: panel.N,
      tickers: panel.tickers,
      sessions: panel.sessions.map((s) => [s.date, s.openMs, s.bars]),
    }),
  );
  for (const a of [panel.open, panel.high, panel.low, panel.close, panel.volume, panel.mask, panel.time]) {
    h.update(String(a.byteLength));
    h.update(bytesOf(a));
  }
  return h.digest('hex');
}

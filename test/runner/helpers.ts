import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpec, type LoadOptions } from '../../src/spec/index.js';
import { UsageError } from '../../src/util/errors.js';

export function tempDir(prefix = 'mlxi-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Polls `cond` every 50 ms; throws `timed out waiting for <what>` after `ms`. */
export async function waitFor(what: string, cond: () => boolean, ms = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes a spec to a temp file and returns its path. */
export function writeSpec(text: string, dir = tempDir()): string {
  const p = join(dir, 'spec.yaml');
  writeFileSync(p, text);
  return p;
}

export function specFrom(text: string, opts: LoadOptions = {}) {
  return parseSpec(text, '/tmp/spec.yaml', opts);
}

/** The diagnostics of a spec that must fail to load. */
export function diagnosticsOf(text: string, opts: LoadOptions = {}) {
  try {
    parseSpec(text, '/tmp/spec.yaml', opts);
  } catch (e) {
    if (e instanceof UsageError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected the spec to be rejected');
}

export const MINIMAL = `name: t
universe:
  tickers: [AAPL, MSFT]
steps:
  bars:
    kind: fetch
  ind:
    kind: indicators
    inputs: [bars]
`;

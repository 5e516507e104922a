/**
 * Cache keys: sha256 over RFC 8785 canonical JSON, so that key order and YAML formatting never
 * change a key while every value that matters does.
 */
import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

const canonicalize = canonicalizeModule as unknown as (v: unknown) => string | undefined;

export function canonicalJson(value: unknown): string {
  const s = canonicalize(value);
  if (s === undefined) throw new TypeError('value cannot be canonicalized to JSON');
  return s;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hashJson(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** Everything that determines a node's output. */
export interface KeyParts {
  kind: string;
  kindVersion: number;
  /** Resolved params: the step's own, shared ones merged, defaults applied. */
  params: Record<string, unknown>;
  /** Content ids of the inputs, by input step name (a list for a fan-in over batches). */
  inputs: Record<string, string | string[]>;
  /** Tickers of this node's batch (empty for whole-universe nodes). */
  tickers: string[];
  /** Provider identity and anything else outside the spec that shapes the data. */
  data?: unknown;
}

export function nodeKey(parts: KeyParts): string {
  return hashJson({ v: 1, ...parts });
}

export function shortKey(key: string): string {
  return key.slice(0, 12);
}

/**
 * The one place secrets are scrubbed. Whoever reads a secret (an API key from the environment)
 * registers its value here; every sink that prints, logs or stores text (errors, warnings, run
 * events, run records, cache meta) passes it through `redactSecrets` first. Query parameters
 * that conventionally carry keys (apiKey=…, token=…) are masked even when their value was never
 * registered (e.g. a server echoing a URL with someone else's key).
 */

const registered = new Set<string>();

/** Secrets shorter than this are not masked by value (they would mask ordinary words). */
const MIN_SECRET_LENGTH = 4;

const KEY_QUERY = /([?&;](?:apiKey|apikey|api_key|api-key|key|token|access_token|secret)=)[^&\s"'<>]+/gi;

/** Registers secret values (undefined and too-short values are ignored). */
export function registerSecret(...values: (string | undefined)[]): void {
  for (const v of values) if (v && v.length >= MIN_SECRET_LENGTH) registered.add(v);
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  registered.clear();
}

/** Replaces every registered secret value (and its URL-encoded form) and key-like query values with ***. */
export function redactSecrets(text: string, extra: readonly string[] = []): string {
  let out = text.replace(KEY_QUERY, '$1***');
  for (const s of [...registered, ...extra]) {
    if (!s || s.length < MIN_SECRET_LENGTH) continue;
    out = out.split(s).join('***');
    const enc = encodeURIComponent(s);
    if (enc !== s) out = out.split(enc).join('***');
  }
  return out;
}

/** Redacts every string inside a JSON-like value (deep copy); other values pass through. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}

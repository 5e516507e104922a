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

/** Environment variables that hold credentials (the providers read them; nothing else may show them). */
export const SECRET_ENV_VARS = ['ALPACA_API_KEY_ID', 'ALPACA_API_SECRET_KEY', 'POLYGON_API_KEY'] as const;

/** Registers every credential the environment holds, before any provider is made. */
export function registerEnvSecrets(env: NodeJS.ProcessEnv = process.env): void {
  registerSecret(...SECRET_ENV_VARS.map((name) => env[name]));
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

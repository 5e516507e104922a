/**
 * The one rule for ticker symbols, wherever they come from (inline `tickers:`, a tickers file,
 * `--tickers-file`): letters, digits and `.`, `-`, `^` (BRK.B, BF-B, ^VIX), 1–12 characters,
 * starting with a letter, digit or `^`. No `/`, `\`, `..`, spaces or control characters, so a
 * symbol can never name a path outside a data folder. The schema's pattern is this regex
 * (a test keeps them equal).
 */
export const SYMBOL_PATTERN = /^[A-Za-z0-9^](?:[A-Za-z0-9^-]|\.(?!\.)){0,11}$/;

/** Most tickers one spec may hold (the US listed universe is about 8,000). */
export const MAX_TICKERS = 20_000;

/** Why `s` is not a symbol ("it looks like a path"), or undefined when it is one. */
export function symbolProblem(s: unknown): string | undefined {
  if (typeof s !== 'string') return 'it is not text';
  if (s.length === 0) return 'it is empty';
  if (SYMBOL_PATTERN.test(s)) return undefined;
  if (/[\/\\]/.test(s) || s.includes('..')) return 'it looks like a path';
  if (/[\u0000-\u001f\u007f]/.test(s)) return 'it contains a control character';
  if (s.length > 12) return 'it is longer than 12 characters';
  return 'it has characters a symbol cannot have';
}

/** A value shown in a message: JSON, cut when long. */
export function showSymbol(s: unknown): string {
  const text = JSON.stringify(s) ?? String(s);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export const SYMBOL_HINT = 'a symbol is 1–12 letters, digits, ".", "-" or "^" (e.g. AAPL, BRK.B, ^VIX)';

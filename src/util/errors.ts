/**
 * Errors the CLI turns into messages and exit codes. Every user-facing error says what failed,
 * where (file:line:col for specs, ticker/date for data) and how to fix it.
 */

/** A place in a spec file, or on the command line (`--set a.b=1`). */
export interface SourceLocation {
  file: string;
  line?: number;
  col?: number;
}

export interface Diagnostic {
  message: string;
  location?: SourceLocation;
  hint?: string;
}

export function formatLocation(loc?: SourceLocation): string {
  if (!loc) return '';
  if (loc.line === undefined) return loc.file;
  return `${loc.file}:${loc.line}:${loc.col ?? 1}`;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = formatLocation(d.location);
  let s = where ? `${where}: error: ${d.message}` : `error: ${d.message}`;
  if (d.hint) s += `\n  fix: ${d.hint}`;
  return s;
}

/** Bad spec or bad command-line usage: exit code 2. Carries every problem found, not the first only. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'UsageError';
  }
  static one(message: string, hint?: string, location?: SourceLocation): UsageError {
    return new UsageError([{ message, hint, location }]);
  }
}

/** A data problem the user must fix: names ticker/date or file:line and says how. */
export class DataError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'DataError';
  }
}

/** A cache entry whose bytes or meta no longer match their checksum (or whose blob file is gone). */
export class CorruptEntryError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`cache entry ${key.slice(0, 12)} is corrupt (${reason}); it was removed and will be recomputed`);
    this.name = 'CorruptEntryError';
  }
}

/** Why a node did not produce an output. */
export type FailureReason = 'threw' | 'input-failed' | 'cancelled' | 'corrupt-entry' | 'bad-input';

/** A node's failure as data: what happened, where, and how to fix it. */
export interface Failure {
  reason: FailureReason;
  message: string;
  location?: SourceLocation;
  /** Ticker and date for data problems, when known. */
  ticker?: string;
  date?: string;
  hint?: string;
}

/** The Failure an error thrown by a step stands for. */
export function failureOf(e: unknown, message: string): Failure {
  const err = e as Error & { hint?: string };
  if (e instanceof UsageError) return { reason: 'bad-input', message, location: e.diagnostics[0]?.location, hint: e.diagnostics[0]?.hint };
  if (e instanceof DataError) return { reason: 'bad-input', message, hint: err.hint };
  if (e instanceof CorruptEntryError) return { reason: 'corrupt-entry', message, hint: 'run again: the entry was removed and recomputes' };
  return { reason: 'threw', message, hint: err?.hint };
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || (e as { code?: string }).code === 'ABORT_ERR');
}

export function abortError(): Error {
  const e = new Error('The run was interrupted');
  e.name = 'AbortError';
  return e;
}

/** SQLite's own words for a database file it cannot trust (damaged page, not a database). */
export function isDatabaseDamaged(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** The cache's SQLite file is damaged: every command that needs it stops with how to recover. */
export class CacheDamagedError extends UsageError {
  constructor(file: string, reason: string) {
    super([
      {
        message: `the cache database ${file} is damaged (${reason})`,
        hint: 'run `mlx-intraday cache verify --repair`: it moves the database aside, re-indexes the blob files and keeps the run records it can read (anything else is recomputed)',
      },
    ]);
    this.name = 'CacheDamagedError';
  }
}

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

/** A run that could not complete (data, step failure, cache problem): exit code 1. */
export class RunError extends Error {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'RunError';
  }
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

/**
 * Brings a table of the cache database to the layout this version expects. The cache may have
 * been written by an older mlx-intraday: a missing column is added (nullable), and a table that
 * cannot be brought forward (a required column we do not know) is renamed aside and made anew,
 * so an old database never crashes a run. `PRAGMA user_version` records the layout.
 */
import type Database from 'better-sqlite3';

export interface TableLayout {
  name: string;
  /** CREATE TABLE IF NOT EXISTS … and its indexes. */
  create: string;
  /** Every column with its SQL type, as ADD COLUMN would declare it. */
  columns: Record<string, string>;
}

/** The layout version this code writes; a database with a larger one came from a newer version. */
export const SCHEMA_VERSION = 4;

interface ColumnInfo {
  name: string;
  notnull: number;
  dflt_value: unknown;
  pk: number;
}

/** Creates or upgrades one table; returns what it had to do, for a note ('' when nothing). */
export function ensureTable(db: Database.Database, t: TableLayout): string {
  const existing = db.prepare(`PRAGMA table_info(${t.name})`).all() as ColumnInfo[];
  if (existing.length === 0) {
    db.exec(t.create);
    return '';
  }
  const known = new Set(Object.keys(t.columns));
  const blocking = existing.filter((c) => !known.has(c.name) && c.notnull && c.dflt_value === null && !c.pk);
  if (blocking.length) {
    const aside = `${t.name}_old_${Date.now()}`;
    db.exec(`ALTER TABLE ${t.name} RENAME TO ${aside}`);
    db.exec(t.create);
    return `table ${t.name} had an unknown layout (column ${blocking[0].name}); kept as ${aside}, made anew`;
  }
  const have = new Set(existing.map((c) => c.name));
  const added = Object.entries(t.columns).filter(([name]) => !have.has(name));
  for (const [name, type] of added) db.exec(`ALTER TABLE ${t.name} ADD COLUMN ${name} ${type}`);
  db.exec(t.create); // indexes
  return added.length ? `table ${t.name}: added ${added.map(([n]) => n).join(', ')}` : '';
}

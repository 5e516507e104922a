/** The folder provider opens only files inside its folder, whatever the ticker list says. */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderProvider } from '../../src/data/providers/folder.js';
import { DataError } from '../../src/util/errors.js';

const CSV = 'timestamp,open,high,low,close,volume\n2026-03-03T14:30:00Z,10,11,9,10.5,100\n';

function layout() {
  const root = mkdtempSync(join(tmpdir(), 'mlxi-confine-'));
  mkdirSync(join(root, 'data'));
  mkdirSync(join(root, 'outside'));
  writeFileSync(join(root, 'outside', 'SECRET.csv'), CSV);
  writeFileSync(join(root, 'data', 'AAPL.csv'), CSV);
  return root;
}

describe('folder provider confinement', () => {
  it('refuses a ticker that is a path, even when the file exists', () => {
    const root = layout();
    const p = new FolderProvider({ path: join(root, 'data') });
    for (const bad of ['../outside/SECRET', '..', 'A/B', 'NUL\u0000X', 'x\ny']) {
      expect(() => p.fileFor(bad), bad).toThrow(DataError);
    }
    expect(() => p.fileFor('../outside/SECRET')).toThrow(/not a ticker symbol: it looks like a path/);
    expect(p.fileFor('AAPL')).toBe(join(root, 'data', 'AAPL.csv'));
  });

  it('refuses a symlink whose target is outside the folder, and allows one inside', () => {
    const root = layout();
    symlinkSync(join(root, 'outside', 'SECRET.csv'), join(root, 'data', 'LINK.csv'));
    symlinkSync(join(root, 'data', 'AAPL.csv'), join(root, 'data', 'ALIAS.csv'));
    const p = new FolderProvider({ path: join(root, 'data') });
    expect(() => p.fileFor('LINK')).toThrow(/outside the data folder/);
    expect(p.fileFor('ALIAS')).toBe(join(root, 'data', 'ALIAS.csv'));
  });
});

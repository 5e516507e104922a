/**
 * The bad-input corpus (test/bad-input/): specs, tickers files, data files and flags a careless
 * or hostile user gives. For each, through the real CLI: the exit code (2 for bad input, 1 for
 * a run that failed on bad data), a message that says what and where, a fix, and never a stack
 * trace.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { runCli } from './cli.js';
import { tempDir } from './helpers.js';

const CORPUS = join(PACKAGE_ROOT, 'test', 'bad-input');
const spec = (name: string) => join(CORPUS, 'specs', name);
const QUICKSTART = join(PACKAGE_ROOT, 'pipelines', 'quickstart.yaml');

interface Case {
  name: string;
  args: () => string[];
  code: number;
  /** What failed. */
  what: RegExp;
  /** Where: file:line:col, the flag, or the file. */
  where?: RegExp;
}

const scratch = tempDir();
const bigSpec = join(scratch, 'big.yaml');
writeFileSync(bigSpec, `name: big\nuniverse: {tickers: [AAPL]}\nsteps: {bars: {kind: fetch}}\n# ${'x'.repeat(2 << 20)}\n`);
const manyTickers = join(scratch, 'many.json');
writeFileSync(manyTickers, JSON.stringify(Array.from({ length: 20_001 }, (_, i) => `T${i}`)));
mkdirSync(join(scratch, 'a-folder'));

const CASES: Case[] = [
  { name: 'nested YAML aliases (alias bomb)', args: () => ['validate', spec('alias-bomb.yaml')], code: 2, what: /expands too far/, where: /alias-bomb\.yaml/ },
  { name: 'a __proto__ key in the spec', args: () => ['validate', spec('proto-key.yaml')], code: 2, what: /`__proto__` cannot be used as a key/, where: /proto-key\.yaml:4:\d+/ },
  { name: 'seed: .inf', args: () => ['validate', spec('seed-inf.yaml')], code: 2, what: /not a finite number/, where: /seed-inf\.yaml:2:\d+/ },
  { name: 'an unknown time zone', args: () => ['validate', spec('unknown-timezone.yaml')], code: 2, what: /unknown time zone "Mars\/Olympus"/, where: /unknown-timezone\.yaml:5:\d+/ },
  { name: 'a warm-up longer than all sessions', args: () => ['validate', spec('warmup-too-long.yaml')], code: 2, what: /no sample would be taken/, where: /warmup-too-long\.yaml:3:\d+/ },
  { name: 'a tickers-file entry that is a path', args: () => ['validate', spec('tickers-file-traversal.yaml')], code: 2, what: /entry 2 \("\.\.\/OUTSIDE\/SECRET"\) is not a symbol: it looks like a path/, where: /tickers-file-traversal\.yaml:2:\d+/ },
  { name: 'tickers-file entries with NUL and newline', args: () => ['validate', spec('tickers-file-control.yaml')], code: 2, what: /control character/ },
  { name: 'a tickers file that is not JSON', args: () => ['validate', spec('tickers-file-not-json.yaml')], code: 2, what: /is not valid JSON/ },
  { name: 'more tickers than the limit', args: () => ['validate', QUICKSTART, '--tickers-file', manyTickers], code: 2, what: /20001 symbols, more than 20000/ },
  { name: 'an inline ticker that is a path', args: () => ['validate', spec('inline-path-ticker.yaml')], code: 2, what: /"\.\.\/etc" is not a (ticker )?symbol/, where: /inline-path-ticker\.yaml:2:\d+/ },
  { name: 'invalid YAML', args: () => ['validate', spec('invalid-yaml.yaml')], code: 2, what: /invalid YAML/, where: /invalid-yaml\.yaml:\d+:\d+/ },
  { name: 'an unknown step kind', args: () => ['validate', spec('unknown-kind.yaml')], code: 2, what: /fetsh/, where: /unknown-kind\.yaml:4:\d+/ },
  { name: 'a spec over 1 MiB', args: () => ['validate', bigSpec], code: 2, what: /MiB/ },
  { name: 'a folder given as the spec', args: () => ['validate', join(scratch, 'a-folder')], code: 2, what: /is a folder, not a spec file/ },
  { name: 'a spec that does not exist', args: () => ['validate', join(scratch, 'nope.yaml')], code: 2, what: /no such file/ },
  { name: '--set through __proto__', args: () => ['validate', QUICKSTART, '--set', 'params.__proto__.polluted=1'], code: 2, what: /`__proto__` cannot be used/, where: /--set params\.__proto__/ },
  { name: '--set through constructor.prototype', args: () => ['validate', QUICKSTART, '--set', 'params.constructor.prototype.x=1'], code: 2, what: /`constructor` cannot be used/ },
  { name: '--concurrency above the schema maximum', args: () => ['run', QUICKSTART, '--concurrency', '1000'], code: 2, what: /more than the 64 allowed/, where: /--concurrency 1000/ },
  { name: '--epochs and --set train.epochs disagree', args: () => ['validate', QUICKSTART, '--epochs', '2', '--set', 'train.epochs=3'], code: 2, what: /give epochs two values/, where: /--set train\.epochs=3/ },
  { name: '--days that is not a number', args: () => ['validate', QUICKSTART, '--days', 'ten'], code: 2, what: /positive whole number/ },
  { name: 'an unknown option', args: () => ['validate', QUICKSTART, '--dayz', '3'], code: 2, what: /unknown option/ },
  { name: 'a run id that does not exist', args: () => ['runs', 'show', 'no-such-run', '--cache-dir', tempDir()], code: 2, what: /no run "no-such-run"/ },
  { name: 'cache gc without a rule', args: () => ['cache', 'gc', '--cache-dir', tempDir()], code: 2, what: /needs --older-than AGE, --keep-runs N or --orphans/ },
  { name: 'a bad data row with bad_rows: reject', args: () => ['run', spec('reject-bad-row.yaml'), '--cache-dir', tempDir(), '--models-dir', tempDir()], code: 1, what: /AAPL\.csv:3/ },
];

describe('bad-input corpus', () => {
  it.each(CASES)('$name', async (c) => {
    const r = await runCli(c.args(), { cwd: scratch });
    const text = r.stdout + r.stderr;
    expect(r.code, text).toBe(c.code);
    expect(text).toMatch(c.what);
    if (c.where) expect(text).toMatch(c.where);
    expect(text, 'says how to fix it').toMatch(/fix:|hint|Did you mean|did you mean|--help|usage|Usage/);
    expect(text, 'no stack trace').not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    expect(text).not.toMatch(/TypeError|ReferenceError|SqliteError/);
  });
});

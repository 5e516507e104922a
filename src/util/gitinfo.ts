/**
 * The git state of the work tree holding a spec, for run records: the commit, whether the tree
 * was dirty, and the spec's blob hash. The commit is read from .git directly (no process to
 * start; loose refs, packed refs, worktrees and submodules); the blob hash is computed in
 * process; only the dirty check needs `git status`, which runs in the background while the
 * pipeline runs: starting a process costs more the more memory this one holds (measured 135 ms
 * at 1.6 GB), more than a whole warm run.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

function findGitDir(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, '.git');
    if (existsSync(candidate)) {
      if (statSync(candidate).isDirectory()) return candidate;
      // A worktree or submodule: ".git" is a file saying "gitdir: <path>".
      const m = /^gitdir:\s*(.+)\s*$/m.exec(readFileSync(candidate, 'utf8'));
      return m ? resolve(dir, m[1]) : undefined;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function readRef(gitDir: string, ref: string): string | undefined {
  for (const base of [gitDir, readCommonDir(gitDir)]) {
    const file = join(base, ref);
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    const packed = join(base, 'packed-refs');
    if (existsSync(packed)) {
      const line = readFileSync(packed, 'utf8').split('\n').find((l) => l.endsWith(` ${ref}`));
      if (line) return line.split(' ')[0];
    }
  }
  return undefined;
}

function readCommonDir(gitDir: string): string {
  const f = join(gitDir, 'commondir');
  return existsSync(f) ? resolve(gitDir, readFileSync(f, 'utf8').trim()) : gitDir;
}

/** The commit checked out in the work tree holding `dir`, or undefined outside git. */
export function gitCommit(dir: string): string | undefined {
  try {
    const gitDir = findGitDir(dir);
    if (!gitDir) return undefined;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    const sha = head.startsWith('ref: ') ? readRef(gitDir, head.slice(5)) : head;
    // 40 hex digits (SHA-1 repositories) or 64 (SHA-256 ones).
    return sha && /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

/** The work tree's top folder holding `dir` (the folder its .git is in), or undefined outside git. */
export function gitTopLevel(dir: string): string | undefined {
  let d = resolve(dir);
  for (;;) {
    if (existsSync(join(d, '.git'))) return d;
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

/** What `git hash-object <file>` prints: sha1 of "blob <byte length>\0<bytes>". */
export function gitBlobHash(content: string | Buffer): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * Whether the tree differs from its commit where it matters for a run: a tracked file changed,
 * or the spec itself (`file`, when given) is not tracked at all, so the commit alone cannot give
 * it back. Other untracked files do not count. Undefined when git cannot tell (not installed,
 * not a repository, a repository it refuses to read).
 */
export function gitDirty(dir: string, file?: string): Promise<boolean | undefined> {
  return new Promise((resolvePromise) => {
    // `normal` lists an untracked folder once (`new/`), not every file in it (a cache folder may hold thousands).
    const args = ['status', '--porcelain', file ? '--untracked-files=normal' : '--untracked-files=no'];
    execFile('git', args, { cwd: dir, timeout: 10_000 }, (err, stdout) => {
      if (err) return resolvePromise(undefined);
      const lines = stdout.split('\n').filter((l) => l.length > 3);
      if (lines.some((l) => !l.startsWith('?? '))) return resolvePromise(true);
      if (!file) return resolvePromise(false);
      // Porcelain paths are relative to the top of the work tree.
      const top = gitTopLevel(dir);
      const rel = top ? relative(top, resolve(file)).split(sep).join('/') : undefined;
      resolvePromise(
        rel !== undefined &&
          lines.some((l) => {
            const p = unquote(l.slice(3));
            return p === rel || (p.endsWith('/') && rel.startsWith(p));
          }),
      );
    });
  });
}

/** A porcelain path as written ("quoted" when it holds unusual characters). */
function unquote(p: string): string {
  if (!p.startsWith('"')) return p;
  try {
    return JSON.parse(p);
  } catch {
    return p;
  }
}

import { execFileSync } from 'node:child_process';

/** The git commit and dirty flag of the folder holding `dir`, when it is in a git work tree. */
export function gitInfo(dir: string): { commit?: string; dirty?: boolean } {
  try {
    const opts = { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] as ('ignore' | 'pipe')[], encoding: 'utf8' as const, timeout: 5000 };
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], opts).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], opts).trim().length > 0;
    return { commit, dirty };
  } catch {
    return {};
  }
}

/** The sessions a spec covers: `days` sessions ending at data.end (or the provider's default end). */
import { resolveSessions, type DataConfig } from '../data/index.js';
import type { SessionInfo } from '../data/panel.js';
import type { Provider } from '../data/provider.js';
import type { Spec } from '../spec/types.js';

const memo = new WeakMap<Spec, Map<number, SessionInfo[]>>();

export function dataSessions(spec: Spec, days: number, provider: Provider): SessionInfo[] {
  let byDays = memo.get(spec);
  if (!byDays) memo.set(spec, (byDays = new Map()));
  let sessions = byDays.get(days);
  if (!sessions) {
    sessions = resolveSessions(spec.data as DataConfig, days, { baseDir: spec.dir, provider });
    byDays.set(days, sessions);
  }
  // Callers may set fields (start) on sessions: hand out copies.
  return sessions.map((s) => ({ ...s }));
}

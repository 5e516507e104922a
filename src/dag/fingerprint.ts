/**
 * Fingerprints: a node's cache key and the content id its dependents name it by. The key covers
 * everything that shapes the output — the kind and its version, the resolved params, the
 * inputs' content ids by role, the batch's tickers, the library versions the kind names, and
 * whatever it declares it `uses` (provider identity, sessions, seed, universe) — and nothing
 * else, so YAML formatting and step names never change a key and every value that matters does.
 * The key context is built here, once per node; it lets a kind read only what it declared, so
 * nothing a kind reads can be missing from its key.
 */
import { nodeKey } from '../cache/key.js';
import { resolveSessions, type DataConfig } from '../data/index.js';
import type { SessionInfo } from '../data/panel.js';
import type { KeyContext, KindUse, RunEnvironment } from '../steps/kind.js';
import type { Spec } from '../spec/types.js';
import type { Plan, PlanNode } from './plan.js';

const sessionMemo = new WeakMap<Spec, Map<number, SessionInfo[]>>();

/** The `days` sessions a spec's data cover (memoized per spec; copies handed out). */
export function specSessions(spec: Spec, days: number, env: RunEnvironment): SessionInfo[] {
  let byDays = sessionMemo.get(spec);
  if (!byDays) sessionMemo.set(spec, (byDays = new Map()));
  let sessions = byDays.get(days);
  if (!sessions) byDays.set(days, (sessions = resolveSessions(spec.data as DataConfig, days, { baseDir: spec.dir, provider: env.provider() })));
  return sessions.map((s) => ({ ...s }));
}

function undeclared(kind: string, use: KindUse): never {
  throw new Error(`step kind ${kind} reads ${use} without declaring it in \`uses\` (its cache key would not cover it)`);
}

/** What a kind's hooks see about one node: only the uses it declared. */
export function keyContextOf(node: Pick<PlanNode, 'kind' | 'step' | 'params' | 'batch'> & { spec?: Spec }, plan: Pick<Plan, 'spec'>, env: RunEnvironment): KeyContext {
  const uses = new Set(node.kind.uses ?? []);
  // A sweep point's node reads its point's spec (its data, seed, universe).
  const spec = node.spec ?? plan.spec;
  const kind = node.kind.name;
  return {
    step: node.step,
    params: node.params,
    batch: node.batch,
    env,
    provider: () => (uses.has('provider') || uses.has('sessions') ? env.provider() : undeclared(kind, 'provider')),
    sessions: (days: number) => (uses.has('sessions') ? specSessions(spec, days, env) : undeclared(kind, 'sessions')),
    get seed() {
      return uses.has('seed') ? spec.seed : undeclared(kind, 'seed');
    },
    get universe() {
      return uses.has('universe') ? spec.universe : undeclared(kind, 'universe');
    },
  };
}

/** The key material of a node's declared uses. */
function usesMaterial(node: PlanNode, ctx: KeyContext): Record<string, unknown> | null {
  const uses = node.kind.uses ?? [];
  if (uses.length === 0 && !node.kind.libraryVersions) return null;
  const m: Record<string, unknown> = {};
  for (const u of uses) {
    if (u === 'provider') m.provider = ctx.provider().identity();
    if (u === 'sessions') m.sessions = ctx.sessions(node.params.days).map((s) => s.date);
    if (u === 'seed') m.seed = ctx.seed;
    if (u === 'universe') m.universe = ctx.universe.tickers;
  }
  if (node.kind.libraryVersions) m.libraries = node.kind.libraryVersions;
  return m;
}

/** The key of a node once its inputs' content ids are known (by node id). */
export function keyOf(node: PlanNode, contentIds: ReadonlyMap<string, string>, ctx: KeyContext): string {
  const inputs: Record<string, string | string[]> = {};
  for (const [role, ref] of Object.entries(node.inputs)) {
    inputs[role] = Array.isArray(ref) ? ref.map((id) => contentIds.get(id)!) : contentIds.get(ref)!;
  }
  return nodeKey({
    kind: node.kind.name,
    kindVersion: node.kind.version,
    params: node.params,
    inputs,
    tickers: node.batch?.tickers ?? [],
    data: usesMaterial(node, ctx),
  });
}

/**
 * How dependents name a node's output, by its kind's rule: its key ('key': a pure function of
 * it), what it returned ('output': e.g. a data fingerprint, known once it ran or hit), or a
 * constant ('gate': a check that passes or fails never changes what is downstream).
 */
export function contentIdOf(node: PlanNode, key: string, output?: { contentId?: string }): string | undefined {
  switch (node.kind.contentIdMode) {
    case 'key':
      return key;
    case 'gate':
      return `gate:${node.kind.name}`;
    case 'output':
      return output?.contentId;
  }
}

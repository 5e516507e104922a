/**
 * Resolves a plan's keys against the cache without running anything (for `plan`): a node's key
 * is known when its inputs' content ids are; a fetch that has not run yet leaves the keys below
 * it pending.
 */
import type { ArtifactCache } from '../cache/store.js';
import type { RunEnvironment } from '../steps/kind.js';
import { contentIdFor, keyForNode } from './execute.js';
import type { Plan } from './plan.js';

export interface ResolvedNode {
  id: string;
  step: string;
  kind: string;
  batch?: number;
  key?: string;
  /** 'always': the node runs on every run (e.g. re-reading local files), whatever the cache holds. */
  state: 'hit' | 'miss' | 'pending' | 'always';
  /** Why a key is pending: the upstream node whose output is not known yet. */
  waitsFor?: string;
}

export function resolvePlan(plan: Plan, cache: ArtifactCache, env: RunEnvironment): ResolvedNode[] {
  const contentIds = new Map<string, string>();
  const out: ResolvedNode[] = [];
  for (const id of plan.order) {
    const node = plan.nodes.get(id)!;
    const base = { id, step: node.step.name, kind: node.kind.name, batch: node.batch?.index };
    const unknown = node.deps.find((d) => !contentIds.has(d));
    if (unknown) {
      // Name the node whose run decides it (the fetch), not the pending node in between.
      const upstream = out.find((n) => n.id === unknown);
      out.push({ ...base, state: 'pending', waitsFor: upstream?.waitsFor ?? unknown });
      continue;
    }
    const key = keyForNode(node, contentIds, env, plan);
    if (node.kind.alwaysRun?.({ spec: plan.spec, step: node.step, params: node.params, batch: node.batch, env })) {
      // What it will produce is known only once it ran (a fetch's data fingerprint).
      const cid = contentIdFor(node, key);
      if (cid) contentIds.set(id, cid);
      out.push({ ...base, key, state: 'always' });
      continue;
    }
    const rec = cache.lookup(key);
    const cid = rec ? rec.contentId : contentIdFor(node, key);
    if (cid) contentIds.set(id, cid);
    out.push({ ...base, key, state: rec ? 'hit' : 'miss' });
  }
  return out;
}

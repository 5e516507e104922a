/**
 * Resolves a plan's keys against the cache without running anything (for `plan`): a node's key
 * is known when its inputs' content ids are; a fetch that has not run yet leaves the keys below
 * it pending.
 */
import type { ArtifactStore } from '../cache/store-api.js';
import { CorruptEntryError } from '../util/errors.js';
import type { RunEnvironment } from '../steps/kind.js';
import { contentIdOf, keyContextOf, keyOf } from './fingerprint.js';
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

export async function resolvePlan(plan: Plan, cache: ArtifactStore, env: RunEnvironment): Promise<ResolvedNode[]> {
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
    const ctx = keyContextOf(node, plan, env);
    const key = keyOf(node, contentIds, ctx);
    if (node.kind.alwaysRun?.(ctx)) {
      // What it will produce is known only once it ran (a fetch's data fingerprint).
      const cid = contentIdOf(node, key);
      if (cid) contentIds.set(id, cid);
      out.push({ ...base, key, state: 'always' });
      continue;
    }
    const rec = await lookupQuietly(cache, key);
    const cid = rec ? rec.contentId : contentIdOf(node, key);
    if (cid) contentIds.set(id, cid);
    out.push({ ...base, key, state: rec ? 'hit' : 'miss' });
  }
  return out;
}

/** A lookup for display: an entry that does not check out is a miss (lookup removed it). */
async function lookupQuietly(cache: ArtifactStore, key: string) {
  try {
    return await cache.lookup(key);
  } catch (e) {
    if (e instanceof CorruptEntryError) return undefined;
    throw e;
  }
}

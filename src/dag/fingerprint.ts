/**
 * Fingerprints: a node's cache key and the content id its dependents name it by. The key covers
 * everything that shapes the output — the kind and its version, the resolved params, the
 * inputs' content ids, the batch's tickers and the kind's extra key material (provider
 * identity, seed) — and nothing else, so YAML formatting never changes a key and every value
 * that matters does. The key context is built here, once per node, for keying and running alike.
 */
import { nodeKey } from '../cache/key.js';
import type { KeyContext, RunEnvironment } from '../steps/kind.js';
import type { Plan, PlanNode } from './plan.js';

/** What a kind's key hooks see about one node. */
export function keyContextOf(node: PlanNode, plan: Plan, env: RunEnvironment): KeyContext {
  return { spec: plan.spec, step: node.step, params: node.params, batch: node.batch, env };
}

/** The key of a node once its inputs' content ids are known (by node id). */
export function keyOf(node: PlanNode, contentIds: ReadonlyMap<string, string>, ctx: KeyContext): string {
  const inputs: Record<string, string | string[]> = {};
  for (const [name, ref] of Object.entries(node.inputs)) {
    inputs[name] = Array.isArray(ref) ? ref.map((id) => contentIds.get(id)!) : contentIds.get(ref)!;
  }
  return nodeKey({
    kind: node.kind.name,
    kindVersion: node.kind.version,
    params: node.params,
    inputs,
    tickers: node.batch?.tickers ?? [],
    data: node.kind.keyData?.(ctx) ?? null,
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

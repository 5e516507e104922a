/**
 * One plan for every point of a sweep. Each point is planned as a plain run; then nodes are
 * merged across points when they are provably the same computation: the same kind and
 * version, the same resolved params, the same batch of tickers, the same spec facts the kind
 * declares it uses (data settings, seed, universe), and inputs that are themselves the same
 * nodes. Those are exactly what a node's cache key is made of, so a merged node has one key
 * for every point it serves, and nothing is shared that the cache would keep apart.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../cache/key.js';
import type { Sweep } from '../spec/sweep.js';
import type { KindRegistry } from '../steps/kind.js';
import { nodeLabel, type NodeRef } from './node-ref.js';
import { planSpec, type Plan, type PlanNode } from './plan.js';

/**
 * What a node's output is a function of, without running anything (its inputs by identity). A
 * gate input (precheck) never shapes the output, so it does not split a node across points.
 */
function identityOf(node: PlanNode, inputIdentity: (id: string) => string): string {
  const spec = node.spec;
  const uses = new Set(node.kind.uses ?? []);
  const inputs = Object.fromEntries(
    Object.entries(node.inputs).map(([role, ids]) => [role, Array.isArray(ids) ? ids.map(inputIdentity) : inputIdentity(ids)]),
  );
  const material = {
    kind: node.kind.name,
    version: node.kind.version,
    libraries: node.kind.libraryVersions ?? {},
    params: node.params,
    tickers: node.batch?.tickers ?? null,
    inputs,
    data: uses.has('provider') || uses.has('sessions') ? { data: spec.data, dir: spec.dir } : null,
    seed: uses.has('seed') ? spec.seed : null,
    universe: uses.has('universe') ? spec.universe.tickers : null,
    // A kind that must run on every hit (local files) is still one computation per identity.
  };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

export interface SweepPlanStats {
  /** Nodes if every point ran on its own. */
  unshared: number;
  /** Nodes in the merged plan. */
  shared: number;
}

/** The merged plan of a sweep; a sweep of one point is that point's plain plan. */
export function planSweep(sweep: Sweep, kinds: KindRegistry): Plan & { stats: SweepPlanStats } {
  if (sweep.points.length === 1 && sweep.axes.length === 0) {
    const plan = planSpec(sweep.points[0].spec, kinds);
    return { ...plan, stats: { unshared: plan.nodes.size, shared: plan.nodes.size } };
  }
  const all = sweep.points.length;
  const perPoint = sweep.points.map((p) => planSpec(p.spec, kinds));
  /** identity → the first node seen with it, and the points it serves. */
  const groups = new Map<string, { node: PlanNode; points: number[]; order: number; deps: Set<string>; gates: Set<string> }>();
  const identityIn = perPoint.map(() => new Map<string, string>());
  let seen = 0;
  perPoint.forEach((plan, p) => {
    /** The gates (precheck) each node of this point sits below, by identity. */
    const gatesOf = new Map<string, Set<string>>();
    for (const id of plan.order) {
      const node = plan.nodes.get(id)!;
      const ident = identityOf(node, (inputId) => (plan.nodes.get(inputId)!.kind.contentIdMode === 'gate' ? 'gate' : identityIn[p].get(inputId)!));
      identityIn[p].set(id, ident);
      const gates = new Set<string>();
      for (const d of node.deps) {
        if (plan.nodes.get(d)!.kind.contentIdMode === 'gate') gates.add(identityIn[p].get(d)!);
        for (const g of gatesOf.get(d) ?? []) gates.add(g);
      }
      gatesOf.set(id, gates);
      const g = groups.get(ident);
      if (g) {
        g.points.push(p);
        for (const x of gates) g.gates.add(x);
      } else groups.set(ident, { node, points: [p], order: seen++, deps: new Set(node.deps.map((d) => identityIn[p].get(d)!)), gates });
    }
  });

  // Labels: a node every point shares keeps its plain label; others carry their first point.
  const labelOf = new Map<string, string>();
  const nodes = new Map<string, PlanNode>();
  const order: string[] = [];
  const sorted = [...groups.entries()].sort((a, b) => a[1].order - b[1].order);
  for (const [ident, g] of sorted) {
    const base = g.node.ref;
    const ref: NodeRef = g.points.length === all ? { step: base.step, batch: base.batch } : { step: base.step, batch: base.batch, point: g.points[0] };
    labelOf.set(ident, nodeLabel(ref));
  }
  for (const [ident, g] of sorted) {
    const p = g.points[0];
    const mapId = (inputId: string) => labelOf.get(identityIn[p].get(inputId)!)!;
    const inputs = Object.fromEntries(Object.entries(g.node.inputs).map(([role, ids]) => [role, Array.isArray(ids) ? ids.map(mapId) : mapId(ids)]));
    const id = labelOf.get(ident)!;
    const ref: NodeRef = g.points.length === all ? { step: g.node.ref.step, batch: g.node.ref.batch } : { step: g.node.ref.step, batch: g.node.ref.batch, point: p };
    // A node waits for the gates of every point it serves and runs when one of them passes: a
    // point whose precheck fails stops only the work that is its alone.
    const gates = [...g.gates].map((d) => labelOf.get(d)!);
    const deps = [...new Set([...[...g.deps].map((d) => labelOf.get(d)!), ...gates])];
    nodes.set(id, { ...g.node, id, ref, inputs, deps, dependents: [], points: g.points, ...(gates.length > 1 || deps.length > g.deps.size ? { anyOfGates: gates } : {}) });
    order.push(id);
  }
  for (const n of nodes.values()) for (const d of n.deps) nodes.get(d)!.dependents.push(n.id);
  // Every node after its inputs (a shared node may wait for a later point's gate).
  const topo: string[] = [];
  const placed = new Set<string>();
  const place = (id: string) => {
    if (placed.has(id)) return;
    placed.add(id);
    for (const d of nodes.get(id)!.deps) place(d);
    topo.push(id);
  };
  order.forEach(place);
  const unshared = perPoint.reduce((s, pl) => s + pl.nodes.size, 0);
  return {
    spec: sweep.base,
    nodes,
    order: topo,
    stepOrder: perPoint[0].stepOrder,
    batches: perPoint[0].batches,
    points: sweep.points,
    stats: { unshared, shared: nodes.size },
  };
}

/** The nodes of one point, by the label they would have in that point's plain plan. */
export function nodesOfPoint(plan: Plan, point: number): Map<string, PlanNode> {
  const out = new Map<string, PlanNode>();
  for (const n of plan.nodes.values()) {
    if (n.points === undefined ? point === 0 : n.points.includes(point)) out.set(nodeLabel({ step: n.ref.step, batch: n.ref.batch }), n);
  }
  return out;
}

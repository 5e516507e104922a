/**
 * The planner: spec → nodes (step × batch), their dependencies and a topological order.
 * Per-batch steps that read per-batch steps pair up batch by batch; a whole-universe step that
 * reads a per-batch step waits for every batch (fan-in). A cycle is an error naming it.
 */
import type { Spec, StepSpec } from '../spec/types.js';
import { UsageError, type Diagnostic } from '../util/errors.js';
import type { BatchInfo, KindRegistry, StepKind } from '../steps/kind.js';
import { nodeLabel, type NodeRef } from './node-ref.js';

export interface PlanNode {
  /** The node's label (nodeLabel(ref)): unique in the plan, for maps and messages. */
  id: string;
  ref: NodeRef;
  step: StepSpec;
  kind: StepKind;
  batch?: BatchInfo;
  /** Resolved params: the step's own, then the shared params its kind reads. */
  params: Record<string, any>;
  /** Node ids this node reads, by input role (a list for a fan-in or a `many` role). */
  inputs: Record<string, string | string[]>;
  deps: string[];
  dependents: string[];
  /** Position of the step in topological step order (deeper runs first within a batch). */
  depth: number;
  /** The spec this node's params and uses come from (a sweep point's spec in a sweep). */
  spec: Spec;
  /** The sweep points this node serves (all of them when shared); absent outside a sweep. */
  points?: number[];
  /** Gates (of several sweep points) of which one passing is enough; the others may fail. */
  anyOfGates?: string[];
}

export interface Plan {
  spec: Spec;
  nodes: Map<string, PlanNode>;
  /** Node ids in an order where every node comes after its inputs. */
  order: string[];
  /** Step names in topological order. */
  stepOrder: string[];
  batches: BatchInfo[];
  /** The sweep points, when the plan expands a sweep (nodes say which points they serve). */
  points?: { index: number; values: Record<string, unknown>; spec: Spec }[];
}

export type { KindRegistry } from '../steps/kind.js';

export function makeBatches(tickers: string[], size: number): BatchInfo[] {
  const count = Math.max(1, Math.ceil(tickers.length / size));
  return Array.from({ length: count }, (_, i) => ({ index: i, count, tickers: tickers.slice(i * size, (i + 1) * size) }));
}

/** Topological order of steps; throws naming the cycle (`a → b → a`) with where each edge is written. */
export function orderSteps(spec: Spec): string[] {
  const byName = new Map(spec.steps.map((s) => [s.name, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const stack: string[] = [];
  const cycles: Diagnostic[] = [];
  const visit = (name: string) => {
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      const edges = cycle.slice(0, -1).map((from, i) => {
        const to = cycle[i + 1];
        // The walk follows inputs, so each step on the stack reads the next one: the edge is
        // written in `from`'s inputs.
        return { reader: from, input: to };
      });
      const where = edges.map((e) => {
        const idx = byName.get(e.reader)!.inputs.indexOf(e.input);
        return spec.locate(['steps', e.reader, 'inputs', idx]);
      });
      cycles.push({
        message: `the steps form a cycle: ${cycle.join(' → ')} (each step reads the next)`,
        location: where[0],
        hint: `remove one of these inputs: ${edges.map((e, i) => `\`${e.input}\` of \`${e.reader}\` (${where[i].file}:${where[i].line ?? ''})`).join(', ')}`,
      });
      return;
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const input of byName.get(name)?.inputs ?? []) if (byName.has(input)) visit(input);
    stack.pop();
    state.set(name, 'done');
    order.push(name);
  };
  for (const s of spec.steps) {
    visit(s.name);
    if (cycles.length) throw new UsageError(cycles);
  }
  return order;
}

/**
 * Which role of its kind each input of a step fills (by the input's kind, or as the spec's map
 * form names it), with every problem at once: an input no role takes, two inputs for a role that
 * takes one, a required role left empty. Returns role by input step name, per step.
 */
function assignRoles(spec: Spec, kinds: KindRegistry): Map<string, Map<string, string>> {
  const byName = new Map(spec.steps.map((s) => [s.name, s]));
  const problems: Diagnostic[] = [];
  const out = new Map<string, Map<string, string>>();
  for (const s of spec.steps) {
    const kind = kinds[s.kind];
    const roles = new Map<string, string>();
    const filled = new Map<string, string[]>();
    s.inputs.forEach((input, i) => {
      const k = byName.get(input)!.kind;
      const where = spec.locate(['steps', s.name, 'inputs', s.roles[input] ?? i]);
      const named = s.roles[input];
      const fits = kind.inputs.filter((r) => r.kind === k && (named === undefined || r.role === named));
      if (fits.length === 0) {
        const known = named !== undefined && !kind.inputs.some((r) => r.role === named);
        problems.push({
          message: known
            ? `step \`${s.name}\` (${s.kind}) has no input role \`${named}\``
            : `step \`${s.name}\` (${s.kind}) cannot read \`${input}\`, a ${k} step${named ? ` in role \`${named}\`` : ''}`,
          location: where,
          hint: `a ${s.kind} step reads ${kind.inputs.map((r) => `${r.role} (a ${r.kind} step)`).join(', ') || 'no inputs'}`,
        });
        return;
      }
      // Of several roles for one kind, the first not yet filled (a list fills them in order).
      const role = fits.find((r) => r.many || !filled.has(r.role)) ?? fits[0];
      if (!role.many && filled.has(role.role)) {
        problems.push({
          message: `step \`${s.name}\` (${s.kind}) reads two steps in role \`${role.role}\`: \`${filled.get(role.role)![0]}\` and \`${input}\``,
          location: where,
          hint: `keep one, or name the roles: inputs: {${kind.inputs.map((r) => `${r.role}: …`).join(', ')}}`,
        });
        return;
      }
      filled.set(role.role, [...(filled.get(role.role) ?? []), input]);
      roles.set(input, role.role);
    });
    for (const r of kind.inputs) {
      if (r.required && !filled.has(r.role)) {
        const candidates = spec.steps.filter((o) => o.kind === r.kind).map((o) => o.name);
        problems.push({
          message: `step \`${s.name}\` (${s.kind}) needs a ${r.kind} step among its inputs`,
          location: spec.locate(['steps', s.name, 'kind']),
          hint: candidates.length ? `add \`inputs: [${[...s.inputs, candidates[0]].join(', ')}]\`` : `add a step of kind ${r.kind} and list it in \`inputs\``,
        });
      }
    }
    out.set(s.name, roles);
  }
  if (problems.length) throw new UsageError(problems);
  return out;
}

/** A step's params: its own, then the shared ones its kind reads, then its kind's defaults. */
export function resolveParams(spec: Spec, step: StepSpec, kind: StepKind<any>): Record<string, any> {
  const params: Record<string, any> = { ...step.params };
  for (const k of kind.sharedParams) if (params[k] === undefined) params[k] = spec.params[k];
  for (const [name, schema] of Object.entries(kind.paramsSchema)) {
    if (params[name] === undefined && schema.default !== undefined) params[name] = structuredClone(schema.default);
  }
  return params;
}

export function planSpec(spec: Spec, kinds: KindRegistry): Plan {
  const stepOrder = orderSteps(spec);
  const unknown = spec.steps.filter((st) => !kinds[st.kind]);
  if (unknown.length) {
    throw new UsageError(unknown.map((st) => ({ message: `step \`${st.name}\` has kind \`${st.kind}\`, which this runner does not know`, location: spec.locate(['steps', st.name, 'kind']), hint: `known kinds: ${Object.keys(kinds).join(', ')}` })));
  }
  const rolesOf = assignRoles(spec, kinds);
  const batches = makeBatches(spec.universe.tickers, spec.batchSize);
  const byName = new Map(spec.steps.map((s) => [s.name, s]));
  const nodes = new Map<string, PlanNode>();
  const idsOf = new Map<string, string[]>();
  const order: string[] = [];

  stepOrder.forEach((name, depth) => {
    const step = byName.get(name)!;
    const kind = kinds[step.kind];
    const params = resolveParams(spec, step, kind);
    const instances: (BatchInfo | undefined)[] = kind.cardinality === 'per-batch' ? batches : [undefined];
    const roles = rolesOf.get(name)!;
    const many = new Set(kind.inputs.filter((r) => r.many).map((r) => r.role));
    const ids: string[] = [];
    for (const batch of instances) {
      const ref: NodeRef = batch ? { step: name, batch: { index: batch.index, count: batch.count } } : { step: name };
      const id = nodeLabel(ref);
      const inputs: Record<string, string | string[]> = {};
      const deps: string[] = [];
      for (const input of step.inputs) {
        const upstream = idsOf.get(input)!;
        const upPerBatch = kinds[byName.get(input)!.kind].cardinality === 'per-batch';
        // Per batch reads per batch pairwise; whole-universe reads every batch (fan-in).
        const ids = upPerBatch && batch ? [upstream[batch.index]] : upPerBatch ? upstream : [upstream[0]];
        const role = roles.get(input)!;
        if (many.has(role)) inputs[role] = [...((inputs[role] as string[] | undefined) ?? []), ...ids];
        else inputs[role] = upPerBatch && !batch ? ids : ids[0];
        deps.push(...ids);
      }
      nodes.set(id, { id, ref, step, kind, batch, params, inputs, deps, dependents: [], depth, spec });
      ids.push(id);
      order.push(id);
    }
    idsOf.set(name, ids);
  });
  for (const n of nodes.values()) for (const d of n.deps) nodes.get(d)!.dependents.push(n.id);
  return { spec, nodes, order, stepOrder, batches };
}

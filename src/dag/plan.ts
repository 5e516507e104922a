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
  /** Node ids this node reads, by input step name (a list for a fan-in). */
  inputs: Record<string, string | string[]>;
  deps: string[];
  dependents: string[];
  /** Position of the step in topological step order (deeper runs first within a batch). */
  depth: number;
}

export interface Plan {
  spec: Spec;
  nodes: Map<string, PlanNode>;
  /** Node ids in an order where every node comes after its inputs. */
  order: string[];
  /** Step names in topological order. */
  stepOrder: string[];
  batches: BatchInfo[];
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

function checkInputKinds(spec: Spec, kinds: KindRegistry): void {
  const byName = new Map(spec.steps.map((s) => [s.name, s]));
  const problems: Diagnostic[] = [];
  for (const s of spec.steps) {
    const kind = kinds[s.kind];
    const allowed = new Set([...kind.inputs.required, ...(kind.inputs.optional ?? [])]);
    const readKinds = s.inputs.map((i) => byName.get(i)!.kind);
    s.inputs.forEach((input, i) => {
      const k = byName.get(input)!.kind;
      if (!allowed.has(k)) {
        problems.push({
          message: `step \`${s.name}\` (${s.kind}) cannot read \`${input}\`, a ${k} step`,
          location: spec.locate(['steps', s.name, 'inputs', i]),
          hint: `a ${s.kind} step reads ${[...allowed].join(', ') || 'no inputs'}`,
        });
      }
    });
    for (const req of kind.inputs.required) {
      if (!readKinds.includes(req)) {
        const candidates = spec.steps.filter((o) => o.kind === req).map((o) => o.name);
        problems.push({
          message: `step \`${s.name}\` (${s.kind}) needs a ${req} step among its inputs`,
          location: spec.locate(['steps', s.name, 'kind']),
          hint: candidates.length ? `add \`inputs: [${[...s.inputs, candidates[0]].join(', ')}]\`` : `add a step of kind ${req} and list it in \`inputs\``,
        });
      }
    }
  }
  if (problems.length) throw new UsageError(problems);
}

export function resolveParams(spec: Spec, step: StepSpec, kind: StepKind): Record<string, any> {
  const params: Record<string, any> = { ...step.params };
  for (const k of kind.sharedParams) if (params[k] === undefined) params[k] = spec.params[k];
  return params;
}

export function planSpec(spec: Spec, kinds: KindRegistry): Plan {
  const stepOrder = orderSteps(spec);
  checkInputKinds(spec, kinds);
  const batches = makeBatches(spec.universe.tickers, spec.batchSize);
  const byName = new Map(spec.steps.map((s) => [s.name, s]));
  const nodes = new Map<string, PlanNode>();
  const idsOf = new Map<string, string[]>();
  const order: string[] = [];

  stepOrder.forEach((name, depth) => {
    const step = byName.get(name)!;
    const kind = kinds[step.kind];
    const params = resolveParams(spec, step, kind);
    const instances: (BatchInfo | undefined)[] = kind.perBatch ? batches : [undefined];
    const ids: string[] = [];
    for (const batch of instances) {
      const ref: NodeRef = batch ? { step: name, batch: { index: batch.index, count: batch.count } } : { step: name };
      const id = nodeLabel(ref);
      const inputs: Record<string, string | string[]> = {};
      const deps: string[] = [];
      for (const input of step.inputs) {
        const upstream = idsOf.get(input)!;
        const upKind = kinds[byName.get(input)!.kind];
        if (upKind.perBatch && batch) inputs[input] = upstream[batch.index];
        else if (upKind.perBatch) inputs[input] = upstream;
        else inputs[input] = upstream[0];
        deps.push(...(Array.isArray(inputs[input]) ? (inputs[input] as string[]) : [inputs[input] as string]));
      }
      nodes.set(id, { id, ref, step, kind, batch, params, inputs, deps, dependents: [], depth });
      ids.push(id);
      order.push(id);
    }
    idsOf.set(name, ids);
  });
  for (const n of nodes.values()) for (const d of n.deps) nodes.get(d)!.dependents.push(n.id);
  return { spec, nodes, order, stepOrder, batches };
}

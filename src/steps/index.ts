/**
 * The step kinds, by name: the runner's registry. Adding a kind is its own file, its test, and
 * one line here (docs/architecture.md, "How to add a step kind").
 */
import type { KindRegistry } from './kind.js';
import type { KindSchemaSource } from '../spec/schema.js';
import { pipelineSchema } from '../spec/schema.js';
import { backtestKind } from './backtest.js';
import { fetchKind } from './fetch.js';
import { indicatorsKind } from './indicators.js';
import { precheckKind } from './precheck.js';
import { sampleKind } from './sample.js';
import { trainKind } from './train.js';

export const STEP_KIND_REGISTRY: KindRegistry = {
  precheck: precheckKind,
  fetch: fetchKind,
  indicators: indicatorsKind,
  sample: sampleKind,
  train: trainKind,
  backtest: backtestKind,
};

/** The pipeline schema for a registry (schemas/pipeline.schema.json is this for the shipped kinds). */
export function schemaFor(kinds: KindRegistry = STEP_KIND_REGISTRY): Record<string, unknown> {
  return pipelineSchema(schemaSources(kinds));
}

/** What the spec loader needs to validate against a registry's generated schema. */
export function schemaSources(kinds: KindRegistry): KindSchemaSource[] {
  return Object.values(kinds);
}

export { defineKind, inputIn, inputsIn } from './kind.js';
export type { StepKind, StepContext, StepOutput, InputArtifact, RunEnvironment, InputRole, KindUse, KindRegistry, Cardinality } from './kind.js';

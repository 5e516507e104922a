export { loadSpec, parseSpec, type LoadOptions } from './load.js';
export { parseSetArg, seedFlagOverrides, type Override, type SeedFlags } from './overrides.js';
export { type Spec, type StepSpec, type StepKindName, type SharedParams, type Universe } from './types.js';

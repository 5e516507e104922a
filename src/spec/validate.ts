/**
 * JSON-Schema validation of a spec document with ajv: applies defaults, and turns every ajv
 * error into a diagnostic that says what is wrong in words a user can act on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { didYouMean } from '../util/suggest.js';
import { SCHEMAS_DIR } from '../util/paths.js';


export interface SchemaProblem {
  /** Path in the document of the offending value (or of the unknown key). */
  path: (string | number)[];
  /** True when the path names a key itself (unknown key), not its value. */
  atKey: boolean;
  message: string;
  hint?: string;
}

let checkedIn: Record<string, unknown> | undefined;
const compiled = new WeakMap<object, ValidateFunction>();
/** The schema being reported on (its shared params name the "belongs under params" hint). */
let rootSchema: Record<string, unknown> | undefined;

function readSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, name), 'utf8'));
}

/** The checked-in pipeline schema (generated from the shipped kinds; a test keeps it fresh). */
export function checkedInSchema(): Record<string, unknown> {
  return (checkedIn ??= readSchema('pipeline.schema.json'));
}

function validator(schema: Record<string, unknown>): ValidateFunction {
  const known = compiled.get(schema);
  if (known) return known;
  const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: false });
  const dataPath = join(SCHEMAS_DIR, 'data.schema.json');
  const data = existsSync(dataPath) ? readSchema('data.schema.json') : { type: 'object' };
  ajv.addSchema({ ...data, $id: 'data.schema.json' });
  const fn = ajv.compile(schema);
  compiled.set(schema, fn);
  return fn;
}

function pathOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `the text "${value}"`;
  return `${typeof value} ${String(value)}`;
}

function toProblem(e: ErrorObject): SchemaProblem | undefined {
  const path = pathOf(e.instancePath);
  const last = path[path.length - 1];
  // An item of a list is named by the list: `names[2]`.
  const name = path.length === 0 ? 'the spec' : typeof last === 'number' ? `\`${path[path.length - 2]}[${last}]\`` : `\`${last}\``;
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'if':
      return undefined; // the failing `then` branch reports the real problem
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as any)?.properties ?? {});
      const where = path.length ? ` in \`${path.join('.')}\`` : '';
      // A shared knob written at the top level or in a step that does not read it.
      const shared = Object.keys((rootSchema as any)?.properties?.params?.properties ?? {});
      if (shared.includes(p.additionalProperty)) {
        return {
          path: [...path, p.additionalProperty],
          atKey: true,
          message: `unknown key \`${p.additionalProperty}\`${where}`,
          hint: path.length === 0 ? `shared knobs go under \`params:\` (params: { ${p.additionalProperty}: … })` : `this step does not read \`${p.additionalProperty}\`; set it under the top-level \`params:\` or on the step that uses it`,
        };
      }
      return {
        path: [...path, p.additionalProperty],
        atKey: true,
        message: `unknown key \`${p.additionalProperty}\`${where}`,
        hint: didYouMean(p.additionalProperty, allowed) || 'remove it',
      };
    }
    case 'required':
      return { path, atKey: false, message: `missing required key \`${p.missingProperty}\`${path.length ? ` in \`${path.join('.')}\`` : ''}`, hint: `add \`${p.missingProperty}:\`` };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const what = path[path.length - 1] === 'kind' ? 'step kind' : `value for ${name}`;
      return { path, atKey: false, message: `unknown ${what} \`${String(e.data)}\``, hint: didYouMean(String(e.data), allowed) };
    }
    case 'type':
      return { path, atKey: false, message: `${name} must be ${p.type === 'integer' ? 'an integer' : `of type ${p.type}`}, got ${describe(e.data)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, atKey: false, message: `${name} must be ${p.comparison} ${p.limit}, got ${String(e.data)}` };
    case 'const':
      return { path, atKey: false, message: `${name} must be ${JSON.stringify(p.allowedValue)}, got ${describe(e.data)}` };
    case 'pattern':
      if (path.includes('tickers')) return { path, atKey: false, message: `${name} ${describe(e.data)} is not a ticker symbol`, hint: 'symbols are 1–12 letters, digits, ".", "^" or "-", e.g. AAPL, BRK.B' };
      if (path[path.length - 1] === 'name') return { path, atKey: false, message: `${name} ${describe(e.data)} is not a valid pipeline name`, hint: 'use letters, digits, "_", "." and "-" (it names run records and checkpoint files)' };
      return { path, atKey: false, message: `${name} ${describe(e.data)} does not match the pattern ${p.pattern}` };
    case 'propertyNames':
      return undefined; // reported by the nested pattern error
    default:
      return { path, atKey: false, message: `${name} ${e.message ?? 'is invalid'}` };
  }
}

/** Validates `doc` in place (defaults are written into it) and returns every problem found. */
/** Validates (and fills defaults into) a spec document; `schema` defaults to the checked-in one. */
export function validateSpecDocument(doc: unknown, schema: Record<string, unknown> = checkedInSchema()): SchemaProblem[] {
  rootSchema = schema;
  const validate = validator(schema);
  if (validate(doc)) return [];
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    // propertyNames errors carry the bad key in params; report them at the key.
    if (e.keyword === 'pattern' && e.propertyName) {
      const path = [...pathOf(e.instancePath), e.propertyName];
      problems.push({ path, atKey: true, message: `step name \`${e.propertyName}\` must be lowercase letters, digits and _ (starting with a letter)` });
      continue;
    }
    const pr = toProblem(e);
    if (!pr) continue;
    const id = pr.path.join('/') + '|' + pr.message;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push(pr);
  }
  return problems;
}

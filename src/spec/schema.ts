/**
 * The pipeline schema (schemas/pipeline.schema.json), generated from the step kinds: this file
 * holds the parts that are not any kind's (top-level keys, the shared params, the universe),
 * and each kind contributes its params. `npm run schema` writes the file editors read; a test
 * fails when the checked-in file is stale.
 */
import { INDICATOR_NAMES } from '../indicators/index.js';

type Json = Record<string, unknown>;

/** What the schema needs to know about a kind. */
export interface KindSchemaSource {
  name: string;
  /** One line: what the kind does (shown in the schema). */
  description: string;
  /** Shared params (spec.params) it reads when the step does not set them. */
  sharedParams: readonly string[];
  /** JSON Schema of the params it takes itself, by name (defaults included). */
  paramsSchema: Readonly<Record<string, unknown>>;
}

const TOP: Json = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "pipeline.schema.json",
  "title": "mlx-intraday pipeline",
  "description": "A declarative intraday research pipeline: steps of the registered kinds, how they feed each other, and their parameters.",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "name",
    "universe",
    "steps"
  ]
};

/** Top-level keys other than params and steps' kinds. */
const PROPERTIES: Json = {
  "$schema": {
    "type": "string",
    "description": "Path to this schema, for editor completion."
  },
  "version": {
    "const": 1,
    "default": 1,
    "description": "Spec format version."
  },
  "name": {
    "type": "string",
    "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    "description": "Pipeline name; used for run records and checkpoint file names."
  },
  "description": {
    "type": "string"
  },
  "seed": {
    "type": "integer",
    "minimum": 0,
    "default": 42,
    "description": "Seed for everything random (model init, shuffling). Same spec + data + seed = same numbers."
  },
  "batch_size": {
    "type": "integer",
    "minimum": 1,
    "maximum": 1000,
    "default": 50,
    "description": "Tickers per batch. Memory is bounded by one batch."
  },
  "concurrency": {
    "type": "integer",
    "minimum": 1,
    "maximum": 64,
    "description": "Nodes run at once (default: the number of CPU cores)."
  },
  "store": {
    "type": "string",
    "pattern": "^(local|local:.+|folder:.+|s3://.+)$",
    "description": "Where artifacts and run records live: local (the --cache-dir SQLite + blobs, the default), folder:PATH (a shared folder; relative to the spec's folder) or s3://bucket/prefix?endpoint=URL. --store and MLX_INTRADAY_STORE override it."
  },
  "universe": {
    "type": "object",
    "additionalProperties": false,
    "description": "Which tickers: a list, or a JSON file holding one (exactly one of the two).",
    "properties": {
      "tickers": {
        "type": "array",
        "items": {
          "type": "string",
          "pattern": "^[A-Za-z0-9^](?:[A-Za-z0-9^-]|\\.(?!\\.)){0,11}$"
        },
        "minItems": 1,
        "maxItems": 20000,
        "uniqueItems": true
      },
      "tickers_file": {
        "type": "string",
        "description": "Path (relative to the spec) of a JSON array of symbols."
      },
      "max_tickers": {
        "type": "integer",
        "minimum": 1,
        "description": "Take only the first N tickers."
      }
    }
  },
  "sweep": {
    "type": "object",
    "additionalProperties": false,
    "required": [
      "grid"
    ],
    "description": "A grid of runs in one DAG: each point overrides params; nodes whose inputs and params agree are computed once for all points (docs/sweeps.md).",
    "properties": {
      "mode": {
        "enum": [
          "cross",
          "zip"
        ],
        "default": "cross",
        "description": "cross: every combination of the lists; zip: the i-th values of every list together (equal lengths)."
      },
      "max_points": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100000,
        "default": 1000,
        "description": "Refuse a grid larger than this (a typo in a range should not start 10,000 runs)."
      },
      "grid": {
        "type": "object",
        "minProperties": 1,
        "description": "Param path (as --set writes it: days, sample_interval, train.epochs, universe.tickers_file, train.preset) → a list of values or a range {from, to, step}.",
        "additionalProperties": {
          "oneOf": [
            {
              "type": "array",
              "minItems": 1
            },
            {
              "type": "object",
              "additionalProperties": false,
              "required": [
                "from",
                "to"
              ],
              "properties": {
                "from": {
                  "type": "number"
                },
                "to": {
                  "type": "number"
                },
                "step": {
                  "type": "number"
                }
              }
            }
          ]
        }
      }
    }
  },
  "data": {
    "$ref": "data.schema.json"
  },
  "steps": {
    "type": "object",
    "minProperties": 1,
    "description": "Steps by name. Each names its kind and the steps it reads (inputs).",
    "propertyNames": {
      "pattern": "^[a-z][a-z0-9_]*$"
    },
    "additionalProperties": {
      "$ref": "#/definitions/step"
    }
  }
};

/** Knobs shared by several steps (the seed script's flags map onto these). */
export const SHARED_PARAMS_SCHEMA: Json = {
  "type": "object",
  "additionalProperties": false,
  "default": {},
  "description": "Knobs shared by several steps; a step's own params override them.",
  "properties": {
    "days": {
      "type": "integer",
      "minimum": 1,
      "maximum": 2000,
      "default": 5,
      "description": "Sessions of minute bars, ending at data.end."
    },
    "sample_interval": {
      "type": "integer",
      "minimum": 1,
      "maximum": 390,
      "default": 15,
      "description": "Minutes between samples."
    },
    "warmup": {
      "type": "integer",
      "minimum": 0,
      "maximum": 10000,
      "default": 120,
      "description": "Minutes skipped at the start before the first sample."
    },
    "horizon": {
      "type": "integer",
      "minimum": 1,
      "maximum": 389,
      "default": 15,
      "description": "Minutes ahead of the forward-return label."
    },
    "epochs": {
      "type": "integer",
      "minimum": 1,
      "maximum": 10000,
      "default": 10,
      "description": "Training epochs."
    },
    "min_samples": {
      "type": "integer",
      "minimum": 0,
      "default": 1000,
      "description": "Precheck fails when fewer samples are expected."
    }
  }
};

const STEP: Json = {
  "type": "object",
  "additionalProperties": false,
  "required": [
    "kind"
  ],
  "properties": {
    "kind": {
      "description": "What the step does."
    },
    "inputs": {
      "oneOf": [
        {
          "type": "array",
          "items": {
            "type": "string"
          },
          "uniqueItems": true
        },
        {
          "type": "object",
          "additionalProperties": {
            "type": "string"
          }
        }
      ],
      "default": [],
      "description": "The steps whose outputs this step reads: a list of step names, or a map from the kind's input roles to step names (to tell apart two inputs of one kind)."
    },
    "params": {
      "type": "object",
      "default": {}
    }
  }
};

const INDICATOR_NAME: Json = {
  "description": "One of the 111 indicator outputs (docs/indicators.md)."
};

export function pipelineSchema(kinds: readonly KindSchemaSource[]): Json {
  const definitions: Json = {};
  const step = structuredClone(STEP) as Json & { properties: Record<string, Json> };
  step.properties.kind = { enum: kinds.map((k) => k.name), ...step.properties.kind };
  step.allOf = kinds.map((k) => ({
    if: { properties: { kind: { const: k.name } }, required: ['kind'] },
    then: { properties: { params: { $ref: `#/definitions/${k.name}Params` } } },
  }));
  definitions.step = step;
  for (const k of kinds) {
    const shared: Json = {};
    for (const p of k.sharedParams) shared[p] = { $ref: `#/properties/params/properties/${p}` };
    definitions[`${k.name}Params`] = { description: `${k.name}: ${k.description}`, type: 'object', additionalProperties: false, properties: { ...shared, ...structuredClone(k.paramsSchema) } };
  }
  definitions.indicatorName = { ...INDICATOR_NAME, enum: [...INDICATOR_NAMES] };
  const properties = { ...structuredClone(PROPERTIES) } as Json;
  // Keep the documented key order: params before steps.
  const { steps, ...rest } = properties;
  return { ...TOP, properties: { ...rest, params: structuredClone(SHARED_PARAMS_SCHEMA), steps }, definitions };
}

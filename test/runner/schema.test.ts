/** The checked-in pipeline schema is the one the step kinds generate. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaFor } from '../../src/steps/index.js';
import { SCHEMAS_DIR } from '../../src/util/paths.js';

describe('pipeline schema', () => {
  it('schemas/pipeline.schema.json equals the schema generated from the kinds (run `npm run schema` when this fails)', () => {
    const checkedIn = readFileSync(join(SCHEMAS_DIR, 'pipeline.schema.json'), 'utf8');
    expect(checkedIn).toBe(JSON.stringify(schemaFor(), null, 2) + '\n');
  });
});
